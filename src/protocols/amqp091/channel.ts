/**
 * One AMQP 0-9-1 channel (§1.5, §2.2.5): content assembly (method, header, body
 * frames, §4.2.6), dispatch of methods to the handler files, delivery tags and
 * unacked deliveries, channel.close in both directions.
 */
import { FRAME_BODY, FRAME_HEADER, FRAME_METHOD, methodSpec, type AnyMethod, type BasicProperties, type Frame, type MethodOf } from '../../codecs/amqp091/index.js';
import type { Delivery, QueueDeliveryTag, Settlement } from '../../core/api.js';
import { ackMethods } from './ack-handlers.js';
import { ConfirmTracker } from './confirm-tracker.js';
import type { AmqpConnection } from './connection.js';
import { consumeMethods } from './consume-handlers.js';
import type { AmqpConsumer, DirectReplySink } from './consumer.js';
import { AmqpError, commandInvalid, frameError, notImplemented, preconditionFailed, toAmqpError, unexpectedFrame } from './errors.js';
import { exchangeMethods } from './exchange-handlers.js';
import { short, toWireProperties } from './message-adapter.js';
import { publish } from './publish-handler.js';
import { queueMethods } from './queue-handlers.js';
import { txMethods, type TxState } from './tx-handlers.js';

/** A delivery the client must still settle. */
export interface Unacked {
  /** The channel's delivery tag. */
  readonly tag: number;
  readonly queue: string;
  readonly qtag: QueueDeliveryTag;
  /** Undefined for basic.get deliveries (not limited by prefetch). */
  readonly consumer: AmqpConsumer | undefined;
}

export type MethodHandler = (ch: Channel, m: AnyMethod) => void;

const enum Expect {
  Method,
  Header,
  Body,
}

const PUBLISH = methodSpec('basic.publish');
const EMPTY = Buffer.alloc(0);

/** Handlers by method name; one file per method group. */
const HANDLERS: Readonly<Record<string, MethodHandler>> = {
  ...exchangeMethods,
  ...queueMethods,
  ...consumeMethods,
  ...ackMethods,
  ...txMethods,
};

export class Channel {
  private closing = false;

  // ---- content assembly (§4.2.6) ----
  private expect = Expect.Method;
  /** The method the content belongs to: basic.publish, or a server-only content method a client sent. */
  private publishMethod: MethodOf<'basic.publish'> | MethodOf<'basic.deliver'> | MethodOf<'basic.get-ok'> | MethodOf<'basic.return'> | undefined;
  private properties: BasicProperties = {};
  private bodySize = 0;
  private bodyFirst: Buffer | undefined;
  private bodyBuf: Buffer | undefined;
  private bodyReceived = 0;

  // ---- consumers and qos ----
  readonly consumers = new Map<string, AmqpConsumer>();
  directReply: DirectReplySink | undefined;
  /** basic.qos global=false: limit given to consumers created afterwards. */
  prefetchPerConsumer = 0;
  /** basic.qos global=true: limit shared by the channel's consumers. */
  prefetchGlobal = 0;
  unackedGlobal = 0;

  // ---- deliveries ----
  private nextTag = 1;
  readonly unacked = new Map<number, Unacked>();

  // ---- modes ----
  confirm: ConfirmTracker | undefined;
  tx: TxState | undefined;
  /** RabbitMQ: '' as a queue name means the queue most recently declared on this channel. */
  lastQueue = '';

  constructor(
    readonly conn: AmqpConnection,
    readonly id: number,
  ) {}

  get isOpen(): boolean {
    return !this.closing;
  }

  // =====================================================================================
  // Frames
  // =====================================================================================

  handleFrame(f: Frame): void {
    if (this.closing) {
      // §2.2.5: after sending channel.close, discard all but close / close-ok.
      if (f.type === FRAME_METHOD) {
        if (f.method.name === 'channel.close-ok') this.conn.channelClosed(this);
        else if (f.method.name === 'channel.close') {
          this.conn.out().method(this.id, 'channel.close-ok', {});
          this.conn.channelClosed(this);
        }
      }
      return;
    }
    // Errors while content is being assembled name the content's method (RabbitMQ).
    const content = this.publishMethod;
    try {
      switch (this.expect) {
        case Expect.Method:
          if (f.type !== FRAME_METHOD) throw unexpectedFrame('expected method frame, got non method frame instead');
          this.onMethod(f.method);
          return;
        case Expect.Header:
          if (f.type !== FRAME_HEADER) {
            throw unexpectedFrame(`expected content header for class 60, got non content header frame instead`);
          }
          if (f.header.classId !== 60) {
            throw unexpectedFrame(`expected content header for class 60, got one for class ${f.header.classId} instead`);
          }
          this.onHeader(f.header.bodySize, f.header.properties);
          return;
        case Expect.Body:
          if (f.type !== FRAME_BODY) throw unexpectedFrame('expected content body, got non content body frame instead');
          this.onBody(f.payload);
          return;
      }
    } catch (e) {
      const m = content !== undefined ? methodSpec(content.name) : f.type === FRAME_METHOD ? methodSpec(f.method.name) : PUBLISH;
      this.fail(toAmqpError(e, m.classId, m.methodId));
    }
  }

  private onMethod(m: AnyMethod): void {
    // Content-bearing methods are followed by a header and body (§4.2.6), whoever may
    // send them: RabbitMQ assembles the content before it refuses a server-only one.
    if (m.name === 'basic.publish' || m.name === 'basic.deliver' || m.name === 'basic.get-ok' || m.name === 'basic.return') {
      this.publishMethod = m;
      this.expect = Expect.Header;
      return;
    }
    switch (m.name) {
      case 'channel.close':
        this.teardown();
        this.conn.out().method(this.id, 'channel.close-ok', {});
        this.conn.channelClosed(this);
        return;
      case 'channel.flow':
        // RabbitMQ does not let clients stop the server's deliveries this way.
        if (!m.active) throw notImplemented('active=false');
        this.conn.out().method(this.id, 'channel.flow-ok', { active: true });
        return;
      case 'channel.flow-ok':
        return;
      case 'channel.open':
        throw commandInvalid("second 'channel.open' seen");
      case 'access.request':
        this.conn.out().method(this.id, 'access.request-ok', { ticket: 1 });
        return;
    }
    const h = HANDLERS[m.name];
    // Server-to-client methods and other classes' methods on a channel: RabbitMQ's catch-all.
    if (h === undefined) throw commandInvalid('unimplemented method');
    h(this, m);
  }

  /** §4.2.6: body-size is known from the header; refuse oversize bodies before buffering them. */
  private onHeader(bodySize: number, properties: BasicProperties): void {
    const max = this.conn.maxMessageSize;
    if (bodySize > max) {
      this.resetContent();
      throw preconditionFailed(`message size ${bodySize} is larger than configured max size ${max}`);
    }
    this.properties = properties;
    this.bodySize = bodySize;
    this.bodyReceived = 0;
    if (bodySize === 0) {
      this.completeContent(EMPTY);
      return;
    }
    this.expect = Expect.Body;
  }

  private onBody(payload: Buffer): void {
    const remaining = this.bodySize - this.bodyReceived;
    if (payload.length > remaining) throw frameError('content body frame exceeds remaining content size');
    if (this.bodyReceived === 0 && payload.length === this.bodySize) {
      this.bodyReceived = payload.length;
      this.completeContent(payload); // single frame: zero-copy slice of the received chunk
      return;
    }
    if (this.bodyBuf === undefined) {
      if (this.bodyFirst === undefined) {
        this.bodyFirst = payload;
        this.bodyReceived = payload.length;
        if (this.bodyReceived === this.bodySize) this.completeContent(payload);
        return;
      }
      // Second piece: one buffer of the announced size (checked against max above).
      this.bodyBuf = Buffer.allocUnsafe(this.bodySize);
      this.bodyFirst.copy(this.bodyBuf, 0);
      this.bodyFirst = undefined;
    }
    payload.copy(this.bodyBuf, this.bodyReceived);
    this.bodyReceived += payload.length;
    if (this.bodyReceived === this.bodySize) this.completeContent(this.bodyBuf);
  }

  private completeContent(body: Buffer): void {
    const m = this.publishMethod!;
    const props = this.properties;
    this.resetContent();
    if (m.name !== 'basic.publish') {
      const spec = methodSpec(m.name);
      throw new AmqpError(503, 'unimplemented method', spec.classId, spec.methodId);
    }
    publish(this, m, props, body);
  }

  private resetContent(): void {
    this.expect = Expect.Method;
    this.publishMethod = undefined;
    this.properties = {};
    this.bodyFirst = undefined;
    this.bodyBuf = undefined;
    this.bodySize = 0;
    this.bodyReceived = 0;
  }

  // =====================================================================================
  // Deliveries
  // =====================================================================================

  deliver(c: AmqpConsumer, d: Delivery): void {
    const tag = this.nextTag;
    const msg = d.message;
    try {
      this.conn.out().deliver(this.id, c.tag, tag, d.redelivered, short(msg.exchange), short(msg.routingKey), toWireProperties(msg.properties), msg.body);
    } catch (err) {
      this.undeliverable(d, err, !c.noAck);
      return;
    }
    this.nextTag++;
    if (!c.noAck) {
      this.unacked.set(tag, { tag, queue: d.queue, qtag: d.tag, consumer: c });
      c.unacked++;
      this.unackedGlobal++;
    }
  }

  deliverDirectReply(s: DirectReplySink, d: Delivery): void {
    const msg = d.message;
    try {
      this.conn.out().deliver(this.id, s.tag, this.nextTag, false, short(msg.exchange), short(msg.routingKey), toWireProperties(msg.properties), msg.body);
    } catch (err) {
      this.undeliverable(d, err, false);
      return;
    }
    this.nextTag++;
  }

  /** basic.get-ok: a delivery outside any consumer. */
  deliverGet(d: Delivery, noAck: boolean): void {
    const tag = this.nextTag;
    const msg = d.message;
    const args = { deliveryTag: tag, redelivered: d.redelivered, exchange: short(msg.exchange), routingKey: short(msg.routingKey), messageCount: d.remaining };
    try {
      this.conn.out().content(this.id, 'basic.get-ok', args, toWireProperties(msg.properties), msg.body);
    } catch (err) {
      this.undeliverable(d, err, !noAck);
      this.conn.out().method(this.id, 'basic.get-empty', { clusterId: '' });
      return;
    }
    this.nextTag++;
    if (!noAck) this.unacked.set(tag, { tag, queue: d.queue, qtag: d.tag, consumer: undefined });
  }

  /**
   * A message that cannot be written as AMQP 0-9-1 (e.g. a value no field table can
   * hold, from another protocol): it is dropped (dead-lettered if the queue says so)
   * rather than wedging the consumer. If the encoder could not undo the partial
   * frames, the connection is beyond repair and is dropped.
   */
  private undeliverable(d: Delivery, err: unknown, settle: boolean): void {
    if (this.conn.encoder.broken) {
      this.conn.log.error({ err }, 'amqp091: output stream corrupted by a failed encode; dropping the connection');
      this.conn.destroy();
      return;
    }
    this.conn.log.warn({ err, queue: d.queue }, 'amqp091: message cannot be encoded as AMQP 0-9-1; dropped');
    if (settle) this.conn.vhost.settle(d.queue, d.tag, { kind: 'reject', requeue: false });
  }

  /**
   * Remove and return the deliveries an ack/nack/reject names. RabbitMQ collect_acks:
   * multiple with tag 0 means all; otherwise the tag itself must be outstanding.
   */
  takeUnacked(tag: number, multiple: boolean): Unacked[] {
    const out: Unacked[] = [];
    if (multiple && tag === 0) {
      for (const e of this.unacked.values()) out.push(e);
      this.unacked.clear();
    } else if (!this.unacked.has(tag)) {
      throw preconditionFailed(`unknown delivery tag ${tag}`);
    } else if (!multiple) {
      out.push(this.unacked.get(tag)!);
      this.unacked.delete(tag);
    } else {
      for (const [t, e] of this.unacked) {
        if (t > tag) break; // Map keeps insertion order and tags only grow
        out.push(e);
        this.unacked.delete(t);
      }
    }
    for (const e of out) this.released(e);
    return out;
  }

  /** Put deliveries taken by takeUnacked back (tx.rollback). */
  restoreUnacked(entries: readonly Unacked[]): void {
    const all = [...this.unacked.values(), ...entries].sort((a, b) => a.tag - b.tag);
    this.unacked.clear();
    for (const e of all) this.unacked.set(e.tag, e);
    for (const e of entries) {
      if (e.consumer !== undefined) {
        e.consumer.unacked++;
        this.unackedGlobal++;
      }
    }
  }

  private released(e: Unacked): void {
    if (e.consumer !== undefined) {
      e.consumer.unacked--;
      this.unackedGlobal--;
    }
  }

  settle(entries: readonly Unacked[], how: Settlement): void {
    const vhost = this.conn.vhost;
    for (const e of entries) vhost.settle(e.queue, e.qtag, how);
    if (this.prefetchGlobal !== 0 || entries.length > 4) {
      this.resumeConsumers();
      return;
    }
    // Only the consumers that got credit back need a nudge (hot path: one ack, one consumer).
    for (const e of entries) {
      const c = e.consumer;
      if (c !== undefined && c.handle !== undefined && this.consumers.get(c.tag) === c && c.hasCredit()) c.handle.resume();
    }
  }

  /** Return every unacked delivery to its queue, in delivery order per queue. */
  requeueAll(): void {
    if (this.unacked.size === 0) return;
    const byQueue = new Map<string, QueueDeliveryTag[]>();
    for (const e of this.unacked.values()) {
      let tags = byQueue.get(e.queue);
      if (tags === undefined) byQueue.set(e.queue, (tags = []));
      tags.push(e.qtag);
      this.released(e);
    }
    this.unacked.clear();
    const vhost = this.conn.vhost;
    for (const [queue, tags] of byQueue) {
      try {
        vhost.requeue(queue, tags);
      } catch (err) {
        this.conn.log.error({ err, queue }, 'amqp091: requeue failed');
      }
    }
  }

  resumeConsumers(): void {
    for (const c of this.consumers.values()) {
      if (c.handle !== undefined && c.hasCredit()) c.handle.resume();
    }
  }

  /** The queue went away: RabbitMQ sends basic.cancel to clients with consumer_cancel_notify. */
  consumerCancelledByBroker(c: AmqpConsumer, reason: string): void {
    if (this.consumers.get(c.tag) !== c) return;
    this.consumers.delete(c.tag);
    c.active = false;
    this.conn.log.debug({ consumerTag: c.tag, reason }, 'amqp091: consumer cancelled by broker');
    if (!this.closing && this.conn.isOpen && this.conn.capabilities.consumerCancelNotify) {
      this.conn.out().method(this.id, 'basic.cancel', { consumerTag: c.tag, nowait: true });
    }
  }

  directReplyCancelled(s: DirectReplySink): void {
    if (this.directReply === s) this.directReply = undefined;
  }

  // =====================================================================================
  // Publisher confirms
  // =====================================================================================

  emitConfirms(): void {
    if (this.confirm !== undefined && !this.closing) this.confirm.emit(this);
  }

  // =====================================================================================
  // Closing
  // =====================================================================================

  fail(err: AmqpError): void {
    this.conn.fail(err, this);
  }

  /** Soft error: channel.close with the reply code, then wait for close-ok (§1.5.2.5). */
  closeWithError(err: AmqpError): void {
    if (this.closing) return;
    this.conn.log.debug({ channel: this.id, replyCode: err.replyCode, replyText: err.replyText }, 'amqp091: channel error');
    this.teardown();
    this.conn.out().method(this.id, 'channel.close', { replyCode: err.replyCode, replyText: err.replyText, classId: err.classId, methodId: err.methodId });
  }

  /** Cancel consumers first (so nothing is redelivered here), then requeue unacked. */
  teardown(): void {
    if (this.closing) return;
    this.closing = true;
    this.resetContent();
    for (const c of this.consumers.values()) {
      c.active = false;
      try {
        c.handle?.cancel();
      } catch (err) {
        this.conn.log.error({ err }, 'amqp091: consumer cancel failed');
      }
    }
    this.consumers.clear();
    if (this.directReply !== undefined) {
      this.directReply.cancel?.();
      this.directReply = undefined;
    }
    this.requeueAll();
    this.tx?.clear();
    this.tx = undefined;
    this.confirm = undefined;
  }

  /** Allocate a channel delivery tag (basic.get, deliveries). */
  allocateTag(): number {
    return this.nextTag++;
  }
}
