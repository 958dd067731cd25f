/**
 * The store's whole in-memory state: where each live message record is, each durable
 * queue's ids in order with their delivered flags, and per-segment live counts.
 * Live operation and recovery replay both go through these methods, so a replayed
 * journal rebuilds exactly the state the writes described.
 *
 * A message lives while at least one queue holds it (refs > 0). A message written but
 * never enqueued (refs 0, an "orphan") is kept until the second checkpoint after it,
 * in case its enqueue arrives in a later turn, and is dropped at recovery.
 */
import type { QueueKey, StoredMessageId } from '../api.js';
import { MessageTable } from './message-table.js';
import { QueueIndex } from './queue-index.js';
import type { SegmentSet } from './segment.js';

export class JournalIndex {
  readonly messages = new MessageTable();
  readonly queues = new Map<QueueKey, QueueIndex>();
  lastMessageId = 0;
  /** Queue numbers for the message table's primary-queue column; never reused. */
  private lastQueueNo = 0;

  constructor(
    private readonly segments: SegmentSet,
    /** A message stopped being live (drop it from caches). */
    private readonly onDead: (id: StoredMessageId) => void,
  ) {}

  /** Record (or move, for a compaction copy) a message's location. False if the segment is unknown. */
  putMessage(id: StoredMessageId, segment: number, offset: number, length: number): boolean {
    const seg = this.segments.get(segment);
    if (seg === undefined) return false;
    const old = this.messages.slotOf(id);
    if (old !== undefined) {
      const prev = this.segments.get(this.messages.segmentAt(old));
      if (prev !== undefined) {
        prev.liveCount--;
        prev.liveBytes -= this.messages.lengthAt(old);
      }
    }
    this.messages.put(id, segment, offset, length);
    seg.liveCount++;
    seg.liveBytes += length;
    if (id > this.lastMessageId) this.lastMessageId = id;
    return true;
  }

  /** False when the message is unknown or already in that queue. */
  enqueue(queue: QueueKey, id: StoredMessageId, delivered = false): boolean {
    const slot = this.messages.slotOf(id);
    if (slot === undefined) return false;
    let q = this.queues.get(queue);
    if (q === undefined) {
      q = new QueueIndex(this.messages, ++this.lastQueueNo);
      this.queues.set(queue, q);
    }
    if (!q.add(id, delivered)) return false;
    this.messages.addRef(slot, 1);
    return true;
  }

  dequeue(queue: QueueKey, id: StoredMessageId): boolean {
    const q = this.queues.get(queue);
    if (q === undefined || !q.remove(id)) return false;
    if (q.size === 0) this.queues.delete(queue);
    this.release(id);
    return true;
  }

  markDelivered(queue: QueueKey, id: StoredMessageId): boolean {
    return this.queues.get(queue)?.markDelivered(id) ?? false;
  }

  dropQueue(queue: QueueKey): boolean {
    const q = this.queues.get(queue);
    if (q === undefined) return false;
    this.queues.delete(queue);
    const table = this.messages;
    // The callback changes the message table, never the queue being iterated.
    q.forEach((id) => {
      const slot = table.slotOf(id);
      if (slot !== undefined && table.queueAt(slot) === q.qno) table.setPrimary(slot, 0, 0);
      this.release(id);
    });
    return true;
  }

  /** Forget a message entirely (orphan pruning, unreadable record). */
  forget(id: StoredMessageId): void {
    const slot = this.messages.slotOf(id);
    if (slot === undefined) return;
    const seg = this.segments.get(this.messages.segmentAt(slot));
    if (seg !== undefined) {
      seg.liveCount--;
      seg.liveBytes -= this.messages.lengthAt(slot);
    }
    this.messages.delete(id);
    this.onDead(id);
  }

  /** Ids written but held by no queue. */
  orphans(): StoredMessageId[] {
    const out: StoredMessageId[] = [];
    for (const [id, slot] of this.messages.entries()) if (this.messages.refsAt(slot) === 0) out.push(id);
    return out;
  }

  private release(id: StoredMessageId): void {
    const slot = this.messages.slotOf(id);
    if (slot === undefined) return;
    if (this.messages.addRef(slot, -1) <= 0) this.forget(id);
  }
}
