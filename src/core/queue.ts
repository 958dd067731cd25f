import type { ConnectionId, ConsumerSink, Delivery, MessageFilter, QueueDeliveryTag, QueueOptions, Settlement } from './api.js';
import { ConsumerImpl, ConsumerSet, type ConsumerOwner } from './consumer.js';
import type { DeadLetterReason } from './dead-letter.js';
import type { Deque } from './deque.js';
import { ReadySet } from './ready-set.js';
import { accessRefused, preconditionFailed } from './errors.js';
import type { Message } from './message.js';
import { rs } from './names.js';
import { PagedFlag } from './paged-run.js';
import type { QueueConfig } from './queue-config.js';
import type { Entry } from './queue-entry.js';
import type { QueueHost } from './queue-host.js';
import { QueuePaging } from './queue-paging.js';
import { armUnusedTimer, cancelUnusedTimer, expiryTimerFired, scheduleExpiry } from './queue-timers.js';
import type { QueueKey } from '../store/api.js';

/**
 * Delivery tags come from one process-wide counter rather than per queue: a queue
 * deleted and redeclared under the same name must never reuse a tag that a client
 * may still settle for the old incarnation.
 */
let lastDeliveryTag = 0;

export const enum EnqueueOutcome {
  Accepted = 0,
  Rejected = 1,
}

/**
 * A classic queue (also serves 'quorum' declarations as a durable classic queue).
 * Ready messages live in one ring buffer per priority level (one level when the
 * queue has no x-max-priority). Delivery is push with credit: `dispatch` runs until
 * no message or no consumer with credit is left; it is re-entrancy safe because a
 * sink may call resume/settle from inside `deliver`.
 */
export class Queue implements ConsumerOwner {
  readonly kind = 'queue' as const;
  readonly key: QueueKey;
  /** Routing-pass marker (dedup when several bindings reach the same queue). */
  mark = 0;
  deleted = false;
  exclusiveOwner: ConnectionId | undefined;
  /** Bindings where this queue is the destination, by identity key (for cleanup on delete). */
  readonly incoming = new Set<string>();

  // Not private: the cold operations in queue-admin.ts (info, purge, delete, connection
  // cleanup) and the timers in queue-timers.ts (TTL expiry, x-expires) work on these;
  // nothing outside src/core/queue*.ts and the vhost touches them.
  readonly ready: ReadySet;
  readonly unacked = new Map<number, Entry>();
  readonly consumers = new ConsumerSet();
  exclusiveConsumer: ConsumerImpl | undefined;
  /** Single active consumer: the one that gets every message. */
  active: ConsumerImpl | undefined;
  readonly counters = { published: 0, delivered: 0, redelivered: 0, acked: 0, discarded: 0 };
  /** Message expiry timer, armed for `expiryAt` (the earliest head expiry). */
  expiryTimer: NodeJS.Timeout | undefined;
  expiryAt = 0;
  readonly onExpiryTimer = (): void => expiryTimerFired(this);
  /** x-expires countdown. */
  unusedTimer: NodeJS.Timeout | undefined;

  private nextSeq = 1;
  private consumerOrder = 0;
  /** Tags at or below this were issued before this queue existed (by a deleted namesake). */
  private readonly tagFloor = lastDeliveryTag;
  private everHadConsumer = false;
  private dispatching = false;
  private dispatchAgain = false;
  /** Where ready bodies go when they leave memory (the ReadySet's PagingPort). */
  private readonly paging: QueuePaging;
  /** Set by enqueue during its dispatch: the clock reading the new entry's expiry is based on. */
  private clockHint = 0;

  constructor(
    readonly host: QueueHost,
    readonly name: string,
    readonly options: QueueOptions,
    readonly config: QueueConfig,
    key: QueueKey,
  ) {
    this.key = key;
    this.paging = new QueuePaging(host, name, key, this.counters);
    this.ready = new ReadySet(config.maxPriority, this.paging);
    armUnusedTimer(this);
  }

  get durable(): boolean {
    return this.options.durable;
  }

  get messageCount(): number {
    return this.ready.count;
  }

  get consumerCount(): number {
    return this.consumers.size;
  }

  get unackedCount(): number {
    return this.unacked.size;
  }

  /** Ready messages whose bodies are out of memory. */
  get pagedCount(): number {
    return this.ready.paged;
  }

  // ---- enqueue ---------------------------------------------------------------

  /** Would x-overflow reject-publish[-dlx] refuse one more message of this size? */
  wouldReject(bodyLength: number): boolean {
    const c = this.config;
    if (c.overflow === 'drop-head') return false;
    // RabbitMQ refuses when the queue is already at its limit (ready messages only).
    if (c.maxLength !== undefined && this.ready.count >= c.maxLength) return true;
    if (c.maxLengthBytes !== undefined && this.ready.bytes + bodyLength > c.maxLengthBytes) return true;
    return false;
  }

  /**
   * Add a routed message. `persisted` says the caller wrote it to the store for this
   * queue. `messageTtl` is the per-message expiration in ms (-1 = none).
   */
  enqueue(message: Message, persisted: boolean, messageTtl: number): EnqueueOutcome {
    if (this.wouldReject(message.body.length)) {
      if (this.config.overflow === 'reject-publish-dlx') this.host.deadLetter(this, message, 'maxlen');
      return EnqueueOutcome.Rejected;
    }
    let ttl = this.config.messageTtl ?? -1;
    if (messageTtl >= 0 && (ttl < 0 || messageTtl < ttl)) ttl = messageTtl;
    const maxP = this.config.maxPriority;
    let priority = 0;
    if (maxP !== undefined) {
      const p = message.properties.priority ?? 0;
      priority = p > maxP ? maxP : p < 0 ? 0 : p;
    }
    const now = ttl < 0 ? 0 : Date.now();
    const entry: Entry = {
      message,
      seq: this.nextSeq++,
      redelivered: false,
      expiresAt: ttl < 0 ? 0 : now + ttl,
      priority,
      persisted,
      tag: 0,
      consumer: undefined,
      owner: undefined,
    };
    if (persisted) this.host.store.enqueue(this.key, message.id);
    this.counters.published++;
    this.pushReady(entry);
    // Deliver first, then trim: like RabbitMQ's deliver_or_enqueue, a consumer ready now
    // gets the message even from a queue with x-max-length 0. The dispatch judges expiry
    // by the enqueue's clock reading, so a TTL-0 message is never "already expired"
    // just because the millisecond turned in between.
    this.clockHint = now;
    this.dispatch();
    this.clockHint = 0;
    if (this.config.overflow === 'drop-head' && (this.config.maxLength !== undefined || this.config.maxLengthBytes !== undefined)) this.dropHeadOverLimit();
    if (entry.expiresAt !== 0) this.afterExpiringEnqueue(entry);
    return EnqueueOutcome.Accepted;
  }

  /** Rebuild from the store after a restart, from a record that was read (priority queues). */
  recover(message: Message, delivered: boolean, messageTtl: number): void {
    let ttl = this.config.messageTtl ?? -1;
    if (messageTtl >= 0 && (ttl < 0 || messageTtl < ttl)) ttl = messageTtl;
    const maxP = this.config.maxPriority;
    const p = message.properties.priority ?? 0;
    this.pushReady({
      message,
      seq: this.nextSeq++,
      redelivered: delivered,
      expiresAt: ttl < 0 ? 0 : Date.now() + ttl,
      priority: maxP === undefined ? 0 : p > maxP ? maxP : p < 0 ? 0 : p,
      persisted: true,
      tag: 0,
      consumer: undefined,
      owner: undefined,
    });
  }

  /**
   * Rebuild from the store without reading the record (queues without priorities): the
   * entry stays paged until delivery comes near. `size` is the record's length; the
   * message's own expiration is applied, from now, when it is read back.
   */
  recoverPaged(id: number, delivered: boolean, size: number): void {
    const recoveredAt = this.paging.recoveryTime();
    const ttl = this.config.messageTtl;
    const flags = PagedFlag.Persisted | PagedFlag.Recovered | (delivered ? PagedFlag.Redelivered : 0);
    this.ready.pushPaged(this.ready.levels[0]!, id, this.nextSeq++, ttl === undefined ? 0 : recoveredAt + ttl, size, flags);
  }

  /** Recovery is complete: read the heads back and arm the expiry timer. */
  afterRecovery(): void {
    this.ready.fillHeads();
    scheduleExpiry(this);
  }

  private pushReady(e: Entry): void {
    this.ready.push(e);
  }

  private afterExpiringEnqueue(e: Entry): void {
    // A message with TTL 0 that no consumer took at once is dead already (RabbitMQ).
    if (e.expiresAt <= Date.now()) this.expireHeads(Date.now());
    scheduleExpiry(this);
  }

  /** x-overflow drop-head: drop (dead-letter 'maxlen') the oldest ready messages. */
  private dropHeadOverLimit(): void {
    const { maxLength, maxLengthBytes } = this.config;
    while (
      this.ready.count > 0 &&
      ((maxLength !== undefined && this.ready.count > maxLength) || (maxLengthBytes !== undefined && this.ready.bytes > maxLengthBytes))
    ) {
      const e = this.takeOldest();
      if (!e) break;
      this.discard(e, 'maxlen');
    }
  }

  /**
   * The message that would be delivered next. For priority queues RabbitMQ's drop-head
   * also takes from the highest-priority non-empty sub-queue.
   */
  private takeOldest(): Entry | undefined {
    return this.ready.shift();
  }

  /** The message leaves the queue without being delivered: store cleanup and dead-lettering. */
  private discard(e: Entry, reason: DeadLetterReason | undefined): void {
    this.counters.discarded++;
    if (e.persisted) this.host.store.dequeue(this.key, e.message.id);
    if (reason !== undefined && this.config.deadLetterExchange !== undefined) this.host.deadLetter(this, e.message, reason);
  }

  // ---- expiry ------------------------------------------------------------------

  /**
   * Remove expired messages at the head of each level. Like RabbitMQ, only heads
   * expire: a message behind a longer-lived one waits until it reaches the head.
   * The expiry timer (queue-timers.ts) calls this too.
   */
  expireHeads(now: number): void {
    for (let e = this.ready.takeExpiredHead(now); e !== undefined; e = this.ready.takeExpiredHead(now)) this.discard(e, 'expired');
  }

  // ---- dispatch ------------------------------------------------------------------

  dispatch(): void {
    if (this.dispatching) {
      // A sink called back into us from deliver(): the running loop picks it up.
      this.dispatchAgain = true;
      return;
    }
    if (this.ready.count === 0 || this.consumers.size === 0) return;
    this.dispatching = true;
    try {
      do {
        this.dispatchAgain = false;
        if (this.consumers.filtered > 0) this.dispatchFiltered();
        else this.dispatchHeads();
      } while (this.dispatchAgain && !this.deleted);
    } finally {
      this.dispatching = false;
    }
    if (this.ready.expiring > 0) scheduleExpiry(this);
  }

  private pickConsumer(m: Message): ConsumerImpl | undefined {
    if (this.config.singleActiveConsumer) {
      const a = this.active;
      return a && a.accepts(m) && a.sink.hasCredit() ? a : undefined;
    }
    return this.consumers.pick(m);
  }

  private dispatchHeads(): void {
    let now = this.ready.expiring > 0 ? this.clockHint || Date.now() : 0;
    while (this.ready.count > 0 && !this.deleted) {
      const level = this.ready.headLevel();
      if (level === undefined) return;
      const e = level.peek() as Entry;
      // Strictly past: a TTL-0 message may still go to a consumer that is ready now.
      if (e.expiresAt !== 0 && e.expiresAt < now) {
        level.shift();
        this.ready.removed(e);
        this.discard(e, 'expired');
        now = Date.now();
        continue;
      }
      const c = this.pickConsumer(e.message);
      if (!c) return;
      level.shift();
      this.ready.removed(e);
      this.deliverTo(c, e);
    }
  }

  /** Consumer filters (JMS selectors): a message no consumer accepts is skipped, not removed. */
  private dispatchFiltered(): void {
    // A filter must see every message, so paged ones come back into memory here
    // (docs/store.md "Paging": consumer filters and paging do not mix well).
    this.ready.loadAllLevels();
    const now = this.ready.expiring > 0 ? Date.now() : 0;
    const levels = this.ready.levels;
    for (let li = levels.length - 1; li >= 0; li--) {
      const level = (levels[li] as { head: Deque<Entry> }).head;
      let i = 0;
      while (i < level.length && !this.deleted) {
        const e = level.get(i) as Entry;
        if (e.expiresAt !== 0 && e.expiresAt < now && i === 0) {
          level.shift();
          this.ready.removed(e);
          this.discard(e, 'expired');
          continue;
        }
        const c = this.pickConsumer(e.message);
        if (!c) {
          if (!this.consumers.anyCredit()) return;
          i++;
          continue;
        }
        level.removeAt(i);
        this.ready.removed(e);
        this.deliverTo(c, e);
      }
    }
  }

  private deliverTo(c: ConsumerImpl, e: Entry): void {
    let tag: number;
    if (c.noAck || (c.sink.settlesOnSend !== undefined && c.sink.settlesOnSend(e.message))) {
      tag = ++lastDeliveryTag;
      if (e.persisted) this.host.store.dequeue(this.key, e.message.id);
    } else {
      tag = ++lastDeliveryTag;
      e.tag = tag;
      e.consumer = c;
      e.owner = c.connectionId;
      this.unacked.set(tag, e);
      if (e.persisted) this.host.store.markDelivered(this.key, e.message.id);
    }
    this.counters.delivered++;
    if (e.redelivered) this.counters.redelivered++;
    const d: Delivery = {
      queue: this.name,
      tag: tag as QueueDeliveryTag,
      message: e.message,
      redelivered: e.redelivered,
      remaining: this.ready.count,
    };
    try {
      c.sink.deliver(d);
    } catch (err) {
      this.host.sinkError(this, err);
    }
  }

  // ---- get / settle / requeue ----------------------------------------------------------

  get(owner: ConnectionId, noAck: boolean): Delivery | undefined {
    armUnusedTimer(this);
    if (this.ready.expiring > 0) this.expireHeads(Date.now());
    const level = this.ready.headLevel();
    if (!level) return undefined;
    const e = this.ready.removed(level.shift() as Entry);
    const tag = ++lastDeliveryTag;
    this.counters.delivered++;
    if (e.redelivered) this.counters.redelivered++;
    if (noAck) {
      if (e.persisted) this.host.store.dequeue(this.key, e.message.id);
    } else {
      e.tag = tag;
      e.consumer = undefined;
      e.owner = owner;
      this.unacked.set(tag, e);
      if (e.persisted) this.host.store.markDelivered(this.key, e.message.id);
    }
    if (this.ready.expiring > 0) scheduleExpiry(this);
    return { queue: this.name, tag: tag as QueueDeliveryTag, message: e.message, redelivered: e.redelivered, remaining: this.ready.count };
  }

  settle(tag: QueueDeliveryTag, how: Settlement): void {
    const e = this.unacked.get(tag);
    if (!e) {
      // A delivery of a deleted namesake: it went with that queue, as an ack after
      // queue.delete does in RabbitMQ. Anything else is a double or bogus settle.
      if (tag <= this.tagFloor) return;
      throw preconditionFailed(`unknown delivery tag ${tag}`);
    }
    this.unacked.delete(tag);
    if (how.kind === 'ack') {
      this.counters.acked++;
      if (e.persisted) this.host.store.dequeue(this.key, e.message.id);
      return;
    }
    if (how.requeue) {
      this.returnToReady(e);
      this.afterRequeue();
      return;
    }
    this.discard(e, 'rejected');
  }

  requeue(tags: readonly QueueDeliveryTag[]): void {
    let any = false;
    for (const t of tags) {
      const e = this.unacked.get(t);
      if (!e) continue;
      this.unacked.delete(t);
      this.returnToReady(e);
      any = true;
    }
    if (any) this.afterRequeue();
  }

  /** A delivered message goes back to the ready set, in its place (requeue, connection gone). */
  returnToReady(e: Entry): void {
    e.redelivered = true;
    e.tag = 0;
    e.consumer = undefined;
    e.owner = undefined;
    this.ready.reinsert(e);
  }

  /** After messages went back to ready: expire what is due, then deliver again. */
  afterRequeue(): void {
    if (this.ready.expiring > 0) {
      this.expireHeads(Date.now());
      scheduleExpiry(this);
    }
    this.dispatch();
  }

  // ---- consumers -----------------------------------------------------------------------

  addConsumer(
    tag: string,
    sink: ConsumerSink,
    noAck: boolean,
    exclusive: boolean,
    priority: number,
    filter: MessageFilter | undefined,
    connectionId: ConnectionId,
  ): ConsumerImpl {
    // RabbitMQ: AMQP 0-9-1 §1.8.3.3 "exclusive" consumer; 403 ACCESS_REFUSED on conflict.
    if (this.exclusiveConsumer || (exclusive && this.consumers.size > 0)) {
      throw accessRefused(`${rs('queue', this.name, this.host.vhostName)} in exclusive use`);
    }
    const c = new ConsumerImpl(this, tag, sink, noAck, exclusive, priority, filter, connectionId, this.consumerOrder++);
    this.consumers.add(c);
    if (exclusive) this.exclusiveConsumer = c;
    this.everHadConsumer = true;
    cancelUnusedTimer(this);
    if (this.config.singleActiveConsumer && !this.active) this.active = c;
    this.dispatch();
    return c;
  }

  removeConsumer(c: ConsumerImpl): void {
    if (c.cancelled) return;
    c.cancelled = true;
    if (!this.consumers.remove(c)) return;
    if (this.exclusiveConsumer === c) this.exclusiveConsumer = undefined;
    if (this.active === c) {
      // SAC: the next consumer (highest priority, then earliest) takes over.
      this.active = this.consumers.first();
      if (this.active) this.dispatch();
    }
    if (this.consumers.size === 0 && !this.deleted) {
      // Auto-delete: the queue goes when its last consumer does, if it ever had one.
      if (this.options.autoDelete && this.everHadConsumer) {
        this.host.deleteUnused(this);
        return;
      }
      armUnusedTimer(this);
    }
  }
}
