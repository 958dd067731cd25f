/**
 * A small cache of recent message records by id, bounded in bytes, so that the common
 * case (a message delivered right after it was published) never touches the disk.
 *
 * Eviction is FIFO by first insertion, kept in a plain array of ids with a moving head.
 * (An LRU on Map insertion order, evicting with `map.keys().next()`, looks simpler but is
 * quadratic in V8: the iterator walks over every deleted slot at the front of the hash
 * table, which made a 16 MiB cache of small records cost tens of microseconds per
 * insert.) Ids whose entry was deleted leave stale slots in the order array; they are
 * skipped on eviction and squeezed out when they outnumber the live entries.
 */
import type { StoredMessageId } from '../api.js';

export class RecordCache {
  private readonly map = new Map<StoredMessageId, Buffer>();
  private order: StoredMessageId[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.map.size;
  }

  get(id: StoredMessageId): Buffer | undefined {
    return this.map.get(id);
  }

  set(id: StoredMessageId, record: Buffer): void {
    // One record may take at most an eighth of the cache, so a single large message
    // does not flush everything else out.
    if (record.length * 8 > this.maxBytes) return;
    const old = this.map.get(id);
    if (old !== undefined) this.bytes -= old.length;
    else this.order.push(id);
    this.map.set(id, record);
    this.bytes += record.length;
    while (this.bytes > this.maxBytes && this.head < this.order.length) {
      const victim = this.order[this.head++]!;
      const b = this.map.get(victim);
      if (b !== undefined) {
        this.map.delete(victim);
        this.bytes -= b.length;
      }
    }
    this.tidy();
  }

  delete(id: StoredMessageId): void {
    const b = this.map.get(id);
    if (b === undefined) return;
    this.bytes -= b.length;
    this.map.delete(id);
    this.tidy();
  }

  clear(): void {
    this.map.clear();
    this.order = [];
    this.head = 0;
    this.bytes = 0;
  }

  /** Keep the order array within a constant factor of the live entries (amortised O(1)). */
  private tidy(): void {
    const slots = this.order.length - this.head;
    if (slots > 4096 && slots > 2 * this.map.size) {
      const next: StoredMessageId[] = [];
      for (let i = this.head; i < this.order.length; i++) {
        const id = this.order[i]!;
        if (this.map.has(id)) next.push(id);
      }
      this.order = next;
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}
