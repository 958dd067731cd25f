/**
 * The page file (docs/store.md "Paging"): where queues put the bodies of messages the
 * journal does not hold (transient messages, or messages of transient queues) once the
 * broker's memory budget for bodies is spent.
 *
 * It reuses the journal's segment format, group commit and checked reads, but nothing
 * in it survives a restart: the directory is wiped at open and at close, no checkpoint
 * or queue record is written, and nothing is ever fsynced (a crash loses transient
 * messages anyway). Records are reference counted by id (one message routed to several
 * queues is paged once); a segment is deleted as soon as no live record is left in it
 * and its writes have completed, and sparse segments are compacted by copying their
 * live records to the head when the files hold more than twice the live bytes.
 */
import { closeSync, mkdirSync, openSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PageStore, StoredMessageId } from '../api.js';
import { lockDir } from './dir-lock.js';
import { ID_SIZE, parseSegmentFileName, RECORD_HEADER_SIZE, SEGMENT_HEADER_SIZE } from './format.js';
import { GroupCommit } from './group-commit.js';
import { MessageTable } from './message-table.js';
import { type JournalIo, type JournalLogger, nodeIo } from './options.js';
import { RecordReader } from './record-reader.js';
import { type Segment, SegmentSet } from './segment.js';

const MiB = 1024 * 1024;

export interface PageFileOptions {
  /** Directory of page segments; everything in it that looks like a segment is deleted at open. */
  readonly dir: string;
  /** Segment size (default 16 MiB: smaller segments give space back sooner). */
  readonly segmentSize?: number;
  readonly log?: JournalLogger;
  /** Compact a segment once its live bytes fall below this fraction of its size (default 0.5). */
  readonly compactRatio?: number;
  /** Test seam (fault injection), as for the journal. */
  readonly io?: Partial<JournalIo>;
}

export interface PageFileStats {
  readonly segments: number;
  readonly liveRecords: number;
  readonly liveBytes: number;
  readonly diskBytes: number;
  readonly written: number;
  readonly reads: number;
  readonly segmentsDeleted: number;
  readonly compactedRecords: number;
}

export class PageFile implements PageStore {
  private readonly segments: SegmentSet;
  private readonly table = new MessageTable();
  private readonly reader: RecordReader;
  private readonly segmentSize: number;
  private readonly compactRatio: number;
  private readonly log: JournalLogger;
  private writer: GroupCommit | undefined;
  private dirFd: number | undefined;
  private head: Segment | undefined;
  /** Segments without live records, deleted once their writes have completed. */
  private readonly empty = new Set<Segment>();
  private liveBytes = 0;
  private compacting = false;
  /** Compaction work list: ids located in `moveFrom` segments when it was built. */
  private moveQueue: StoredMessageId[] = [];
  private moveAt = 0;
  private moveFrom: ReadonlySet<number> = new Set();
  private removedBytes = 0;
  private unlock: () => void = () => undefined;
  private counters = { written: 0, reads: 0, segmentsDeleted: 0, compactedRecords: 0 };

  constructor(private readonly opts: PageFileOptions) {
    this.segmentSize = opts.segmentSize ?? 16 * MiB;
    this.compactRatio = opts.compactRatio ?? 0.5;
    this.log = opts.log ?? { warn: () => undefined };
    this.segments = new SegmentSet(opts.dir);
    this.reader = new RecordReader(this.segments, this.log);
  }

  /**
   * Lock the directory (a second broker on the same data directory must not wipe our
   * pages), wipe it and start empty. Synchronous: called while the server starts.
   */
  open(): void {
    if (this.writer !== undefined) throw new Error('page file: open() may be called once');
    mkdirSync(this.opts.dir, { recursive: true });
    this.unlock = lockDir(this.opts.dir);
    this.wipe();
    this.dirFd = openSync(this.opts.dir, 'r');
    const w = new GroupCommit(this.segments, { ...nodeIo, ...this.opts.io }, this.log, this.dirFd, this.segmentSize, false, 1);
    w.volatile = true;
    w.onRoll = () => this.onRoll();
    w.onComplete = () => {
      this.sweep();
      this.maybeCompact();
    };
    this.writer = w;
    this.head = w.active;
  }

  has(id: StoredMessageId): boolean {
    return this.table.has(id);
  }

  write(id: StoredMessageId, record: Buffer): void {
    const w = this.live();
    if (this.table.has(id)) throw new Error(`page file: record ${id} is paged already`);
    const off = w.appendMessage(id, record);
    const len = RECORD_HEADER_SIZE + ID_SIZE + record.length;
    const slot = this.table.put(id, w.lastSegment, off, len);
    this.table.addRef(slot, 1);
    this.place(w.lastSegment, len, 1);
    this.counters.written++;
  }

  addRef(id: StoredMessageId): void {
    const slot = this.table.slotOf(id);
    if (slot === undefined) throw new Error(`page file: addRef of unknown record ${id}`);
    this.table.addRef(slot, 1);
  }

  read(id: StoredMessageId): Buffer | undefined {
    const slot = this.table.slotOf(id);
    if (slot === undefined) return undefined;
    this.counters.reads++;
    const seg = this.segments.get(this.table.segmentAt(slot));
    if (seg === undefined) return undefined;
    const off = this.table.offsetAt(slot);
    const len = this.table.lengthAt(slot);
    if (off + len > seg.writtenOffset) {
      const pending = this.writer?.unwritten.get(id);
      if (pending !== undefined) return pending;
    }
    return this.reader.read(seg, off, len, id);
  }

  release(id: StoredMessageId): void {
    const slot = this.table.slotOf(id);
    if (slot === undefined) return;
    if (this.table.addRef(slot, -1) > 0) return;
    const seg = this.segments.get(this.table.segmentAt(slot));
    const len = this.table.lengthAt(slot);
    this.table.delete(id);
    if (seg !== undefined) this.place(seg.id, -len, -1);
    if (this.writer !== undefined && !this.writer.busy) {
      this.sweep();
      this.maybeCompact();
    }
  }

  async close(): Promise<void> {
    const w = this.writer;
    if (w === undefined) return;
    this.writer = undefined;
    if (w.retrying) w.abort(new Error('page file: closed while the disk was full'));
    await w.drain();
    this.segments.closeAll();
    if (this.dirFd !== undefined) closeSync(this.dirFd);
    this.dirFd = undefined;
    // Nothing here outlives the process; give the space back now.
    this.wipe();
    this.unlock();
  }

  stats(): PageFileStats {
    return { segments: this.segments.count, liveRecords: this.table.size, liveBytes: this.liveBytes, diskBytes: this.diskBytes, ...this.counters };
  }

  // ---- internals -----------------------------------------------------------------

  private live(): GroupCommit {
    if (this.writer === undefined) throw new Error('page file is not open');
    return this.writer;
  }

  private place(segId: number, bytes: number, count: number): void {
    const seg = this.segments.get(segId);
    if (seg === undefined) return;
    seg.liveCount += count;
    seg.liveBytes += bytes;
    this.liveBytes += bytes;
    if (seg.liveCount === 0 && seg !== this.writer?.active) this.empty.add(seg);
  }

  /** Delete empty segments whose writes are all done; called when no batch is in flight. */
  private sweep(): void {
    for (const seg of this.empty) {
      if (seg.liveCount !== 0) {
        this.empty.delete(seg);
        continue;
      }
      if (seg === this.writer?.active || seg.writtenOffset < seg.appendOffset) continue;
      this.empty.delete(seg);
      this.reader.forget(seg);
      try {
        this.segments.remove(seg);
        this.removedBytes += seg.appendOffset;
        this.counters.segmentsDeleted++;
      } catch (err) {
        this.log.warn({ segment: seg.id, err: (err as Error).message }, 'page file: could not delete segment');
      }
    }
  }

  private onRoll(): void {
    const prev = this.head;
    const w = this.writer;
    if (w === undefined) return;
    this.head = w.active;
    if (prev !== undefined && prev.liveCount === 0 && this.segments.get(prev.id) === prev) this.empty.add(prev);
  }

  /**
   * When the files hold more than twice the live bytes (plus two segments of slack),
   * copy the live records of sparse written segments to the head; their segments then
   * empty and go. The ids to move are collected in one scan and copied a bounded amount
   * per call (after each roll and each completed batch), so neither the scan nor the
   * copying stalls the loop for long.
   */
  private maybeCompact(): void {
    // Appending a copy may roll and re-enter onRoll: one round at a time.
    if (this.compacting || this.writer === undefined) return;
    this.compacting = true;
    try {
      this.compactRound(this.writer);
    } finally {
      this.compacting = false;
    }
  }

  private get diskBytes(): number {
    const w = this.writer;
    return w === undefined ? 0 : w.appendedBytes + SEGMENT_HEADER_SIZE * w.active.id - this.removedBytes;
  }

  private compactRound(w: GroupCommit): void {
    if (this.moveQueue.length === 0) {
      if (this.diskBytes <= 2 * this.liveBytes + 2 * this.segmentSize) return;
      const sparse = new Set<number>();
      for (const seg of this.segments.list()) {
        if (seg === w.active || seg.liveCount === 0 || seg.writtenOffset < seg.appendOffset) continue;
        if (seg.liveBytes < this.compactRatio * seg.appendOffset) sparse.add(seg.id);
      }
      if (sparse.size === 0) return;
      for (const [id, slot] of this.table.entries()) if (sparse.has(this.table.segmentAt(slot))) this.moveQueue.push(id);
      this.moveFrom = sparse;
      this.moveAt = 0;
    }
    let budget = 2 * this.segmentSize;
    while (budget > 0 && this.moveAt < this.moveQueue.length) {
      const id = this.moveQueue[this.moveAt++]!;
      const slot = this.table.slotOf(id);
      // Released meanwhile, or already moved: nothing to do.
      if (slot === undefined || !this.moveFrom.has(this.table.segmentAt(slot))) continue;
      const seg = this.segments.get(this.table.segmentAt(slot));
      if (seg === undefined) continue;
      const len = this.table.lengthAt(slot);
      const rec = this.reader.read(seg, this.table.offsetAt(slot), len, id);
      if (rec === undefined) continue;
      const off = w.appendMessage(id, rec);
      this.place(seg.id, -len, -1);
      this.table.put(id, w.lastSegment, off, len);
      this.place(w.lastSegment, len, 1);
      budget -= len;
      this.counters.compactedRecords++;
    }
    if (this.moveAt >= this.moveQueue.length) {
      this.moveQueue = [];
      this.moveAt = 0;
    }
  }

  private wipe(): void {
    for (const name of readdirSync(this.opts.dir)) {
      if (parseSegmentFileName(name) !== undefined) rmSync(join(this.opts.dir, name), { force: true });
    }
  }
}
