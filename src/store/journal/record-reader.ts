/**
 * Reads message records back from segment files (docs/store.md "Reads"), checking
 * each one's length, type, CRC and id, so a damaged record is reported, never served.
 *
 * Deliveries from a paged queue read neighbouring records in order, so small records
 * are served from a 256 KiB read-ahead window over one segment: one read(2) for many
 * messages. Records larger than a quarter of the window are read on their own.
 */
import { readSync } from 'node:fs';
import type { StoredMessageId } from '../api.js';
import { ID_SIZE, RECORD_HEADER_SIZE, RecordType, readU64, recordCrc } from './format.js';
import type { JournalLogger } from './options.js';
import type { Segment, SegmentSet } from './segment.js';

const READ_WINDOW = 256 * 1024;

export class RecordReader {
  diskReads = 0;
  private seg: Segment | undefined;
  private start = 0;
  private len = 0;
  private buf: Buffer = Buffer.alloc(0);

  constructor(
    private readonly segments: SegmentSet,
    private readonly log: JournalLogger,
  ) {}

  /** Is the read-ahead window over this segment (keep its descriptor open)? */
  holds(seg: Segment): boolean {
    return this.seg === seg;
  }

  /** The segment is going away: never serve from a window over it again. */
  forget(seg: Segment): void {
    if (this.seg === seg) this.seg = undefined;
  }

  /**
   * The record of message `id` at [off, off+len) of `seg`, payload only (the message
   * record the caller wrote). undefined (logged) when it cannot be read or fails its check.
   * The returned buffer is the caller's: it never aliases the read-ahead window.
   */
  read(seg: Segment, off: number, len: number, id: StoredMessageId): Buffer | undefined {
    this.diskReads++;
    let buf: Buffer;
    let start: number;
    try {
      if (this.seg === seg && off >= this.start && off + len <= this.start + this.len) {
        buf = this.buf;
        start = off - this.start;
      } else if (len <= READ_WINDOW / 4) {
        // Only bytes whose write completed may enter the window: a record still being
        // written must never be cached half-done.
        const want = Math.min(READ_WINDOW, seg.writtenOffset - off);
        if (this.buf.length < READ_WINDOW) this.buf = Buffer.allocUnsafe(READ_WINDOW);
        const got = readFully(this.segments.readFd(seg), this.buf, want, off);
        this.seg = seg;
        this.start = off;
        this.len = got;
        if (got < len) throw new Error(`short read (${got} of ${len})`);
        buf = this.buf;
        start = 0;
      } else {
        buf = Buffer.allocUnsafe(len);
        const got = readFully(this.segments.readFd(seg), buf, len, off);
        if (got < len) throw new Error(`short read (${got} of ${len})`);
        start = 0;
      }
    } catch (err) {
      this.log.warn({ id, segment: seg.id, offset: off, err: (err as Error).message }, 'journal: cannot read message record');
      return undefined;
    }
    const payload = buf.readUInt32LE(start);
    if (
      payload !== len - RECORD_HEADER_SIZE ||
      buf[start + 8] !== RecordType.Message ||
      buf.readUInt32LE(start + 4) !== recordCrc(buf, start, payload) ||
      readU64(buf, start + RECORD_HEADER_SIZE) !== id
    ) {
      this.log.warn({ id, segment: seg.id, offset: off }, 'journal: message record failed its check on read');
      return undefined;
    }
    const from = start + RECORD_HEADER_SIZE + ID_SIZE;
    const to = start + len;
    if (buf === this.buf) return Buffer.from(buf.subarray(from, to));
    return buf.subarray(from, to);
  }
}

export function readFully(fd: number, buf: Buffer, len: number, pos: number): number {
  let got = 0;
  while (got < len) {
    const r = readSync(fd, buf, got, len - got, pos + got);
    if (r === 0) break;
    got += r;
  }
  return got;
}
