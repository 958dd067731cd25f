/**
 * The paged part of one priority level of a queue (docs/store.md "Paging"): messages
 * whose bodies left memory, in queue order, as a few typed-array columns per entry
 * (id, sequence, expiry, size, flags: 29 bytes) instead of objects. Stored in chunks
 * of 2048 entries, so a queue of millions of messages never reallocates one huge
 * array, and drained chunks are freed as the head advances.
 */
import { Deque } from './deque.js';

const CHUNK = 2048;

/** Flags of a paged entry. */
export const enum PagedFlag {
  Redelivered = 1,
  /** The journal holds the record under this queue (persistent message, durable queue). */
  Persisted = 2,
  /** The page file holds the record (one reference per queue). */
  Pager = 4,
  /** No page store: the Message stays in the queue's side map (order is still kept). */
  Held = 8,
  /** Recovered after a restart: size is the record's, the message's own expiration is applied when read back. */
  Recovered = 16,
}

class Chunk {
  readonly ids = new Float64Array(CHUNK);
  readonly seqs = new Float64Array(CHUNK);
  readonly expires = new Float64Array(CHUNK);
  readonly sizes = new Uint32Array(CHUNK);
  readonly flags = new Uint8Array(CHUNK);
  head = 0;
  tail = 0;
}

export class PagedRun {
  private readonly chunks = new Deque<Chunk>();
  private spare: Chunk | undefined;
  length = 0;

  push(id: number, seq: number, expiresAt: number, size: number, flags: number): void {
    let c = this.chunks.peekLast();
    if (c === undefined || c.tail === CHUNK) {
      c = this.spare ?? new Chunk();
      this.spare = undefined;
      c.head = 0;
      c.tail = 0;
      this.chunks.push(c);
    }
    const i = c.tail++;
    c.ids[i] = id;
    c.seqs[i] = seq;
    c.expires[i] = expiresAt;
    c.sizes[i] = size;
    c.flags[i] = flags;
    this.length++;
  }

  private front(): Chunk {
    const c = this.chunks.peek();
    if (c === undefined) throw new Error('paged run is empty');
    return c;
  }

  get frontId(): number {
    const c = this.front();
    return c.ids[c.head]!;
  }
  get frontSeq(): number {
    const c = this.front();
    return c.seqs[c.head]!;
  }
  get frontExpires(): number {
    const c = this.front();
    return c.expires[c.head]!;
  }
  get frontSize(): number {
    const c = this.front();
    return c.sizes[c.head]!;
  }
  get frontFlags(): number {
    const c = this.front();
    return c.flags[c.head]!;
  }

  shift(): void {
    const c = this.front();
    c.head++;
    this.length--;
    if (c.head === c.tail) {
      this.chunks.shift();
      // Keep one drained chunk: a queue hovering around a chunk boundary allocates nothing.
      this.spare = c;
    }
  }

  forEach(fn: (id: number, flags: number) => void): void {
    for (const c of this.chunks) for (let i = c.head; i < c.tail; i++) fn(c.ids[i]!, c.flags[i]!);
  }

  clear(): void {
    this.chunks.clear();
    this.spare = undefined;
    this.length = 0;
  }
}
