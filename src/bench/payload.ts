/**
 * The bench's message body: a fixed 32-byte ASCII header followed by filler.
 *
 *   offset 0      'W'  magic
 *   offset 1..5   producer id, 4 hex digits   (0..65535)
 *   offset 5..13  sequence number, 8 hex digits (0..2^32-1, per producer)
 *   offset 13..26 send time in microseconds since the Unix epoch, 13 hex digits
 *   offset 26..32 '.' padding, then 'x' filler up to the message size
 *
 * WHY ASCII hex and not binary: STOMP servers may deliver a frame without
 * content-length (then a NUL ends the body, STOMP 1.2 "Body"), and cross-protocol
 * conversions (MQTT -> AMQP -> STOMP) may treat the body as text. Hex keeps the body
 * NUL-free and 7-bit clean at the cost of ~25 table look-ups per message.
 */

export const HEADER_SIZE = 32;
export const MIN_SIZE = HEADER_SIZE;
export const MAGIC = 0x57; // 'W'

const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Byte -> nibble, 255 for anything that is not a lower-case hex digit. */
const UNHEX = new Uint8Array(256).fill(255);
for (let i = 0; i < 16; i++) UNHEX[HEX[i]!] = i;

/** Wall-clock microseconds (epoch based, sub-millisecond resolution): comparable across processes on one host. */
export function nowUs(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

/** A fresh body of `size` bytes with the header fields zeroed and the filler written. */
export function makeBody(size: number, producer: number): Buffer {
  if (size < MIN_SIZE) throw new RangeError(`message size must be at least ${MIN_SIZE} bytes`);
  const b = Buffer.alloc(size, 0x78); // 'x'
  b[0] = MAGIC;
  writeHex(b, 1, 4, producer);
  writeHex(b, 5, 8, 0);
  writeHex(b, 13, 13, 0);
  b.fill(0x2e, 26, 32); // '.'
  return b;
}

/** Patch sequence and timestamp of a body that starts at `off` in `buf` (in place). */
export function patchBody(buf: Buffer, off: number, seq: number, tsUs: number): void {
  writeHex(buf, off + 5, 8, seq);
  writeHex(buf, off + 13, 13, tsUs);
}

/** Write `value` as `digits` lower-case hex digits (big-endian); value must fit. */
export function writeHex(buf: Buffer, off: number, digits: number, value: number): void {
  // Division instead of >>> so values above 2^32 (timestamps) stay exact.
  for (let i = off + digits - 1; i >= off; i--) {
    const nib = value % 16;
    buf[i] = HEX[nib]!;
    value = (value - nib) / 16;
  }
}

/** Parse `digits` hex digits; -1 if any is not a hex digit or the range leaves the buffer. */
export function readHex(buf: Buffer, off: number, digits: number): number {
  if (off + digits > buf.length) return -1;
  let v = 0;
  for (let i = off; i < off + digits; i++) {
    const n = UNHEX[buf[i]!]!;
    if (n === 255) return -1;
    v = v * 16 + n;
  }
  return v;
}

/** Decoded header fields; one instance is reused by each parser (no allocation per message). */
export class BodyFields {
  producer = 0;
  seq = 0;
  tsUs = 0;

  /** Read the header of a body starting at `off`; false when it is not a bench body. */
  read(buf: Buffer, off: number, len: number): boolean {
    if (len < HEADER_SIZE || off + HEADER_SIZE > buf.length || buf[off] !== MAGIC) return false;
    const p = readHex(buf, off + 1, 4);
    const s = readHex(buf, off + 5, 8);
    const t = readHex(buf, off + 13, 13);
    if (p < 0 || s < 0 || t < 0) return false;
    this.producer = p;
    this.seq = s;
    this.tsUs = t;
    return true;
  }
}
