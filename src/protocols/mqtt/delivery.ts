/**
 * Server -> client delivery (MQTT 5 §4.3, §4.9): consumers on the session queue and on
 * shared-group queues, packet identifiers, the in-flight window (the client's Receive
 * Maximum, our maxInflightOutbound for 3.1.1), PUBACK / PUBREC / PUBREL / PUBCOMP,
 * outbound topic aliases, the client's Maximum Packet Size, and retained messages sent
 * on SUBSCRIBE.
 *
 * Settlement: QoS 0 is settled when written; QoS 1 on PUBACK; QoS 2 on PUBCOMP. After
 * PUBREC only the packet id is in flight (PUBREL/PUBCOMP, §4.3.3), so a reconnect resends
 * PUBREL rather than the message; but the clients deliver a QoS 2 message to the
 * application only on PUBREL (MQTT.js, paho), so until PUBCOMP the message stays
 * unsettled in its queue. A crash before PUBCOMP then brings the message back (the
 * session's PUBREL state is in memory), instead of losing it with the PUBREL we owed.
 * A connection that merely ends settles it: the session, still in memory, resends PUBREL.
 */
import {
  encodeAck,
  encodePublish,
  PacketType,
  PUBLISH_INLINE_MAX,
  publishSize,
  ReasonCode,
  type AckPacket,
  type MqttProperties,
  type ProtocolLevel,
  type QoS,
} from '../../codecs/mqtt/index.js';
import type { Consumer, ConsumerSink, Delivery, QueueDeliveryTag } from '../../core/api.js';
import type { Message, MessageId, MessageProperties } from '../../core/message.js';
import type { MqttConnection } from './connection.js';
import { deliveryTopic, hasNoProperties, messageQoS, toMqttProperties, wasRetained } from './message-adapter.js';
import { originOf, type Session, type SubscriptionState } from './session.js';
import { filterMatches } from './topic.js';

interface InFlight {
  /** Source queue; undefined for a retained message sent on SUBSCRIBE (nothing to settle). */
  readonly queue: string | undefined;
  readonly tag: QueueDeliveryTag;
  readonly qos: 1 | 2;
  readonly messageId: MessageId | undefined;
}

export interface PendingRetained {
  readonly topic: string;
  readonly qos: QoS;
  readonly properties: MessageProperties;
  readonly body: Buffer;
  readonly subscriptionId: number | undefined;
}

const ACK: { readonly kind: 'ack' } = Object.freeze({ kind: 'ack' });

/**
 * The last QoS 0 PUBLISH encoded without properties. A fan-out delivers one message to
 * every subscriber's session in a row, and without a packet id or properties the packet
 * is the same bytes for each: encode once, write the same buffer to every socket
 * (writes never modify it). Keyed by the body buffer's identity (one message, one body),
 * topic, protocol level and retain flag.
 */
const lastQos0: { body: Buffer | undefined; topic: string; level: number; retain: boolean; packet: Buffer | undefined } = {
  body: undefined,
  topic: '',
  level: 0,
  retain: false,
  packet: undefined,
};

function sharedQos0Publish(level: ProtocolLevel, topic: string, retain: boolean, body: Buffer): Buffer {
  const last = lastQos0;
  if (last.packet !== undefined && last.body === body && last.topic === topic && last.level === level && last.retain === retain) return last.packet;
  const packet = encodePublish(level, topic, 0, false, retain, 0, undefined, body);
  last.body = body;
  last.topic = topic;
  last.level = level;
  last.retain = retain;
  last.packet = packet;
  return packet;
}
const NO_TAG = 0 as QueueDeliveryTag;

/**
 * A message published at QoS 0 goes out at QoS 0 whatever the subscription's QoS, so
 * nothing is left to settle after sending: the queue settles it on delivery
 * (QueueSink.settlesOnSend) and Outbound.deliver must not settle it again.
 */
const settledOnSend = (messageQos: QoS): boolean => messageQos === 0;

class QueueSink implements ConsumerSink {
  constructor(
    private readonly out: Outbound,
    /** The shared subscription this consumer serves; undefined for the session queue. */
    readonly shared: SubscriptionState | undefined,
  ) {}
  hasCredit(): boolean {
    return this.out.hasCredit();
  }
  deliver(d: Delivery): void {
    this.out.deliver(d, this.shared);
  }
  settlesOnSend(m: Message): boolean {
    return settledOnSend(messageQoS(m.properties));
  }
  cancelledByBroker(reason: string): void {
    this.out.consumerCancelled(this, reason);
  }
}

const NO_INFLIGHT: ReadonlyMap<number, InFlight> = new Map();
const NO_PACKET_IDS: ReadonlySet<number> = new Set();

/**
 * The Maps and the retained-message list are created on first use: an idle connection
 * (no subscription) never needs them, and each empty one costs ~0.2 KiB (docs/performance.md).
 */
export class Outbound {
  private inflightMap: Map<number, InFlight> | undefined;
  /** QoS 2 deliveries PUBRECed on this connection, unsettled until PUBCOMP (see the file comment). */
  private releasedMap: Map<number, InFlight> | undefined;
  private nextPacketId = 0;
  private window = 65_535;
  /** The client's Maximum Packet Size (MQTT 5 §3.1.2.11.4); 0 = no limit. */
  clientMaxPacketSize = 0;
  private aliasMax = 0;
  private aliases: Map<string, number> | undefined;
  private sessionConsumer: Consumer | undefined;
  private sharedConsumers: Map<string, Consumer> | undefined;
  private pendingRetained: PendingRetained[] | undefined;
  private consumerSeq = 0;
  /** Acknowledgements in the chunk being handled freed window: dispatch once at its end. */
  private pumpDue = false;

  constructor(private readonly c: MqttConnection) {}

  /** The client's Receive Maximum, Maximum Packet Size (0 = none) and Topic Alias Maximum. */
  configure(receiveMaximum: number, maxPacketSize: number, topicAliasMaximum: number): void {
    this.window = Math.max(1, Math.min(receiveMaximum, this.c.limits.maxInflightOutbound));
    this.clientMaxPacketSize = maxPacketSize;
    this.aliasMax = topicAliasMaximum;
  }

  private get session(): Session {
    return this.c.session!;
  }

  /** In-flight QoS 1/2 deliveries by packet id (read-only view; empty until the first). */
  private get inflight(): ReadonlyMap<number, InFlight> {
    return this.inflightMap ?? NO_INFLIGHT;
  }

  /** The session's outbound QoS 2 ids awaiting PUBCOMP (read-only view). */
  private get pubrel(): ReadonlySet<number> {
    return this.c.session?.outboundPubrel ?? NO_PACKET_IDS;
  }

  /** Resume a session: consume its queues, and resend PUBREL for QoS 2 in progress [MQTT-4.4.0-1]. */
  attachSession(s: Session): void {
    if (s.outboundPubrel !== undefined) for (const id of s.outboundPubrel) this.c.send(encodeAck(this.c.level, PacketType.PUBREL, id));
    if (s.queueDeclared) this.consumeSessionQueue();
    for (const sub of s.subscriptions.values()) if (sub.group !== undefined) this.consumeShared(sub);
  }

  consumeSessionQueue(): void {
    if (this.sessionConsumer !== undefined) return;
    const s = this.session;
    this.sessionConsumer = s.vhost.consume(this.c.principal!, s.queue, new QueueSink(this, undefined), {
      tag: `mqtt-${this.c.connectionId}-${++this.consumerSeq}`,
      noAck: false,
      exclusive: false,
      priority: 0,
      arguments: {},
    });
  }

  consumeShared(sub: SubscriptionState): void {
    if (this.sharedConsumers?.has(sub.queue) === true) return;
    const consumer = this.session.vhost.consume(this.c.principal!, sub.queue, new QueueSink(this, sub), {
      tag: `mqtt-${this.c.connectionId}-${++this.consumerSeq}`,
      noAck: false,
      exclusive: false,
      priority: 0,
      arguments: {},
    });
    (this.sharedConsumers ??= new Map()).set(sub.queue, consumer);
  }

  cancelShared(queue: string): void {
    const consumer = this.sharedConsumers?.get(queue);
    if (consumer === undefined) return;
    this.sharedConsumers!.delete(queue);
    consumer.cancel();
  }

  consumerCancelled(sink: QueueSink, reason: string): void {
    this.c.log.info({ clientId: this.c.clientId, reason }, 'mqtt: consumer cancelled by the broker');
    if (sink.shared !== undefined) this.sharedConsumers?.delete(sink.shared.queue);
    else {
      this.sessionConsumer = undefined;
      if (this.c.session !== undefined) this.c.session.queueDeclared = false;
    }
  }

  private get used(): number {
    return this.inflight.size + this.pubrel.size;
  }

  hasCredit(): boolean {
    return this.c.state === 'connected' && !this.c.stream.writableNeedDrain && (this.pendingRetained === undefined || this.pendingRetained.length === 0) && this.used < this.window;
  }

  deliver(d: Delivery, shared: SubscriptionState | undefined): void {
    const m = d.message;
    const topic = deliveryTopic(m);
    const msgQos = messageQoS(m.properties);
    let maxQos = -1;
    let subIds: number[] | undefined;
    let rap = false;
    if (shared !== undefined) {
      maxQos = shared.qos;
      if (shared.subscriptionId !== undefined) subIds = [shared.subscriptionId];
      rap = shared.retainAsPublished;
    } else {
      // One copy per message with the highest QoS of the matching subscriptions and all
      // their identifiers ([MQTT-3.3.4-2], [MQTT-3.3.4-3]).
      const s = this.session;
      const origin = originOf(m);
      // Common case, one subscription: the message reached the queue through its binding.
      const only = s.subscriptions.size === 1 ? s.subscriptions.values().next().value : undefined;
      if (only !== undefined && only.group === undefined && !(only.noLocal && origin === s.key)) {
        maxQos = only.qos;
        if (only.subscriptionId !== undefined) subIds = [only.subscriptionId];
        rap = only.retainAsPublished;
      } else {
        for (const sub of s.subscriptions.values()) {
          if (sub.group !== undefined || !filterMatches(sub.filter, topic)) continue;
          if (sub.noLocal && origin === s.key) continue;
          if (sub.qos > maxQos) maxQos = sub.qos;
          if (sub.subscriptionId !== undefined) (subIds ??= []).push(sub.subscriptionId);
          if (sub.retainAsPublished) rap = true;
        }
      }
      // No live subscription matches (unsubscribed while queued, or routed by another exchange):
      // deliver at the message's own QoS.
      if (maxQos < 0) maxQos = 2;
    }
    const qos = Math.min(maxQos, msgQos) as QoS;
    const queue = settledOnSend(msgQos) ? undefined : d.queue; // undefined: nothing to settle
    this.emit(topic, qos, rap && wasRetained(m), m.properties, m.body, subIds, queue, d.tag, d.redelivered, m.id);
  }

  /** Queue retained messages for a new subscription; they go before further queue deliveries. */
  sendRetained(list: PendingRetained[]): void {
    const pending = (this.pendingRetained ??= []);
    for (const r of list) pending.push(r);
    this.pump();
  }

  private emit(
    topic: string,
    qos: QoS,
    retain: boolean,
    properties: MessageProperties,
    body: Buffer,
    subIds: number[] | undefined,
    queue: string | undefined,
    tag: QueueDeliveryTag,
    redelivered: boolean,
    messageId: MessageId | undefined,
  ): void {
    const c = this.c;
    let props: MqttProperties | undefined;
    if (c.level === 5) {
      props = toMqttProperties(properties, Date.now());
      if (props === undefined) {
        this.settle(queue, tag); // expired while queued [MQTT-3.3.2-5]
        return;
      }
      if (subIds !== undefined) props.subscriptionIdentifiers = subIds;
    }
    // [MQTT-3.1.2-25]: a packet over the client's Maximum Packet Size is dropped as if sent.
    if (this.clientMaxPacketSize > 0 && publishSize(c.level, topic, qos, props, body.length) > this.clientMaxPacketSize) {
      this.settle(queue, tag);
      return;
    }
    let wireTopic = topic;
    if (props !== undefined && this.aliasMax > 0) {
      const aliases = (this.aliases ??= new Map());
      const known = aliases.get(topic);
      if (known !== undefined) {
        props.topicAlias = known;
        wireTopic = ''; // [MQTT-3.3.2-12] topic omitted when the alias is known
      } else if (aliases.size < this.aliasMax) {
        const a = aliases.size + 1;
        aliases.set(topic, a);
        props.topicAlias = a;
      }
    }
    const packetId = qos > 0 ? this.allocatePacketId(messageId) : 0;
    if (qos === 0 && (props === undefined || hasNoProperties(props))) c.send(sharedQos0Publish(c.level, wireTopic, retain, body));
    // DUP only on a resend of a QoS > 0 message [MQTT-3.3.1-3].
    else c.send(encodePublish(c.level, wireTopic, qos, qos > 0 && redelivered, retain, packetId, props, body));
    if (body.length > PUBLISH_INLINE_MAX) c.send(body);
    if (qos === 0) this.settle(queue, tag);
    else (this.inflightMap ??= new Map()).set(packetId, { queue, tag, qos: qos as 1 | 2, messageId });
  }

  private allocatePacketId(messageId: MessageId | undefined): number {
    const s = this.session;
    const pubrel = this.pubrel;
    // A message that was in flight when the last connection ended goes out again with
    // the same packet id (close() wrote those down).
    const remembered = s.packetIdByMessage;
    if (messageId !== undefined && remembered !== undefined && remembered.size > 0) {
      const prev = remembered.get(messageId);
      if (prev !== undefined) {
        remembered.delete(messageId);
        if (!this.inflight.has(prev) && !pubrel.has(prev)) return prev;
      }
    }
    for (let i = 0; i < 65_535; i++) {
      this.nextPacketId = (this.nextPacketId % 65_535) + 1;
      const id = this.nextPacketId;
      if (this.inflight.has(id) || pubrel.has(id)) continue;
      return id;
    }
    throw new Error('no free packet identifier'); // unreachable: the window is below 65535
  }

  private settle(queue: string | undefined, tag: QueueDeliveryTag): void {
    if (queue === undefined) return;
    try {
      this.session.vhost.settle(queue, tag, ACK);
    } catch (err) {
      // The queue went away (deleted, expired): nothing left to settle.
      this.c.log.debug({ err, queue }, 'mqtt: settle failed');
    }
  }

  private finish(e: InFlight): void {
    this.settle(e.queue, e.tag);
  }

  /** PUBACK (QoS 1 done, §4.3.2). A failure reason code also ends the delivery (no redelivery). */
  onPuback(p: AckPacket): void {
    const e = this.inflight.get(p.packetId);
    if (e === undefined || e.qos !== 1) return; // unknown id: nothing to do
    this.inflightMap!.delete(p.packetId);
    this.finish(e);
    this.pumpDue = true;
  }

  /** PUBREC (QoS 2 step 1, §4.3.3): settle, then owe PUBREL until PUBCOMP. */
  onPubrec(p: AckPacket): void {
    const c = this.c;
    const e = this.inflight.get(p.packetId);
    if (e === undefined || e.qos !== 2) {
      if (this.pubrel.has(p.packetId)) c.send(encodeAck(c.level, PacketType.PUBREL, p.packetId));
      else if (c.level === 5) c.send(encodeAck(5, PacketType.PUBREL, p.packetId, ReasonCode.PacketIdentifierNotFound, c.reasonProps('unknown packet identifier')));
      return;
    }
    this.inflightMap!.delete(p.packetId);
    if (p.reasonCode >= 0x80) {
      // [MQTT-4.3.3-4] a failure PUBREC ends the exchange; the id is free again.
      this.finish(e);
      this.pumpDue = true;
      return;
    }
    (this.releasedMap ??= new Map()).set(p.packetId, e);
    (this.session.outboundPubrel ??= new Set()).add(p.packetId);
    c.send(encodeAck(c.level, PacketType.PUBREL, p.packetId));
  }

  /** PUBCOMP (QoS 2 step 2): the message is the client's application's; the packet id is free. */
  onPubcomp(p: AckPacket): void {
    const e = this.releasedMap?.get(p.packetId);
    if (e !== undefined) {
      this.releasedMap!.delete(p.packetId);
      this.finish(e);
    }
    if (this.c.session?.outboundPubrel?.delete(p.packetId) === true) this.pumpDue = true;
  }

  /**
   * The received chunk is handled. Acknowledgements in it freed window: resume the
   * queues once here rather than once per PUBACK, so a chunk of acks becomes one
   * dispatch pass and one batch of writes.
   */
  endOfChunk(): void {
    if (!this.pumpDue) return;
    this.pumpDue = false;
    this.pump();
  }

  onDrain(): void {
    this.pump();
  }

  /** Credit came back: send queued retained messages first, then let the queues dispatch. */
  pump(): void {
    if (this.c.state !== 'connected') return;
    const pending = this.pendingRetained;
    while (pending !== undefined && pending.length > 0 && this.used < this.window && !this.c.stream.writableNeedDrain) {
      const r = pending.shift()!;
      this.emit(r.topic, r.qos, true, r.properties, r.body, r.subscriptionId === undefined ? undefined : [r.subscriptionId], undefined, NO_TAG, false, undefined);
    }
    if (!this.hasCredit()) return;
    this.sessionConsumer?.resume();
    if (this.sharedConsumers !== undefined) for (const consumer of this.sharedConsumers.values()) consumer.resume();
  }

  /**
   * Connection over: stop consuming, return unacknowledged messages to their queues in order.
   * QoS 2 messages past PUBREC are settled: the session resends PUBREL on its next connection
   * ([MQTT-4.4.0-1]). When the broker is stopping they are left unsettled instead: the
   * session's PUBREL state dies with the process, and the message comes back after restart.
   */
  close(brokerStopping = false): void {
    this.sessionConsumer?.cancel();
    this.sessionConsumer = undefined;
    if (this.sharedConsumers !== undefined) for (const consumer of this.sharedConsumers.values()) consumer.cancel();
    this.sharedConsumers = undefined;
    if (this.pendingRetained !== undefined) this.pendingRetained.length = 0; // stops a pump() in progress
    this.pendingRetained = undefined;
    const released = this.releasedMap;
    this.releasedMap = undefined;
    if (released !== undefined && !brokerStopping) for (const e of released.values()) this.finish(e);
    if (this.inflight.size === 0) return;
    const byQueue = new Map<string, QueueDeliveryTag[]>();
    const session = this.c.session;
    for (const [packetId, e] of this.inflight) {
      // [MQTT-4.4.0-1]: on the session's next connection this message goes out again
      // with the same packet id (allocatePacketId reads this). Written here, not per
      // delivery: only messages in flight at the end need it.
      if (e.messageId !== undefined && session !== undefined) {
        const ids = (session.packetIdByMessage ??= new Map());
        if (ids.size < 65_535) ids.set(e.messageId, packetId);
      }
      if (e.queue === undefined) continue;
      let tags = byQueue.get(e.queue);
      if (tags === undefined) byQueue.set(e.queue, (tags = []));
      tags.push(e.tag);
    }
    this.inflightMap = undefined;
    const vhost = this.c.session?.vhost ?? this.c.vhost;
    for (const [queue, tags] of byQueue) {
      try {
        vhost?.requeue(queue, tags);
      } catch (err) {
        this.c.log.debug({ err, queue }, 'mqtt: requeue failed');
      }
    }
  }
}
