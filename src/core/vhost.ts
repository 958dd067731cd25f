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
import { BrokerError, ErrorCode, accessRefused, notFound, preconditionFailed, resourceLocked } from './errors.js';
import { Exchange, isExchangeType, type Destination } from './exchange.js';
import type { FieldTable, FieldValue, Message, MessageId, MessageProperties } from './message.js';
import { DIRECT_REPLY_PREFIX, generateQueueName, rs } from './names.js';
import { DirectReplies } from './direct-reply.js';
import { assertArgsEquivalent, assertExchangeEquivalent, assertField } from './equivalence.js';
import { EQUIVALENCE_ARGS, checkDeadLetterPair, fieldTypeName, parseQueueConfig, printValue } from './queue-config.js';
import { EnqueueOutcome, Queue } from './queue.js';
import { destroyQueue, purgeQueue, queueConnectionClosed, queueInfo } from './queue-admin.js';
import type { QueueHost } from './queue-host.js';
import { bindingKey, type Binding } from './routing/binding.js';
import { isValidMatch } from './routing/headers-router.js';
import { deadLetteredProperties, isDeadLetterCycle, type DeadLetterReason } from './dead-letter.js';
import { serializeMessage } from './message-serde.js';
import type { Permission } from './users.js';
import { queueKey, type MessageStore, type PageStore } from '../store/api.js';
import type { MemoryBudget } from './memory-budget.js';
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
    private readonly env: VhostEnv,
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

  // ---- permissions ----------------------------------------------------------------

  private check(p: Principal, what: 'configure' | 'write' | 'read', kind: 'queue' | 'exchange', resource: string): void {
    // The default exchange is 'amq.default' for access control, as in RabbitMQ.
    const name = kind === 'exchange' && resource === '' ? 'amq.default' : resource;
    const perm = this.env.permission(p.user.name, this.name);
    if (!perm || !perm.allows(what, name)) {
      throw accessRefused(`access to ${rs(kind, name, this.name)} refused for user '${p.user.name}'`);
    }
  }

  private checkExclusive(p: Principal, q: Queue): void {
    if (q.exclusiveOwner !== undefined && q.exclusiveOwner !== p.connectionId) throw this.locked(q.name);
  }

  private locked(name: string): BrokerError {
    return resourceLocked(
      `cannot obtain exclusive access to locked ${rs('queue', name, this.name)}. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
    );
  }

  // ---- exchanges ---------------------------------------------------------------------

  declareExchange(p: Principal, name: string, type: ExchangeType, opts: ExchangeOptions, passive: boolean): ExchangeInfo {
    const existing = this.exchanges.get(name);
    if (passive) {
      if (!existing) throw notFound(rs('exchange', name, this.name));
      return existing.info();
    }
    if (name === '') throw accessRefused('operation not permitted on the default exchange');
    if (!isExchangeType(type)) {
      // RabbitMQ answers 503 command-invalid; the closest code in our catalogue.
      // RabbitMQ: 503 COMMAND_INVALID "invalid exchange type 'x'".
      throw new BrokerError(ErrorCode.CommandInvalid, `invalid exchange type '${String(type)}'`);
    }
    this.check(p, 'configure', 'exchange', name);
    if (existing) {
      assertExchangeEquivalent(this.name, existing, type, opts);
      return existing.info();
    }
    if (name.startsWith('amq.')) throw accessRefused(`exchange name '${name}' contains reserved prefix 'amq.*'`);
    const ae = opts.arguments['alternate-exchange'];
    if (ae !== undefined && typeof ae !== 'string' && !Buffer.isBuffer(ae)) {
      throw preconditionFailed(`invalid type '${fieldTypeName(ae)}' for arg 'alternate-exchange' in ${rs('exchange', name, this.name)}`);
    }
    const x = new Exchange(name, type, { durable: opts.durable, autoDelete: opts.autoDelete, internal: opts.internal, arguments: opts.arguments });
    this.exchanges.set(name, x);
    if (x.options.durable) this.env.definitionsChanged();
    return x.info();
  }

  deleteExchange(p: Principal, name: string, ifUnused: boolean): void {
    if (name === '') throw accessRefused('operation not permitted on the default exchange');
    if (name.startsWith('amq.')) throw accessRefused(`deletion of system ${rs('exchange', name, this.name)} not allowed`);
    this.check(p, 'configure', 'exchange', name);
    const x = this.exchanges.get(name);
    // Deleting a missing exchange succeeds (RabbitMQ since 3.2: delete is idempotent).
    if (!x) return;
    if (ifUnused && x.outgoing.size > 0) throw preconditionFailed(`${rs('exchange', name, this.name)} in use`);
    this.removeExchange(x);
  }

  private removeExchange(x: Exchange): void {
    this.exchanges.delete(x.name);
    let durableChange = x.options.durable;
    for (const b of [...x.outgoing.values()]) {
      x.removeBinding(b);
      b.destination.incoming.delete(`${x.name}\u0000${b.key}`);
      if (isDurableBinding(x, b.destination)) durableChange = true;
    }
    // Bindings where this exchange is the destination go too; their sources may auto-delete.
    for (const ref of [...x.incoming]) {
      const [source, key] = splitRef(ref);
      const src = this.exchanges.get(source);
      const b = src?.outgoing.get(key);
      if (!src || !b) continue;
      src.removeBinding(b);
      if (isDurableBinding(src, x)) durableChange = true;
      this.maybeAutoDeleteExchange(src);
    }
    x.incoming.clear();
    if (durableChange) this.env.definitionsChanged();
  }

  private maybeAutoDeleteExchange(x: Exchange): void {
    if (x.options.autoDelete && x.outgoing.size === 0 && this.exchanges.get(x.name) === x) this.removeExchange(x);
  }

  getExchange(name: string): ExchangeInfo | undefined {
    return this.exchanges.get(name)?.info();
  }

  listExchanges(): ExchangeInfo[] {
    return [...this.exchanges.values()].map((x) => x.info());
  }

  // ---- queues -------------------------------------------------------------------------

  declareQueue(p: Principal, name: string, opts: QueueOptions, passive: boolean): QueueDeclareResult {
    if (passive) {
      const q = this.queues.get(name);
      if (!q) throw notFound(rs('queue', name, this.name));
      this.checkExclusive(p, q);
      q.armUnusedTimer();
      return { name: q.name, messageCount: q.messageCount, consumerCount: q.consumerCount };
    }
    let qname = name;
    if (qname === '') qname = generateQueueName();
    else if (qname.startsWith('amq.')) throw accessRefused(`queue name '${qname}' contains reserved prefix 'amq.*'`);
    this.check(p, 'configure', 'queue', qname);
    const existing = this.queues.get(qname);
    if (existing) {
      // Order as rabbit_amqqueue:assert_equivalence: exclusivity, durable, auto_delete, arguments.
      const owner = opts.exclusive ? p.connectionId : undefined;
      if (existing.exclusiveOwner !== owner) throw this.locked(qname);
      assertField('queue', qname, this.name, 'durable', String(opts.durable), String(existing.options.durable));
      assertField('queue', qname, this.name, 'auto_delete', String(opts.autoDelete), String(existing.options.autoDelete));
      assertArgsEquivalent('queue', qname, this.name, existing.options.arguments, opts.arguments, EQUIVALENCE_ARGS, { 'x-queue-type': 'classic' });
      existing.armUnusedTimer();
      return { name: qname, messageCount: existing.messageCount, consumerCount: existing.consumerCount };
    }
    const max = this.env.limits.maxQueues;
    if (max > 0 && this.queues.size >= max) {
      throw new BrokerError(ErrorCode.PreconditionFailed, `cannot declare ${rs('queue', qname, this.name)}: queue limit in vhost '${this.name}' (${max}) is reached`);
    }
    checkDeadLetterPair(qname, this.name, opts.arguments);
    const config = parseQueueConfig(qname, this.name, opts.arguments, opts.durable, opts.exclusive, opts.autoDelete);
    const q = new Queue(this, qname, { durable: opts.durable, exclusive: opts.exclusive, autoDelete: opts.autoDelete, arguments: opts.arguments }, config, queueKey(this.name, qname));
    if (opts.exclusive) {
      q.exclusiveOwner = p.connectionId;
      this.touch(p.connectionId, q);
    }
    this.queues.set(qname, q);
    if (this.isPersistedQueue(q)) this.env.definitionsChanged();
    return { name: qname, messageCount: 0, consumerCount: 0 };
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
    const q = this.queues.get(name);
    if (!q) return 0;
    this.checkExclusive(p, q);
    this.check(p, 'configure', 'queue', name);
    if (ifUnused && q.consumerCount > 0) throw preconditionFailed(`${rs('queue', name, this.name)} in use`);
    if (ifEmpty && q.messageCount > 0) throw preconditionFailed(`${rs('queue', name, this.name)} is not empty`);
    return this.removeQueue(q, 'queue deleted');
  }

  private removeQueue(q: Queue, reason: string): number {
    if (this.queues.get(q.name) !== q) return 0;
    this.queues.delete(q.name);
    let durableChange = this.isPersistedQueue(q);
    for (const ref of [...q.incoming]) {
      const [source, key] = splitRef(ref);
      const src = this.exchanges.get(source);
      const b = src?.outgoing.get(key);
      if (!src || !b) continue;
      src.removeBinding(b);
      if (isDurableBinding(src, q)) durableChange = true;
      this.maybeAutoDeleteExchange(src);
    }
    q.incoming.clear();
    const n = destroyQueue(q, reason);
    if (durableChange) this.env.definitionsChanged();
    return n;
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

  // ---- bindings ---------------------------------------------------------------------------

  private resolveBinding(p: Principal, b: BindingSpec): { src: Exchange; dest: Destination } {
    if (b.source === '' || (b.destinationKind === 'exchange' && b.destination === '')) {
      throw accessRefused('operation not permitted on the default exchange');
    }
    // RabbitMQ: write on the destination, read on the source exchange.
    this.check(p, 'write', b.destinationKind, b.destination);
    this.check(p, 'read', 'exchange', b.source);
    const src = this.exchanges.get(b.source);
    if (!src) throw notFound(rs('exchange', b.source, this.name));
    let dest: Destination | undefined;
    if (b.destinationKind === 'queue') {
      const q = this.queues.get(b.destination);
      if (!q) throw notFound(rs('queue', b.destination, this.name));
      this.checkExclusive(p, q);
      dest = q;
    } else {
      dest = this.exchanges.get(b.destination);
      if (!dest) throw notFound(rs('exchange', b.destination, this.name));
    }
    return { src, dest };
  }

  bind(p: Principal, spec: BindingSpec): void {
    const { src, dest } = this.resolveBinding(p, spec);
    if (src.type === 'headers' && !isValidMatch(spec.arguments['x-match'])) {
      // RabbitMQ 3.10 texts: a string prints as an Erlang binary, other types by name.
      const xm = spec.arguments['x-match'] ?? null;
      throw preconditionFailed(
        typeof xm === 'string'
          ? `Invalid x-match field value <<"${xm}">>; expected all, any, all-with-x, or any-with-x`
          : `Invalid x-match field type ${fieldTypeName(xm)} (value ${printValue(xm)}); expected longstr`,
      );
    }
    this.addBinding(src, dest, spec.destinationKind, spec.destination, spec.routingKey, spec.arguments, spec.filter);
  }

  /** Shared by bind and recovery. Re-binding an existing identity only replaces its filter. */
  addBinding(
    src: Exchange,
    dest: Destination,
    kind: 'queue' | 'exchange',
    destName: string,
    routingKey: string,
    args: FieldTable,
    filter: BindingSpec['filter'],
  ): void {
    const key = bindingKey(kind, destName, routingKey, args);
    const existing = src.outgoing.get(key);
    if (existing) {
      existing.filter = filter;
      return;
    }
    const b: Binding<Destination> = { source: src.name, destinationKind: kind, destinationName: destName, destination: dest, routingKey, arguments: args, key, filter };
    src.addBinding(b);
    dest.incoming.add(`${src.name}\u0000${key}`);
    if (isDurableBinding(src, dest)) this.env.definitionsChanged();
  }

  unbind(p: Principal, spec: BindingSpec): void {
    const { src, dest } = this.resolveBinding(p, spec);
    const key = bindingKey(spec.destinationKind, spec.destination, spec.routingKey, spec.arguments);
    const b = src.outgoing.get(key);
    // Unbinding a binding that does not exist succeeds, as in RabbitMQ 3.x.
    if (!b) return;
    src.removeBinding(b);
    dest.incoming.delete(`${src.name}\u0000${key}`);
    if (isDurableBinding(src, dest)) this.env.definitionsChanged();
    this.maybeAutoDeleteExchange(src);
  }

  listBindings(): BindingSpec[] {
    const out: BindingSpec[] = [];
    // The default exchange's implicit binding of every queue, as RabbitMQ lists them.
    for (const q of this.queues.values()) out.push({ source: '', destinationKind: 'queue', destination: q.name, routingKey: q.name, arguments: {} });
    for (const x of this.exchanges.values()) {
      for (const b of x.outgoing.values()) {
        const spec: BindingSpec = b.filter
          ? { source: b.source, destinationKind: b.destinationKind, destination: b.destinationName, routingKey: b.routingKey, arguments: b.arguments, filter: b.filter }
          : { source: b.source, destinationKind: b.destinationKind, destination: b.destinationName, routingKey: b.routingKey, arguments: b.arguments };
        out.push(spec);
      }
    }
    return out;
  }

  /** Durable bindings between durable ends, for definitions. */
  durableBindings(): Binding<Destination>[] {
    const out: Binding<Destination>[] = [];
    for (const x of this.exchanges.values()) for (const b of x.outgoing.values()) if (isDurableBinding(x, b.destination)) out.push(b);
    return out;
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
    this.removeQueue(q, 'queue deleted');
  }

  sinkError(q: Queue, err: unknown): void {
    this.env.log.error({ vhost: this.name, queue: q.name, err }, 'consumer sink threw');
  }

  // ---- consume / get / settle ---------------------------------------------------------------

  private touch(id: ConnectionId, q: Queue): void {
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
        if (q.exclusiveOwner === connectionId) this.removeQueue(q, 'exclusive owner gone');
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
    for (const q of [...this.queues.values()]) this.removeQueue(q, 'vhost deleted');
    this.exchanges.clear();
    this.directReplies.clear();
    this.touched.clear();
  }

  /** Stop every queue timer (broker close). */
  stopTimers(): void {
    for (const q of this.queues.values()) q.stopTimers();
  }
}

function isDurableBinding(src: Exchange, dest: Destination): boolean {
  if (!src.options.durable) return false;
  if (dest.kind === 'exchange') return dest.options.durable;
  return dest.options.durable && !dest.options.exclusive;
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

function splitRef(ref: string): [string, string] {
  const i = ref.indexOf('\u0000');
  return [ref.slice(0, i), ref.slice(i + 1)];
}

/** AMQP 0-9-1 expiration: a non-negative integer in ms as a string; anything else means none here (protocols reject bad values). */
export function parseExpiration(e: string | undefined): number {
  if (e === undefined) return -1;
  if (!/^\d{1,10}$/.test(e)) return -1;
  return Number(e);
}
