import type {
  BindingSpec,
  BrokerLimits,
  ConnectionId,
  Consumer,
  ConsumeOptions,
  ConsumerSink,
  Delivery,
  ExchangeInfo,
  ExchangeOptions,
  ExchangeType,
  Logger,
  Principal,
  PublishOptions,
  PublishResult,
  QueueDeclareResult,
  QueueDeliveryTag,
  QueueInfo,
  QueueOptions,
  Settlement,
  VirtualHost,
} from './api.js';
import { BrokerError, accessRefused, notFound, resourceLocked } from './errors.js';
import { Exchange, type Destination } from './exchange.js';
import type { FieldValue, Message, MessageId, MessageProperties } from './message.js';
import { DIRECT_REPLY_PREFIX, rs } from './names.js';
import { DirectReplies } from './direct-reply.js';
import { parseQueueConfig } from './queue-config.js';
import { EnqueueOutcome, Queue } from './queue.js';
import { purgeQueue, queueConnectionClosed, queueInfo } from './queue-admin.js';
import type { QueueHost } from './queue-host.js';
import { stopQueueTimers } from './queue-timers.js';
import type { Binding } from './routing/binding.js';
import { deadLetteredProperties, isDeadLetterCycle, type DeadLetterReason } from './dead-letter.js';
import { serializeMessage } from './message-serde.js';
import type { Permission } from './users.js';
import { queueKey, type MessageStore, type PageStore } from '../store/api.js';
import type { MemoryBudget } from './memory-budget.js';
import { bind, declareExchange, declareQueue, deleteExchange, deleteQueue, unbind } from './vhost-declare.js';
import { durableBindings, listBindings, removeQueue } from './vhost-topology.js';
import { ScratchList } from './scratch-list.js';

/** What a virtual host needs from the broker around it. */
export interface VhostEnv {
  readonly store: MessageStore;
  /** Page store for transient bodies that leave memory (none: they stay in memory). */
  readonly pager: PageStore | undefined;
  readonly budget: MemoryBudget;
  readonly limits: BrokerLimits;
  readonly log: Logger;
  nextMessageId(): MessageId;
  permission(user: string, vhost: string): Permission | undefined;
  /** A durable definition changed: the broker saves definitions (batched). */
  definitionsChanged(): void;
}

/** Most nested routing passes (dead-letter inside dead-letter ...) before giving up. */
const MAX_ROUTE_DEPTH = 32;

const PREDECLARED: ReadonlyArray<readonly [string, ExchangeType]> = [
  ['amq.direct', 'direct'],
  ['amq.fanout', 'fanout'],
  ['amq.topic', 'topic'],
  ['amq.headers', 'headers'],
  ['amq.match', 'headers'],
];

const RESULTS_CACHE: PublishResult[] = [];
/** Shared immutable results for the common small cases: no object per publish. */
function publishResult(routed: number, rejected: boolean, needsSync: boolean): PublishResult {
  if (routed < 16) {
    const i = routed * 4 + (rejected ? 2 : 0) + (needsSync ? 1 : 0);
    return (RESULTS_CACHE[i] ??= Object.freeze({ routed, rejected, needsSync }));
  }
  return { routed, rejected, needsSync };
}

export class VirtualHostImpl implements VirtualHost, QueueHost {
  readonly exchanges = new Map<string, Exchange>();
  readonly queues = new Map<string, Queue>();
  private readonly directReplies: DirectReplies;
  /** Queues a connection consumed from, got from or owns: visited on connectionClosed. */
  private readonly touched = new Map<ConnectionId, Set<Queue>>();
  private epoch = 0;
  private depth = 0;
  /** Queues a message routes to, one list per nesting depth (dead-lettering re-enters). */
  private readonly queueScratch: ScratchList<Queue>[] = [];

  constructor(
    readonly name: string,
    /** The broker around this vhost (also read by vhost-declare.ts and vhost-topology.ts). */
    readonly env: VhostEnv,
  ) {
    this.directReplies = new DirectReplies(env.log);
    const opts = (): ExchangeOptions => ({ durable: true, autoDelete: false, internal: false, arguments: {} });
    this.exchanges.set('', new Exchange('', 'direct', opts(), true));
    for (const [n, t] of PREDECLARED) this.exchanges.set(n, new Exchange(n, t, opts()));
  }

  get vhostName(): string {
    return this.name;
  }

  get store(): MessageStore {
    return this.env.store;
  }

  get pager(): PageStore | undefined {
    return this.env.pager;
  }

  get budget(): MemoryBudget {
    return this.env.budget;
  }

  get log(): Logger {
    return this.env.log;
  }

  parseExpiration(expiration: string | undefined): number {
    return parseExpiration(expiration);
  }

  // ---- permissions (also used by vhost-declare.ts) ---------------------------------

  check(p: Principal, what: 'configure' | 'write' | 'read', kind: 'queue' | 'exchange', resource: string): void {
    // The default exchange is 'amq.default' for access control, as in RabbitMQ.
    const name = kind === 'exchange' && resource === '' ? 'amq.default' : resource;
    const perm = this.env.permission(p.user.name, this.name);
    if (!perm || !perm.allows(what, name)) {
      throw accessRefused(`access to ${rs(kind, name, this.name)} refused for user '${p.user.name}'`);
    }
  }

  checkExclusive(p: Principal, q: Queue): void {
    if (q.exclusiveOwner !== undefined && q.exclusiveOwner !== p.connectionId) throw this.locked(q.name);
  }

  locked(name: string): BrokerError {
    return resourceLocked(
      `cannot obtain exclusive access to locked ${rs('queue', name, this.name)}. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
    );
  }

  // ---- exchanges (vhost-declare.ts) -----------------------------------------------------

  declareExchange(p: Principal, name: string, type: ExchangeType, opts: ExchangeOptions, passive: boolean): ExchangeInfo {
    return declareExchange(this, p, name, type, opts, passive);
  }

  deleteExchange(p: Principal, name: string, ifUnused: boolean): void {
    deleteExchange(this, p, name, ifUnused);
  }

  getExchange(name: string): ExchangeInfo | undefined {
    return this.exchanges.get(name)?.info();
  }

  listExchanges(): ExchangeInfo[] {
    return [...this.exchanges.values()].map((x) => x.info());
  }

  // ---- queues (vhost-declare.ts) ------------------------------------------------------

  declareQueue(p: Principal, name: string, opts: QueueOptions, passive: boolean): QueueDeclareResult {
    return declareQueue(this, p, name, opts, passive);
  }

  /** Exclusive queues never outlive their connection, so they are not written to definitions. */
  isPersistedQueue(q: Queue): boolean {
    return q.options.durable && !q.options.exclusive;
  }

  /** Used by recovery: create a durable queue from definitions without a principal. */
  restoreQueue(name: string, opts: QueueOptions): Queue {
    const config = parseQueueConfig(name, this.name, opts.arguments, opts.durable, false);
    const q = new Queue(this, name, opts, config, queueKey(this.name, name));
    this.queues.set(name, q);
    return q;
  }

  restoreExchange(name: string, type: ExchangeType, opts: ExchangeOptions): void {
    if (this.exchanges.has(name)) return;
    this.exchanges.set(name, new Exchange(name, type, opts));
  }

  deleteQueue(p: Principal, name: string, ifUnused: boolean, ifEmpty: boolean): number {
    return deleteQueue(this, p, name, ifUnused, ifEmpty);
  }

  purgeQueue(p: Principal, name: string): number {
    const q = this.queues.get(name);
    if (!q) throw notFound(rs('queue', name, this.name));
    this.checkExclusive(p, q);
    this.check(p, 'read', 'queue', name);
    return purgeQueue(q);
  }

  getQueue(name: string): QueueInfo | undefined {
    const q = this.queues.get(name);
    return q === undefined ? undefined : queueInfo(q);
  }

  listQueues(): QueueInfo[] {
    return [...this.queues.values()].map(queueInfo);
  }

  // ---- bindings (vhost-declare.ts, vhost-topology.ts) ----------------------------------------

  bind(p: Principal, spec: BindingSpec): void {
    bind(this, p, spec);
  }

  unbind(p: Principal, spec: BindingSpec): void {
    unbind(this, p, spec);
  }

  listBindings(): BindingSpec[] {
    return listBindings(this);
  }

  /** Durable bindings between durable ends, for definitions. */
  durableBindings(): Binding<Destination>[] {
    return durableBindings(this);
  }

  // ---- publish & routing ---------------------------------------------------------------------

  publish(p: Principal, exchange: string, routingKey: string, properties: MessageProperties, body: Buffer, opts: PublishOptions): PublishResult {
    void opts; // mandatory is the protocol's business: it reads `routed`.
    const x = this.exchanges.get(exchange);
    if (!x) throw notFound(rs('exchange', exchange, this.name));
    if (x.options.internal) throw accessRefused(`cannot publish to internal ${rs('exchange', exchange, this.name)}`);
    this.check(p, 'write', 'exchange', exchange);
    let message: Message = { exchange, routingKey, properties, body, id: this.env.nextMessageId() };
    if (x.isDefault && routingKey.startsWith(DIRECT_REPLY_PREFIX)) {
      return this.directReplies.deliver(message) ? publishResult(1, false, false) : publishResult(0, false, false);
    }
    const headers = properties.headers;
    let extra: string[] | undefined;
    if (headers !== undefined && (headers['CC'] !== undefined || headers['BCC'] !== undefined)) {
      // RabbitMQ sender-selected distribution: CC and BCC add routing keys; BCC is
      // removed from the message so receivers never see it.
      extra = [...stringList(headers['CC']), ...stringList(headers['BCC'])];
      if (headers['BCC'] !== undefined) {
        const h = { ...headers };
        delete h['BCC'];
        message = { ...message, properties: { ...properties, headers: h } };
      }
    }
    return this.routeAndEnqueue(x, message, undefined, extra);
  }

  /**
   * Collect target queues into `out` (deduplicated by pass marker) and enqueue.
   * `dlSource` is set when this is a dead-lettering pass (cycle rule applies).
   */
  private routeAndEnqueue(x: Exchange, message: Message, dl: { reason: DeadLetterReason } | undefined, extraKeys: readonly string[] | undefined): PublishResult {
    if (this.depth >= MAX_ROUTE_DEPTH) {
      this.env.log.warn({ vhost: this.name, exchange: x.name }, 'routing nested too deep; message dropped');
      return publishResult(0, false, false);
    }
    const out = (this.queueScratch[this.depth] ??= new ScratchList<Queue>());
    this.depth++;
    try {
      // Queues are deduplicated across every routing key of the message; exchanges are
      // visited once per key (cycle safety), so each key gets its own pass number.
      const qEpoch = ++this.epoch;
      this.collect(x, message.routingKey, message, out, qEpoch, ++this.epoch);
      if (extraKeys !== undefined) for (const k of extraKeys) this.collect(x, k, message, out, qEpoch, ++this.epoch);
      let routed = 0;
      let rejected = false;
      let needsSync = false;
      let written = false;
      const persistent = message.properties.deliveryMode === 2;
      const ttl = parseExpiration(message.properties.expiration);
      for (let i = 0; i < out.size; i++) {
        const q = out.at(i);
        if (q.deleted) continue;
        if (dl !== undefined && dl.reason !== 'rejected' && isDeadLetterCycle(q.name, message.properties.headers)) {
          this.env.log.debug({ vhost: this.name, queue: q.name }, 'dead-letter cycle; message dropped');
          continue;
        }
        let persist = persistent && q.durable;
        if (persist && q.wouldReject(message.body.length)) persist = false;
        if (persist && !written) {
          this.env.store.writeMessage(message.id, serializeMessage(message));
          written = true;
        }
        if (q.enqueue(message, persist, ttl) === EnqueueOutcome.Rejected) rejected = true;
        else {
          routed++;
          if (persist) needsSync = true;
        }
      }
      return publishResult(routed, rejected, needsSync);
    } finally {
      out.clear();
      this.depth--;
    }
  }

  private collect(x: Exchange, routingKey: string, message: Message, out: ScratchList<Queue>, qEpoch: number, xEpoch: number): void {
    x.mark = xEpoch;
    if (x.isDefault) {
      // AMQP 0-9-1 §3.1.3.1: every queue is bound to the default exchange by its name.
      const q = this.queues.get(routingKey);
      if (q && q.mark !== qEpoch) {
        q.mark = qEpoch;
        out.push(q);
      }
      return;
    }
    const bindings = x.route(routingKey, message);
    let matched = false;
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i] as Binding<Destination>;
      if (b.filter !== undefined && !b.filter(message)) continue;
      matched = true;
      const d = b.destination;
      if (d.kind === 'queue') {
        if (d.mark === qEpoch) continue;
        d.mark = qEpoch;
        out.push(d);
      } else if (d.mark !== xEpoch) {
        this.collect(d, routingKey, message, out, qEpoch, xEpoch);
      }
    }
    // Alternate exchange: used when this exchange itself routed nowhere (rabbit_exchange route1).
    if (!matched && x.alternate !== undefined) {
      const ae = this.exchanges.get(x.alternate);
      if (ae && ae.mark !== xEpoch) this.collect(ae, routingKey, message, out, qEpoch, xEpoch);
    }
  }

  // ---- dead-lettering (QueueHost) -------------------------------------------------------

  deadLetter(q: Queue, message: Message, reason: DeadLetterReason): void {
    const dlxName = q.config.deadLetterExchange;
    if (dlxName === undefined) return;
    const x = this.exchanges.get(dlxName);
    if (!x) {
      this.env.log.debug({ vhost: this.name, queue: q.name, exchange: dlxName }, 'dead-letter exchange missing; message dropped');
      return;
    }
    // The message's routing keys: the published key plus CC (BCC was removed at publish).
    const cc = stringList(message.properties.headers?.['CC']);
    const keys = cc.length === 0 ? [message.routingKey] : [message.routingKey, ...cc];
    const dlrk = q.config.deadLetterRoutingKey;
    const properties = deadLetteredProperties(message, q.name, reason, keys);
    const next: Message = { exchange: dlxName, routingKey: dlrk ?? message.routingKey, properties, body: message.body, id: this.env.nextMessageId() };
    // With x-dead-letter-routing-key the message routes by that key alone; otherwise by all of its keys.
    this.routeAndEnqueue(x, next, { reason }, dlrk === undefined && cc.length > 0 ? cc : undefined);
  }

  deleteUnused(q: Queue): void {
    removeQueue(this, q, 'queue deleted');
  }

  sinkError(q: Queue, err: unknown): void {
    this.env.log.error({ vhost: this.name, queue: q.name, err }, 'consumer sink threw');
  }

  // ---- consume / get / settle ---------------------------------------------------------------

  /** Remember that connection `id` holds something of `q` (visited on connectionClosed). */
  touch(id: ConnectionId, q: Queue): void {
    let s = this.touched.get(id);
    if (!s) this.touched.set(id, (s = new Set()));
    s.add(q);
  }

  consume(p: Principal, queue: string, sink: ConsumerSink, opts: ConsumeOptions): Consumer {
    const q = this.queues.get(queue);
    if (!q) throw notFound(rs('queue', queue, this.name));
    this.checkExclusive(p, q);
    this.check(p, 'read', 'queue', queue);
    const priority = Number.isFinite(opts.priority) ? Math.trunc(opts.priority) : 0;
    this.touch(p.connectionId, q);
    return q.addConsumer(opts.tag, sink, opts.noAck, opts.exclusive, priority, opts.filter, p.connectionId);
  }

  get(p: Principal, queue: string, noAck: boolean): Delivery | undefined {
    const q = this.queues.get(queue);
    if (!q) throw notFound(rs('queue', queue, this.name));
    this.checkExclusive(p, q);
    this.check(p, 'read', 'queue', queue);
    if (!noAck) this.touch(p.connectionId, q);
    return q.get(p.connectionId, noAck);
  }

  settle(queue: string, tag: QueueDeliveryTag, how: Settlement): void {
    // A delivery from a queue deleted since is gone with it: nothing to settle.
    const q = this.queues.get(queue);
    if (q) q.settle(tag, how);
  }

  requeue(queue: string, tags: readonly QueueDeliveryTag[]): void {
    this.queues.get(queue)?.requeue(tags);
  }

  connectionClosed(connectionId: ConnectionId): void {
    const qs = this.touched.get(connectionId);
    this.touched.delete(connectionId);
    if (qs) {
      for (const q of qs) {
        if (q.deleted) continue;
        if (q.exclusiveOwner === connectionId) removeQueue(this, q, 'exclusive owner gone');
        else queueConnectionClosed(q, connectionId);
      }
    }
    this.directReplies.connectionClosed(connectionId);
  }

  // ---- direct reply-to ----------------------------------------------------------------------

  registerDirectReply(p: Principal, sink: ConsumerSink): { readonly address: string; cancel(): void } {
    return this.directReplies.register(p.connectionId, sink);
  }

  hasDirectReply(address: string): boolean {
    return this.directReplies.has(address);
  }

  /** The vhost is being deleted: every queue goes (consumers are told), then every exchange. */
  destroyAll(): void {
    for (const q of [...this.queues.values()]) removeQueue(this, q, 'vhost deleted');
    this.exchanges.clear();
    this.directReplies.clear();
    this.touched.clear();
  }

  /** Stop every queue timer (broker close). */
  stopTimers(): void {
    for (const q of this.queues.values()) stopQueueTimers(q);
  }
}

/** CC/BCC header values: an array of strings (longstr or bytes); anything else adds nothing. */
function stringList(v: FieldValue | undefined): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const e of v) {
    if (typeof e === 'string') out.push(e);
    else if (Buffer.isBuffer(e)) out.push(e.toString('utf8'));
  }
  return out;
}

/** AMQP 0-9-1 expiration: a non-negative integer in ms as a string; anything else means none here (protocols reject bad values). */
export function parseExpiration(e: string | undefined): number {
  if (e === undefined) return -1;
  if (!/^\d{1,10}$/.test(e)) return -1;
  return Number(e);
}
