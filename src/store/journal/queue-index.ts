/**
 * One durable queue's live ids in enqueue order, with a delivered flag each.
 *
 * Acks usually remove ids near the head, but any id may go at any time, so removal
 * only drops the id from `live`; the order array keeps a stale slot that a later
 * compaction (amortised O(1)) squeezes out. A slot is live only when `live` maps its
 * id to that very slot position, so an id that leaves and re-enters the queue is not
 * mistaken for its older, stale slot.
 */
import type { StoredMessageId } from '../api.js';

const DELIVERED = 1;

export class QueueIndex {
  private order: StoredMessageId[] = [];
  /** id -> position * 2 + delivered bit */
  private readonly live = new Map<StoredMessageId, number>();

  get size(): number {
    return this.live.size;
  }

  has(id: StoredMessageId): boolean {
    return this.live.has(id);
  }

  /** False when the id is already in the queue (the store keeps each id once per queue). */
  add(id: StoredMessageId, delivered = false): boolean {
    if (this.live.has(id)) return false;
    this.live.set(id, this.order.length * 2 + (delivered ? DELIVERED : 0));
    this.order.push(id);
    return true;
  }

  remove(id: StoredMessageId): boolean {
    if (!this.live.delete(id)) return false;
    const stale = this.order.length - this.live.size;
    if (stale > 1024 && stale > this.live.size) this.compact();
    return true;
  }

  /** Returns true when the flag changed. */
  markDelivered(id: StoredMessageId): boolean {
    const v = this.live.get(id);
    if (v === undefined || (v & DELIVERED) !== 0) return false;
    this.live.set(id, v | DELIVERED);
    return true;
  }

  isDelivered(id: StoredMessageId): boolean {
    return ((this.live.get(id) ?? 0) & DELIVERED) !== 0;
  }

  /** Live ids in enqueue order. */
  forEach(fn: (id: StoredMessageId, delivered: boolean) => void): void {
    const order = this.order;
    for (let i = 0; i < order.length; i++) {
      const id = order[i]!;
      const v = this.live.get(id);
      if (v !== undefined && v >>> 1 === i) fn(id, (v & DELIVERED) !== 0);
    }
  }

  private compact(): void {
    const next: StoredMessageId[] = [];
    this.forEach((id, delivered) => {
      this.live.set(id, next.length * 2 + (delivered ? DELIVERED : 0));
      next.push(id);
    });
    this.order = next;
  }
}
