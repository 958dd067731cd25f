/**
 * ACK / NACK (STOMP 1.2 "ACK", "NACK"; STOMP 1.1 uses message-id + subscription,
 * 1.0 message-id only). The id is `<subscription number>-<sequence>` as sent in the
 * MESSAGE frame's `ack` (1.2) and `message-id` headers.
 *
 * NACK: requeue or dead-letter. A `requeue` header (RabbitMQ) decides; without it the
 * `nackRequeue` setting does (default true = RabbitMQ; false = ActiveMQ-like, the
 * message is dead-lettered via the queue's x-dead-letter-exchange or dropped).
 */
import type { StompFrame } from '../../../codecs/stomp/frame.js';
import type { StompConnection } from '../connection.js';
import { missingHeader, StompError } from '../errors.js';
import { bufferInTransaction } from './transaction.js';

const ACK_ID = /^([0-9]{1,9})-([0-9]{1,15})$/;

export function onAck(conn: StompConnection, f: StompFrame): void {
  const h = f.headers;
  const command = f.command;
  const idHeader = conn.version === '1.2' ? 'id' : 'message-id';
  // Accept the other version's header too: some clients send both or the "wrong" one.
  const id = h[idHeader] ?? h['id'] ?? h['message-id'];
  if (id === undefined) throw missingHeader(command, idHeader);
  if (conn.version === '1.1' && h['subscription'] === undefined) throw missingHeader(command, 'subscription');
  const tx = h['transaction'];
  if (tx !== undefined) {
    bufferInTransaction(conn, tx, { kind: 'ack', frame: f });
    conn.receipt(h['receipt']);
    return;
  }
  settle(conn, f);
  conn.receipt(h['receipt']);
}

export function settle(conn: StompConnection, f: StompFrame): void {
  const h = f.headers;
  const id = (conn.version === '1.2' ? h['id'] : h['message-id']) ?? h['id'] ?? h['message-id'] ?? '';
  const m = ACK_ID.exec(id);
  if (m === null) throw new StompError('Invalid ack id', `'${id}' is not a message id this server issued`);
  const sub = conn.subscriptionsByNum.get(Number(m[1]));
  if (sub === undefined || (h['subscription'] !== undefined && h['subscription'] !== sub.id && conn.version === '1.1')) {
    throw new StompError('Unknown subscription', `no active subscription for message id '${id}'`);
  }
  if (sub.ackMode === 'auto') throw new StompError('Invalid ack', `subscription '${sub.id}' uses ack:auto; nothing to ${f.command}`);
  const tags = sub.take(Number(m[2]));
  if (tags === undefined) throw new StompError('Invalid ack', `message id '${id}' is not awaiting acknowledgement`);
  if (f.command === 'ACK') {
    for (const tag of tags) conn.vhost.settle(sub.queue, tag, { kind: 'ack' });
  } else {
    const rq = h['requeue'];
    const requeue = rq === undefined ? conn.limits.nackRequeue : rq !== 'false';
    for (const tag of tags) conn.vhost.settle(sub.queue, tag, { kind: 'reject', requeue });
  }
  sub.consumer?.resume();
}
