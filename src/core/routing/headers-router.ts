import type { FieldTable, FieldValue, Message } from '../message.js';
import { canonicalValue, type Binding, type Router } from './binding.js';

type MatchKind = 'all' | 'any' | 'all-with-x' | 'any-with-x';

interface Compiled<D> {
  readonly binding: Binding<D>;
  readonly all: boolean;
  /** [header name, expected value or undefined for "present"]; void (null) in a binding means presence. */
  readonly tests: ReadonlyArray<readonly [string, FieldValue | undefined]>;
}

/**
 * Headers exchange (AMQP 0-9-1 §3.1.3.4 plus RabbitMQ's x-match extensions).
 * Binding arguments are the pattern; `x-match` is 'all' (default) or 'any', or
 * 'all-with-x' / 'any-with-x'. In the plain forms arguments whose names start with
 * 'x-' are not part of the pattern; in the -with-x forms they are. A binding value
 * of void (null) tests only that the header is present, as RabbitMQ does.
 * Headers bindings are matched by scan: each binding's pattern is an arbitrary table.
 */
export class HeadersRouter<D> implements Router<D> {
  private readonly list: Compiled<D>[] = [];

  add(b: Binding<D>): void {
    const kind = parseMatch(b.arguments['x-match']);
    const withX = kind === 'all-with-x' || kind === 'any-with-x';
    const tests: [string, FieldValue | undefined][] = [];
    for (const k of Object.keys(b.arguments)) {
      if (k === 'x-match') continue;
      if (!withX && k.startsWith('x-')) continue;
      const v = b.arguments[k] as FieldValue;
      tests.push([k, v === null ? undefined : v]);
    }
    this.list.push({ binding: b, all: kind === 'all' || kind === 'all-with-x', tests });
  }

  remove(b: Binding<D>): void {
    const i = this.list.findIndex((c) => c.binding === b);
    if (i >= 0) this.list.splice(i, 1);
  }

  /** A new array per call: headers exchanges are matched by scan and rarely hot. */
  route(_routingKey: string, message: Message): readonly Binding<D>[] {
    const out: Binding<D>[] = [];
    const headers = message.properties.headers;
    for (let i = 0; i < this.list.length; i++) {
      const c = this.list[i] as Compiled<D>;
      if (matches(c, headers)) out.push(c.binding);
    }
    return out;
  }
}

export function parseMatch(v: FieldValue | undefined): MatchKind {
  if (v === 'any' || v === 'all-with-x' || v === 'any-with-x') return v;
  return 'all';
}

export const isValidMatch = (v: FieldValue | undefined): boolean =>
  v === undefined || v === 'all' || v === 'any' || v === 'all-with-x' || v === 'any-with-x';

function matches<D>(c: Compiled<D>, headers: FieldTable | undefined): boolean {
  if (c.all) {
    for (const [k, expected] of c.tests) {
      if (!headers || !(k in headers)) return false;
      if (expected !== undefined && !sameValue(expected, headers[k] as FieldValue)) return false;
    }
    return true;
  }
  for (const [k, expected] of c.tests) {
    if (!headers || !(k in headers)) continue;
    if (expected === undefined || sameValue(expected, headers[k] as FieldValue)) return true;
  }
  return false;
}

/** Value equality regardless of integer width (Erlang's `==` as RabbitMQ uses it). */
function sameValue(a: FieldValue, b: FieldValue): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'bigint') return Number.isInteger(a) && BigInt(a) === b;
  if (typeof a === 'bigint' && typeof b === 'number') return Number.isInteger(b) && BigInt(b) === a;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  // Buffers, timestamps, decimals, arrays and tables compare structurally.
  return canonicalValue(a) === canonicalValue(b);
}
