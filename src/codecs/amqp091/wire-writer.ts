/**
 * Growable writer for encoding frames. Positions that must be patched later (frame
 * size, table length) are kept relative to `origin`, the start of the frame being
 * written, because `ensure` may move the unfinished frame to a fresh buffer
 * (see FrameEncoder: bytes already handed to the sink are never overwritten).
 */
import { AmqpDecimal, AmqpTimestamp, TypedField, type AmqpFieldTable, type AmqpFieldValue } from './field-values.js';
import { MAX_FIELD_DEPTH } from './wire-reader.js';

const TWO_32 = 4294967296;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export class WireWriter {
  buf: Buffer;
  pos = 0;
  /** Start of the frame under construction; relocation keeps offsets from here valid. */
  origin = 0;

  constructor(initialSize = 4096) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Make room for n more bytes. Plain writers grow in place (copying the frame). */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const used = this.pos - this.origin;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, used + n + 1024));
    this.buf.copy(next, 0, this.origin, this.pos);
    this.buf = next;
    this.origin = 0;
    this.pos = used;
  }

  octet(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  short(v: number): void {
    this.ensure(2);
    const p = this.pos;
    this.buf[p] = (v >>> 8) & 0xff;
    this.buf[p + 1] = v & 0xff;
    this.pos = p + 2;
  }

  long(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  longlong(v: number): void {
    this.ensure(8);
    const hi = Math.floor(v / TWO_32);
    this.buf.writeUInt32BE(hi >>> 0, this.pos);
    this.buf.writeUInt32BE(v - hi * TWO_32, this.pos + 4);
    this.pos += 8;
  }

  /** AMQP 0-9-1 §4.2.5.3: short strings hold at most 255 octets. */
  shortstr(s: string): void {
    const len = s.length;
    if (len <= 64) {
      // Hot path (routing keys, consumer tags): plain ASCII is copied char by char,
      // cheaper than a native utf8 write for short strings.
      this.ensure(1 + len);
      const b = this.buf;
      const p = this.pos + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p + i] = c;
      }
      if (i === len) {
        b[p - 1] = len;
        this.pos = p + len;
        return;
      }
    }
    const max = len * 3;
    this.ensure(1 + max);
    const n = max === 0 ? 0 : this.buf.write(s, this.pos + 1, 'utf8');
    if (n > 255) throw new RangeError(`short string too long (${n} octets)`);
    this.buf[this.pos] = n;
    this.pos += 1 + n;
  }

  longstr(b: Buffer | string): void {
    if (typeof b === 'string') {
      const max = b.length * 3;
      this.ensure(4 + max);
      const n = max === 0 ? 0 : this.buf.write(b, this.pos + 4, 'utf8');
      this.buf.writeUInt32BE(n, this.pos);
      this.pos += 4 + n;
      return;
    }
    this.ensure(4 + b.length);
    this.buf.writeUInt32BE(b.length, this.pos);
    b.copy(this.buf, this.pos + 4);
    this.pos += 4 + b.length;
  }

  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  table(t: AmqpFieldTable | undefined, depth = 0): void {
    this.ensure(4);
    const lenAt = this.pos - this.origin;
    this.pos += 4;
    if (t !== undefined) {
      if (depth >= MAX_FIELD_DEPTH) throw new RangeError('field table nested too deeply');
      for (const key of Object.keys(t)) {
        const v = t[key];
        if (v === undefined) continue; // absent, not void
        this.shortstr(key);
        this.fieldValue(v, depth + 1);
      }
    }
    const at = this.origin + lenAt;
    this.buf.writeUInt32BE(this.pos - at - 4, at);
  }

  array(a: readonly AmqpFieldValue[], depth: number): void {
    if (depth >= MAX_FIELD_DEPTH) throw new RangeError('field array nested too deeply');
    this.ensure(4);
    const lenAt = this.pos - this.origin;
    this.pos += 4;
    for (const v of a) this.fieldValue(v, depth + 1);
    const at = this.origin + lenAt;
    this.buf.writeUInt32BE(this.pos - at - 4, at);
  }

  /**
   * Picks the wire type as src/core/message.ts documents: int32-range integers 'I',
   * other integers and bigints 'l', other numbers 'd', strings 'S', Buffers 'x',
   * booleans 't', null 'V'.
   */
  fieldValue(v: AmqpFieldValue, depth: number): void {
    switch (typeof v) {
      case 'string':
        this.octet(0x53);
        this.longstr(v);
        return;
      case 'boolean':
        this.ensure(2);
        this.buf[this.pos] = 0x74;
        this.buf[this.pos + 1] = v ? 1 : 0;
        this.pos += 2;
        return;
      case 'number':
        if (Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) {
          this.ensure(5);
          this.buf[this.pos] = 0x49;
          this.buf.writeInt32BE(v, this.pos + 1);
          this.pos += 5;
        } else if (Number.isSafeInteger(v)) {
          this.typed('l', v);
        } else {
          this.ensure(9);
          this.buf[this.pos] = 0x64;
          this.buf.writeDoubleBE(v, this.pos + 1);
          this.pos += 9;
        }
        return;
      case 'bigint':
        this.typed('l', v);
        return;
      case 'undefined':
        this.octet(0x56);
        return;
      case 'object':
        break;
      default:
        throw new TypeError(`cannot encode a ${typeof v} in a field table`);
    }
    if (v === null) this.octet(0x56);
    else if (Buffer.isBuffer(v)) {
      this.octet(0x78);
      this.longstr(v);
    } else if (v instanceof AmqpTimestamp) this.typed('T', v.seconds);
    else if (v instanceof AmqpDecimal) this.typed('D', v);
    else if (v instanceof TypedField) this.typed(v.type, v.value);
    else if (Array.isArray(v)) {
      this.octet(0x41);
      this.array(v, depth);
    } else {
      this.octet(0x46);
      this.table(v as AmqpFieldTable, depth);
    }
  }

  /** Encode with an explicit type letter (RabbitMQ's letters). */
  typed(type: TypedField['type'], v: AmqpFieldValue): void {
    const num = (): number => {
      if (typeof v === 'number') return v;
      if (typeof v === 'bigint') return Number(v);
      if (typeof v === 'boolean') return v ? 1 : 0;
      throw new TypeError(`field type '${type}' needs a number`);
    };
    this.ensure(9);
    const b = this.buf;
    const p = this.pos;
    b[p] = type.charCodeAt(0);
    this.pos = p + 1;
    switch (type) {
      case 't': b[p + 1] = v ? 1 : 0; this.pos += 1; return;
      case 'b': b.writeInt8(num(), p + 1); this.pos += 1; return;
      case 'B': b.writeUInt8(num(), p + 1); this.pos += 1; return;
      case 's': b.writeInt16BE(num(), p + 1); this.pos += 2; return;
      case 'u': b.writeUInt16BE(num(), p + 1); this.pos += 2; return;
      case 'I': b.writeInt32BE(num(), p + 1); this.pos += 4; return;
      case 'i': b.writeUInt32BE(num(), p + 1); this.pos += 4; return;
      case 'l':
      case 'L': {
        const big = typeof v === 'bigint' ? v : BigInt(num());
        if (big < INT64_MIN || big > INT64_MAX) throw new RangeError('integer out of int64 range');
        b.writeBigInt64BE(big, p + 1);
        this.pos += 8;
        return;
      }
      case 'f': b.writeFloatBE(num(), p + 1); this.pos += 4; return;
      case 'd': b.writeDoubleBE(num(), p + 1); this.pos += 8; return;
      case 'T': {
        const secs = v instanceof AmqpTimestamp ? v.seconds : num();
        const hi = Math.floor(secs / TWO_32);
        b.writeUInt32BE(hi >>> 0, p + 1);
        b.writeUInt32BE(secs - hi * TWO_32, p + 5);
        this.pos += 8;
        return;
      }
      case 'D': {
        if (!(v instanceof AmqpDecimal)) throw new TypeError("field type 'D' needs an AmqpDecimal");
        b.writeUInt8(v.scale, p + 1);
        b.writeUInt32BE(v.digits >>> 0, p + 2);
        this.pos += 5;
        return;
      }
      case 'V': return;
      case 'S':
        this.longstr(typeof v === 'string' ? v : Buffer.isBuffer(v) ? v : String(v));
        return;
      case 'x':
        this.longstr(Buffer.isBuffer(v) ? v : Buffer.from(String(v)));
        return;
      case 'A':
        if (!Array.isArray(v)) throw new TypeError("field type 'A' needs an array");
        this.array(v, 0);
        return;
      case 'F':
        if (v === null || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v)) throw new TypeError("field type 'F' needs a table");
        this.table(v as AmqpFieldTable, 0);
        return;
    }
  }
}
