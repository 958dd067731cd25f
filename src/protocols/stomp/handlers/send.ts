/**
 * SEND (STOMP 1.2 "SEND"): resolve the destination, map headers to properties,
 * publish through the core. A receipt for a message the store must make durable is
 * sent only after Broker.afterSync (DESIGN §3: a confirmed message is on disk).
 */
import type { StompFrame, StompHeaders } from '../../../codecs/stomp/frame.js';
import type { StompConnection } from '../connection.js';
import { missingHeader, StompError } from '../errors.js';
import { parseDestination } from '../destination.js';
import { propertiesFromSend } from '../message-adapter.js';
import { namedQueueOptions } from '../queue-options.js';
import { autoSubscribeTempQueue } from './subscribe.js';
import { bufferInTransaction } from './transaction.js';

export function onSend(conn: StompConnection, f: StompFrame): void {
  if (f.headers['destination'] === undefined) throw missingHeader('SEND', 'destination');
  const tx = f.headers['transaction'];
  if (tx !== undefined) {
    bufferInTransaction(conn, tx, { kind: 'send', frame: f });
    conn.receipt(f.headers['receipt']);
    return;
  }
  const needsSync = publish(conn, f);
  const receipt = f.headers['receipt'];
  if (needsSync) conn.receiptAfterSync(receipt);
  else conn.receipt(receipt);
  conn.blockIfAlarm();
}

/** `/queue/x` names a queue declared on first use, durable unless headers say otherwise. */
export function ensureNamedQueue(conn: StompConnection, name: string, headers: StompHeaders): void {
  if (conn.vhost.getQueue(name) !== undefined) return;
  conn.vhost.declareQueue(conn.principal, name, namedQueueOptions(headers), false);
}

/** Publish one SEND frame. Returns whether its receipt must wait for the store. */
export function publish(conn: StompConnection, f: StompFrame): boolean {
  const h = f.headers;
  const d = parseDestination(h['destination']!);
  let exchange: string;
  let key: string;
  switch (d.kind) {
    case 'queue':
      ensureNamedQueue(conn, d.name, h);
      exchange = '';
      key = d.name;
      break;
    case 'topic':
      exchange = 'amq.topic';
      key = d.key;
      break;
    case 'exchange':
      exchange = d.exchange;
      key = d.key;
      break;
    case 'amq-queue':
    case 'reply-queue':
      exchange = '';
      key = d.name;
      break;
    case 'temp-queue':
      exchange = '';
      key = conn.temp.queueFor(d.name);
      break;
    case 'temp-topic':
      exchange = 'amq.topic';
      key = conn.temp.topicKey(d.name);
      break;
  }
  const props = propertiesFromSend(h, rewriteReplyTo(conn, h['reply-to']), Date.now());
  const res = conn.vhost.publish(conn.principal, exchange, key, props, f.body, { mandatory: false });
  if (res.rejected && h['receipt'] !== undefined) {
    // A receipt confirms the message; a queue refused it (x-overflow reject-publish).
    throw new StompError('Message rejected', `a queue bound to ${h['destination']} refused the message (overflow)`);
  }
  return res.needsSync;
}

/**
 * reply-to (RabbitMQ "Using reply-to"): `/temp-queue/x` is stored as the name of the
 * real private queue (this connection is subscribed to it), so an AMQP 0-9-1 responder
 * can publish to the default exchange with routing key = reply_to, as RabbitMQ does;
 * STOMP consumers see it as `/reply-queue/<queue>` (message-adapter.ts). `/temp-topic/x`
 * becomes `/topic/<private key>`. Anything else passes unchanged.
 */
function rewriteReplyTo(conn: StompConnection, replyTo: string | undefined): string | undefined {
  if (replyTo === undefined) return undefined;
  if (replyTo.startsWith('/temp-queue/') && replyTo.length > '/temp-queue/'.length) {
    const name = replyTo.slice('/temp-queue/'.length);
    const queue = conn.temp.queueFor(name);
    autoSubscribeTempQueue(conn, replyTo, queue);
    return queue;
  }
  if (replyTo.startsWith('/temp-topic/') && replyTo.length > '/temp-topic/'.length) {
    return '/topic/' + conn.temp.topicKey(replyTo.slice('/temp-topic/'.length));
  }
  return replyTo;
}
