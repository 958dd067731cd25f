/**
 * Record encoding and group commit (docs/store.md "Group commit").
 *
 * Every append encodes its record into the pending batch at once and returns the
 * record's location. The first append of an event-loop turn schedules a flush with
 * setImmediate, so all records of the turn go out in one writev and one fdatasync.
 * While a flush is in flight the next batch accumulates; it starts when the previous
 * one has completed, so flushes never overlap and complete in order, which is what
 * lets `sync(cb)` promise "everything issued before this call is durable".
 *
 * Small records are copied into shared 64 KiB chunks (one iovec per chunk, no
 * allocation per record); large message records are referenced, not copied.
 *
 * Failures: ENOSPC/EDQUOT (from write or fdatasync) keep the batch in memory and retry
 * it, unconfirmed, until space comes back (rewriting a batch at its own offsets is
 * idempotent). Any other I/O error fails the store: every pending and future `sync`
 * gets the error, because after a failed fsync nothing can be promised.
 */
import { crc32c, crc32cRange } from './crc32c.js';
import type { StoredMessageId } from '../api.js';
import { encodeSegmentHeader, ID_SIZE, RECORD_HEADER_SIZE, RecordType, recordCrc, SEGMENT_HEADER_SIZE, writeU64 } from './format.js';
import type { JournalIo, JournalLogger } from './options.js';
import type { Segment, SegmentSet } from './segment.js';

const CHUNK_SIZE = 64 * 1024;
/** Message records at least this big are written from the caller's buffer, not copied. */
const BIG_RECORD = 16 * 1024;
const MAX_POOLED_CHUNKS = 16;
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 1000;

type Waiter = (err?: Error) => void;

interface SegmentWrite {
  readonly seg: Segment;
  readonly position: number;
  readonly bufs: Buffer[];
  bytes: number;
}

class Batch {
  readonly writes: SegmentWrite[] = [];
  readonly waiters: Waiter[] = [];
  /** Message records of this batch, readable only from memory until it is written. */
  readonly ids: StoredMessageId[] = [];
  readonly records: Buffer[] = [];
  /** Chunks that were filled up while this batch was open; reusable once it completes. */
  readonly retired: Buffer[] = [];
  newSegment = false;
  /** fdatasync even in fsync:false mode (checkpoints need it). */
  forceSync = false;
  get empty(): boolean {
    return this.writes.length === 0 && this.waiters.length === 0;
  }
}

export interface GroupCommitStats {
  flushes: number;
  fdatasyncs: number;
  bytesWritten: number;
  retries: number;
}

export class GroupCommit {
  active: Segment;
  /** Segment id of the last appended record. */
  lastSegment = 0;
  /** Bytes appended since this counter was last reset (checkpoint trigger). */
  appendedBytes = 0;
  readonly stats: GroupCommitStats = { flushes: 0, fdatasyncs: 0, bytesWritten: 0, retries: 0 };
  /** Message records not yet written: reads must be served from memory. */
  readonly unwritten = new Map<StoredMessageId, Buffer>();
  /** Set once an unrecoverable I/O error happened. */
  failed: Error | undefined;
  /** Called after each roll to a new segment. */
  onRoll: (() => void) | undefined;
  /** Called after each batch completes (written, and synced when syncing). */
  onComplete: (() => void) | undefined;
  /** Never synced at all (the page file): do not track segments awaiting a forced sync. */
  volatile = false;

  private pending = new Batch();
  private inflight: Batch | undefined;
  private scheduled = false;
  private chunk: Buffer = Buffer.allocUnsafeSlow(CHUNK_SIZE);
  private chunkStart = 0;
  private chunkPos = 0;
  private readonly pool: Buffer[] = [];
  /** fsync:false mode: segments written since their last fdatasync, and whether a new
   *  segment's directory entry awaits an fsync; a forced sync (checkpoint) syncs them. */
  private readonly unsynced = new Set<Segment>();
  private dirUnsynced = false;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];
  private readonly flushNow = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(
    private readonly segments: SegmentSet,
    private readonly io: JournalIo,
    private readonly log: JournalLogger,
    private readonly dirFd: number,
    private readonly segmentSize: number,
    private readonly fsync: boolean,
    firstSegmentId: number,
  ) {
    this.active = this.startSegment(firstSegmentId);
  }

  // ---- appends -------------------------------------------------------------------

  /** Append a message record; returns its offset (segment in `lastSegment`). */
  appendMessage(id: StoredMessageId, record: Buffer): number {
    const payload = ID_SIZE + record.length;
    const total = RECORD_HEADER_SIZE + payload;
    const pos = this.allocate(total);
    if (record.length < BIG_RECORD) {
      const b = this.room(total);
      const o = this.chunkPos;
      b.writeUInt32LE(payload, o);
      b[o + 8] = RecordType.Message;
      writeU64(b, id, o + 9);
      record.copy(b, o + RECORD_HEADER_SIZE + ID_SIZE);
      b.writeUInt32LE(recordCrc(b, o, payload), o + 4);
      this.chunkPos = o + total;
    } else {
      const head = RECORD_HEADER_SIZE + ID_SIZE;
      const b = this.room(head);
      const o = this.chunkPos;
      b.writeUInt32LE(payload, o);
      b[o + 8] = RecordType.Message;
      writeU64(b, id, o + 9);
      const crc = crc32c(record, crc32cRange(b, o + 8, o + head, crc32cRange(b, o, o + 4)));
      b.writeUInt32LE(crc, o + 4);
      this.chunkPos = o + head;
      this.seal();
      this.pushBuffer(record);
    }
    this.pending.ids.push(id);
    this.pending.records.push(record);
    this.unwritten.set(id, record);
    return pos;
  }

  /** Append an enqueue/dequeue/delivered/drop-queue/checkpoint record; returns its offset. */
  appendRef(type: RecordType, id: number, queue: string | undefined): number {
    const qlen = queue === undefined ? 0 : Buffer.byteLength(queue, 'utf8');
    const payload = (type === RecordType.DropQueue ? 0 : ID_SIZE) + qlen;
    const total = RECORD_HEADER_SIZE + payload;
    const pos = this.allocate(total);
    const b = this.room(total);
    const o = this.chunkPos;
    b.writeUInt32LE(payload, o);
    b[o + 8] = type;
    let p = o + RECORD_HEADER_SIZE;
    if (type !== RecordType.DropQueue) {
      writeU64(b, id, p);
      p += ID_SIZE;
    }
    if (queue !== undefined) b.write(queue, p, qlen, 'utf8');
    b.writeUInt32LE(recordCrc(b, o, payload), o + 4);
    this.chunkPos = o + total;
    return pos;
  }

  /** Start a new segment now (checkpoints do this so the old head can be reclaimed). */
  roll(): void {
    this.seal();
    this.active = this.startSegment(this.active.id + 1);
    this.onRoll?.();
  }

  // ---- durability ----------------------------------------------------------------

  /** `done` runs once everything appended before this call is durable (or failed). */
  sync(done: Waiter, force = false): void {
    if (this.failed !== undefined) {
      const err = this.failed;
      process.nextTick(done, err);
      return;
    }
    if (force) this.pending.forceSync = true;
    if (this.pending.writes.length > 0 || force) {
      this.pending.waiters.push(done);
      this.schedule();
    } else if (this.inflight !== undefined) {
      this.inflight.waiters.push(done);
    } else {
      process.nextTick(done);
    }
  }

  /** Resolves when no batch is pending or in flight (used by close). */
  drain(): Promise<void> {
    return new Promise((resolve) => {
      // After a failure nothing more will be written; there is nothing to wait for.
      if (this.failed !== undefined || (this.inflight === undefined && this.pending.empty)) resolve();
      else {
        this.idleWaiters.push(resolve);
        this.schedule();
      }
    });
  }

  /** Give up a batch stuck retrying on a full disk (close while the disk is full). */
  abort(err: Error): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.fail(err);
  }

  /** A batch is waiting to be written again after ENOSPC/EDQUOT. */
  get retrying(): boolean {
    return this.retryTimer !== undefined;
  }

  get busy(): boolean {
    return this.inflight !== undefined || !this.pending.empty;
  }

  // ---- internals -----------------------------------------------------------------

  private schedule(): void {
    if (!this.scheduled && this.inflight === undefined) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
  }

  /** Reserve `total` bytes in the active segment, rolling first if they do not fit. */
  private allocate(total: number): number {
    let seg = this.active;
    if (seg.appendOffset + total > this.segmentSize && seg.appendOffset > SEGMENT_HEADER_SIZE) {
      this.roll();
      seg = this.active;
    }
    const writes = this.pending.writes;
    const last = writes[writes.length - 1];
    if (last === undefined || last.seg !== seg) {
      this.seal();
      writes.push({ seg, position: seg.appendOffset, bufs: [], bytes: 0 });
    }
    const pos = seg.appendOffset;
    seg.appendOffset = pos + total;
    this.lastSegment = seg.id;
    this.appendedBytes += total;
    this.schedule();
    return pos;
  }

  private startSegment(id: number): Segment {
    const seg = this.segments.create(id);
    const header = encodeSegmentHeader(id);
    this.pending.writes.push({ seg, position: 0, bufs: [header], bytes: header.length });
    seg.appendOffset = header.length;
    this.pending.newSegment = true;
    this.schedule();
    return seg;
  }

  /** A chunk with at least `n` free bytes at chunkPos. */
  private room(n: number): Buffer {
    if (this.chunkPos + n <= this.chunk.length) return this.chunk;
    this.seal();
    this.pending.retired.push(this.chunk);
    const size = Math.max(CHUNK_SIZE, n);
    this.chunk = size === CHUNK_SIZE && this.pool.length > 0 ? this.pool.pop()! : Buffer.allocUnsafeSlow(size);
    this.chunkStart = 0;
    this.chunkPos = 0;
    return this.chunk;
  }

  /** Move the bytes encoded since the last seal into the current segment write. */
  private seal(): void {
    if (this.chunkPos === this.chunkStart) return;
    this.pushBuffer(this.chunk.subarray(this.chunkStart, this.chunkPos));
    this.chunkStart = this.chunkPos;
  }

  private pushBuffer(b: Buffer): void {
    const w = this.pending.writes[this.pending.writes.length - 1]!;
    w.bufs.push(b);
    w.bytes += b.length;
  }

  private flush(): void {
    if (this.inflight !== undefined || this.failed !== undefined) return;
    if (this.pending.empty) {
      this.notifyIdle();
      return;
    }
    this.seal();
    const batch = this.pending;
    this.pending = new Batch();
    this.inflight = batch;
    this.stats.flushes++;
    this.writeStep(batch, 0);
  }

  private writeStep(batch: Batch, i: number): void {
    if (i === batch.writes.length) {
      this.syncStep(batch);
      return;
    }
    const w = batch.writes[i]!;
    this.writeAll(w.seg.fd!, w.bufs, w.position, w.bytes, (err) => {
      if (err) return this.onIoError(batch, err, 'write', w.seg);
      if (w.position + w.bytes > w.seg.writtenOffset) w.seg.writtenOffset = w.position + w.bytes;
      this.stats.bytesWritten += w.bytes;
      this.writeStep(batch, i + 1);
    });
  }

  /** writev until every byte is out (a regular file may take a short write). */
  private writeAll(fd: number, bufs: readonly Buffer[], position: number, bytes: number, cb: (err: NodeJS.ErrnoException | null) => void): void {
    if (bytes === 0) {
      cb(null);
      return;
    }
    this.io.writev(fd, bufs, position, (err, n) => {
      if (err) return cb(err);
      if (n >= bytes) return cb(null);
      if (n <= 0) return cb(Object.assign(new Error('journal: writev wrote nothing'), { code: 'EIO' }));
      this.writeAll(fd, skipBytes(bufs, n), position + n, bytes - n, cb);
    });
  }

  private syncStep(batch: Batch): void {
    if (!this.fsync && !batch.forceSync) {
      if (!this.volatile) {
        for (const w of batch.writes) this.unsynced.add(w.seg);
        if (batch.newSegment) this.dirUnsynced = true;
      }
      this.complete(batch);
      return;
    }
    const segs = new Set<Segment>(this.unsynced);
    for (const w of batch.writes) segs.add(w.seg);
    const fds: number[] = [];
    for (const s of segs) if (s.fd !== undefined) fds.push(s.fd);
    const syncDir = batch.newSegment || this.dirUnsynced;
    const next = (k: number): void => {
      if (k === fds.length) {
        // A new segment file's directory entry must be durable too, or the file may vanish.
        if (!syncDir) return this.synced(batch);
        this.io.fsync(this.dirFd, (err) => (err ? this.onIoError(batch, err, 'fsync-dir', undefined) : this.synced(batch)));
        return;
      }
      this.stats.fdatasyncs++;
      this.io.fdatasync(fds[k]!, (err) => (err ? this.onIoError(batch, err, 'fdatasync', undefined) : next(k + 1)));
    };
    next(0);
  }

  private synced(batch: Batch): void {
    this.unsynced.clear();
    this.dirUnsynced = false;
    this.complete(batch);
  }

  private complete(batch: Batch): void {
    this.inflight = undefined;
    this.retryMs = RETRY_MIN_MS;
    for (let i = 0; i < batch.ids.length; i++) {
      const id = batch.ids[i]!;
      // A later batch may hold a newer copy of the same id (compaction); keep that one.
      if (this.unwritten.get(id) === batch.records[i]) this.unwritten.delete(id);
    }
    for (const c of batch.retired) if (c.length === CHUNK_SIZE && this.pool.length < MAX_POOLED_CHUNKS) this.pool.push(c);
    this.callWaiters(batch.waiters, undefined);
    this.onComplete?.();
    if (!this.pending.empty) this.flush();
    else this.notifyIdle();
  }

  private onIoError(batch: Batch, err: NodeJS.ErrnoException, op: string, seg: Segment | undefined): void {
    if (err.code === 'ENOSPC' || err.code === 'EDQUOT') {
      // Disk full: keep the batch and its waiters (nothing is confirmed) and write it
      // again later; publishers are held back by the disk alarm meanwhile.
      if (this.stats.retries === 0 || this.retryMs === RETRY_MIN_MS) {
        this.log.warn({ op, code: err.code, segment: seg?.id }, 'journal: disk full, holding confirms and retrying');
      }
      this.stats.retries++;
      const delay = this.retryMs;
      this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.writeStep(batch, 0);
      }, delay);
      return;
    }
    (this.log.error ?? this.log.warn).call(this.log, { op, code: err.code, err: err.message, segment: seg?.id }, 'journal: I/O error, store failed; no further confirms');
    this.fail(err);
  }

  private fail(err: Error): void {
    this.failed = err;
    const batches = [this.inflight, this.pending].filter((b): b is Batch => b !== undefined);
    this.inflight = undefined;
    this.pending = new Batch();
    for (const b of batches) this.callWaiters(b.waiters, err);
    this.notifyIdle();
  }

  private callWaiters(waiters: readonly Waiter[], err: Error | undefined): void {
    for (const w of waiters) {
      try {
        if (err === undefined) w();
        else w(err);
      } catch (e) {
        // A throwing callback is the caller's bug; it must not stop the other confirms.
        (this.log.error ?? this.log.warn).call(this.log, { err: String(e) }, 'journal: sync callback threw');
      }
    }
  }

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0 || this.busy) return;
    const ws = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of ws) w();
  }
}

/** The buffers that remain after the first `n` bytes. */
function skipBytes(bufs: readonly Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of bufs) {
    if (n >= b.length) {
      n -= b.length;
      continue;
    }
    out.push(n > 0 ? b.subarray(n) : b);
    n = 0;
  }
  return out;
}
