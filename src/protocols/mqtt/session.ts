/**
 * MQTT sessions (MQTT 5 §4.1) on the core model:
 *
 * - Each client id has one session queue, `mqtt-subscription-<clientid>qos1` (RabbitMQ's
 *   name), bound to the MQTT exchange once per subscription. It holds QoS 0, 1 and 2
 *   messages alike; the delivery side settles QoS 0 at once.
 * - A persistent session (3.1.1 clean session = 0, or MQTT 5 Session Expiry > 0) uses a
 *   durable queue with x-expires = expiry, so it survives a broker restart and is
 *   removed by the core when it stays unused that long. Subscription options live in the
 *   binding arguments, so a restarted broker rebuilds the session from the bindings.
 * - A non-persistent session uses an exclusive queue, deleted with its connection.
 * - Shared subscriptions `$share/g/f` use one queue per (group, filter) that all member
 *   sessions consume from (round-robin by the core).
 *
 * The in-memory part (QoS 2 packet ids, packet ids of in-flight messages, shared
 * subscriptions, pending delayed wills) lives here in a per-broker registry.
 */
import type { QoS } from '../../codecs/mqtt/index.js';
import type { BindingSpec, Broker, MessageFilter, Principal, VirtualHost } from '../../core/api.js';
import type { FieldTable, Message, MessageId } from '../../core/message.js';

export const sessionQueueName = (clientId: string): string => `mqtt-subscription-${clientId}qos1`;
export const SESSION_QUEUE_PREFIX = 'mqtt-subscription-';
export const SHARED_QUEUE_PREFIX = 'mqtt-shared-';
export const sharedQueueName = (group: string, filter: string): string => `${SHARED_QUEUE_PREFIX}${group}-${filter}`;

/** Binding argument names carrying the subscription options (persisted with the binding). */
export const A_FILTER = 'x-mqtt-filter';
export const A_QOS = 'x-mqtt-qos';
export const A_NO_LOCAL = 'x-mqtt-no-local';
export const A_RAP = 'x-mqtt-retain-as-published';
export const A_SUB_ID = 'x-mqtt-subscription-id';
/** On a shared group queue's bindings: the member client id (one binding per member). */
export const A_CLIENT_ID = 'x-mqtt-client-id';

export interface SubscriptionState {
  /** The filter as the client sent it, `$share/...` included: the session's key for it. */
  readonly key: string;
  /** The MQTT filter without a `$share/group/` prefix. */
  readonly filter: string;
  readonly group: string | undefined;
  readonly qos: QoS;
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  readonly subscriptionId: number | undefined;
  /** The queue the binding targets: the session queue, or the shared group queue. */
  readonly queue: string;
  readonly binding: BindingSpec;
}

export function subscriptionArgs(s: Pick<SubscriptionState, 'filter' | 'qos' | 'noLocal' | 'retainAsPublished' | 'subscriptionId'>): FieldTable {
  const a: FieldTable = { [A_FILTER]: s.filter, [A_QOS]: s.qos };
  if (s.noLocal) a[A_NO_LOCAL] = true;
  if (s.retainAsPublished) a[A_RAP] = true;
  if (s.subscriptionId !== undefined) a[A_SUB_ID] = s.subscriptionId;
  return a;
}

/** What the session needs from the connection that currently owns it. */
export interface SessionOwner {
  /** End the connection because another took the session over [MQTT-3.1.4-3]. */
  takeOver(): void;
}

const NO_SUBSCRIPTIONS: ReadonlyMap<string, SubscriptionState> = new Map();

/**
 * The collections are created on first use: most idle sessions never subscribe or use
 * QoS 2, and an empty Map or Set still costs ~0.2 KiB (docs/performance.md).
 */
export class Session {
  persistent = false;
  /** Seconds; 0 = ends with the connection. */
  expiryInterval = 0;
  /** The session queue exists (declared by us or found after a restart). */
  queueDeclared = false;
  private subs: Map<string, SubscriptionState> | undefined;
  /** Inbound QoS 2 packet ids that got PUBREC and await PUBREL (§4.3.3 method B). */
  inboundQos2: Set<number> | undefined;
  /** Outbound QoS 2 packet ids whose PUBREC arrived: we owe PUBREL until PUBCOMP. */
  outboundPubrel: Set<number> | undefined;
  /** Packet ids of messages in flight when the last connection ended, so their redelivery reuses them ([MQTT-4.4.0-1]). */
  packetIdByMessage: Map<MessageId, number> | undefined;
  owner: SessionOwner | undefined;
  principal: Principal | undefined;
  expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly key: string,
    readonly clientId: string,
    readonly vhost: VirtualHost,
  ) {}

  get queue(): string {
    return sessionQueueName(this.clientId);
  }

  /** The subscriptions by the filter the client sent (`$share/...` included). */
  get subscriptions(): ReadonlyMap<string, SubscriptionState> {
    return this.subs ?? NO_SUBSCRIPTIONS;
  }

  setSubscription(key: string, state: SubscriptionState): void {
    (this.subs ??= new Map()).set(key, state);
  }

  deleteSubscription(key: string): void {
    this.subs?.delete(key);
  }

  clearSubscriptions(): void {
    this.subs = undefined;
  }
}

/**
 * The publishing session while `VirtualHost.publish` routes synchronously: binding
 * filters for "no local" compare against it, and record it per message so the
 * delivery side can apply no-local to overlapping subscriptions too.
 */
let publishingSession: string | undefined;
const origins = new WeakMap<Message, string>();

/** Set around a synchronous `VirtualHost.publish` (no closure per message on the hot path). */
export function setPublisher(sessionKey: string): void {
  publishingSession = sessionKey;
}

export function clearPublisher(): void {
  publishingSession = undefined;
}

/** The session that published `m`, when it went through a filtered binding in this process. */
export const originOf = (m: Message): string | undefined => origins.get(m);

/**
 * Binding filter for one subscription: `$` topics never match a filter that starts with a
 * wildcard [MQTT-4.7.2-1]; no-local drops the session's own messages [MQTT-3.8.3-3].
 */
export function bindingFilter(sessionKey: string, dollarRule: boolean, noLocal: boolean): ((m: Message) => boolean) | undefined {
  if (!dollarRule && !noLocal) return undefined;
  return (m: Message): boolean => {
    if (publishingSession !== undefined) origins.set(m, publishingSession);
    if (dollarRule && m.routingKey.startsWith('$')) return false;
    if (noLocal && publishingSession === sessionKey) return false;
    return true;
  };
}

/** FilterSource.language of a subscription's binding filter (core/api.ts). */
export const MQTT_SUBSCRIPTION_FILTER = 'mqtt-subscription';

/**
 * The binding filter of one subscription with the text it is rebuilt from: a persistent
 * session's bindings outlive a restart, and until its client is back the `$` rule must
 * still keep `$` topics out of a `#` or `+` subscription's queue.
 */
export function subscriptionFilter(sessionKey: string, dollarRule: boolean, noLocal: boolean): Pick<BindingSpec, 'filter' | 'filterSource'> {
  const filter = bindingFilter(sessionKey, dollarRule, noLocal);
  if (filter === undefined) return {};
  return { filter, filterSource: { language: MQTT_SUBSCRIPTION_FILTER, expression: JSON.stringify({ session: sessionKey, dollar: dollarRule, noLocal }) } };
}

/** Rebuilds a subscriptionFilter from its expression (registered with the core by the server). */
export function compileSubscriptionFilter(expression: string): MessageFilter {
  const o = JSON.parse(expression) as { session?: unknown; dollar?: unknown; noLocal?: unknown };
  if (typeof o.session !== 'string' || typeof o.dollar !== 'boolean' || typeof o.noLocal !== 'boolean') {
    throw new Error(`not an MQTT subscription filter: ${expression}`);
  }
  return bindingFilter(o.session, o.dollar, o.noLocal) ?? (() => true);
}

export class SessionRegistry {
  readonly sessions = new Map<string, Session>();
  /** Live sessions holding each shared queue (the queue is deleted with the last). */
  readonly sharedRefs = new Map<string, Set<string>>();
  /** Delayed wills (MQTT 5 Will Delay Interval), by session key. */
  private readonly pendingWills = new Map<string, { timer: NodeJS.Timeout; fire: () => void }>();

  static key(vhost: string, clientId: string): string {
    return `${vhost}\u0000${clientId}`;
  }

  /** Publish `fire` after `ms` unless the client reconnects first [MQTT-3.1.3-9]. */
  scheduleWill(key: string, ms: number, fire: () => void): void {
    this.cancelPendingWill(key);
    const timer = setTimeout(() => this.firePendingWill(key), Math.min(ms, 0x7fffffff));
    timer.unref();
    this.pendingWills.set(key, { timer, fire });
  }

  /** A new connection for this client id: the delayed will is not sent. */
  cancelPendingWill(key: string): void {
    const w = this.pendingWills.get(key);
    if (w === undefined) return;
    clearTimeout(w.timer);
    this.pendingWills.delete(key);
  }

  /** The delay elapsed or the session ended: send the will now. */
  firePendingWill(key: string): void {
    const w = this.pendingWills.get(key);
    if (w === undefined) return;
    clearTimeout(w.timer);
    this.pendingWills.delete(key);
    w.fire();
  }

  hasPendingWill(key: string): boolean {
    return this.pendingWills.has(key);
  }
}

const registries = new WeakMap<Broker, SessionRegistry>();

export function registryFor(broker: Broker): SessionRegistry {
  let r = registries.get(broker);
  if (r === undefined) registries.set(broker, (r = new SessionRegistry()));
  return r;
}
