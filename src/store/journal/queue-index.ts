/**
 * One durable queue's live ids in enqueue order, with a delivered flag each, in typed
 * arrays: 9 bytes per entry (docs/store.md "Memory").
 *
 * Entries sit at increasing positions in chunks of ids (Float64) and states (0 =
 * removed, 1 = live, 3 = live and delivered). Removal only clears the state; a chunk
 * whose entries are all gone is dropped from the head, and when more than half of the
 * positions are stale the live entries are packed again.
 *
 * Finding an id's position without a Map per queue: a message's position in the first
 * queue that holds it (its "primary" queue, the only one for most messages) is kept in
 * the message table's slot; only for further queues holding the same message (fan-out)
 * does that queue keep id -> position in a Map of its own. Queue numbers are never
 * reused, so a stale primary number can never be mistaken for another queue's.
 */
import type { StoredMessageId } from '../api.js';
import type { MessageTable } from './message-table.js';

const CHUNK_BITS = 14;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
const LIVE = 1;
const DELIVERED = 2;
/** Positions are u32 in the message table: renumber long before they could overflow. */
const MAX_POSITION = 2 ** 31;

export class QueueIndex {
  private ids: Float64Array[] = [];
  private states: Uint8Array[] = [];
  /** Live entries per chunk (a chunk at the head with none is dropped). */
  private chunkLive: number[] = [];
  /** Position of ids[0][0]. */
  private base = 0;
  /** Next position to assign. */
  private end = 0;
  private live = 0;
  /** id -> position for messages whose primary queue is another one. */
  private readonly others = new Map<StoredMessageId, number>();

  constructor(
    private readonly table: MessageTable,
    /** This queue's number in the table's primary-queue column (unique, never reused). */
    readonly qno: number,
  ) {}

  get size(): number {
    return this.live;
  }

  has(id: StoredMessageId): boolean {
    return this.positionOf(id) >= 0;
  }

  /** False when the id is already in the queue (the store keeps each id once per queue) or unknown. */
  add(id: StoredMessageId, delivered = false): boolean {
    const slot = this.table.slotOf(id);
    if (slot === undefined || this.positionOf(id) >= 0) return false;
    if (this.end >= MAX_POSITION) this.pack();
    const pos = this.end++;
    const rel = pos - this.base;
    const c = rel >>> CHUNK_BITS;
    ensureRoom(this.ids, this.states, this.chunkLive, rel);
    this.ids[c]![rel & CHUNK_MASK] = id;
    this.states[c]![rel & CHUNK_MASK] = delivered ? LIVE | DELIVERED : LIVE;
    this.chunkLive[c]!++;
    this.live++;
    if (this.table.queueAt(slot) === 0) this.table.setPrimary(slot, this.qno, pos);
    else this.others.set(id, pos);
    return true;
  }

  remove(id: StoredMessageId): boolean {
    const pos = this.positionOf(id);
    if (pos < 0) return false;
    const rel = pos - this.base;
    const c = rel >>> CHUNK_BITS;
    this.states[c]![rel & CHUNK_MASK] = 0;
    this.chunkLive[c]!--;
    this.live--;
    const slot = this.table.slotOf(id)!;
    if (this.table.queueAt(slot) === this.qno) this.table.setPrimary(slot, 0, 0);
    else this.others.delete(id);
    this.trim();
    return true;
  }

  /** Returns true when the flag changed. */
  markDelivered(id: StoredMessageId): boolean {
    const pos = this.positionOf(id);
    if (pos < 0) return false;
    const rel = pos - this.base;
    const st = this.states[rel >>> CHUNK_BITS]!;
    const i = rel & CHUNK_MASK;
    if ((st[i]! & DELIVERED) !== 0) return false;
    st[i] = LIVE | DELIVERED;
    return true;
  }

  isDelivered(id: StoredMessageId): boolean {
    const pos = this.positionOf(id);
    if (pos < 0) return false;
    const rel = pos - this.base;
    return (this.states[rel >>> CHUNK_BITS]![rel & CHUNK_MASK]! & DELIVERED) !== 0;
  }

  /** Live ids in enqueue order. The callback must not modify this queue. */
  forEach(fn: (id: StoredMessageId, delivered: boolean) => void): void {
    const n = this.end - this.base;
    for (let c = 0; c * CHUNK < n; c++) {
      if (this.chunkLive[c] === 0) continue;
      const ids = this.ids[c]!;
      const st = this.states[c]!;
      const lim = Math.min(CHUNK, n - c * CHUNK);
      for (let i = 0; i < lim; i++) {
        const s = st[i]!;
        if (s !== 0) fn(ids[i]!, (s & DELIVERED) !== 0);
      }
    }
  }

  // ---- internals ----------------------------------------------------------------------

  /** Position of a live entry for id, or -1. */
  private positionOf(id: StoredMessageId): number {
    const slot = this.table.slotOf(id);
    if (slot === undefined) return -1;
    let pos: number;
    if (this.table.queueAt(slot) === this.qno) pos = this.table.posAt(slot);
    else {
      const p = this.others.get(id);
      if (p === undefined) return -1;
      pos = p;
    }
    const rel = pos - this.base;
    if (rel < 0 || pos >= this.end) return -1;
    return this.states[rel >>> CHUNK_BITS]![rel & CHUNK_MASK]! !== 0 ? pos : -1;
  }

  private trim(): void {
    if (this.live === 0) {
      // Empty: start over (no position is referenced any more).
      this.ids = [];
      this.states = [];
      this.chunkLive = [];
      this.base = 0;
      this.end = 0;
      return;
    }
    // Drop fully consumed chunks at the head (the common FIFO case), never the last one.
    while (this.chunkLive.length > 1 && this.chunkLive[0] === 0) {
      this.ids.shift();
      this.states.shift();
      this.chunkLive.shift();
      this.base += CHUNK;
    }
    const stale = this.end - this.base - this.live;
    if (stale > 4 * CHUNK && stale > this.live) this.pack();
  }

  /** Move the live entries to the front, renumbered from 0, and update where they are found. */
  private pack(): void {
    const ids: Float64Array[] = [];
    const states: Uint8Array[] = [];
    const chunkLive: number[] = [];
    let pos = 0;
    this.forEach((id, delivered) => {
      const c = pos >>> CHUNK_BITS;
      ensureRoom(ids, states, chunkLive, pos);
      ids[c]![pos & CHUNK_MASK] = id;
      states[c]![pos & CHUNK_MASK] = delivered ? LIVE | DELIVERED : LIVE;
      chunkLive[c]!++;
      const slot = this.table.slotOf(id)!;
      if (this.table.queueAt(slot) === this.qno) this.table.setPrimary(slot, this.qno, pos);
      else this.others.set(id, pos);
      pos++;
    });
    this.ids = ids;
    this.states = states;
    this.chunkLive = chunkLive;
    this.base = 0;
    this.end = pos;
  }
}

/** First chunk sizes: a queue of a few messages must not cost a full chunk (many small queues). */
const FIRST_CHUNK = 32;

/** Make position `rel` (relative to the first chunk) writable: a new chunk, or a bigger first chunk. */
function ensureRoom(ids: Float64Array[], states: Uint8Array[], chunkLive: number[], rel: number): void {
  const c = rel >>> CHUNK_BITS;
  if (c === ids.length) {
    // Only the first chunk starts small; later ones are full (the first is full by then).
    const size = c === 0 ? FIRST_CHUNK : CHUNK;
    ids.push(new Float64Array(size));
    states.push(new Uint8Array(size));
    chunkLive.push(0);
    return;
  }
  const i = rel & CHUNK_MASK;
  const cur = ids[c]!;
  if (i < cur.length) return;
  let size = cur.length * 2;
  while (size <= i) size *= 2;
  size = Math.min(size, CHUNK);
  const nextIds = new Float64Array(size);
  nextIds.set(cur);
  const nextStates = new Uint8Array(size);
  nextStates.set(states[c]!);
  ids[c] = nextIds;
  states[c] = nextStates;
}
