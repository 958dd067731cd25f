/**
 * The contract between the protocol layers (src/protocols/*) and the routing core.
 *
 * Every protocol maps onto this one model (DESIGN §1):
 *   Broker -> VirtualHost -> exchange -> binding (+ optional filter) -> queue -> consumer
 *
 * Rules every implementation keeps:
 * - The core never imports a codec or sees a protocol frame.
 * - Operations that fail throw `BrokerError` (src/core/errors.ts); protocols map codes.
 * - Each mutating call takes a `Principal`, so permissions and exclusive-queue
 *   ownership are checked here once for every protocol.
 * - Delivery is push-based with credit: a queue calls `ConsumerSink.deliver` only
 *   while `ConsumerSink.hasCredit()` is true; when a sink regains credit (an ack, a
 *   socket 'drain', an MQTT PUBACK, an AMQP 1.0 flow) the protocol calls
 *   `Consumer.resume()`. No promise or closure per message on this path.
 */
import type { FieldTable, Message, MessageProperties } from './message.js';

/** Identifies one client connection (for exclusive queues and consumer ownership). */
export type ConnectionId = number & { readonly __brand: 'ConnectionId' };

/** A queue-local delivery number; protocols map their own tags onto it. */
export type QueueDeliveryTag = number & { readonly __brand: 'QueueDeliveryTag' };

/** Who performs an operation. */
export interface Principal {
  readonly user: User;
  readonly connectionId: ConnectionId;
}

export interface User {
  readonly name: string;
  /** RabbitMQ-style tags: administrator, monitoring, management, ... */
  readonly tags: readonly string[];
}

export type ExchangeType = 'direct' | 'fanout' | 'topic' | 'headers';

export interface ExchangeOptions {
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  arguments: FieldTable;
}

export interface ExchangeInfo extends ExchangeOptions {
  readonly name: string;
  readonly type: ExchangeType;
}

export interface QueueOptions {
  durable: boolean;
  /** Exclusive to the declaring connection (Principal.connectionId). */
  exclusive: boolean;
  autoDelete: boolean;
  /** x-message-ttl, x-expires, x-max-length, x-max-length-bytes, x-overflow,
   *  x-dead-letter-exchange, x-dead-letter-routing-key, x-max-priority,
   *  x-single-active-consumer, x-queue-type ... validated by the core. */
  arguments: FieldTable;
}

export interface QueueDeclareResult {
  /** Server-generated (amq.gen-...) when the declared name was ''. */
  readonly name: string;
  readonly messageCount: number;
  readonly consumerCount: number;
}

export interface QueueInfo extends QueueOptions {
  readonly name: string;
  readonly messageCount: number;
  readonly unackedCount: number;
  readonly consumerCount: number;
  /** Additive (core): body bytes of ready messages (what x-max-length-bytes limits). */
  readonly messageBytes?: number;
  /** Additive (core): lifetime counters for management/metrics. */
  readonly stats?: QueueStats;
}

/** Monotonic per-queue counters since the queue was created (or the broker started). */
export interface QueueStats {
  readonly published: number;
  readonly delivered: number;
  readonly redelivered: number;
  readonly acked: number;
  /** Left without delivery: expired, dropped by overflow, rejected without requeue. */
  readonly discarded: number;
}

/** Optional extra predicate on a binding (JMS selectors, MQTT no-local / `$` rules). */
export type MessageFilter = (message: Message) => boolean;

/**
 * ADDITIVE: the text a binding filter was compiled from, in a language the server
 * registered (BrokerOptions.filterCompilers), e.g. `{ language: 'jms-selector',
 * expression: "colour = 'red'" }`. A durable binding keeps it in the definitions, so the
 * filter is rebuilt at recovery: a JMS durable subscription with a selector must not
 * take every message between a restart and its subscriber's return.
 */
export interface FilterSource {
  readonly language: string;
  readonly expression: string;
}

export interface BindingSpec {
  /** Source exchange. */
  readonly source: string;
  readonly destinationKind: 'queue' | 'exchange';
  readonly destination: string;
  readonly routingKey: string;
  readonly arguments: FieldTable;
  /**
   * Not persisted by itself: a protocol that sets it either re-creates the binding on
   * reconnect or gives `filterSource` too.
   */
  readonly filter?: MessageFilter;
  /** ADDITIVE: what `filter` was compiled from; persisted with a durable binding (FilterSource). */
  readonly filterSource?: FilterSource;
}

export interface PublishOptions {
  /** AMQP mandatory: the caller wants to know when no queue took the message. */
  readonly mandatory: boolean;
}

export interface PublishResult {
  /** Number of queues that accepted the message (after alternate exchanges). */
  readonly routed: number;
  /** At least one queue refused it (x-overflow reject-publish[-dlx]): a confirm must be a nack. */
  readonly rejected: boolean;
  /**
   * It was written to the store (persistent message in at least one durable queue):
   * the caller must wait for `Broker.afterSync` before confirming it.
   */
  readonly needsSync: boolean;
}

/** One message handed to one consumer (or to basic.get). */
export interface Delivery {
  readonly queue: string;
  readonly tag: QueueDeliveryTag;
  readonly message: Message;
  readonly redelivered: boolean;
  /** Messages remaining ready in the queue after this one (basic.get-ok message-count). */
  readonly remaining: number;
}

/** Implemented by each protocol's consumer. */
export interface ConsumerSink {
  /** May the queue push one more delivery now? (prefetch, link credit, socket backpressure) */
  hasCredit(): boolean;
  /** Push a delivery. Called only after hasCredit() returned true. */
  deliver(delivery: Delivery): void;
  /**
   * Optional, for a consumer that acknowledges some deliveries and not others: true when
   * `message` will count as settled once sent (MQTT: a QoS 0 message, even on a QoS 1
   * subscription, MQTT 5 §3.8.4). The queue then delivers it as to a no-ack consumer: it
   * is never held unacked, and the sink must not settle it.
   */
  settlesOnSend?(message: Message): boolean;
  /** The broker ended this consumer (queue deleted, SAC change is not a cancel). */
  cancelledByBroker(reason: string): void;
}

export interface ConsumeOptions {
  /** Protocol-chosen consumer tag, unique per connection/channel; used for logs and management. */
  readonly tag: string;
  /** Deliveries are settled on send (AMQP no-ack, MQTT QoS 0 subscribers, STOMP ack:auto). */
  readonly noAck: boolean;
  /** Exclusive consumer: refuse if the queue has other consumers, and others while it lives. */
  readonly exclusive: boolean;
  /** x-priority: higher first; equal priorities share round-robin. */
  readonly priority: number;
  /** Optional consumer-side filter (JMS selector on a queue). Non-matching messages are skipped, not removed. */
  readonly filter?: MessageFilter;
  readonly arguments: FieldTable;
}

/** Handle returned by `consume`. */
export interface Consumer {
  readonly tag: string;
  readonly queue: string;
  /** The sink has credit again: try to dispatch. Cheap to call often. */
  resume(): void;
  /** Stop consuming. Unacked deliveries stay unacked until settled or `requeueUnacked`. */
  cancel(): void;
}

/** What happens to a settled delivery. */
export type Settlement =
  | { readonly kind: 'ack' }
  /** Reject/nack. requeue=false dead-letters (reason 'rejected') or drops. */
  | { readonly kind: 'reject'; readonly requeue: boolean };

export interface VirtualHost {
  readonly name: string;

  declareExchange(p: Principal, name: string, type: ExchangeType, opts: ExchangeOptions, passive: boolean): ExchangeInfo;
  deleteExchange(p: Principal, name: string, ifUnused: boolean): void;
  getExchange(name: string): ExchangeInfo | undefined;
  listExchanges(): ExchangeInfo[];

  declareQueue(p: Principal, name: string, opts: QueueOptions, passive: boolean): QueueDeclareResult;
  /** Returns the number of messages deleted. */
  deleteQueue(p: Principal, name: string, ifUnused: boolean, ifEmpty: boolean): number;
  /** Returns the number of messages purged. */
  purgeQueue(p: Principal, name: string): number;
  getQueue(name: string): QueueInfo | undefined;
  listQueues(): QueueInfo[];

  bind(p: Principal, binding: BindingSpec): void;
  unbind(p: Principal, binding: BindingSpec): void;
  listBindings(): BindingSpec[];

  /**
   * Route and enqueue. Throws NotFound for an unknown exchange, AccessRefused for
   * an internal exchange or missing write permission.
   */
  publish(p: Principal, exchange: string, routingKey: string, properties: MessageProperties, body: Buffer, opts: PublishOptions): PublishResult;

  consume(p: Principal, queue: string, sink: ConsumerSink, opts: ConsumeOptions): Consumer;
  /** basic.get. noAck removes the message at once. */
  get(p: Principal, queue: string, noAck: boolean): Delivery | undefined;
  /** Settle one delivery made from `queue`. Unknown tags throw PreconditionFailed. */
  settle(queue: string, tag: QueueDeliveryTag, how: Settlement): void;
  /** Return unacked deliveries to their queue in original order (channel close, basic.recover). */
  requeue(queue: string, tags: readonly QueueDeliveryTag[]): void;

  /** The connection is gone: delete its exclusive queues, release what it held. */
  connectionClosed(connectionId: ConnectionId): void;

  /**
   * Direct reply-to (RabbitMQ's amq.rabbitmq.reply-to): register a sink and get the
   * address to put in reply_to; publishes to the default exchange with that routing
   * key go straight to the sink, bypassing queues.
   */
  registerDirectReply(p: Principal, sink: ConsumerSink): { readonly address: string; cancel(): void };
  /**
   * ADDITIVE (amqp091 audit): is a direct reply-to requester registered at this address?
   * RabbitMQ answers a declare of `amq.rabbitmq.reply-to.<address>` with declare-ok
   * while the requester lives and 404 once it is gone.
   */
  hasDirectReply?(address: string): boolean;

  /**
   * Retained messages (MQTT retain flag; usable by any protocol that wants "last value"
   * semantics). Optional: when the core does not provide one, the MQTT layer keeps its
   * own in-memory store per virtual host (src/protocols/mqtt/retained-store.ts).
   * Added by the MQTT work (additive).
   */
  readonly retained?: RetainedStore;
}

/** One retained message: the last one published with "retain" on (exchange, routing key). */
export interface RetainedMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly properties: MessageProperties;
  readonly body: Buffer;
}

/**
 * Protocol-neutral retained-message store: at most one message per (exchange, routing key).
 * Patterns use topic-exchange syntax (`*` one word, `#` zero or more, words split on '.').
 */
export interface RetainedStore {
  /** Replace the retained message for this key. Returns false when a capacity limit refused a new key. */
  set(exchange: string, routingKey: string, properties: MessageProperties, body: Buffer): boolean;
  /** Forget the retained message for this key (an empty retained publish in MQTT). */
  clear(exchange: string, routingKey: string): void;
  /** Retained messages whose routing key matches a topic-exchange binding pattern. */
  match(exchange: string, pattern: string): RetainedMessage[];
  /** Number of retained messages held. */
  readonly size: number;
}

export interface Broker {
  getVhost(name: string): VirtualHost | undefined;
  listVhosts(): string[];
  /**
   * Checks credentials and, for users restricted to loopback (guest by default),
   * the peer address. Returns undefined when refused (protocols send their own
   * auth failure).
   */
  authenticate(username: string, password: string, peerAddress: string): User | undefined;
  /** May this user open this vhost at all? */
  canAccessVhost(user: User, vhost: string): boolean;
  /** Call `done` once everything written to the store so far is durable (group commit). */
  afterSync(done: () => void): void;
  /** Resource alarms (memory, disk): publishers must be paused while any is active. */
  readonly alarms: AlarmState;
  /**
   * ADDITIVE (amqp091): a broker-wide unique ConnectionId, so connections of different
   * protocols never share an id (exclusive-queue ownership is keyed by it). Protocols
   * fall back to their own counter when absent.
   */
  newConnectionId?(): ConnectionId;
  /** ADDITIVE (amqp091): the broker's limits, e.g. maxMessageSize as a protocol's fallback. */
  readonly limits?: BrokerLimits;
}

export interface AlarmState {
  readonly active: boolean;
  /** Listener is called with the new state whenever it changes. Returns an unsubscribe. */
  onChange(listener: (active: boolean, reason: string) => void): () => void;
}

/** Minimal structured logger the core and protocols use (pino satisfies it). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: object): Logger;
}

export interface UserSeed {
  readonly name: string;
  readonly password: string;
  readonly tags: readonly string[];
}

export interface BrokerLimits {
  /** Most queues per vhost (0 = unlimited). */
  readonly maxQueues: number;
  /** Largest message body accepted, in bytes (RabbitMQ default 128 MiB). */
  readonly maxMessageSize: number;
}

export interface BrokerOptions {
  readonly messageStore: import('../store/api.js').MessageStore;
  readonly definitionStore: import('../store/api.js').DefinitionStore;
  /** Users created when the definitions hold none (first start). Default guest/guest. */
  readonly initialUsers: readonly UserSeed[];
  /** Users allowed to connect only from loopback peers (RabbitMQ loopback_users). */
  readonly loopbackUsers: readonly string[];
  readonly limits: BrokerLimits;
  readonly log: Logger;
  /**
   * ADDITIVE (store2): where transient message bodies go when they leave memory
   * (docs/store.md "Paging"). Without it they stay in memory past the budget.
   */
  readonly pageStore?: import('../store/api.js').PageStore;
  /**
   * ADDITIVE (store2): bytes of message bodies (plus a fixed per-message estimate) that
   * queues keep in memory before paging (config store.maxBodyMemory). Default 256 MiB.
   */
  readonly maxBodyMemory?: number;
  /**
   * ADDITIVE: compilers for binding filters by FilterSource.language, used at recovery to
   * rebuild the filters of durable bindings. The core knows no filter language; the
   * server registers them (JMS selectors from the STOMP protocol code).
   */
  readonly filterCompilers?: Readonly<Record<string, (expression: string) => MessageFilter>>;
}

/** The running broker as the server owns it. Created by `createBroker` in src/core/index.ts. */
export interface BrokerHandle extends Broker {
  /** Stop timers, flush and close the stores. */
  close(): Promise<void>;
}
