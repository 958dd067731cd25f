/**
 * basic.consume consumers as core ConsumerSinks. Credit (AMQP 0-9-1 basic.qos
 * prefetch-count with RabbitMQ's per_consumer_qos meaning) is checked here:
 * - the consumer's own limit (basic.qos global=false before basic.consume),
 * - the channel's shared limit (basic.qos global=true),
 * - socket backpressure (no credit while the stream waits for 'drain').
 * no-ack consumers are not limited by prefetch (RabbitMQ).
 */
import type { Consumer, ConsumerSink, Delivery } from '../../core/api.js';
import type { Channel } from './channel.js';

export class AmqpConsumer implements ConsumerSink {
  /** False until consume-ok is written, so no delivery precedes it. */
  active = false;
  handle: Consumer | undefined;
  /** Deliveries not yet acked by the client (ack mode only). */
  unacked = 0;

  constructor(
    readonly channel: Channel,
    readonly tag: string,
    readonly queue: string,
    readonly noAck: boolean,
    /** 0 = unlimited. */
    readonly prefetch: number,
  ) {}

  hasCredit(): boolean {
    if (!this.active) return false;
    const ch = this.channel;
    if (ch.conn.writeBlocked || !ch.isOpen) return false;
    if (this.noAck) return true;
    if (this.prefetch !== 0 && this.unacked >= this.prefetch) return false;
    return ch.prefetchGlobal === 0 || ch.unackedGlobal < ch.prefetchGlobal;
  }

  deliver(d: Delivery): void {
    this.channel.deliver(this, d);
  }

  cancelledByBroker(reason: string): void {
    this.channel.consumerCancelledByBroker(this, reason);
  }
}

/**
 * RabbitMQ direct reply-to: the requester's "consumer" of amq.rabbitmq.reply-to.
 * Replies are pushed without credit, as no-ack deliveries.
 */
export class DirectReplySink implements ConsumerSink {
  address = '';
  cancel: (() => void) | undefined;

  constructor(
    readonly channel: Channel,
    readonly tag: string,
  ) {}

  hasCredit(): boolean {
    return this.channel.isOpen;
  }

  deliver(d: Delivery): void {
    this.channel.deliverDirectReply(this, d);
  }

  cancelledByBroker(): void {
    this.channel.directReplyCancelled(this);
  }
}
