import { Deque } from './deque.js';
import { ENTRY_OVERHEAD, type MemoryBudget, PERSISTENT_HEAD_WINDOW, REFILL_BYTES, REFILL_COUNT } from './memory-budget.js';
import { PagedFlag, PagedRun } from './paged-run.js';
import type { Entry } from './queue-entry.js';

const bySeq = (e: Entry): number => e.seq;

/** How a ready set moves bodies out of memory and back (implemented by its queue's QueuePaging). */
export interface PagingPort {
  readonly budget: MemoryBudget;
  /** Take e's body out of memory; returns the flags of its paged entry. */
  pageOut(e: Entry): number;
  /** Rebuild a paged entry; undefined when its record is unreadable (the port logged and cleaned up). */
  pageIn(id: number, seq: number, expiresAt: number, flags: number, priority: number): Entry | undefined;
  /** A paged message leaves without being read back (purge, delete). */
  dropPaged(id: number, flags: number): void;
}

/** One priority level: an in-memory head, then (possibly) a paged tail, in sequence order. */
export interface Level {
  readonly head: Deque<Entry>;
  readonly paged: PagedRun;
}

const cost = (e: Entry): number => e.message.body.length + ENTRY_OVERHEAD;

/**
 * A queue's ready messages: one level per priority (a single level when the queue has
 * no x-max-priority), with the counts x-max-length, x-max-length-bytes and TTL need
 * kept up to date on every move.
 *
 * Paging (docs/store.md "Paging"): a level is its in-memory head followed by a paged
 * run. A new message goes to the run when the run is not empty (order), or when the
 * head is not empty and either the broker's memory budget is spent or, for a persistent
 * message the journal already holds, the head has PERSISTENT_HEAD_WINDOW entries. When a
 * head empties, the next entries of the run are read back into it.
 *
 * Invariant: within a level, every entry of the head has a smaller sequence than every
 * entry of the run; only new arrivals are paged and deliveries leave from the front,
 * so an unacknowledged entry is always older than the run and requeues into the head.
 */
export class ReadySet {
  readonly levels: Level[] = [];
  count = 0;
  bytes = 0;
  /** Entries carrying an expiry: the queue skips clock reads while this is zero. */
  expiring = 0;
  /** Entries paged out (in every level's run). */
  paged = 0;

  constructor(
    maxPriority: number | undefined,
    private readonly port: PagingPort,
  ) {
    const n = maxPriority === undefined ? 1 : maxPriority + 1;
    for (let i = 0; i < n; i++) this.levels.push({ head: new Deque<Entry>(), paged: new PagedRun() });
  }

  /** A new message (enqueue, or a recovered one whose record was read). */
  push(e: Entry): void {
    const l = this.levels[e.priority] as Level;
    const budget = this.port.budget;
    // An empty head always takes one entry: under memory pressure a queue whose consumer
    // keeps up then delivers straight from memory instead of writing every message out
    // and reading it back at once.
    if (l.paged.length > 0 || (l.head.length > 0 && (budget.used + cost(e) > budget.limit || (e.persisted && l.head.length >= PERSISTENT_HEAD_WINDOW)))) {
      const flags = this.port.pageOut(e);
      this.pushPaged(l, e.message.id, e.seq, e.expiresAt, e.message.body.length, flags);
      return;
    }
    l.head.push(e);
    this.added(e);
  }

  /** A paged entry straight from the store (recovery): nothing of it is in memory. */
  pushPaged(l: Level, id: number, seq: number, expiresAt: number, size: number, flags: number): void {
    l.paged.push(id, seq, expiresAt, size, flags);
    this.count++;
    this.bytes += size;
    this.paged++;
    if (expiresAt !== 0) this.expiring++;
  }

  /** Put a previously delivered entry back in sequence order. */
  reinsert(e: Entry): void {
    const l = this.levels[e.priority] as Level;
    // By the invariant above this never happens; if it did, keeping order wins over memory.
    if (l.paged.length > 0 && e.seq > l.paged.frontSeq) this.loadAll(l);
    l.head.insertSorted(e, bySeq);
    this.added(e);
  }

  /** The head of the level holding the next message to deliver (highest non-empty priority). */
  headLevel(): Deque<Entry> | undefined {
    for (let i = this.levels.length - 1; i >= 0; i--) {
      const l = this.levels[i] as Level;
      if (l.head.length === 0 && l.paged.length > 0) this.refill(l);
      if (l.head.length > 0) return l.head;
    }
    return undefined;
  }

  /** Remove and return the next message to deliver. */
  shift(): Entry | undefined {
    const h = this.headLevel();
    return h ? this.removed(h.shift() as Entry) : undefined;
  }

  /** Bookkeeping for an entry the caller took out of a level's head directly. */
  removed(e: Entry): Entry {
    this.count--;
    this.bytes -= e.message.body.length;
    if (e.expiresAt !== 0) this.expiring--;
    this.port.budget.used -= cost(e);
    return e;
  }

  /** Remove one expired head (any level) or return undefined. Only heads expire (RabbitMQ). */
  takeExpiredHead(now: number): Entry | undefined {
    if (this.expiring === 0) return undefined;
    for (const l of this.levels) {
      if (l.head.length === 0 && l.paged.length > 0) this.refill(l);
      const h = l.head.peek();
      if (h && h.expiresAt !== 0 && h.expiresAt <= now) {
        l.head.shift();
        return this.removed(h);
      }
    }
    return undefined;
  }

  /** Earliest expiry among the level heads, 0 when none expires. */
  nextHeadExpiry(): number {
    let next = 0;
    if (this.expiring === 0) return 0;
    for (const l of this.levels) {
      if (l.head.length === 0 && l.paged.length > 0) this.refill(l);
      const h = l.head.peek();
      if (h && h.expiresAt !== 0 && (next === 0 || h.expiresAt < next)) next = h.expiresAt;
    }
    return next;
  }

  /** Read every paged entry back (consumer filters must see every message). */
  loadAllLevels(): void {
    if (this.paged === 0) return;
    for (const l of this.levels) this.loadAll(l);
  }

  /** Make sure every non-empty level has its head in memory (after recovery). */
  fillHeads(): void {
    for (const l of this.levels) if (l.head.length === 0 && l.paged.length > 0) this.refill(l);
  }

  /**
   * Empty the set. `drop` sees every message (id, held by the journal for this queue)
   * so the caller can release it from the store; paged bodies are released here.
   */
  clear(drop?: (id: number, persisted: boolean) => void): void {
    const port = this.port;
    for (const l of this.levels) {
      for (const e of l.head) {
        port.budget.used -= cost(e);
        drop?.(e.message.id, e.persisted);
      }
      l.paged.forEach((id, flags) => {
        port.dropPaged(id, flags);
        drop?.(id, (flags & PagedFlag.Persisted) !== 0);
      });
      l.head.clear();
      l.paged.clear();
    }
    this.count = 0;
    this.bytes = 0;
    this.expiring = 0;
    this.paged = 0;
  }

  private added(e: Entry): void {
    this.count++;
    this.bytes += e.message.body.length;
    if (e.expiresAt !== 0) this.expiring++;
    this.port.budget.used += cost(e);
  }

  /** Read the next entries of a level's run into its head (a batch, bounded in count and bytes). */
  private refill(l: Level, all = false): void {
    let n = 0;
    let bytes = 0;
    const priority = this.levels.indexOf(l);
    while (l.paged.length > 0 && (all || (n < REFILL_COUNT && bytes < REFILL_BYTES))) {
      const run = l.paged;
      const id = run.frontId;
      const seq = run.frontSeq;
      const exp = run.frontExpires;
      const size = run.frontSize;
      const flags = run.frontFlags;
      run.shift();
      this.paged--;
      this.count--;
      this.bytes -= size;
      if (exp !== 0) this.expiring--;
      const e = this.port.pageIn(id, seq, exp, flags, priority);
      if (e === undefined) continue;
      l.head.push(e);
      this.added(e);
      n++;
      bytes += e.message.body.length;
    }
  }

  private loadAll(l: Level): void {
    if (l.paged.length > 0) this.refill(l, true);
  }
}
