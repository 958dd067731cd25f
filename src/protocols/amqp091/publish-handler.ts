/**
 * basic.publish (AMQP 0-9-1 §1.8.3.7) once its content is complete: RabbitMQ's
 * validations, direct reply-to rewriting, mandatory returns (basic.return 312
 * NO_ROUTE), confirms, and tx buffering.
 */
import type { BasicProperties, MethodOf } from '../../codecs/amqp091/index.js';
import type { PublishResult } from '../../core/api.js';
import type { MessageProperties } from '../../core/message.js';
import type { Channel } from './channel.js';
import { accessRefused, notFound, notImplemented, preconditionFailed } from './errors.js';
import { toCoreProperties } from './message-adapter.js';
import { DIRECT_REPLY_QUEUE } from './queue-handlers.js';

/** RabbitMQ ?MAX_EXPIRY_TIMER. */
const MAX_EXPIRY = 4294967295;

/** RabbitMQ rabbit_basic:parse_expiration: an integer of milliseconds, 0 <= n <= 2^32-1. */
export function checkExpiration(e: string): void {
  const m = /^([+-]?\d+)([\s\S]*)$/.exec(e);
  if (m === null) throw preconditionFailed(`invalid expiration '${e}': no_integer`);
  if (m[2] !== '') throw preconditionFailed(`invalid expiration '${e}': {leftover_string,"${m[2]}"}`);
  const n = Number(m[1]);
  if (n < 0) throw preconditionFailed(`invalid expiration '${e}': {value_negative,${n}}`);
  if (n > MAX_EXPIRY) throw preconditionFailed(`invalid expiration '${e}': {value_too_large,${n}}`);
}

/** A validated publish, held by tx until commit. */
export interface PendingPublish {
  readonly exchange: string;
  readonly routingKey: string;
  readonly mandatory: boolean;
  readonly properties: MessageProperties;
  readonly wire: BasicProperties;
  readonly body: Buffer;
}

export function publish(ch: Channel, m: MethodOf<'basic.publish'>, props: BasicProperties, body: Buffer): void {
  const conn = ch.conn;
  // RabbitMQ 3.x removed immediate delivery.
  if (m.immediate) throw notImplemented('immediate=true');
  if (props.expiration !== undefined) checkExpiration(props.expiration);
  const user = conn.user!.name;
  if (props.userId !== undefined && props.userId !== user) {
    throw preconditionFailed(`user_id property set to '${props.userId}' but authenticated user was '${user}'`);
  }
  let wire = props;
  if (props.replyTo === DIRECT_REPLY_QUEUE) {
    const reply = ch.directReply;
    if (reply === undefined) throw preconditionFailed('fast reply consumer does not exist');
    wire = { ...props, replyTo: reply.address };
  }
  const p: PendingPublish = { exchange: m.exchange, routingKey: m.routingKey, mandatory: m.mandatory, properties: toCoreProperties(wire), wire, body };
  if (ch.tx !== undefined) {
    // RabbitMQ looks the exchange up when the publish arrives; only routing waits for commit.
    const x = conn.vhost.getExchange(m.exchange);
    if (x === undefined) throw notFound(`no exchange '${m.exchange}' in vhost '${conn.vhost.name}'`);
    if (x.internal) throw accessRefused(`cannot publish to internal exchange '${m.exchange}' in vhost '${conn.vhost.name}'`);
    ch.tx.publishes.push(p);
  } else {
    const r = route(ch, p);
    ch.confirm?.record(r);
  }
  conn.afterPublish();
}

/** Hand the message to the core; basic.return when mandatory and no queue took it. */
export function route(ch: Channel, p: PendingPublish): PublishResult {
  const conn = ch.conn;
  const r = conn.vhost.publish(conn.principal, p.exchange, p.routingKey, p.properties, p.body, { mandatory: p.mandatory });
  if (p.mandatory && r.routed === 0 && !r.rejected) {
    conn.out().content(ch.id, 'basic.return', { replyCode: 312, replyText: 'NO_ROUTE', exchange: p.exchange, routingKey: p.routingKey }, p.wire, p.body);
  }
  return r;
}
