/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every record.
 *
 * The native @node-rs/crc32 uses the SSE4.2/ARMv8 instruction and wins on long inputs,
 * but each call costs a few hundred nanoseconds of N-API overhead plus a Buffer view,
 * which dominates for the small enqueue/ack records that make up most of the journal.
 * Below SMALL bytes a table-driven (slice-by-8) JavaScript loop is faster. Both give the
 * same value (checked in test/unit/store/crc32c.test.ts), so the choice is invisible on disk.
 */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

const SMALL = 256;

const T = new Int32Array(256 * 8);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  T[n] = c;
}
for (let n = 0; n < 256; n++) {
  for (let t = 1; t < 8; t++) {
    const prev = T[(t - 1) * 256 + n]!;
    T[t * 256 + n] = (prev >>> 8) ^ T[prev & 0xff]!;
  }
}

/** CRC-32C of buf[start, end), continuing from `seed` (the CRC of the bytes before). */
export function crc32cRange(buf: Uint8Array, start: number, end: number, seed = 0): number {
  if (end - start >= SMALL) return nativeCrc32c(buf.subarray(start, end), seed);
  return jsCrc32c(buf, start, end, seed);
}

/** Table-driven CRC-32C (exported for the equivalence test). */
export function jsCrc32c(buf: Uint8Array, start: number, end: number, seed = 0): number {
  let c = ~seed;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    c ^= buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    c =
      T[1792 + (c & 0xff)]! ^
      T[1536 + ((c >>> 8) & 0xff)]! ^
      T[1280 + ((c >>> 16) & 0xff)]! ^
      T[1024 + (c >>> 24)]! ^
      T[768 + buf[i + 4]!]! ^
      T[512 + buf[i + 5]!]! ^
      T[256 + buf[i + 6]!]! ^
      T[buf[i + 7]!]!;
  }
  for (; i < end; i++) c = T[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32C of a whole buffer continuing from `seed`. */
export const crc32c = (buf: Uint8Array, seed = 0): number => crc32cRange(buf, 0, buf.length, seed);
