import type { MemoryBudget } from './memory-budget.js';
import type { Message, MessageId } from './message.js';
import { deserializeMessage, serializeMessage } from './message-serde.js';
import { PagedFlag } from './paged-run.js';
import type { Entry } from './queue-entry.js';
import type { QueueHost } from './queue-host.js';
import type { PagingPort } from './ready-set.js';
import type { QueueKey } from '../store/api.js';

/**
 * A queue's side of paging (docs/store.md "Paging"): where its ready bodies go when
 * they leave memory, and how they come back. Owned by one Queue and handed to its
 * ReadySet as the PagingPort, which calls it directly.
 */
export class QueuePaging implements PagingPort {
  /** Paged entries' messages when there is no page store (keeps order, not memory). */
  private held: Map<number, Message> | undefined;
  /** Recovery time: the base of recovered messages' TTLs (expiry restarts at recovery). */
  private recoveredAt = 0;

  constructor(
    private readonly host: QueueHost,
    private readonly queueName: string,
    private readonly key: QueueKey,
    /** The queue's statistics: an unreadable message counts as discarded. */
    private readonly counters: { discarded: number },
  ) {}

  get budget(): MemoryBudget {
    return this.host.budget;
  }

  /** The base of recovered messages' TTLs: the time the first paged entry was recovered. */
  recoveryTime(): number {
    if (this.recoveredAt === 0) this.recoveredAt = Date.now();
    return this.recoveredAt;
  }

  pageOut(e: Entry): number {
    const id = e.message.id;
    const redelivered = e.redelivered ? PagedFlag.Redelivered : 0;
    // The journal holds it for this queue already: dropping the reference is the page-out.
    if (e.persisted) return PagedFlag.Persisted | redelivered;
    const pager = this.host.pager;
    if (pager !== undefined) {
      try {
        if (pager.has(id)) pager.addRef(id);
        else pager.write(id, serializeMessage(e.message));
        return PagedFlag.Pager | redelivered;
      } catch (err) {
        this.host.log.warn({ queue: this.queueName, err }, 'paging a message out failed; it stays in memory');
      }
    }
    (this.held ??= new Map()).set(id, e.message);
    return PagedFlag.Held | redelivered;
  }

  pageIn(id: number, seq: number, expiresAt: number, flags: number, priority: number): Entry | undefined {
    let message: Message | undefined;
    if ((flags & PagedFlag.Held) !== 0) {
      message = this.held?.get(id);
      this.held?.delete(id);
    } else {
      const pager = this.host.pager;
      const record = (flags & PagedFlag.Pager) !== 0 ? pager?.read(id) : this.host.store.readMessage(id);
      try {
        // Store reads return immutable buffers of their own (docs/store.md "Reads"): share.
        if (record !== undefined) message = deserializeMessage(id as MessageId, record, true);
      } catch (err) {
        this.host.log.error({ queue: this.queueName, id, err }, 'unreadable message record skipped');
      }
      if ((flags & PagedFlag.Pager) !== 0) pager?.release(id);
    }
    if (message === undefined) {
      // The store logged why (damaged record); the message cannot be delivered.
      this.host.log.error({ queue: this.queueName, id }, 'paged message could not be read back; dropped');
      if ((flags & PagedFlag.Persisted) !== 0) this.host.store.dequeue(this.key, id);
      this.counters.discarded++;
      return undefined;
    }
    if ((flags & PagedFlag.Recovered) !== 0) {
      const ttl = this.host.parseExpiration(message.properties.expiration);
      if (ttl >= 0) {
        const at = this.recoveredAt + ttl;
        if (expiresAt === 0 || at < expiresAt) expiresAt = at;
      }
    }
    return {
      message,
      seq,
      redelivered: (flags & PagedFlag.Redelivered) !== 0,
      expiresAt,
      priority,
      persisted: (flags & PagedFlag.Persisted) !== 0,
      tag: 0,
      consumer: undefined,
      owner: undefined,
    };
  }

  dropPaged(id: number, flags: number): void {
    if ((flags & PagedFlag.Pager) !== 0) this.host.pager?.release(id);
    else if ((flags & PagedFlag.Held) !== 0) this.held?.delete(id);
  }
}
