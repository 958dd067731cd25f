/**
 * Where each live message record sits on disk, in typed arrays only, so that a store
 * holding millions of messages costs ~45 bytes per message and no object or Map entry
 * each (docs/store.md "Memory"):
 *
 * - id -> slot: an open-addressing hash (linear probing, backward-shift deletion) in a
 *   Float64Array of keys and an Int32Array of slots, at most 3/4 full: 16-32 bytes per
 *   message (a V8 Map costs ~45 and doubles its table in one allocation);
 * - per slot, in chunks of 65 536 (so growth never copies): id, segment, offset, length,
 *   reference count, and the message's position in its "primary" queue (the first queue
 *   that holds it; see queue-index.ts): 32 bytes.
 *
 * Slots are handed out in insertion order and not reused; when more than half of them
 * are dead the live ones are packed (renumbered in order). So iterating slots gives the
 * messages in insertion order, as a Map would, without a sort: checkpoints list them in
 * that order. Iteration (`forEach`, `entries`) must not run while the table is modified.
 */
import type { StoredMessageId } from '../api.js';

const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
const EMPTY = -1;
const MIN_CAPACITY = 1024;

class Columns {
  /** The slot's id, EMPTY when the slot is dead. */
  readonly id = new Float64Array(CHUNK);
  readonly seg = new Uint32Array(CHUNK);
  readonly off = new Uint32Array(CHUNK);
  readonly len = new Uint32Array(CHUNK);
  /** Number of durable queues holding the message. 0 = written but not (yet) enqueued. */
  readonly refs = new Uint32Array(CHUNK);
  /** Number of the primary queue (0 = none) and the message's position in it. */
  readonly queue = new Uint32Array(CHUNK);
  readonly pos = new Uint32Array(CHUNK);
}

/** Mixes an id (a safe integer) into 32 bits; ids are sequential, so mixing matters. */
function hashId(id: number): number {
  const lo = id >>> 0;
  const hi = (id / 4294967296) >>> 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 13)) >>> 0;
}

export class MessageTable {
  private keys = new Float64Array(MIN_CAPACITY).fill(EMPTY);
  private vals = new Int32Array(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private count = 0;
  private chunks: Columns[] = [];
  /** Slots handed out so far, and how many of them are dead. */
  private next = 0;
  private dead = 0;

  get size(): number {
    return this.count;
  }

  has(id: StoredMessageId): boolean {
    return this.find(id) >= 0;
  }

  /** Returns the slot; an existing id only gets its location moved (compaction copy). */
  put(id: StoredMessageId, segment: number, offset: number, length: number): number {
    let slot = this.slotOf(id);
    if (slot === undefined) {
      slot = this.grow();
      this.insert(id, slot);
      const c = this.chunks[slot >>> CHUNK_BITS]!;
      const i = slot & CHUNK_MASK;
      c.id[i] = id;
      c.refs[i] = 0;
      c.queue[i] = 0;
      c.pos[i] = 0;
    }
    const c = this.chunks[slot >>> CHUNK_BITS]!;
    const i = slot & CHUNK_MASK;
    c.seg[i] = segment;
    c.off[i] = offset;
    c.len[i] = length;
    return slot;
  }

  slotOf(id: StoredMessageId): number | undefined {
    const at = this.find(id);
    return at < 0 ? undefined : this.vals[at]!;
  }

  segmentAt(slot: number): number {
    return this.chunks[slot >>> CHUNK_BITS]!.seg[slot & CHUNK_MASK]!;
  }
  offsetAt(slot: number): number {
    return this.chunks[slot >>> CHUNK_BITS]!.off[slot & CHUNK_MASK]!;
  }
  lengthAt(slot: number): number {
    return this.chunks[slot >>> CHUNK_BITS]!.len[slot & CHUNK_MASK]!;
  }
  refsAt(slot: number): number {
    return this.chunks[slot >>> CHUNK_BITS]!.refs[slot & CHUNK_MASK]!;
  }
  addRef(slot: number, delta: number): number {
    const c = this.chunks[slot >>> CHUNK_BITS]!;
    const i = slot & CHUNK_MASK;
    const r = c.refs[i]! + delta;
    c.refs[i] = r < 0 ? 0 : r;
    return r;
  }

  /** The primary queue's number (0 = none) and the position in it (queue-index.ts). */
  queueAt(slot: number): number {
    return this.chunks[slot >>> CHUNK_BITS]!.queue[slot & CHUNK_MASK]!;
  }
  posAt(slot: number): number {
    return this.chunks[slot >>> CHUNK_BITS]!.pos[slot & CHUNK_MASK]!;
  }
  setPrimary(slot: number, queue: number, pos: number): void {
    const c = this.chunks[slot >>> CHUNK_BITS]!;
    const i = slot & CHUNK_MASK;
    c.queue[i] = queue;
    c.pos[i] = pos;
  }

  delete(id: StoredMessageId): void {
    const at = this.find(id);
    if (at < 0) return;
    const slot = this.vals[at]!;
    this.chunks[slot >>> CHUNK_BITS]!.id[slot & CHUNK_MASK] = EMPTY;
    this.dead++;
    this.removeAt(at);
    this.count--;
    if (this.count === 0) {
      // Empty: start the numbering over; keep one chunk of columns, drop the rest (a
      // queue whose consumer keeps up empties the table constantly, and a fresh chunk
      // is 2 MB to allocate).
      this.next = 0;
      this.dead = 0;
      if (this.chunks.length > 1) this.chunks.length = 1;
    } else if (this.dead > CHUNK && this.dead > this.count) {
      this.pack();
    }
    // Give memory back after a large queue drained (never below the minimum).
    if (this.count * 8 < this.keys.length && this.keys.length > 64 * MIN_CAPACITY) this.rehash(this.keys.length / 4);
  }

  /** Every (id, slot), in insertion order. */
  forEach(fn: (id: StoredMessageId, slot: number) => void): void {
    const n = this.next;
    for (let c = 0; c * CHUNK < n; c++) {
      const ids = this.chunks[c]!.id;
      const lim = Math.min(CHUNK, n - c * CHUNK);
      for (let i = 0; i < lim; i++) {
        const id = ids[i]!;
        if (id !== EMPTY) fn(id, (c << CHUNK_BITS) | i);
      }
    }
  }

  /** Iterate (id, slot) pairs in insertion order. */
  *entries(): IterableIterator<[StoredMessageId, number]> {
    const n = this.next;
    for (let c = 0; c * CHUNK < n; c++) {
      const ids = this.chunks[c]!.id;
      const lim = Math.min(CHUNK, n - c * CHUNK);
      for (let i = 0; i < lim; i++) {
        const id = ids[i]!;
        if (id !== EMPTY) yield [id, (c << CHUNK_BITS) | i];
      }
    }
  }

  /** Renumber the live slots from 0, in order, and point the hash at their new numbers. */
  private pack(): void {
    const old = this.chunks;
    const chunks: Columns[] = [];
    let j = 0;
    const n = this.next;
    for (let c = 0; c * CHUNK < n; c++) {
      const src = old[c]!;
      const lim = Math.min(CHUNK, n - c * CHUNK);
      for (let i = 0; i < lim; i++) {
        const id = src.id[i]!;
        if (id === EMPTY) continue;
        const jc = j >>> CHUNK_BITS;
        if (jc === chunks.length) chunks.push(new Columns());
        const dst = chunks[jc]!;
        const k = j & CHUNK_MASK;
        dst.id[k] = id;
        dst.seg[k] = src.seg[i]!;
        dst.off[k] = src.off[i]!;
        dst.len[k] = src.len[i]!;
        dst.refs[k] = src.refs[i]!;
        dst.queue[k] = src.queue[i]!;
        dst.pos[k] = src.pos[i]!;
        this.vals[this.find(id)] = j;
        j++;
      }
    }
    this.chunks = chunks;
    this.next = j;
    this.dead = 0;
  }

  // ---- hash --------------------------------------------------------------------------

  private find(id: number): number {
    const keys = this.keys;
    const mask = this.mask;
    for (let i = hashId(id) & mask; ; i = (i + 1) & mask) {
      const k = keys[i]!;
      if (k === id) return i;
      if (k === EMPTY) return -1;
    }
  }

  private insert(id: number, slot: number): void {
    if ((this.count + 1) * 4 > this.keys.length * 3) this.rehash(this.keys.length * 2);
    const keys = this.keys;
    const mask = this.mask;
    let i = hashId(id) & mask;
    while (keys[i] !== EMPTY) i = (i + 1) & mask;
    keys[i] = id;
    this.vals[i] = slot;
    this.count++;
  }

  /** Linear probing without tombstones: pull later members of the probe run back into the hole. */
  private removeAt(hole: number): void {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = hole;
    for (let j = (i + 1) & mask; keys[j] !== EMPTY; j = (j + 1) & mask) {
      const home = hashId(keys[j]!) & mask;
      // The entry at j may fill the hole at i if i lies on its probe path home..j.
      if (((j - home) & mask) >= ((j - i) & mask)) {
        keys[i] = keys[j]!;
        vals[i] = vals[j]!;
        i = j;
      }
    }
    keys[i] = EMPTY;
  }

  private rehash(capacity: number): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    let cap = MIN_CAPACITY;
    while (cap < capacity) cap *= 2;
    this.keys = new Float64Array(cap).fill(EMPTY);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
    const keys = this.keys;
    const mask = this.mask;
    for (let j = 0; j < oldKeys.length; j++) {
      const k = oldKeys[j]!;
      if (k === EMPTY) continue;
      let i = hashId(k) & mask;
      while (keys[i] !== EMPTY) i = (i + 1) & mask;
      keys[i] = k;
      this.vals[i] = oldVals[j]!;
    }
  }

  private grow(): number {
    const slot = this.next++;
    if (slot >>> CHUNK_BITS >= this.chunks.length) this.chunks.push(new Columns());
    return slot;
  }
}
