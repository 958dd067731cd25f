/**
 * Creating, resuming, detaching and ending sessions (MQTT 5 §4.1, §3.1.2.4, §3.1.2.11.2).
 */
import type { QoS } from '../../codecs/mqtt/index.js';
import type { BindingSpec, Logger, Principal, QueueOptions, VirtualHost } from '../../core/api.js';
import {
  A_CLIENT_ID,
  A_FILTER,
  A_NO_LOCAL,
  A_QOS,
  A_RAP,
  A_SUB_ID,
  subscriptionFilter,
  Session,
  SessionRegistry,
  SHARED_QUEUE_PREFIX,
  sharedQueueName,
  type SubscriptionState,
} from './session.js';
import { parseShared, startsWithWildcard } from './topic.js';

const MAX_X_EXPIRES = 0xffffffff;

/** Queue options for a session queue (and a shared group queue declared by that session). */
export function sessionQueueOptions(s: Session): QueueOptions {
  if (!s.persistent) return { durable: false, exclusive: true, autoDelete: false, arguments: {} };
  return { durable: true, exclusive: false, autoDelete: false, arguments: { 'x-expires': Math.min(MAX_X_EXPIRES, Math.max(1, s.expiryInterval * 1000)) } };
}

/** Declare the session queue if it is not there yet. */
export function ensureSessionQueue(s: Session, p: Principal): void {
  if (s.queueDeclared && s.vhost.getQueue(s.queue) !== undefined) return;
  if (s.vhost.getQueue(s.queue) === undefined) s.vhost.declareQueue(p, s.queue, sessionQueueOptions(s), false);
  s.queueDeclared = true;
}

/**
 * After a broker restart the in-memory session is gone but its durable queues and bindings
 * remain: rebuild the subscriptions from the binding arguments and re-attach the filters
 * (the core rebuilt them at recovery from their FilterSource; binding again here also
 * covers bindings saved before filters had one). Shared-group memberships are the
 * bindings to `mqtt-shared-*` queues tagged with this client id.
 */
export function restoreFromBindings(s: Session, reg: SessionRegistry, exchange: string, p: Principal, log: Logger): void {
  for (const b of s.vhost.listBindings()) {
    if (b.destinationKind !== 'queue' || b.source !== exchange) continue;
    const own = b.destination === s.queue;
    const member = b.destination.startsWith(SHARED_QUEUE_PREFIX) && b.arguments[A_CLIENT_ID] === s.clientId;
    if (!own && !member) continue;
    const key = b.arguments[A_FILTER];
    const qos = b.arguments[A_QOS];
    if (typeof key !== 'string' || (qos !== 0 && qos !== 1 && qos !== 2)) continue;
    const shared = member ? parseShared(key) : undefined;
    if (member && (shared === undefined || shared === null)) continue;
    const filter = shared ? shared.filter : key;
    const noLocal = b.arguments[A_NO_LOCAL] === true;
    const subId = b.arguments[A_SUB_ID];
    const binding: BindingSpec = {
      source: b.source,
      destinationKind: b.destinationKind,
      destination: b.destination,
      routingKey: b.routingKey,
      arguments: b.arguments,
      ...subscriptionFilter(s.key, startsWithWildcard(filter), noLocal),
    };
    try {
      s.vhost.unbind(p, b);
      s.vhost.bind(p, binding);
    } catch (err) {
      log.warn({ err, queue: b.destination }, 'mqtt: could not restore a subscription binding');
      continue;
    }
    if (shared) {
      let refs = reg.sharedRefs.get(b.destination);
      if (refs === undefined) reg.sharedRefs.set(b.destination, (refs = new Set()));
      refs.add(s.key);
    }
    s.setSubscription(key, {
      key,
      filter,
      group: shared ? shared.group : undefined,
      qos: qos as QoS,
      noLocal,
      retainAsPublished: b.arguments[A_RAP] === true,
      subscriptionId: typeof subId === 'number' ? subId : undefined,
      queue: b.destination,
      binding,
    });
  }
}

/** Remove one session member from a shared group queue; the last member deletes the queue. */
export function releaseShared(reg: SessionRegistry, vhost: VirtualHost, p: Principal, sub: SubscriptionState, sessionKey: string): void {
  const queue = sub.queue;
  try {
    vhost.unbind(p, sub.binding);
  } catch {
    // The queue is already gone.
  }
  const refs = reg.sharedRefs.get(queue);
  if (refs === undefined) return;
  refs.delete(sessionKey);
  if (refs.size > 0) return;
  reg.sharedRefs.delete(queue);
  try {
    vhost.deleteQueue(p, queue, false, false);
  } catch {
    // Already gone (x-expires, operator): nothing to release.
  }
}

/** End a session: drop its subscriptions and queue, fire a delayed will [MQTT-3.1.3-9]. */
export function destroySession(reg: SessionRegistry, s: Session): void {
  if (s.expiryTimer !== undefined) clearTimeout(s.expiryTimer);
  s.expiryTimer = undefined;
  if (reg.sessions.get(s.key) === s) reg.sessions.delete(s.key);
  reg.firePendingWill(s.key);
  const p = s.principal;
  if (p === undefined) return;
  for (const sub of s.subscriptions.values()) {
    if (sub.group !== undefined) releaseShared(reg, s.vhost, p, sub, s.key);
  }
  s.clearSubscriptions();
  if (s.vhost.getQueue(s.queue) !== undefined) {
    try {
      s.vhost.deleteQueue(p, s.queue, false, false);
    } catch {
      // Deleted concurrently (exclusive queue removed with its connection): fine.
    }
  }
  s.queueDeclared = false;
}

/** The connection ended: a non-persistent session ends with it, a persistent one starts expiring. */
export function detachSession(reg: SessionRegistry, s: Session): void {
  s.owner = undefined;
  if (!s.persistent || s.expiryInterval === 0) {
    destroySession(reg, s);
    return;
  }
  if (s.expiryTimer !== undefined) clearTimeout(s.expiryTimer);
  const ms = Math.min(s.expiryInterval * 1000, 0x7fffffff);
  s.expiryTimer = setTimeout(() => {
    s.expiryTimer = undefined;
    if (s.owner === undefined) destroySession(reg, s);
  }, ms);
  s.expiryTimer.unref();
}

/** Queue name for a shared subscription, validated; undefined when not shared. */
export function sharedQueueFor(filter: string): { group: string; filter: string; queue: string } | undefined | null {
  const sh = parseShared(filter);
  if (sh === undefined || sh === null) return sh;
  return { ...sh, queue: sharedQueueName(sh.group, sh.filter) };
}
