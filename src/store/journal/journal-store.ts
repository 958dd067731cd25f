/**
 * The crash-safe journal `MessageStore` (DESIGN §3, docs/store.md).
 *
 * Writes: every mutating call updates the in-memory index and appends one record to
 * the current group-commit batch; `sync(cb)` fires when all of it is durable.
 * Reads: message bodies live on disk; the index keeps only (segment, offset, length),
 * `readMessage` serves from a small LRU, from not-yet-written batches, or reads the
 * record back synchronously and checks its CRC.
 * Space: checkpoints snapshot the index; after each one, old segments without a live
 * message are deleted and sparse ones are compacted by copying their live messages to
 * the head, so they can be deleted after the next checkpoint.
 */
import { closeSync, mkdirSync, openSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageStore, QueueKey, RecoveredMessage, RecoveredState, StoredMessageId } from '../api.js';
import { isTempFor, writeFileAtomic } from './atomic-file.js';
import { lockDir } from './dir-lock.js';
import { serializeCheckpoint } from './checkpoint.js';
import { CHECKPOINT_FILE, ID_SIZE, parseSegmentFileName, RECORD_HEADER_SIZE, RecordType } from './format.js';
import { GroupCommit } from './group-commit.js';
import { JournalIndex } from './journal-index.js';
import { type JournalOptions, resolveOptions, type ResolvedJournalOptions } from './options.js';
import { RecordCache } from './record-cache.js';
import { RecordReader } from './record-reader.js';
import { fileSize, recover, type RecoveryReport } from './recovery.js';
import { SegmentSet } from './segment.js';

export interface JournalStats {
  readonly segments: number;
  readonly liveMessages: number;
  readonly queues: number;
  readonly flushes: number;
  readonly fdatasyncs: number;
  readonly bytesWritten: number;
  readonly writeRetries: number;
  readonly checkpoints: number;
  readonly segmentsDeleted: number;
  readonly compactedMessages: number;
  readonly compactedBytes: number;
  readonly diskReads: number;
  readonly cacheHits: number;
  readonly lastCheckpointBytes: number;
}

export class JournalMessageStore implements MessageStore {
  readonly options: ResolvedJournalOptions;
  /** What the last open() found (for logs, tests and the restart-time report). */
  recovery: RecoveryReport | undefined;

  private readonly segments: SegmentSet;
  private readonly cache: RecordCache;
  private readonly index: JournalIndex;
  private writer: GroupCommit | undefined;
  private dirFd: number | undefined;
  private state: 'new' | 'opening' | 'open' | 'closing' | 'closed' = 'new';
  private timer: NodeJS.Timeout | undefined;
  private unlock: () => void = () => undefined;
  private checkpointSeq = 0;
  private checkpointRunning: Promise<void> | undefined;
  private checkpointScheduled = false;
  /** writer.appendedBytes right after the last checkpoint's marker. */
  private bytesAtCheckpoint = 0;
  private lastCheckpointBytes = 0;
  /** Orphans seen at the previous checkpoint; dropped if still orphans at the next. */
  private orphanCandidates: StoredMessageId[] = [];
  private counters = { checkpoints: 0, segmentsDeleted: 0, compactedMessages: 0, compactedBytes: 0, cacheHits: 0 };
  private readonly reader: RecordReader;

  constructor(options: JournalOptions) {
    this.options = resolveOptions(options);
    this.segments = new SegmentSet(this.options.dir);
    this.cache = new RecordCache(this.options.cacheBytes);
    this.index = new JournalIndex(this.segments, (id) => this.cache.delete(id));
    this.reader = new RecordReader(this.segments, this.options.log);
  }

  // ---- MessageStore --------------------------------------------------------------

  async open(): Promise<RecoveredState> {
    if (this.state !== 'new') throw new Error('journal: open() may be called once');
    this.state = 'opening';
    const { dir, log, maxRecordSize } = this.options;
    mkdirSync(dir, { recursive: true });
    try {
      this.unlock = lockDir(dir);
    } catch (err) {
      this.state = 'closed';
      throw err;
    }
    try {
      this.dirFd = openSync(dir, 'r');
      let maxSeg = 0;
      const cpPath = join(dir, CHECKPOINT_FILE);
      for (const name of readdirSync(dir)) {
        if (isTempFor(cpPath, name)) {
          unlinkSync(join(dir, name));
          continue;
        }
        const id = parseSegmentFileName(name);
        if (id === undefined) continue;
        this.segments.addExisting(id, fileSize(join(dir, name)));
        if (id > maxSeg) maxSeg = id;
      }
      this.recovery = recover(dir, this.segments, this.index, maxRecordSize, log);
      this.checkpointSeq = this.recovery.checkpointSeq;
      // New writes always go to a fresh segment: a torn tail is never appended to, and a
      // number is never reused (not even one the checkpoint names but whose file is gone).
      const next = Math.max(maxSeg, this.recovery.replaySegment) + 1;
      this.writer = new GroupCommit(this.segments, this.options.io, log, this.dirFd, this.options.segmentSize, this.options.fsync, next);
    } catch (err) {
      this.segments.closeAll();
      if (this.dirFd !== undefined) closeSync(this.dirFd);
      this.dirFd = undefined;
      this.unlock();
      this.state = 'closed';
      throw err;
    }
    this.writer.onRoll = () => this.maybeCheckpointBySize();
    this.state = 'open';
    if (this.options.checkpointIntervalMs > 0) {
      this.timer = setInterval(() => {
        if (this.checkpointDue()) void this.checkpoint().catch(() => undefined);
      }, this.options.checkpointIntervalMs);
      this.timer.unref();
    }
    return this.recoveredState();
  }

  writeMessage(id: StoredMessageId, record: Buffer): void {
    const w = this.live();
    if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`journal: bad message id ${id}`);
    if (record.length > this.options.maxRecordSize) throw new RangeError(`journal: record of ${record.length} bytes exceeds maxRecordSize ${this.options.maxRecordSize}`);
    const off = w.appendMessage(id, record);
    this.index.putMessage(id, w.lastSegment, off, RECORD_HEADER_SIZE + ID_SIZE + record.length);
    this.cache.set(id, record);
  }

  enqueue(queue: QueueKey, id: StoredMessageId): void {
    const w = this.live();
    if (!this.index.messages.has(id)) throw new Error(`journal: enqueue of message ${id}, which was never written`);
    if (this.index.enqueue(queue, id)) w.appendRef(RecordType.Enqueue, id, queue);
  }

  dequeue(queue: QueueKey, id: StoredMessageId): void {
    const w = this.live();
    if (this.index.dequeue(queue, id)) w.appendRef(RecordType.Dequeue, id, queue);
  }

  markDelivered(queue: QueueKey, id: StoredMessageId): void {
    const w = this.live();
    if (this.index.markDelivered(queue, id)) w.appendRef(RecordType.Delivered, id, queue);
  }

  dropQueue(queue: QueueKey): void {
    const w = this.live();
    if (this.index.dropQueue(queue)) w.appendRef(RecordType.DropQueue, 0, queue);
  }

  readMessage(id: StoredMessageId): Buffer | undefined {
    const slot = this.index.messages.slotOf(id);
    if (slot === undefined) return undefined;
    const hit = this.cache.get(id);
    if (hit !== undefined) {
      this.counters.cacheHits++;
      return hit;
    }
    const seg = this.segments.get(this.index.messages.segmentAt(slot));
    const off = this.index.messages.offsetAt(slot);
    const len = this.index.messages.lengthAt(slot);
    if (seg === undefined) return undefined;
    if (off + len > seg.writtenOffset) {
      const pending = this.writer?.unwritten.get(id);
      if (pending !== undefined) return pending;
    }
    const rec = this.reader.read(seg, off, len, id);
    if (rec !== undefined) this.cache.set(id, rec);
    return rec;
  }

  sync(done: (err?: Error) => void): void {
    if (this.writer === undefined || this.state === 'closed') {
      process.nextTick(done, new Error('journal: store is not open'));
      return;
    }
    this.writer.sync(done);
  }

  /**
   * Flush, write a final checkpoint (so the next open replays nothing) and release
   * files. `{ checkpoint: false }` skips the checkpoint: tests use it to leave the
   * directory exactly as a crash after the last sync would.
   */
  async close(opts: { checkpoint?: boolean } = {}): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    if (this.state !== 'open') {
      this.state = 'closed';
      return;
    }
    this.state = 'closing';
    if (this.timer !== undefined) clearInterval(this.timer);
    const w = this.writer!;
    try {
      // A batch stuck on a full disk would keep close() waiting forever; what it holds
      // was never confirmed, so failing it loses nothing that was promised.
      if (w.retrying) w.abort(new Error('journal: closed while the disk was full; unconfirmed writes dropped'));
      await this.checkpointRunning?.catch(() => undefined);
      if (opts.checkpoint !== false && w.failed === undefined) await this.runCheckpoint();
      await w.drain();
    } finally {
      this.segments.closeAll();
      if (this.dirFd !== undefined) closeSync(this.dirFd);
      this.dirFd = undefined;
      this.unlock();
      this.state = 'closed';
    }
    if (w.failed !== undefined) throw w.failed;
  }

  // ---- beyond the interface ------------------------------------------------------

  /**
   * Snapshot the index now, then reclaim space: delete old segments that hold no live
   * message and compact sparse ones. Runs one at a time; concurrent calls share a run.
   */
  checkpoint(): Promise<void> {
    if (this.state !== 'open') return Promise.resolve();
    return this.runCheckpoint();
  }

  stats(): JournalStats {
    const g = this.writer?.stats;
    return {
      segments: this.segments.count,
      liveMessages: this.index.messages.size,
      queues: this.index.queues.size,
      flushes: g?.flushes ?? 0,
      fdatasyncs: g?.fdatasyncs ?? 0,
      bytesWritten: g?.bytesWritten ?? 0,
      writeRetries: g?.retries ?? 0,
      lastCheckpointBytes: this.lastCheckpointBytes,
      ...this.counters,
      diskReads: this.reader.diskReads,
    };
  }

  // ---- internals -----------------------------------------------------------------

  private live(): GroupCommit {
    if (this.writer === undefined || (this.state !== 'open' && this.state !== 'closing')) throw new Error(`journal: store is ${this.state}`);
    return this.writer;
  }

  /**
   * Timer rule. A snapshot costs time proportional to the index (and pauses the loop
   * while it is serialised), so one is taken only when it pays: the journal grew by at
   * least half a snapshot since the last one (replaying that would cost about as much as
   * loading it), or the queues hold nothing-much and a snapshot is cheap, or an old
   * segment is waiting to be deleted or compacted (disk space comes back).
   */
  private checkpointDue(): boolean {
    const w = this.writer;
    if (w === undefined || w.appendedBytes === this.bytesAtCheckpoint) return false;
    const grown = w.appendedBytes - this.bytesAtCheckpoint;
    if (grown * 2 >= this.lastCheckpointBytes || this.lastCheckpointBytes < 1024 * 1024) return true;
    for (const seg of this.segments.list()) {
      if (seg.id >= w.active.id) break;
      if (seg.liveCount === 0 || seg.liveBytes < this.options.compactRatio * seg.appendOffset) return true;
    }
    return false;
  }

  private maybeCheckpointBySize(): void {
    const since = this.writer!.appendedBytes - this.bytesAtCheckpoint;
    // Checkpoint cost is proportional to the index, so space them by at least twice the
    // last checkpoint's size: snapshots then cost at most a constant factor of the log.
    const fixed = this.options.checkpointBytes;
    if (fixed === 0) return;
    const threshold = fixed ?? Math.max(2 * this.options.segmentSize, 2 * this.lastCheckpointBytes);
    if (since < threshold || this.checkpointScheduled || this.state !== 'open') return;
    this.checkpointScheduled = true;
    setImmediate(() => {
      this.checkpointScheduled = false;
      void this.checkpoint().catch(() => undefined);
    });
  }

  private runCheckpoint(): Promise<void> {
    if (this.checkpointRunning !== undefined) return this.checkpointRunning;
    const run = this.doCheckpoint().finally(() => {
      this.checkpointRunning = undefined;
    });
    this.checkpointRunning = run;
    return run;
  }

  private async doCheckpoint(): Promise<void> {
    const w = this.writer!;
    const { log, segmentSize } = this.options;
    if (w.failed !== undefined) return;
    // Orphans that survived a whole checkpoint interval will never be enqueued.
    for (const id of this.orphanCandidates) {
      const slot = this.index.messages.slotOf(id);
      if (slot !== undefined && this.index.messages.refsAt(slot) === 0) this.index.forget(id);
    }
    this.orphanCandidates = this.index.orphans();
    // Leave a well-filled head segment behind so it too can be reclaimed later.
    if (w.active.appendOffset >= segmentSize / 4) w.roll();
    const seq = this.checkpointSeq + 1;
    const offset = w.appendRef(RecordType.Checkpoint, seq, undefined);
    const segment = w.lastSegment;
    this.bytesAtCheckpoint = w.appendedBytes;
    const snap = serializeCheckpoint(this.index, { seq, replaySegment: segment, replayOffset: offset, lastMessageId: this.index.lastMessageId });
    // The snapshot may only become the recovery base once every record before its
    // position is durable (it locates messages in them).
    await new Promise<void>((resolve, reject) => w.sync((err) => (err ? reject(err) : resolve()), true));
    try {
      await writeFileAtomic(join(this.options.dir, CHECKPOINT_FILE), snap.data);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'journal: checkpoint write failed; will retry at the next one');
      throw err;
    }
    this.checkpointSeq = seq;
    this.lastCheckpointBytes = snap.data.length;
    this.counters.checkpoints++;
    this.reclaim(segment, snap.referenced);
  }

  /** After a durable checkpoint at segment `base`: delete unreferenced old segments, compact sparse ones. */
  private reclaim(base: number, referenced: ReadonlyMap<number, number>): void {
    const w = this.writer!;
    const compact = new Set<number>();
    for (const seg of this.segments.list()) {
      if (seg.id >= base || seg === w.active) continue;
      if (!referenced.has(seg.id) && seg.liveCount === 0) {
        this.reader.forget(seg);
        try {
          this.segments.remove(seg);
          this.counters.segmentsDeleted++;
        } catch (err) {
          this.options.log.warn({ segment: seg.id, err: (err as Error).message }, 'journal: could not delete segment');
        }
      } else {
        if (seg.liveBytes < this.options.compactRatio * seg.appendOffset) compact.add(seg.id);
        // All writes to it are done and synced: release the descriptor; a read reopens
        // it. Keeps open files bounded by what was touched since the last checkpoint.
        if (seg.fd !== undefined && !this.reader.holds(seg)) this.segments.closeFd(seg);
      }
    }
    if (compact.size > 0 && this.state === 'open') this.compact(compact);
  }

  /**
   * Copy the live messages of sparse segments to the head. Queue order lives in the
   * index, not in file positions, so copies keep every queue's order. Bounded per
   * checkpoint so one round never stalls the loop for long.
   */
  private compact(segs: ReadonlySet<number>): void {
    const w = this.writer!;
    const table = this.index.messages;
    const ids: StoredMessageId[] = [];
    // Insertion order: copies keep their relative order.
    table.forEach((id, slot) => {
      if (segs.has(table.segmentAt(slot))) ids.push(id);
    });
    let budget = Math.max(this.options.segmentSize, 16 * 1024 * 1024);
    for (const id of ids) {
      if (budget <= 0) break;
      const slot = table.slotOf(id);
      if (slot === undefined) continue;
      const seg = this.segments.get(table.segmentAt(slot))!;
      const len = table.lengthAt(slot);
      const rec = this.cache.get(id) ?? this.reader.read(seg, table.offsetAt(slot), len, id);
      if (rec === undefined) continue;
      const off = w.appendMessage(id, rec);
      this.index.putMessage(id, w.lastSegment, off, len);
      budget -= len;
      this.counters.compactedMessages++;
      this.counters.compactedBytes += len;
    }
  }

  private recoveredState(): RecoveredState {
    const index = this.index;
    const store = this;
    // Per-message objects only when a caller asks for a queue's list (tests, small
    // stores); the core streams entries with forEachEntry, so recovering millions of
    // messages costs no object per message.
    const build = (key: QueueKey): RecoveredMessage[] | undefined => {
      const q = index.queues.get(key);
      if (q === undefined) return undefined;
      const list: RecoveredMessage[] = [];
      q.forEach((id, delivered) => list.push(new LazyRecoveredMessage(store, id, delivered)));
      return list;
    };
    const keys = [...index.queues.keys()];
    return {
      lastMessageId: index.lastMessageId,
      queues: new LazyQueueMap(keys, build),
      forEachEntry(key, visit) {
        const table = index.messages;
        index.queues.get(key)?.forEach((id, delivered) => {
          const slot = table.slotOf(id);
          visit(id, delivered, slot === undefined ? 0 : table.lengthAt(slot) - RECORD_HEADER_SIZE - ID_SIZE);
        });
      },
    };
  }
}

/** A read-only map whose values (per-queue message lists) are built when asked for. */
class LazyQueueMap implements ReadonlyMap<QueueKey, readonly RecoveredMessage[]> {
  constructor(
    private readonly keyList: readonly QueueKey[],
    private readonly build: (key: QueueKey) => RecoveredMessage[] | undefined,
  ) {}

  get size(): number {
    return this.keyList.length;
  }

  has(key: QueueKey): boolean {
    return this.keyList.includes(key);
  }

  get(key: QueueKey): readonly RecoveredMessage[] | undefined {
    return this.has(key) ? this.build(key) : undefined;
  }

  forEach(fn: (value: readonly RecoveredMessage[], key: QueueKey, map: ReadonlyMap<QueueKey, readonly RecoveredMessage[]>) => void): void {
    for (const k of this.keyList) fn(this.build(k) ?? [], k, this);
  }

  *entries(): MapIterator<[QueueKey, readonly RecoveredMessage[]]> {
    for (const k of this.keyList) yield [k, this.build(k) ?? []];
  }

  keys(): MapIterator<QueueKey> {
    return this.keyList.values();
  }

  *values(): MapIterator<readonly RecoveredMessage[]> {
    for (const k of this.keyList) yield this.build(k) ?? [];
  }

  [Symbol.iterator](): MapIterator<[QueueKey, readonly RecoveredMessage[]]> {
    return this.entries();
  }
}

/**
 * A recovered message whose record is read from disk only when asked for, so that
 * recovering a queue larger than memory does not load every body.
 */
class LazyRecoveredMessage implements RecoveredMessage {
  constructor(
    private readonly store: JournalMessageStore,
    readonly id: StoredMessageId,
    readonly delivered: boolean,
  ) {}

  get record(): Buffer {
    const r = this.store.readMessage(this.id);
    if (r === undefined) throw new JournalReadError(this.id);
    return r;
  }
}

/** A recovered message's record could not be read back (damaged after recovery checked it). */
export class JournalReadError extends Error {
  constructor(readonly id: StoredMessageId) {
    super(`journal: record of message ${id} is unreadable`);
    this.name = 'JournalReadError';
  }
}
