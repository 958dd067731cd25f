import type { Logger } from './api.js';
import type { DeadLetterReason } from './dead-letter.js';
import type { MemoryBudget } from './memory-budget.js';
import type { Message } from './message.js';
import type { Queue } from './queue.js';
import type { MessageStore, PageStore } from '../store/api.js';

/** What a queue needs from its virtual host. */
export interface QueueHost {
  readonly vhostName: string;
  readonly store: MessageStore;
  /** Where transient bodies go when they leave memory; none = they stay (in a side map). */
  readonly pager: PageStore | undefined;
  /** The broker-wide budget for bodies held in memory by queues. */
  readonly budget: MemoryBudget;
  readonly log: Logger;
  /** Parse a message's expiration property (ms, -1 = none). */
  parseExpiration(expiration: string | undefined): number;
  /** Route a message that leaves `q` for `reason` through q's dead-letter exchange. */
  deadLetter(q: Queue, message: Message, reason: DeadLetterReason): void;
  /** Auto-delete or x-expires decided the queue must go. */
  deleteUnused(q: Queue): void;
  /** A sink threw; keep the queue consistent and report it. */
  sinkError(q: Queue, err: unknown): void;
}
