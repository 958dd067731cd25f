/** queue.declare / bind / unbind / purge / delete (AMQP 0-9-1 §1.7). */
import type { AnyMethod, MethodOf } from '../../codecs/amqp091/index.js';
import type { Channel, MethodHandler } from './channel.js';
import { accessRefused, notFound } from './errors.js';
import { tableToCore } from './message-adapter.js';

export const DIRECT_REPLY_QUEUE = 'amq.rabbitmq.reply-to';

/** RabbitMQ expand_queue_name_shortcut: '' is the queue last declared on the channel. */
export function queueName(ch: Channel, name: string): string {
  if (name !== '') return name;
  if (ch.lastQueue === '') throw notFound('no previously declared queue');
  return ch.lastQueue;
}

function declare(ch: Channel, m: MethodOf<'queue.declare'>): void {
  if (m.queue === DIRECT_REPLY_QUEUE || m.queue.startsWith(`${DIRECT_REPLY_QUEUE}.`)) {
    // RabbitMQ answers declares of the pseudo-queue without creating anything, with
    // consumer_count 1; a reply address whose requester is gone is 404.
    if (m.queue !== DIRECT_REPLY_QUEUE && ch.conn.vhost.hasDirectReply?.(m.queue) === false) {
      throw notFound(`no queue '${m.queue}' in vhost '${ch.conn.vhost.name}'`);
    }
    if (!m.nowait) ch.conn.out().method(ch.id, 'queue.declare-ok', { queue: m.queue, messageCount: 0, consumerCount: 1 });
    return;
  }
  if (!m.passive && m.queue.startsWith('amq.')) {
    throw accessRefused(`queue name '${m.queue}' contains reserved prefix 'amq.*'`);
  }
  const name = m.passive ? queueName(ch, m.queue) : m.queue;
  const r = ch.conn.vhost.declareQueue(
    ch.conn.principal,
    name,
    { durable: m.durable, exclusive: m.exclusive, autoDelete: m.autoDelete, arguments: tableToCore(m.arguments) },
    m.passive,
  );
  ch.lastQueue = r.name;
  if (!m.nowait) ch.conn.out().method(ch.id, 'queue.declare-ok', { queue: r.name, messageCount: r.messageCount, consumerCount: r.consumerCount });
}

function bind(ch: Channel, m: MethodOf<'queue.bind'> | MethodOf<'queue.unbind'>): void {
  const queue = queueName(ch, m.queue);
  if (m.exchange === '') throw accessRefused('operation not permitted on the default exchange');
  // RabbitMQ expand_routing_key_shortcut: '' key with '' queue means the queue's name.
  const routingKey = m.queue === '' && m.routingKey === '' ? queue : m.routingKey;
  const spec = { source: m.exchange, destinationKind: 'queue' as const, destination: queue, routingKey, arguments: tableToCore(m.arguments) };
  if (m.name === 'queue.bind') {
    ch.conn.vhost.bind(ch.conn.principal, spec);
    if (!m.nowait) ch.conn.out().method(ch.id, 'queue.bind-ok', {});
  } else {
    ch.conn.vhost.unbind(ch.conn.principal, spec);
    ch.conn.out().method(ch.id, 'queue.unbind-ok', {});
  }
}

function purge(ch: Channel, m: MethodOf<'queue.purge'>): void {
  const n = ch.conn.vhost.purgeQueue(ch.conn.principal, queueName(ch, m.queue));
  if (!m.nowait) ch.conn.out().method(ch.id, 'queue.purge-ok', { messageCount: n });
}

function del(ch: Channel, m: MethodOf<'queue.delete'>): void {
  const n = ch.conn.vhost.deleteQueue(ch.conn.principal, queueName(ch, m.queue), m.ifUnused, m.ifEmpty);
  if (!m.nowait) ch.conn.out().method(ch.id, 'queue.delete-ok', { messageCount: n });
}

export const queueMethods: Record<string, MethodHandler> = {
  'queue.declare': (ch, m: AnyMethod) => declare(ch, m as MethodOf<'queue.declare'>),
  'queue.bind': (ch, m: AnyMethod) => bind(ch, m as MethodOf<'queue.bind'>),
  'queue.unbind': (ch, m: AnyMethod) => bind(ch, m as MethodOf<'queue.unbind'>),
  'queue.purge': (ch, m: AnyMethod) => purge(ch, m as MethodOf<'queue.purge'>),
  'queue.delete': (ch, m: AnyMethod) => del(ch, m as MethodOf<'queue.delete'>),
};
