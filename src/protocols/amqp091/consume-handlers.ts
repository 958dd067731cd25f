/** basic.qos / consume / cancel (AMQP 0-9-1 §1.8.3.1-§1.8.3.5) and RabbitMQ direct reply-to consumers. */
import { randomBytes } from 'node:crypto';
import type { AnyMethod, MethodOf } from '../../codecs/amqp091/index.js';
import { Decimal, Timestamp, type FieldTable, type FieldValue } from '../../core/message.js';
import type { Channel, MethodHandler } from './channel.js';
import { AmqpConsumer, DirectReplySink } from './consumer.js';
import { notAllowed, notImplemented, preconditionFailed } from './errors.js';
import { tableToCore } from './message-adapter.js';
import { DIRECT_REPLY_QUEUE, queueName } from './queue-handlers.js';

/** RabbitMQ-style server-generated consumer tag. */
const newConsumerTag = (): string => `amq.ctag-${randomBytes(16).toString('base64url')}`;

function qos(ch: Channel, m: MethodOf<'basic.qos'>): void {
  // RabbitMQ does not implement prefetch-size.
  if (m.prefetchSize !== 0) throw notImplemented(`prefetch_size!=0 (${m.prefetchSize})`);
  if (m.global) {
    ch.prefetchGlobal = m.prefetchCount;
    ch.resumeConsumers();
  } else {
    ch.prefetchPerConsumer = m.prefetchCount;
  }
  ch.conn.out().method(ch.id, 'basic.qos-ok', {});
}

/** RabbitMQ's name of a field type, as its error texts show it. */
function fieldTypeName(v: FieldValue): string {
  if (v === null) return 'void';
  switch (typeof v) {
    case 'string':
      return 'longstr';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(v) ? 'long' : 'double';
    case 'bigint':
      return 'long';
    default:
      break;
  }
  if (Buffer.isBuffer(v)) return 'binary';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Timestamp) return 'timestamp';
  if (v instanceof Decimal) return 'decimal';
  return 'table';
}

/** x-priority must be an integer (RabbitMQ consumer priorities; texts as RabbitMQ 3.10). */
function consumerPriority(ch: Channel, queue: string, args: FieldTable): number {
  const p = args['x-priority'];
  if (p === undefined) return 0;
  if (typeof p === 'bigint') return Number(p);
  if (typeof p !== 'number' || !Number.isInteger(p)) {
    throw preconditionFailed(`invalid arg 'x-priority' for queue '${queue}' in vhost '${ch.conn.vhost.name}': "expected integer, got ${fieldTypeName(p)}"`);
  }
  return p;
}

function consume(ch: Channel, m: MethodOf<'basic.consume'>): void {
  const conn = ch.conn;
  const tag = m.consumerTag === '' ? newConsumerTag() : m.consumerTag;
  if (ch.consumers.has(tag) || ch.directReply?.tag === tag) throw notAllowed(`attempt to reuse consumer tag '${tag}'`);
  if (m.queue === DIRECT_REPLY_QUEUE) {
    consumeDirectReply(ch, m, tag);
    return;
  }
  const queue = queueName(ch, m.queue);
  const max = conn.limits.maxConsumersPerChannel;
  if (max !== 0 && ch.consumers.size >= max) throw notAllowed(`reached maximum (${max}) of consumers per channel`);
  const args = tableToCore(m.arguments);
  const priority = consumerPriority(ch, queue, args);
  const c = new AmqpConsumer(ch, tag, queue, m.noAck, ch.prefetchPerConsumer);
  // The core may dispatch from inside consume(); c.active stays false until consume-ok is out.
  c.handle = conn.vhost.consume(conn.principal, queue, c, { tag, noAck: m.noAck, exclusive: m.exclusive, priority, arguments: args });
  ch.consumers.set(tag, c);
  if (!m.nowait) conn.out().method(ch.id, 'basic.consume-ok', { consumerTag: tag });
  c.active = true;
  c.handle.resume();
}

/** RabbitMQ direct reply-to: only one no-ack consumer per channel. */
function consumeDirectReply(ch: Channel, m: MethodOf<'basic.consume'>, tag: string): void {
  if (!m.noAck) throw preconditionFailed('reply consumer cannot acknowledge');
  if (ch.directReply !== undefined) throw preconditionFailed('reply consumer already set');
  const sink = new DirectReplySink(ch, tag);
  const reg = ch.conn.vhost.registerDirectReply(ch.conn.principal, sink);
  sink.address = reg.address;
  sink.cancel = () => reg.cancel();
  ch.directReply = sink;
  if (!m.nowait) ch.conn.out().method(ch.id, 'basic.consume-ok', { consumerTag: tag });
}

function cancel(ch: Channel, m: MethodOf<'basic.cancel'>): void {
  const c = ch.consumers.get(m.consumerTag);
  if (c !== undefined) {
    ch.consumers.delete(m.consumerTag);
    c.active = false;
    c.handle?.cancel();
  } else if (ch.directReply?.tag === m.consumerTag) {
    ch.directReply.cancel?.();
    ch.directReply = undefined;
  }
  // RabbitMQ answers cancel-ok for unknown tags too.
  if (!m.nowait) ch.conn.out().method(ch.id, 'basic.cancel-ok', { consumerTag: m.consumerTag });
}

export const consumeMethods: Record<string, MethodHandler> = {
  'basic.qos': (ch, m: AnyMethod) => qos(ch, m as MethodOf<'basic.qos'>),
  'basic.consume': (ch, m: AnyMethod) => consume(ch, m as MethodOf<'basic.consume'>),
  'basic.cancel': (ch, m: AnyMethod) => cancel(ch, m as MethodOf<'basic.cancel'>),
};
