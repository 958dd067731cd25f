/**
 * Storage interfaces (DESIGN §3). The store knows nothing of messages or protocols:
 * it keeps opaque message records keyed by id, per-queue ordered lists of ids, and a
 * small document of definitions. The core serialises messages (src/core/message-serde.ts)
 * and calls upward only through what it is given.
 *
 * Durability contract: every mutating call appends to the current batch and returns at
 * once; `sync(cb)` calls `cb` after every call made before it is on disk (fsync/fdatasync
 * in the default mode). Implementations group-commit: all calls of one event-loop turn
 * share one write and one fsync.
 */

/** Broker-wide message id as the store sees it. */
export type StoredMessageId = number;

/** A durable queue's stable key in the store: `${vhost}\u0000${queue}`. */
export type QueueKey = string;

export const queueKey = (vhost: string, queue: string): QueueKey => `${vhost}\u0000${queue}`;

export interface RecoveredMessage {
  readonly id: StoredMessageId;
  /** Serialized message (see core/message-serde.ts). */
  readonly record: Buffer;
  /** Delivered to a consumer before the stop and never acknowledged. */
  readonly delivered: boolean;
}

export interface RecoveredState {
  /** Highest id ever written; the core continues numbering after it. */
  readonly lastMessageId: StoredMessageId;
  /** Per durable queue, its messages in enqueue order. */
  readonly queues: ReadonlyMap<QueueKey, readonly RecoveredMessage[]>;
  /**
   * Optional streaming form of `queues` for queues larger than memory: visits one
   * queue's entries in order without an object per message. `size` is the stored
   * record's length in bytes (the body size is at most that). Bodies are read later
   * with `MessageStore.readMessage`.
   */
  forEachEntry?(queue: QueueKey, visit: (id: StoredMessageId, delivered: boolean, size: number) => void): void;
}

export interface MessageStore {
  /** Recover after start (or crash). Called once, before anything else. */
  open(): Promise<RecoveredState>;
  /** Write the message body+properties once, whatever the number of queues it goes to. */
  writeMessage(id: StoredMessageId, record: Buffer): void;
  /** Append id to a durable queue. The message must have been written. */
  enqueue(queue: QueueKey, id: StoredMessageId): void;
  /** Remove id from the queue (ack, expiry, drop, dead-letter move). */
  dequeue(queue: QueueKey, id: StoredMessageId): void;
  /** Optional: note a delivery so recovery can set the redelivered flag. */
  markDelivered(queue: QueueKey, id: StoredMessageId): void;
  /** The queue was deleted or purged: drop all of its entries. */
  dropQueue(queue: QueueKey): void;
  /** Read a message record back (bodies may have left memory). */
  readMessage(id: StoredMessageId): Buffer | undefined;
  /** Calls done once everything written before this call is durable. */
  sync(done: (err?: Error) => void): void;
  close(): Promise<void>;
}

/**
 * Where queues put the bodies of messages the journal does not hold (transient
 * messages, or any message of a transient queue) when they leave memory (DESIGN §3
 * "transient messages page to disk under a memory limit"). Not durable: its contents
 * are meaningless after a restart and implementations start empty. Reference counted
 * per id, because one message routed to several queues is paged once.
 */
export interface PageStore {
  /** Is a record with this id held already (then `addRef` instead of `write`)? */
  has(id: StoredMessageId): boolean;
  /** Page a record out, with one reference. */
  write(id: StoredMessageId, record: Buffer): void;
  /** One more holder of an already written record. */
  addRef(id: StoredMessageId): void;
  /** Read a record back (the reference stays). undefined when unknown or unreadable. */
  read(id: StoredMessageId): Buffer | undefined;
  /** Drop one reference; the space is reclaimed when none remain. */
  release(id: StoredMessageId): void;
  close(): Promise<void>;
}

/**
 * Definitions (vhosts, exchanges, queues, bindings, users, permissions), written
 * atomically as one JSON document shaped like RabbitMQ's definitions.json.
 */
export interface DefinitionStore {
  load(): Promise<Definitions | undefined>;
  /** Atomic replace (write temp, fsync, rename, fsync dir). */
  save(defs: Definitions): Promise<void>;
}

export interface Definitions {
  readonly version: 1;
  readonly users: ReadonlyArray<{ name: string; password_hash: string; hashing_algorithm: string; tags: string[] }>;
  readonly vhosts: ReadonlyArray<{ name: string }>;
  readonly permissions: ReadonlyArray<{ user: string; vhost: string; configure: string; write: string; read: string }>;
  readonly exchanges: ReadonlyArray<{ vhost: string; name: string; type: string; durable: boolean; auto_delete: boolean; internal: boolean; arguments: Record<string, unknown> }>;
  readonly queues: ReadonlyArray<{ vhost: string; name: string; durable: boolean; auto_delete: boolean; arguments: Record<string, unknown> }>;
  /** `filter` (a Wharf extension to RabbitMQ's shape): the binding's FilterSource (core/api.ts). */
  readonly bindings: ReadonlyArray<{ vhost: string; source: string; destination: string; destination_type: 'queue' | 'exchange'; routing_key: string; arguments: Record<string, unknown>; filter?: { language: string; expression: string } }>;
}
