import { randomBytes } from 'node:crypto';
import type { ConnectionId, ConsumerSink, Logger, QueueDeliveryTag } from './api.js';
import type { Message } from './message.js';
import { DIRECT_REPLY_PREFIX, DIRECT_REPLY_TO } from './names.js';

interface Registration {
  readonly sink: ConsumerSink;
  readonly connectionId: ConnectionId;
  nextTag: number;
}

/**
 * RabbitMQ direct reply-to: a requester registers a sink and gets an address
 * `amq.rabbitmq.reply-to.<random>`; a reply published to the default exchange with
 * that routing key goes straight to the sink, with no queue and no credit (RabbitMQ
 * delivers replies in no-ack mode).
 */
export class DirectReplies {
  private readonly byAddress = new Map<string, Registration>();
  private readonly byConn = new Map<ConnectionId, Set<string>>();

  constructor(private readonly log: Logger) {}

  register(connectionId: ConnectionId, sink: ConsumerSink): { readonly address: string; cancel(): void } {
    const address = `${DIRECT_REPLY_PREFIX}${randomBytes(18).toString('base64url')}`;
    this.byAddress.set(address, { sink, connectionId, nextTag: 1 });
    let s = this.byConn.get(connectionId);
    if (!s) this.byConn.set(connectionId, (s = new Set()));
    s.add(address);
    return {
      address,
      cancel: () => {
        this.byAddress.delete(address);
        this.byConn.get(connectionId)?.delete(address);
      },
    };
  }

  /** Is a requester registered at this address? */
  has(address: string): boolean {
    return this.byAddress.has(address);
  }

  /** Deliver a reply; false when nobody is registered at that address (unroutable). */
  deliver(message: Message): boolean {
    const r = this.byAddress.get(message.routingKey);
    if (!r) return false;
    try {
      r.sink.deliver({ queue: DIRECT_REPLY_TO, tag: r.nextTag++ as QueueDeliveryTag, message, redelivered: false, remaining: 0 });
    } catch (err) {
      this.log.error({ err }, 'direct reply-to sink threw');
    }
    return true;
  }

  connectionClosed(connectionId: ConnectionId): void {
    const s = this.byConn.get(connectionId);
    this.byConn.delete(connectionId);
    if (s) for (const a of s) this.byAddress.delete(a);
  }

  clear(): void {
    this.byAddress.clear();
    this.byConn.clear();
  }
}
