import { Decimal, Timestamp, type FieldTable, type FieldValue, type Message } from '../message.js';
import type { FilterSource, MessageFilter } from '../api.js';

/**
 * A binding as the routing structures hold it. `destination` is resolved to the live
 * object so routing never looks a name up. Identity (for unbind and duplicate binds)
 * is (source, destination kind + name, routing key, arguments), as in AMQP 0-9-1
 * §1.7.2: two binds differing only in arguments are two bindings.
 */
export interface Binding<D> {
  readonly source: string;
  readonly destinationKind: 'queue' | 'exchange';
  readonly destinationName: string;
  readonly destination: D;
  readonly routingKey: string;
  readonly arguments: FieldTable;
  /** Canonical identity string (see bindingKey). */
  readonly key: string;
  filter: MessageFilter | undefined;
  /** What `filter` was compiled from, when the binder said (persisted with durable bindings). */
  filterSource: FilterSource | undefined;
}

export const bindingKey = (kind: 'queue' | 'exchange', dest: string, routingKey: string, args: FieldTable): string =>
  `${kind}\u0000${dest}\u0000${routingKey}\u0000${canonicalTable(args)}`;

/** A stable textual form of a field table (key order independent) for identity and equivalence. */
export function canonicalTable(t: FieldTable): string {
  const keys = Object.keys(t);
  if (keys.length === 0) return '';
  keys.sort();
  let s = '{';
  for (const k of keys) s += JSON.stringify(k) + ':' + canonicalValue(t[k] as FieldValue) + ',';
  return s + '}';
}

export function canonicalValue(v: FieldValue): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return `n${v}`;
    case 'bigint':
      // Integers compare equal whatever their wire width (RabbitMQ compares by type class).
      return `n${v.toString()}`;
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      break;
  }
  if (Buffer.isBuffer(v)) return `x${v.toString('hex')}`;
  if (Array.isArray(v)) return '[' + v.map(canonicalValue).join(',') + ']';
  if (v instanceof Timestamp) return `T${v.seconds}`;
  if (v instanceof Decimal) return `D${v.scale}:${v.digits}`;
  return canonicalTable(v as FieldTable);
}

/**
 * What an exchange type's index must do. `route` returns the matching bindings as an
 * array the router owns (its list for a key, or a cached result): no copy and no
 * allocation per message. The caller reads it before the next add/remove. The routing
 * key is passed apart from the message because one message may route under several
 * keys (RabbitMQ sender-selected distribution: CC/BCC headers).
 */
export interface Router<D> {
  add(b: Binding<D>): void;
  remove(b: Binding<D>): void;
  route(routingKey: string, message: Message): readonly Binding<D>[];
}
