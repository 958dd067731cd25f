/**
 * One STOMP subscription: a core consumer on one queue plus the bookkeeping for
 * its unacknowledged deliveries. Ack ids are `<subscription number>-<sequence>`,
 * unique per connection; `unacked` keeps them in delivery order (a Map iterates in
 * insertion order), which makes `client` mode's cumulative ACK a walk from the front
 * (STOMP 1.2 "SUBSCRIBE ack Header").
 */
import type { BindingSpec, Consumer, ConsumerSink, Delivery, QueueDeliveryTag } from '../../core/api.js';

export type AckMode = 'auto' | 'client' | 'client-individual';

export interface SubscriptionOwner {
  /** The socket can take more (no backpressure) and the connection is open. */
  canWrite(): boolean;
  deliver(sub: Subscription, d: Delivery): void;
  subscriptionCancelled(sub: Subscription, reason: string): void;
}

/** What UNSUBSCRIBE / close must undo besides cancelling the consumer. */
export interface SubscriptionCleanup {
  /** Delete this queue when the subscription ends (non-durable topic/exchange subscriptions). */
  readonly deleteQueue: boolean;
  /** Durable subscription (kept on plain UNSUBSCRIBE and on disconnect). */
  readonly durable: boolean;
  readonly binding?: BindingSpec;
}

export class Subscription implements ConsumerSink {
  consumer: Consumer | undefined;
  /** seq -> queue delivery tag, in delivery order. Empty for ack:auto. */
  readonly unacked = new Map<number, QueueDeliveryTag>();
  closed = false;

  constructor(
    private readonly owner: SubscriptionOwner,
    /** The client's `id` header (or the destination for STOMP 1.0 without id). */
    readonly id: string,
    /** Connection-local number, the first part of ack ids. */
    readonly num: number,
    readonly destination: string,
    readonly queue: string,
    readonly ackMode: AckMode,
    /** Most unacked deliveries outstanding; 0 = unlimited. */
    readonly prefetch: number,
    readonly cleanup: SubscriptionCleanup,
  ) {}

  hasCredit(): boolean {
    if (this.closed || !this.owner.canWrite()) return false;
    return this.ackMode === 'auto' || this.prefetch === 0 || this.unacked.size < this.prefetch;
  }

  deliver(d: Delivery): void {
    this.owner.deliver(this, d);
  }

  cancelledByBroker(reason: string): void {
    if (this.closed) return;
    this.owner.subscriptionCancelled(this, reason);
  }

  /**
   * Remove and return the tags an ACK/NACK of `seq` settles: just that one, or in
   * `client` mode it and every earlier unacked delivery. Undefined when `seq` is not
   * outstanding.
   */
  take(seq: number): QueueDeliveryTag[] | undefined {
    const tag = this.unacked.get(seq);
    if (tag === undefined) return undefined;
    if (this.ackMode !== 'client') {
      this.unacked.delete(seq);
      return [tag];
    }
    const tags: QueueDeliveryTag[] = [];
    for (const [s, t] of this.unacked) {
      if (s > seq) break;
      tags.push(t);
      this.unacked.delete(s);
    }
    return tags;
  }

  /** All outstanding tags, in delivery order, emptied (for requeue on unsubscribe/close). */
  takeAll(): QueueDeliveryTag[] {
    const tags = [...this.unacked.values()];
    this.unacked.clear();
    return tags;
  }
}
