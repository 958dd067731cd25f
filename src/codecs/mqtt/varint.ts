/** MQTT Variable Byte Integer (MQTT 5 §1.5.5; 3.1.1 §2.2.3 "Remaining Length"). */

/** Largest value four bytes can carry. */
export const MAX_VARINT = 268_435_455;

export function varIntSize(v: number): number {
  return v < 128 ? 1 : v < 16_384 ? 2 : v < 2_097_152 ? 3 : 4;
}

export function writeVarInt(buf: Buffer, off: number, v: number): number {
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    buf[off++] = b;
  } while (v > 0);
  return off;
}
