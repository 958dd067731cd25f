/**
 * On-disk format of the journal, version 1 (docs/store.md "On-disk format").
 *
 * Segment file  = header (20 bytes) + records, never rewritten in place.
 *   header      = magic "WHARFJNL" (8) | format version u32 | segment number u32 | crc32c(bytes 0..15) u32
 *   record      = length u32 | crc32c u32 | type u8 | payload (length bytes)
 *   crc32c      = crc32c(type + payload, seed = crc32c(length bytes))
 * All integers are little-endian. A record never spans two segments.
 *
 * Changing anything here is a format change: bump FORMAT_VERSION, keep a reader for
 * version 1, and add test/fixtures/journal-v<N>/ golden files.
 */
import { crc32c, crc32cRange } from './crc32c.js';

export const FORMAT_VERSION = 1;

export const SEGMENT_MAGIC = Buffer.from('WHARFJNL', 'latin1');
export const SEGMENT_HEADER_SIZE = 20;
export const RECORD_HEADER_SIZE = 9;
/** Bytes of the id field that starts message/enqueue/dequeue/delivered payloads. */
export const ID_SIZE = 8;

export const enum RecordType {
  /** payload: id u64 | opaque message record */
  Message = 1,
  /** payload: id u64 | queue key utf8 */
  Enqueue = 2,
  /** payload: id u64 | queue key utf8 */
  Dequeue = 3,
  /** payload: id u64 | queue key utf8 */
  Delivered = 4,
  /** payload: queue key utf8 */
  DropQueue = 5,
  /** payload: checkpoint sequence u64. Written where a checkpoint's replay starts. */
  Checkpoint = 6,
}

export const isKnownRecordType = (t: number): t is RecordType => t >= RecordType.Message && t <= RecordType.Checkpoint;

/** Smallest legal payload per type (anything shorter is corruption). */
export const minPayload = (t: RecordType): number => (t === RecordType.DropQueue ? 1 : ID_SIZE);

const TWO_32 = 0x1_0000_0000;

/** u64 little-endian from a JS safe integer (ids are < 2^53). */
export function writeU64(buf: Buffer, value: number, offset: number): void {
  buf.writeUInt32LE(value % TWO_32 >>> 0, offset);
  buf.writeUInt32LE(Math.floor(value / TWO_32), offset + 4);
}

export function readU64(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset + 4) * TWO_32 + buf.readUInt32LE(offset);
}

/** CRC of a record whose bytes start at `start` in `buf` and whose payload is complete there. */
export function recordCrc(buf: Buffer, start: number, payloadLength: number): number {
  return crc32cRange(buf, start + 8, start + RECORD_HEADER_SIZE + payloadLength, crc32cRange(buf, start, start + 4));
}

export function encodeSegmentHeader(segment: number): Buffer {
  const b = Buffer.alloc(SEGMENT_HEADER_SIZE);
  SEGMENT_MAGIC.copy(b, 0);
  b.writeUInt32LE(FORMAT_VERSION, 8);
  b.writeUInt32LE(segment, 12);
  b.writeUInt32LE(crc32c(b.subarray(0, 16)), 16);
  return b;
}

export type SegmentHeaderCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'short' | 'bad-magic' | 'bad-crc' | 'wrong-segment' }
  | { readonly ok: false; readonly reason: 'unsupported-version'; readonly version: number };

export function checkSegmentHeader(b: Buffer, segment: number): SegmentHeaderCheck {
  if (b.length < SEGMENT_HEADER_SIZE) return { ok: false, reason: 'short' };
  if (!b.subarray(0, 8).equals(SEGMENT_MAGIC)) return { ok: false, reason: 'bad-magic' };
  if (b.readUInt32LE(16) !== crc32c(b.subarray(0, 16))) return { ok: false, reason: 'bad-crc' };
  const version = b.readUInt32LE(8);
  if (version !== FORMAT_VERSION) return { ok: false, reason: 'unsupported-version', version };
  if (b.readUInt32LE(12) !== segment) return { ok: false, reason: 'wrong-segment' };
  return { ok: true };
}

const SEGMENT_RE = /^(\d{10})\.wjl$/;

export const segmentFileName = (segment: number): string => `${String(segment).padStart(10, '0')}.wjl`;

export function parseSegmentFileName(name: string): number | undefined {
  const m = SEGMENT_RE.exec(name);
  return m ? Number(m[1]) : undefined;
}

export const CHECKPOINT_FILE = 'checkpoint.wcp';
export const CHECKPOINT_MAGIC = Buffer.from('WHARFCKP', 'latin1');
