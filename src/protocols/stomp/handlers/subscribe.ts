/**
 * SUBSCRIBE / UNSUBSCRIBE (STOMP 1.2 "SUBSCRIBE", "UNSUBSCRIBE") onto core queues:
 *
 *   /queue/x        consume queue x (declared durable on first use)
 *   /amq/queue/q    consume existing queue q
 *   /topic/k, /exchange/e/k, /temp-topic/k
 *                   a queue of the subscription's own, bound to the exchange with k:
 *                   exclusive and deleted with the subscription, or durable when asked
 *                   (ActiveMQ `activemq.subscriptionName` with CONNECT `client-id`, or
 *                   RabbitMQ `durable:true` + `auto-delete:false`)
 *   /temp-queue/x   this connection's private queue
 */
import { createHash } from 'node:crypto';
import type { BindingSpec, FilterSource, MessageFilter } from '../../../core/api.js';
import type { StompFrame, StompHeaders } from '../../../codecs/stomp/frame.js';
import type { StompConnection } from '../connection.js';
import { missingHeader, StompError } from '../errors.js';
import { parseDestination } from '../destination.js';
import { booleanHeader, queueArguments } from '../queue-options.js';
import { Subscription } from '../subscription.js';
import type { AckMode, SubscriptionCleanup } from '../subscription.js';
import { compileSelector, JMS_SELECTOR } from '../selector/compile.js';
import { ensureNamedQueue } from './send.js';
import { joinGroup, leaveGroup } from '../exclusive-consumers.js';

const ACK_MODES: ReadonlyMap<string, AckMode> = new Map<string, AckMode>([
  ['auto', 'auto'],
  ['client', 'client'],
  ['client-individual', 'client-individual'],
]);

function integerHeader(h: StompHeaders, name: string): number | undefined {
  const v = h[name];
  if (v === undefined) return undefined;
  if (!/^-?[0-9]{1,9}$/.test(v)) throw new StompError('Invalid header', `header ${name} must be an integer, got '${v}'`);
  return Number(v);
}

interface Target {
  readonly queue: string;
  readonly cleanup: SubscriptionCleanup;
  /** Filter applied by the consumer (queues) rather than the binding. */
  readonly consumerFilter?: MessageFilter | undefined;
  /** A queue other subscriptions may share: ActiveMQ exclusive-consumer arbitration applies. */
  readonly shared?: boolean;
}

export function onSubscribe(conn: StompConnection, f: StompFrame): void {
  const h = f.headers;
  const destination = h['destination'];
  if (destination === undefined) throw missingHeader('SUBSCRIBE', 'destination');
  let id = h['id'];
  if (id === undefined) {
    // STOMP 1.1+: id is required. 1.0: optional; the destination stands in (as RabbitMQ does).
    if (conn.version !== '1.0') throw missingHeader('SUBSCRIBE', 'id');
    id = destination;
  }
  if (conn.subscriptions.has(id)) throw new StompError('Duplicated subscription identifier', `subscription id '${id}' is already in use on this connection`);
  if (conn.subscriptions.size >= conn.limits.maxSubscriptions) {
    throw new StompError('Too many subscriptions', `at most ${conn.limits.maxSubscriptions} subscriptions per connection`);
  }
  const ackMode = ACK_MODES.get(h['ack'] ?? 'auto');
  if (ackMode === undefined) throw new StompError('Invalid ack mode', `ack must be auto, client or client-individual, got '${h['ack']}'`);
  // ActiveMQ activemq.prefetchSize / RabbitMQ prefetch-count; 0 = unlimited.
  const prefetch = integerHeader(h, 'activemq.prefetchSize') ?? integerHeader(h, 'prefetch-count') ?? conn.limits.defaultPrefetch;
  if (prefetch < 0) throw new StompError('Invalid header', 'prefetch must not be negative');
  const priority = integerHeader(h, 'x-priority') ?? integerHeader(h, 'activemq.priority') ?? 0;
  const exclusive = booleanHeader(h, 'activemq.exclusive', false);
  const selectorText = h['selector'];
  const selector: Selector | undefined =
    selectorText !== undefined && selectorText.trim() !== '' ? { filter: compileSelector(selectorText), filterSource: { language: JMS_SELECTOR, expression: selectorText } } : undefined;

  const target = resolveTarget(conn, destination, id, h, selector);
  const num = conn.nextSubscriptionNum++;
  const sub = new Subscription(conn, id, num, destination, target.queue, ackMode, prefetch, target.cleanup);
  conn.subscriptions.set(id, sub);
  conn.subscriptionsByNum.set(num, sub);
  try {
    const options = {
      tag: 'T_' + id,
      noAck: ackMode === 'auto',
      // On shared queues exclusivity is ActiveMQ's (exclusive-consumers.ts), not the core's.
      exclusive: target.shared === true ? false : exclusive,
      priority,
      filter: target.consumerFilter,
      arguments: {},
    };
    if (target.shared === true) {
      joinGroup(conn.vhost, {
        sub,
        exclusive,
        principal: conn.principal,
        options,
        failed: (reason) => conn.subscriptionCancelled(sub, reason),
      });
    } else {
      sub.consumer = conn.vhost.consume(conn.principal, target.queue, sub, options);
    }
  } catch (e) {
    conn.subscriptions.delete(id);
    conn.subscriptionsByNum.delete(num);
    if (target.cleanup.deleteQueue) dropQueue(conn, target.queue);
    throw e;
  }
  conn.receipt(h['receipt']);
}

/** A selector: the compiled filter and the text it came from (kept with a durable binding). */
type Selector = { readonly filter: MessageFilter; readonly filterSource: FilterSource };

function resolveTarget(conn: StompConnection, destination: string, id: string, h: StompHeaders, selector: Selector | undefined): Target {
  const filter = selector?.filter;
  const d = parseDestination(destination);
  const shared: SubscriptionCleanup = { deleteQueue: false, durable: false };
  switch (d.kind) {
    case 'queue': {
      ensureNamedQueue(conn, d.name, h);
      return { queue: d.name, cleanup: shared, consumerFilter: filter, shared: true };
    }
    case 'amq-queue':
    case 'reply-queue':
      if (conn.vhost.getQueue(d.name) === undefined) throw new StompError('not_found', `NOT_FOUND - no queue '${d.name}' in vhost '${conn.vhost.name}'`);
      return { queue: d.name, cleanup: shared, consumerFilter: filter, shared: true };
    case 'temp-queue':
      return { queue: conn.temp.queueFor(d.name), cleanup: shared, consumerFilter: filter };
    case 'topic':
      return bindOwnQueue(conn, 'amq.topic', d.key, destination, id, h, selector);
    case 'temp-topic':
      return bindOwnQueue(conn, 'amq.topic', conn.temp.topicKey(d.name), destination, id, h, selector);
    case 'exchange':
      if (conn.vhost.getExchange(d.exchange) === undefined) {
        throw new StompError('not_found', `NOT_FOUND - no exchange '${d.exchange}' in vhost '${conn.vhost.name}'`);
      }
      return bindOwnQueue(conn, d.exchange, d.key, destination, id, h, selector);
  }
}

/** Deterministic durable-subscription queue name from (destination, id) when none is given. */
function durableQueueName(destination: string, id: string): string {
  return 'stomp-subscription-' + createHash('sha256').update(destination).update('\0').update(id).digest('base64url').slice(0, 22);
}

function bindOwnQueue(
  conn: StompConnection,
  exchange: string,
  key: string,
  destination: string,
  id: string,
  h: StompHeaders,
  selector: Selector | undefined,
): Target {
  const vhost = conn.vhost;
  const amqName = h['activemq.subscriptionName'] ?? h['durable-subscription-name'];
  // RabbitMQ "Durable Topic Subscriptions": durable:true (alias persistent:true); the
  // backing queue is auto-delete unless auto-delete:false, so only that pair survives a
  // disconnect.
  const rabbitDurable = booleanHeader(h, 'durable', booleanHeader(h, 'persistent', false));
  let queue: string;
  let durable = false;
  let autoDelete = false;
  if (amqName !== undefined) {
    // ActiveMQ durable topic subscription: identified by (client-id, subscription name),
    // queue `<client-id>.<name>` (the deterministic form Artemis documents too).
    const clientId = conn.clientId;
    if (clientId === undefined) throw new StompError('Invalid durable subscription', 'a durable subscription needs a client-id header on CONNECT');
    queue = `${clientId}.${amqName}`;
    durable = true;
  } else if (rabbitDurable) {
    queue = h['x-queue-name'] ?? durableQueueName(destination, id);
    durable = true;
    autoDelete = booleanHeader(h, 'auto-delete', true);
  } else {
    queue = h['x-queue-name'] ?? '';
  }
  if (durable) {
    if (vhost.getQueue(queue) === undefined) {
      vhost.declareQueue(conn.principal, queue, { durable: true, exclusive: false, autoDelete, arguments: queueArguments(h) }, false);
    } else if (amqName !== undefined) {
      replaceChangedSubscription(conn, queue, exchange, key, selector?.filterSource.expression);
    }
  } else {
    queue = vhost.declareQueue(conn.principal, queue, { durable: false, exclusive: true, autoDelete: true, arguments: queueArguments(h) }, false).name;
  }
  const binding: BindingSpec = {
    source: exchange,
    destinationKind: 'queue',
    destination: queue,
    routingKey: key,
    arguments: {},
    // The selector's text goes with the filter: a durable binding keeps it across restarts.
    ...(selector !== undefined ? selector : {}),
  };
  try {
    vhost.bind(conn.principal, binding);
  } catch (e) {
    if (!durable) dropQueue(conn, queue);
    throw e;
  }
  return { queue, cleanup: { deleteQueue: !durable, durable, binding } };
}

/**
 * JMS durable subscription semantics (ActiveMQ 5.17 checked for the topic): subscribing
 * again under the same client-id and name but to another topic replaces the subscription;
 * the messages kept for the old topic are discarded and the old topic no longer feeds it.
 * JMS 1.1 §6.11.1 says the same of another message selector ("equivalent to unsubscribing
 * the old one and creating a new one"), and ActiveMQ 5.17 does it (checked over STOMP).
 */
function replaceChangedSubscription(conn: StompConnection, queue: string, exchange: string, key: string, selector: string | undefined): void {
  const vhost = conn.vhost;
  const stale = vhost
    .listBindings()
    .filter(
      (b) =>
        b.destinationKind === 'queue' &&
        b.destination === queue &&
        b.source !== '' &&
        !(b.source === exchange && b.routingKey === key && b.filterSource?.expression === selector),
    );
  if (stale.length === 0) return;
  for (const b of stale) vhost.unbind(conn.principal, b);
  vhost.purgeQueue(conn.principal, queue);
}

function dropQueue(conn: StompConnection, queue: string): void {
  try {
    conn.vhost.deleteQueue(conn.principal, queue, false, false);
  } catch {
    // Already gone (auto-delete or exclusive cleanup got there first).
  }
}

/**
 * Used when `/temp-queue/x` appears in a SEND's reply-to: subscribe this connection to
 * the temp queue with id `/temp-queue/x` unless something already consumes it here.
 */
export function autoSubscribeTempQueue(conn: StompConnection, tempDestination: string, queue: string): void {
  for (const s of conn.subscriptions.values()) if (s.queue === queue) return;
  if (conn.subscriptions.has(tempDestination)) return;
  const num = conn.nextSubscriptionNum++;
  const sub = new Subscription(conn, tempDestination, num, tempDestination, queue, 'auto', 0, { deleteQueue: false, durable: false });
  conn.subscriptions.set(tempDestination, sub);
  conn.subscriptionsByNum.set(num, sub);
  sub.consumer = conn.vhost.consume(conn.principal, queue, sub, { tag: 'T_' + tempDestination, noAck: true, exclusive: false, priority: 0, arguments: {} });
}

export function onUnsubscribe(conn: StompConnection, f: StompFrame): void {
  const h = f.headers;
  let id = h['id'];
  if (id === undefined) {
    if (conn.version !== '1.0' || h['destination'] === undefined) throw missingHeader('UNSUBSCRIBE', 'id');
    id = h['destination'];
  }
  const sub = conn.subscriptions.get(id);
  if (sub === undefined) throw new StompError('Unknown subscription', `no subscription with id '${id}'`);
  // A durable subscription is removed only when asked: ActiveMQ repeats
  // activemq.subscriptionName, RabbitMQ sends durable:true.
  const deleteDurable =
    h['activemq.subscriptionName'] !== undefined || h['durable-subscription-name'] !== undefined || h['durable'] === 'true' || h['persistent'] === 'true';
  endSubscription(conn, sub, { deleteDurable, onClose: false });
  conn.subscriptions.delete(id);
  conn.subscriptionsByNum.delete(sub.num);
  conn.resumeConsumers();
  conn.receipt(h['receipt']);
}

/** Cancel the consumer, return unacked deliveries to the queue, drop the subscription's own queue. */
export function endSubscription(conn: StompConnection, sub: Subscription, how: { deleteDurable: boolean; onClose: boolean }): void {
  sub.closed = true;
  sub.consumer?.cancel();
  sub.consumer = undefined;
  const tags = sub.takeAll();
  if (tags.length > 0) conn.vhost.requeue(sub.queue, tags);
  // A standby exclusive subscriber takes over (and gets the requeued messages).
  leaveGroup(conn.vhost, sub);
  // On close, exclusive queues go with the connection (VirtualHost.connectionClosed).
  if ((sub.cleanup.deleteQueue && !how.onClose) || (sub.cleanup.durable && how.deleteDurable)) dropQueue(conn, sub.queue);
}
