/**
 * A small LRU of message records by id, bounded in bytes, so that the common case
 * (a message delivered right after it was published) never touches the disk.
 * Map insertion order is the recency order: a hit moves the entry to the end.
 */
import type { StoredMessageId } from '../api.js';

export class RecordCache {
  private readonly map = new Map<StoredMessageId, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.map.size;
  }

  get(id: StoredMessageId): Buffer | undefined {
    const b = this.map.get(id);
    if (b !== undefined) {
      this.map.delete(id);
      this.map.set(id, b);
    }
    return b;
  }

  set(id: StoredMessageId, record: Buffer): void {
    // One record may take at most an eighth of the cache, so a single large message
    // does not flush everything else out.
    if (record.length * 8 > this.maxBytes) return;
    const old = this.map.get(id);
    if (old !== undefined) {
      this.bytes -= old.length;
      this.map.delete(id);
    }
    this.map.set(id, record);
    this.bytes += record.length;
    while (this.bytes > this.maxBytes) {
      const first = this.map.keys().next();
      if (first.done === true) break;
      this.delete(first.value);
    }
  }

  delete(id: StoredMessageId): void {
    const b = this.map.get(id);
    if (b === undefined) return;
    this.bytes -= b.length;
    this.map.delete(id);
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }
}
