/**
 * Temporary destinations of one connection.
 *
 * `/temp-queue/x` (RabbitMQ and ActiveMQ): a private queue named by the server
 * (exclusive to this connection, gone when it closes). Used in a SEND's `reply-to`
 * it is rewritten to `/reply-queue/<real name>` so any client can answer, and the
 * connection is subscribed to it with subscription id `/temp-queue/x` unless it
 * already subscribed itself (RabbitMQ's "Temp Queue Destinations").
 *
 * `/temp-topic/x` (ActiveMQ): a private routing key on amq.topic,
 * `amq.tmp.<connection token>.x`; in `reply-to` it becomes `/topic/<that key>`.
 */
import { randomBytes } from 'node:crypto';
import { destinationOf } from './destination.js';
import type { StompConnection } from './connection.js';

export class TempDestinations {
  /** temp name -> real queue name (created by the first temp queue). */
  private queues: Map<string, string> | undefined;
  /** real queue name -> temp name (to show `/temp-queue/x` in MESSAGE frames). */
  private byQueue: Map<string, string> | undefined;
  private topicPrefix: string | undefined;

  constructor(private readonly conn: StompConnection) {}

  /** The real queue behind `/temp-queue/<name>`, declared on first use. */
  queueFor(name: string): string {
    const known = this.queues?.get(name);
    if (known !== undefined) return known;
    const res = this.conn.vhost.declareQueue(
      this.conn.principal,
      '',
      { durable: false, exclusive: true, autoDelete: false, arguments: {} },
      false,
    );
    (this.queues ??= new Map()).set(name, res.name);
    (this.byQueue ??= new Map()).set(res.name, name);
    return res.name;
  }

  /** Routing key on amq.topic behind `/temp-topic/<name>`. */
  topicKey(name: string): string {
    this.topicPrefix ??= 'amq.tmp.' + randomBytes(9).toString('base64url').replace(/[-_]/g, 'x') + '.';
    return this.topicPrefix + name;
  }

  /** Destination header for a message routed with (exchange, routingKey). */
  displayDestination(exchange: string, routingKey: string): string {
    if (exchange === '' && this.byQueue !== undefined && this.byQueue.size > 0) {
      const t = this.byQueue.get(routingKey);
      if (t !== undefined) return '/temp-queue/' + t;
    } else if (exchange === 'amq.topic' && this.topicPrefix !== undefined && routingKey.startsWith(this.topicPrefix)) {
      return '/temp-topic/' + routingKey.slice(this.topicPrefix.length);
    }
    return destinationOf(exchange, routingKey);
  }
}
