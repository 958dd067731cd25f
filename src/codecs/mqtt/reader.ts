/**
 * A bounded cursor over one packet's bytes. Every read checks the remaining length
 * first (DESIGN §5: lengths are checked before allocating), and strings are validated
 * as the spec requires before they are decoded.
 */
import { isUtf8 } from 'node:buffer';
import { malformed } from './errors.js';

export class MqttReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start: number,
    /** Exclusive end of this packet inside `buf`. */
    readonly end: number,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.end - this.pos < n) throw malformed(`truncated ${what}`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** MQTT 5 §1.5.5 Variable Byte Integer: at most 4 bytes [MQTT-1.5.5-1]. */
  varInt(what: string): number {
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 4; i++) {
      const b = this.u8(what);
      value += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) return value;
      multiplier *= 128;
    }
    throw malformed(`${what}: variable byte integer longer than 4 bytes`);
  }

  /** Two-byte length then bytes (MQTT 5 §1.5.6 Binary Data). Returns a slice, not a copy. */
  binary(what: string): Buffer {
    const len = this.u16(what);
    this.need(len, what);
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }

  /**
   * UTF-8 Encoded String (MQTT 5 §1.5.4): well-formed UTF-8, no surrogates [MQTT-1.5.4-1],
   * no U+0000 [MQTT-1.5.4-2]. Node's isUtf8 follows the WHATWG decoder, which rejects
   * overlong forms and encoded surrogates.
   */
  utf8(what: string): string {
    const len = this.u16(what);
    this.need(len, what);
    const start = this.pos;
    const stop = start + len;
    this.pos = stop;
    return decodeUtf8(this.buf, start, stop, what);
  }
}

export function decodeUtf8(buf: Buffer, start: number, stop: number, what: string): string {
  let ascii = true;
  for (let i = start; i < stop; i++) {
    const c = buf[i]!;
    if (c === 0) throw malformed(`${what}: U+0000 in UTF-8 string`);
    if (c >= 0x80) ascii = false;
  }
  if (!ascii && !isUtf8(buf.subarray(start, stop))) throw malformed(`${what}: invalid UTF-8`);
  return buf.toString(ascii ? 'latin1' : 'utf8', start, stop);
}
