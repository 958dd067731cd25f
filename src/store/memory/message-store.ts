import type { MessageStore, QueueKey, RecoveredMessage, RecoveredState, StoredMessageId } from '../api.js';

/**
 * An in-memory MessageStore: for transient use and tests. It keeps its contents
 * after `close()`, so a new broker opened on the same instance "recovers" them,
 * which is how tests exercise recovery without a disk.
 */
export class MemoryMessageStore implements MessageStore {
  private readonly records = new Map<StoredMessageId, Buffer>();
  /** Per queue: id -> delivered flag, in enqueue order (Map keeps insertion order). */
  private readonly queues = new Map<QueueKey, Map<StoredMessageId, boolean>>();
  /** How many queues reference each record; the record goes at zero. */
  private readonly refs = new Map<StoredMessageId, number>();
  private lastId = 0;
  private opened = false;

  async open(): Promise<RecoveredState> {
    this.opened = true;
    const queues = new Map<QueueKey, RecoveredMessage[]>();
    for (const [q, ids] of this.queues) {
      const list: RecoveredMessage[] = [];
      for (const [id, delivered] of ids) {
        const record = this.records.get(id);
        if (record) list.push({ id, record, delivered });
      }
      queues.set(q, list);
    }
    return { lastMessageId: this.lastId, queues };
  }

  writeMessage(id: StoredMessageId, record: Buffer): void {
    this.records.set(id, record);
    if (id > this.lastId) this.lastId = id;
  }

  enqueue(queue: QueueKey, id: StoredMessageId): void {
    if (!this.records.has(id)) throw new Error(`enqueue of unwritten message ${id}`);
    let q = this.queues.get(queue);
    if (!q) this.queues.set(queue, (q = new Map()));
    if (q.has(id)) return;
    q.set(id, false);
    this.refs.set(id, (this.refs.get(id) ?? 0) + 1);
  }

  dequeue(queue: QueueKey, id: StoredMessageId): void {
    const q = this.queues.get(queue);
    if (!q || !q.delete(id)) return;
    if (q.size === 0) this.queues.delete(queue);
    this.unref(id);
  }

  markDelivered(queue: QueueKey, id: StoredMessageId): void {
    const q = this.queues.get(queue);
    if (q && q.has(id)) q.set(id, true);
  }

  dropQueue(queue: QueueKey): void {
    const q = this.queues.get(queue);
    if (!q) return;
    this.queues.delete(queue);
    for (const id of q.keys()) this.unref(id);
  }

  readMessage(id: StoredMessageId): Buffer | undefined {
    return this.records.get(id);
  }

  sync(done: (err?: Error) => void): void {
    // Nothing to flush; still asynchronous, as a real store's callback would be.
    setImmediate(done);
  }

  async close(): Promise<void> {
    this.opened = false;
  }

  /** For tests: is the store currently open, and what does it hold. */
  get isOpen(): boolean {
    return this.opened;
  }

  messageCount(queue: QueueKey): number {
    return this.queues.get(queue)?.size ?? 0;
  }

  get recordCount(): number {
    return this.records.size;
  }

  private unref(id: StoredMessageId): void {
    const n = (this.refs.get(id) ?? 1) - 1;
    if (n <= 0) {
      this.refs.delete(id);
      this.records.delete(id);
    } else this.refs.set(id, n);
  }
}
