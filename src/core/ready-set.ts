import { Deque } from './deque.js';
import type { Entry } from './queue.js';

const bySeq = (e: Entry): number => e.seq;

/**
 * A queue's ready messages: one ring buffer per priority level (a single level when
 * the queue has no x-max-priority), with the counts x-max-length, x-max-length-bytes
 * and TTL need kept up to date on every move. Within a level entries stay sorted by
 * enqueue sequence, so a requeued message returns to its original place.
 */
export class ReadySet {
  readonly levels: Deque<Entry>[] = [];
  count = 0;
  bytes = 0;
  /** Entries carrying an expiry: the queue skips clock reads while this is zero. */
  expiring = 0;

  constructor(maxPriority: number | undefined) {
    const n = maxPriority === undefined ? 1 : maxPriority + 1;
    for (let i = 0; i < n; i++) this.levels.push(new Deque<Entry>());
  }

  push(e: Entry): void {
    (this.levels[e.priority] as Deque<Entry>).push(e);
    this.added(e);
  }

  /** Put a previously delivered entry back in sequence order. */
  reinsert(e: Entry): void {
    (this.levels[e.priority] as Deque<Entry>).insertSorted(e, bySeq);
    this.added(e);
  }

  /** The level holding the next message to deliver (highest non-empty priority). */
  headLevel(): Deque<Entry> | undefined {
    for (let i = this.levels.length - 1; i >= 0; i--) {
      const l = this.levels[i] as Deque<Entry>;
      if (l.length > 0) return l;
    }
    return undefined;
  }

  /** Remove and return the next message to deliver. */
  shift(): Entry | undefined {
    const l = this.headLevel();
    return l ? this.removed(l.shift() as Entry) : undefined;
  }

  /** Bookkeeping for an entry the caller took out of a level directly. */
  removed(e: Entry): Entry {
    this.count--;
    this.bytes -= e.message.body.length;
    if (e.expiresAt !== 0) this.expiring--;
    return e;
  }

  /** Remove one expired head (any level) or return undefined. Only heads expire (RabbitMQ). */
  takeExpiredHead(now: number): Entry | undefined {
    if (this.expiring === 0) return undefined;
    for (const l of this.levels) {
      const h = l.peek();
      if (h && h.expiresAt !== 0 && h.expiresAt <= now) {
        l.shift();
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
      const h = l.peek();
      if (h && h.expiresAt !== 0 && (next === 0 || h.expiresAt < next)) next = h.expiresAt;
    }
    return next;
  }

  *entries(): IterableIterator<Entry> {
    for (const l of this.levels) yield* l;
  }

  clear(): void {
    for (const l of this.levels) l.clear();
    this.count = 0;
    this.bytes = 0;
    this.expiring = 0;
  }

  private added(e: Entry): void {
    this.count++;
    this.bytes += e.message.body.length;
    if (e.expiresAt !== 0) this.expiring++;
  }
}
