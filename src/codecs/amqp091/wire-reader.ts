/**
 * Bounds-checked reader over one frame payload, parsing in place from the received
 * chunk. Every length is checked against the bytes remaining in the payload before
 * anything is sliced or allocated (DESIGN §5). One reader is reused for every frame.
 *
 * Field values follow RabbitMQ's type letters (AMQP 0-9-1 errata, "Field types").
 */
import { frameError, syntaxError } from './codec-error.js';
import { AmqpDecimal, AmqpTimestamp, type AmqpFieldTable, type AmqpFieldValue } from './field-values.js';

const EMPTY = Buffer.alloc(0);
const TWO_32 = 4294967296;

/** Nested tables/arrays deeper than this are refused (stack safety, DESIGN §5). */
export const MAX_FIELD_DEPTH = 64;

export class WireReader {
  buf: Buffer = EMPTY;
  pos = 0;
  end = 0;

  reset(buf: Buffer, pos: number, end: number): void {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** Release the chunk so it can be collected. */
  clear(): void {
    this.buf = EMPTY;
    this.pos = 0;
    this.end = 0;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number): void {
    if (this.end - this.pos < n) throw frameError(`cannot decode: need ${n} more octets, ${this.end - this.pos} left`);
  }

  octet(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  short(): number {
    this.need(2);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  long(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Unsigned 64-bit as a number (delivery tags stay far below 2^53). */
  longlong(): number {
    this.need(8);
    const b = this.buf;
    const v = b.readUInt32BE(this.pos) * TWO_32 + b.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return v;
  }

  /** Signed 64-bit: a number when it is a safe integer, else a bigint. */
  int64(): number | bigint {
    this.need(8);
    const b = this.buf;
    const v = b.readInt32BE(this.pos) * TWO_32 + b.readUInt32BE(this.pos + 4);
    const r = Number.isSafeInteger(v) ? v : b.readBigInt64BE(this.pos);
    this.pos += 8;
    return r;
  }

  shortstr(): string {
    this.need(1);
    const len = this.buf[this.pos]!;
    this.need(1 + len);
    const s = this.pos + 1;
    this.pos = s + len;
    return len === 0 ? '' : this.buf.toString('utf8', s, s + len);
  }

  /** A longstr as a zero-copy slice of the payload. */
  longstr(): Buffer {
    this.need(4);
    const len = this.buf.readUInt32BE(this.pos);
    this.need(4 + len);
    const s = this.pos + 4;
    this.pos = s + len;
    return this.buf.subarray(s, s + len);
  }

  table(depth = 0): AmqpFieldTable {
    this.need(4);
    const len = this.buf.readUInt32BE(this.pos);
    this.need(4 + len);
    const start = this.pos + 4;
    const end = start + len;
    const out: AmqpFieldTable = {};
    if (len === 0) {
      this.pos = end;
      return out;
    }
    if (depth >= MAX_FIELD_DEPTH) throw syntaxError('field table nested too deeply');
    const outerEnd = this.end;
    this.pos = start;
    this.end = end;
    while (this.pos < end) {
      const key = this.shortstr();
      const v = this.fieldValue(depth + 1);
      // Object.defineProperty keeps '__proto__' and friends as plain data keys.
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
    }
    this.end = outerEnd;
    return out;
  }

  array(depth: number): AmqpFieldValue[] {
    this.need(4);
    const len = this.buf.readUInt32BE(this.pos);
    this.need(4 + len);
    const start = this.pos + 4;
    const end = start + len;
    const out: AmqpFieldValue[] = [];
    if (len === 0) {
      this.pos = end;
      return out;
    }
    if (depth >= MAX_FIELD_DEPTH) throw syntaxError('field array nested too deeply');
    const outerEnd = this.end;
    this.pos = start;
    this.end = end;
    while (this.pos < end) out.push(this.fieldValue(depth + 1));
    this.end = outerEnd;
    return out;
  }

  fieldValue(depth: number): AmqpFieldValue {
    const t = this.octet();
    const b = this.buf;
    switch (t) {
      case 0x74: // 't' boolean
        return this.octet() !== 0;
      case 0x62: {
        // 'b' signed 8-bit
        this.need(1);
        return b.readInt8(this.pos++);
      }
      case 0x42: // 'B' unsigned 8-bit
        return this.octet();
      case 0x73: {
        // 's' signed 16-bit (RabbitMQ; the 0-9-1 text says short string)
        this.need(2);
        const v = b.readInt16BE(this.pos);
        this.pos += 2;
        return v;
      }
      case 0x75: // 'u' unsigned 16-bit
        return this.short();
      case 0x49: {
        // 'I' signed 32-bit
        this.need(4);
        const v = b.readInt32BE(this.pos);
        this.pos += 4;
        return v;
      }
      case 0x69: // 'i' unsigned 32-bit
        return this.long();
      case 0x6c: // 'l' signed 64-bit
      case 0x4c: // 'L' signed 64-bit as RabbitMQ reads it
        return this.int64();
      case 0x66: {
        // 'f' float
        this.need(4);
        const v = b.readFloatBE(this.pos);
        this.pos += 4;
        return v;
      }
      case 0x64: {
        // 'd' double
        this.need(8);
        const v = b.readDoubleBE(this.pos);
        this.pos += 8;
        return v;
      }
      case 0x44: {
        // 'D' decimal: scale octet, unsigned 32-bit digits (RabbitMQ)
        const scale = this.octet();
        return new AmqpDecimal(scale, this.long());
      }
      case 0x53: {
        // 'S' long string, UTF-8 text
        const s = this.longstr();
        return s.toString('utf8');
      }
      case 0x78: // 'x' byte array (RabbitMQ), a copy so it can outlive the chunk
        return Buffer.from(this.longstr());
      case 0x41: // 'A' array
        return this.array(depth);
      case 0x54: // 'T' timestamp, unsigned 64-bit seconds
        return new AmqpTimestamp(this.longlong());
      case 0x46: // 'F' nested table
        return this.table(depth);
      case 0x56: // 'V' void
        return null;
      default:
        throw syntaxError(`unknown field type 0x${t.toString(16).padStart(2, '0')}`);
    }
  }
}
