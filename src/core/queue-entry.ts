import type { ConnectionId } from './api.js';
import type { ConsumerImpl } from './consumer.js';
import type { Message } from './message.js';

/** One message held by a queue, ready or delivered-unacked. */
export interface Entry {
  readonly message: Message;
  /** Enqueue order; requeue restores a message to its place by it. */
  readonly seq: number;
  redelivered: boolean;
  /** Epoch ms after which the message is dead; 0 = never. */
  readonly expiresAt: number;
  readonly priority: number;
  /** Written to the store under this queue's key. */
  readonly persisted: boolean;
  /** While unacked: the delivery tag, its consumer (none for basic.get) and connection. */
  tag: number;
  consumer: ConsumerImpl | undefined;
  owner: ConnectionId | undefined;
}
