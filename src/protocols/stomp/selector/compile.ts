/**
 * JMS message selectors (ActiveMQ's STOMP `selector` header) compiled to a core
 * MessageFilter: a recursive-descent parser builds a tree of small closures once per
 * SUBSCRIBE. Nothing from the wire becomes code (DESIGN §5): identifiers are looked
 * up as message fields, LIKE patterns are matched by a hand-written matcher.
 *
 * Semantics (JMS 1.1 §3.8.1): three-valued logic, NULL for absent properties, a
 * message matches only when the selector is TRUE. STOMP header values are strings,
 * so a numeric comparison with a string that reads as a number compares numerically
 * (ActiveMQ users write `price > 10` against STOMP headers).
 */
import type { MessageFilter } from '../../../core/api.js';
import type { Message } from '../../../core/message.js';
import { StompError } from '../errors.js';
import { SelectorSyntaxError, tokenize } from './lexer.js';
import type { Token } from './lexer.js';

type Value = string | number | boolean | null;
type Expr = (m: Message) => Value;

const MAX_SELECTOR_LENGTH = 4096;
const MAX_DEPTH = 64;

/** FilterSource.language of a compiled selector (core/api.ts): a durable binding keeps its selector under it. */
export const JMS_SELECTOR = 'jms-selector';

export function compileSelector(text: string): MessageFilter {
  if (text.length > MAX_SELECTOR_LENGTH) throw new StompError('Invalid selector', `selector longer than ${MAX_SELECTOR_LENGTH} characters`);
  try {
    const p = new Parser(tokenize(text));
    const e = p.parseExpression();
    p.expectEof();
    return (m: Message) => e(m) === true;
  } catch (err) {
    if (err instanceof SelectorSyntaxError) throw new StompError('Invalid selector', `selector '${text.slice(0, 200)}': ${err.message}`);
    throw err;
  }
}

/** Field lookup: JMS header names first, then user properties (message headers). */
function field(name: string): Expr {
  switch (name) {
    case 'JMSDeliveryMode':
      return (m) => (m.properties.deliveryMode === 2 ? 'PERSISTENT' : 'NON_PERSISTENT');
    case 'JMSPriority':
      return (m) => m.properties.priority ?? 4;
    case 'JMSMessageID':
      return (m) => m.properties.messageId ?? null;
    case 'JMSTimestamp':
      return (m) => (m.properties.timestamp === undefined ? null : m.properties.timestamp.seconds * 1000);
    case 'JMSCorrelationID':
      return (m) => m.properties.correlationId ?? null;
    case 'JMSType':
      return (m) => m.properties.type ?? null;
    default:
      return (m) => {
        const v = m.properties.headers?.[name];
        switch (typeof v) {
          case 'string':
          case 'number':
          case 'boolean':
            return v;
          case 'bigint':
            return Number(v);
          default:
            return null;
        }
      };
  }
}

function toNumber(v: Value): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(v.trim())) return Number(v);
  return null;
}

function compare(op: string, a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  if (typeof a === 'number' || typeof b === 'number') {
    const x = toNumber(a);
    const y = toNumber(b);
    if (x === null || y === null) return null;
    switch (op) {
      case '=': return x === y;
      case '<>': return x !== y;
      case '<': return x < y;
      case '<=': return x <= y;
      case '>': return x > y;
      default: return x >= y;
    }
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    // Booleans compare with = and <> only; a string 'true'/'false' header counts.
    const x = typeof a === 'boolean' ? a : a === 'true' ? true : a === 'false' ? false : null;
    const y = typeof b === 'boolean' ? b : b === 'true' ? true : b === 'false' ? false : null;
    if (x === null || y === null) return null;
    if (op === '=') return x === y;
    if (op === '<>') return x !== y;
    return null;
  }
  switch (op) {
    case '=': return a === b;
    case '<>': return a !== b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    default: return a >= b;
  }
}

function and(a: Value, b: Value): Value {
  if (a === false || b === false) return false;
  if (a === true && b === true) return true;
  return null;
}

function or(a: Value, b: Value): Value {
  if (a === true || b === true) return true;
  if (a === false && b === false) return false;
  return null;
}

function not(a: Value): Value {
  return a === null ? null : typeof a === 'boolean' ? !a : null;
}

/** SQL LIKE: % any run, _ one character, optional escape character. Iterative, O(n*m) worst case. */
function like(s: string, pattern: string, escape: string | undefined): boolean {
  // Pre-split the pattern into items: literal char or wildcard.
  const items: Array<string | 0 | 1> = []; // 0 = %, 1 = _
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (escape !== undefined && c === escape && i + 1 < pattern.length) {
      items.push(pattern.charAt(++i));
    } else if (c === '%') {
      if (items[items.length - 1] !== 0) items.push(0);
    } else if (c === '_') {
      items.push(1);
    } else {
      items.push(c);
    }
  }
  let si = 0;
  let pi = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    const it = items[pi];
    if (pi < items.length && (it === 1 || it === s.charAt(si))) {
      si++;
      pi++;
    } else if (pi < items.length && it === 0) {
      starP = pi++;
      starS = si;
    } else if (starP >= 0) {
      pi = starP + 1;
      si = ++starS;
    } else {
      return false;
    }
  }
  while (pi < items.length && items[pi] === 0) pi++;
  return pi === items.length;
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token {
    return this.toks[this.i]!;
  }
  private isKw(v: string): boolean {
    const t = this.peek();
    return t.t === 'kw' && t.v === v;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }
  private expectKw(v: string): void {
    if (!this.isKw(v)) throw new SelectorSyntaxError(`expected ${v}`);
    this.i++;
  }
  private expectOp(v: string): void {
    if (!this.isOp(v)) throw new SelectorSyntaxError(`expected '${v}'`);
    this.i++;
  }
  expectEof(): void {
    if (this.peek().t !== 'eof') throw new SelectorSyntaxError('unexpected input after the expression');
  }

  /** or-expression */
  parseExpression(): Expr {
    if (++this.depth > MAX_DEPTH) throw new SelectorSyntaxError('selector nested too deeply');
    let left = this.parseAnd();
    while (this.isKw('OR')) {
      this.i++;
      const l = left;
      const r = this.parseAnd();
      left = (m) => or(l(m), r(m));
    }
    this.depth--;
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isKw('AND')) {
      this.i++;
      const l = left;
      const r = this.parseNot();
      left = (m) => and(l(m), r(m));
    }
    return left;
  }

  private parseNot(): Expr {
    if (this.isKw('NOT')) {
      this.i++;
      if (++this.depth > MAX_DEPTH) throw new SelectorSyntaxError('selector nested too deeply');
      const e = this.parseNot();
      this.depth--;
      return (m) => not(e(m));
    }
    return this.parsePredicate();
  }

  private parsePredicate(): Expr {
    const left = this.parseAdditive();
    const t = this.peek();
    if (t.t === 'op' && ['=', '<>', '<', '<=', '>', '>='].includes(t.v)) {
      this.i++;
      const right = this.parseAdditive();
      const op = t.v;
      return (m) => compare(op, left(m), right(m));
    }
    let negate = false;
    if (this.isKw('NOT')) {
      negate = true;
      this.i++;
    }
    if (this.isKw('BETWEEN')) {
      this.i++;
      const lo = this.parseAdditive();
      this.expectKw('AND');
      const hi = this.parseAdditive();
      const e: Expr = (m) => {
        const v = left(m);
        return and(compare('>=', v, lo(m)), compare('<=', v, hi(m)));
      };
      return negate ? (m) => not(e(m)) : e;
    }
    if (this.isKw('LIKE')) {
      this.i++;
      const p = this.next();
      if (p.t !== 'str') throw new SelectorSyntaxError('LIKE needs a string pattern');
      let escape: string | undefined;
      if (this.isKw('ESCAPE')) {
        this.i++;
        const e = this.next();
        if (e.t !== 'str' || e.v.length !== 1) throw new SelectorSyntaxError('ESCAPE needs a one-character string');
        escape = e.v;
      }
      const pattern = p.v;
      const e: Expr = (m) => {
        const v = left(m);
        return typeof v === 'string' ? like(v, pattern, escape) : null;
      };
      return negate ? (m) => not(e(m)) : e;
    }
    if (this.isKw('IN')) {
      this.i++;
      this.expectOp('(');
      const set: string[] = [];
      for (;;) {
        const s = this.next();
        if (s.t !== 'str') throw new SelectorSyntaxError('IN needs string literals');
        set.push(s.v);
        if (this.isOp(',')) {
          this.i++;
          continue;
        }
        break;
      }
      this.expectOp(')');
      const e: Expr = (m) => {
        const v = left(m);
        return v === null ? null : typeof v === 'string' ? set.includes(v) : null;
      };
      return negate ? (m) => not(e(m)) : e;
    }
    if (negate) throw new SelectorSyntaxError('NOT must be followed by BETWEEN, LIKE or IN here');
    if (this.isKw('IS')) {
      this.i++;
      let isNot = false;
      if (this.isKw('NOT')) {
        isNot = true;
        this.i++;
      }
      this.expectKw('NULL');
      return isNot ? (m) => left(m) !== null : (m) => left(m) === null;
    }
    return left;
  }

  private next(): Token {
    return this.toks[this.i++]!;
  }

  private parseAdditive(): Expr {
    let left = this.parseMultiplicative();
    for (;;) {
      const t = this.peek();
      if (t.t !== 'op' || (t.v !== '+' && t.v !== '-')) return left;
      this.i++;
      const l = left;
      const r = this.parseMultiplicative();
      left = arith(t.v, l, r);
    }
  }

  private parseMultiplicative(): Expr {
    let left = this.parseUnary();
    for (;;) {
      const t = this.peek();
      if (t.t !== 'op' || (t.v !== '*' && t.v !== '/')) return left;
      this.i++;
      const l = left;
      const r = this.parseUnary();
      left = arith(t.v, l, r);
    }
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (t.t === 'op' && (t.v === '-' || t.v === '+')) {
      this.i++;
      if (++this.depth > MAX_DEPTH) throw new SelectorSyntaxError('selector nested too deeply');
      const e = this.parseUnary();
      this.depth--;
      if (t.v === '+') return e;
      return (m) => {
        const n = toNumber(e(m));
        return n === null ? null : -n;
      };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Expr {
    const t = this.next();
    switch (t.t) {
      case 'num': {
        const v = t.v;
        return () => v;
      }
      case 'str': {
        const v = t.v;
        return () => v;
      }
      case 'id':
        return field(t.v);
      case 'kw':
        if (t.v === 'TRUE') return () => true;
        if (t.v === 'FALSE') return () => false;
        if (t.v === 'NULL') return () => null;
        throw new SelectorSyntaxError(`unexpected ${t.v}`);
      case 'op':
        if (t.v === '(') {
          const e = this.parseExpression();
          this.expectOp(')');
          return e;
        }
        throw new SelectorSyntaxError(`unexpected '${t.v}'`);
      case 'eof':
        throw new SelectorSyntaxError('unexpected end of selector');
    }
  }
}

function arith(op: string, l: Expr, r: Expr): Expr {
  return (m) => {
    const a = toNumber(l(m));
    const b = toNumber(r(m));
    if (a === null || b === null) return null;
    switch (op) {
      case '+': return a + b;
      case '-': return a - b;
      case '*': return a * b;
      default: return b === 0 ? null : a / b;
    }
  };
}
