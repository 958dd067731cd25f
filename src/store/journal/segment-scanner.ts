/**
 * Sequential scan of one segment file at recovery: yields each intact record and
 * reports where and why the scan stopped, if before the end of the file.
 *
 * A record is intact when its header fits, its length is plausible, its payload fits
 * in the file, its CRC matches and its type is known. The first record that is not
 * ends the scan of that segment (docs/store.md "Recovery": a length that cannot be
 * trusted gives no safe place to resume, so nothing after it in the same file is used).
 */
import { readSync } from 'node:fs';
import { isKnownRecordType, minPayload, RECORD_HEADER_SIZE, type RecordType, recordCrc } from './format.js';

const READ_SIZE = 1024 * 1024;

export type DamageKind = 'zero-filled' | 'truncated' | 'crc-mismatch' | 'bad-length' | 'bad-type';

export interface ScanResult {
  /** Offset just after the last intact record. */
  readonly end: number;
  readonly records: number;
  /** Set when the scan stopped before the end of the file. */
  readonly damage?: { readonly kind: DamageKind; readonly offset: number; readonly droppedBytes: number };
}

/** Called per intact record; `buf[start, start+length)` is the payload, valid only during the call. */
export type RecordVisitor = (type: RecordType, buf: Buffer, start: number, length: number, recordOffset: number, recordLength: number) => void;

export function scanSegment(fd: number, fileSize: number, from: number, maxPayload: number, visit: RecordVisitor): ScanResult {
  let buf = Buffer.allocUnsafe(Math.min(READ_SIZE, Math.max(fileSize - from, RECORD_HEADER_SIZE)));
  let bufStart = from;
  let bufLen = 0;
  /** Make [pos, pos+n) available in buf (caller checked it is inside the file). */
  const ensure = (pos: number, n: number): void => {
    if (pos >= bufStart && pos + n <= bufStart + bufLen) return;
    const want = Math.min(Math.max(n, READ_SIZE), fileSize - pos);
    if (want > buf.length) buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const r = readSync(fd, buf, got, want - got, pos + got);
      if (r === 0) break;
      got += r;
    }
    bufStart = pos;
    bufLen = got;
    if (got < n) throw new Error(`journal: short read at ${pos} (file changed during recovery?)`);
  };
  let pos = from;
  let records = 0;
  const stop = (kind: DamageKind): ScanResult => {
    const zero = allZero(fd, pos, fileSize);
    return { end: pos, records, damage: { kind: zero ? 'zero-filled' : kind, offset: pos, droppedBytes: fileSize - pos } };
  };
  while (pos < fileSize) {
    if (pos + RECORD_HEADER_SIZE > fileSize) return stop('truncated');
    ensure(pos, RECORD_HEADER_SIZE);
    let o = pos - bufStart;
    const len = buf.readUInt32LE(o);
    const type = buf[o + 8]!;
    if (len > maxPayload) return stop('bad-length');
    if (pos + RECORD_HEADER_SIZE + len > fileSize) return stop('truncated');
    ensure(pos, RECORD_HEADER_SIZE + len);
    o = pos - bufStart;
    if (buf.readUInt32LE(o + 4) !== recordCrc(buf, o, len)) return stop('crc-mismatch');
    if (!isKnownRecordType(type) || len < minPayload(type)) return stop('bad-type');
    visit(type, buf, o + RECORD_HEADER_SIZE, len, pos, RECORD_HEADER_SIZE + len);
    records++;
    pos += RECORD_HEADER_SIZE + len;
  }
  return { end: pos, records };
}

function allZero(fd: number, from: number, to: number): boolean {
  const b = Buffer.allocUnsafe(Math.min(READ_SIZE, Math.max(1, to - from)));
  for (let pos = from; pos < to; ) {
    const r = readSync(fd, b, 0, Math.min(b.length, to - pos), pos);
    if (r === 0) return true;
    for (let i = 0; i < r; i++) if (b[i] !== 0) return false;
    pos += r;
  }
  return true;
}
