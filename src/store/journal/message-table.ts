/**
 * Where each live message record sits on disk, in a slab of typed arrays so that a
 * store holding millions of messages costs one Map entry plus 16 bytes per message
 * rather than one object each (docs/store.md "Memory").
 */
import type { StoredMessageId } from '../api.js';

export class MessageTable {
  private readonly slots = new Map<StoredMessageId, number>();
  private seg = new Uint32Array(1024);
  private off = new Uint32Array(1024);
  private len = new Uint32Array(1024);
  /** Number of durable queues holding the message. 0 = written but not (yet) enqueued. */
  private refs = new Uint32Array(1024);
  private readonly free: number[] = [];
  private next = 0;

  get size(): number {
    return this.slots.size;
  }

  has(id: StoredMessageId): boolean {
    return this.slots.has(id);
  }

  /** Returns the slot; an existing id only gets its location moved (compaction copy). */
  put(id: StoredMessageId, segment: number, offset: number, length: number): number {
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.free.length > 0 ? this.free.pop()! : this.grow();
      this.slots.set(id, slot);
      this.refs[slot] = 0;
    }
    this.seg[slot] = segment;
    this.off[slot] = offset;
    this.len[slot] = length;
    return slot;
  }

  slotOf(id: StoredMessageId): number | undefined {
    return this.slots.get(id);
  }

  segmentAt(slot: number): number {
    return this.seg[slot]!;
  }
  offsetAt(slot: number): number {
    return this.off[slot]!;
  }
  lengthAt(slot: number): number {
    return this.len[slot]!;
  }
  refsAt(slot: number): number {
    return this.refs[slot]!;
  }
  addRef(slot: number, delta: number): number {
    const r = this.refs[slot]! + delta;
    this.refs[slot] = r;
    return r;
  }

  delete(id: StoredMessageId): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    this.slots.delete(id);
    this.free.push(slot);
  }

  /** Iterate (id, slot) pairs; callers must not mutate the table while iterating. */
  entries(): IterableIterator<[StoredMessageId, number]> {
    return this.slots.entries();
  }

  private grow(): number {
    const slot = this.next++;
    if (slot >= this.seg.length) {
      const n = this.seg.length * 2;
      this.seg = copyInto(new Uint32Array(n), this.seg);
      this.off = copyInto(new Uint32Array(n), this.off);
      this.len = copyInto(new Uint32Array(n), this.len);
      this.refs = copyInto(new Uint32Array(n), this.refs);
    }
    return slot;
  }
}

function copyInto(dst: Uint32Array<ArrayBuffer>, src: Uint32Array): Uint32Array<ArrayBuffer> {
  dst.set(src);
  return dst;
}
