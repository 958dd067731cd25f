/**
 * basic.ack / nack / reject / recover / recover-async / get (AMQP 0-9-1 §1.8.3.8-§1.8.3.16,
 * basic.nack is RabbitMQ's extension). In tx mode settlements wait for tx.commit.
 */
import type { AnyMethod, MethodOf } from '../../codecs/amqp091/index.js';
import type { Settlement } from '../../core/api.js';
import type { Channel, MethodHandler } from './channel.js';
import { notImplemented } from './errors.js';
import { queueName } from './queue-handlers.js';

const ACK: Settlement = { kind: 'ack' };
const REQUEUE: Settlement = { kind: 'reject', requeue: true };
const DROP: Settlement = { kind: 'reject', requeue: false };

function settle(ch: Channel, tag: number, multiple: boolean, how: Settlement): void {
  if (ch.tx !== undefined) {
    ch.tx.settle(ch, tag, multiple, how);
    return;
  }
  ch.settle(ch.takeUnacked(tag, multiple), how);
}

function recover(ch: Channel, requeue: boolean, reply: boolean): void {
  // RabbitMQ: redelivering to the original consumer only (requeue=false) is not implemented.
  if (!requeue) throw notImplemented('requeue=false');
  ch.requeueAll();
  if (reply) ch.conn.out().method(ch.id, 'basic.recover-ok', {});
  ch.resumeConsumers();
}

function get(ch: Channel, m: MethodOf<'basic.get'>): void {
  const conn = ch.conn;
  const d = conn.vhost.get(conn.principal, queueName(ch, m.queue), m.noAck);
  if (d === undefined) {
    conn.out().method(ch.id, 'basic.get-empty', { clusterId: '' });
    return;
  }
  ch.deliverGet(d, m.noAck);
}

export const ackMethods: Record<string, MethodHandler> = {
  'basic.ack': (ch, m: AnyMethod) => {
    const a = m as MethodOf<'basic.ack'>;
    settle(ch, a.deliveryTag, a.multiple, ACK);
  },
  'basic.nack': (ch, m: AnyMethod) => {
    const n = m as MethodOf<'basic.nack'>;
    settle(ch, n.deliveryTag, n.multiple, n.requeue ? REQUEUE : DROP);
  },
  'basic.reject': (ch, m: AnyMethod) => {
    const r = m as MethodOf<'basic.reject'>;
    settle(ch, r.deliveryTag, false, r.requeue ? REQUEUE : DROP);
  },
  'basic.recover': (ch, m: AnyMethod) => recover(ch, (m as MethodOf<'basic.recover'>).requeue, true),
  'basic.recover-async': (ch, m: AnyMethod) => recover(ch, (m as MethodOf<'basic.recover-async'>).requeue, false),
  'basic.get': (ch, m: AnyMethod) => get(ch, m as MethodOf<'basic.get'>),
};
