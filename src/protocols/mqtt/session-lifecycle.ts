/**
 * Creating, resuming, detaching and ending sessions (MQTT 5 §4.1, §3.1.2.4, §3.1.2.11.2).
 */
import type { QoS } from '../../codecs/mqtt/index.js';
import type { Logger, Principal, QueueOptions, VirtualHost } from '../../core/api.js';
import {
  A_FILTER,
  A_NO_LOCAL,
  A_QOS,
  A_RAP,
  A_SUB_ID,
  bindingFilter,
  Session,
  SessionRegistry,
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
 * After a broker restart the in-memory session is gone but its durable queue and bindings
 * remain: rebuild the subscriptions from the binding arguments and re-attach the filters
 * (filters are not persisted, BindingSpec.filter).
 */
export function restoreFromBindings(s: Session, exchange: string, p: Principal, log: Logger): void {
  for (const b of s.vhost.listBindings()) {
    if (b.destinationKind !== 'queue' || b.destination !== s.queue || b.source !== exchange) continue;
    const filter = b.arguments[A_FILTER];
    const qos = b.arguments[A_QOS];
    if (typeof filter !== 'string' || (qos !== 0 && qos !== 1 && qos !== 2)) continue;
    const noLocal = b.arguments[A_NO_LOCAL] === true;
    const subId = b.arguments[A_SUB_ID];
    const binding = { ...b, filter: bindingFilter(s.key, startsWithWildcard(filter), noLocal) };
    try {
      s.vhost.unbind(p, b);
      s.vhost.bind(p, binding);
    } catch (err) {
      log.warn({ err, queue: s.queue }, 'mqtt: could not restore a subscription binding');
      continue;
    }
    const sub: SubscriptionState = {
      key: filter,
      filter,
      group: undefined,
      qos: qos as QoS,
      noLocal,
      retainAsPublished: b.arguments[A_RAP] === true,
      subscriptionId: typeof subId === 'number' ? subId : undefined,
      queue: s.queue,
      binding,
    };
    s.subscriptions.set(filter, sub);
  }
}

/** Remove one session member from a shared group queue; the last member deletes the queue. */
export function releaseShared(reg: SessionRegistry, vhost: VirtualHost, p: Principal, queue: string, sessionKey: string): void {
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
    if (sub.group !== undefined) releaseShared(reg, s.vhost, p, sub.queue, s.key);
  }
  s.subscriptions.clear();
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
