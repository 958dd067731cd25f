/**
 * Client -> server PUBLISH and PUBREL (MQTT 5 §3.3, §3.6, §4.3): topic aliases, topic
 * rules, retained messages, routing through the core, and acknowledgements that leave
 * only once the message is durable (DESIGN §3: PUBACK/PUBREC after Broker.afterSync when
 * the publish was written to the store).
 *
 * Acknowledgements keep the order the PUBLISHes arrived in [MQTT-4.6.0-2]: those
 * produced while handling one received chunk form a batch; a batch that needs the
 * store waits for one afterSync, and later batches queue behind it.
 */
import { isUtf8 } from 'node:buffer';
import { ackOrShort, encodeShortAcks, PacketType, ReasonCode, shortAck, type AckPacket, type PublishPacket, type ShortAck } from '../../codecs/mqtt/index.js';
import type { PublishOptions, PublishResult } from '../../core/api.js';
import type { MqttConnection } from './connection.js';
import { MqttFailure, reasonCodeFor, reasonStringFor } from './errors.js';
import { toCoreProperties } from './message-adapter.js';
import { retainedStoreFor } from './retained-store.js';
import { clearPublisher, setPublisher } from './session.js';
import { checkTopicName, topicToRoutingKey } from './topic.js';

const PUBLISH_OPTS: PublishOptions = Object.freeze({ mandatory: false });

/** An encoded acknowledgement, or a 4-byte one not encoded yet (written in runs). */
type Ack = Buffer | ShortAck;

interface AckBatch {
  readonly acks: Ack[];
  /** QoS 1 PUBLISHes whose PUBACK is in this batch (they count against Receive Maximum until sent). */
  readonly qos1: number;
}

export class InboundPublishes {
  private acks: Ack[] = [];
  private needsSync = false;
  private qos1 = 0;
  private readonly waiting: AckBatch[] = [];
  /** QoS 1 PUBLISHes received whose PUBACK has not been written yet. */
  unackedQos1 = 0;

  constructor(private readonly c: MqttConnection) {}

  queue(ack: Ack, needsSync: boolean, isQos1: boolean): void {
    this.acks.push(ack);
    if (needsSync) this.needsSync = true;
    if (isQos1) {
      this.qos1++;
      this.unackedQos1++;
    }
  }

  /** The received chunk is fully handled: send its acknowledgements now or after the next sync. */
  endOfChunk(): void {
    if (this.acks.length === 0) return;
    const batch: AckBatch = { acks: this.acks, qos1: this.qos1 };
    const sync = this.needsSync;
    this.acks = [];
    this.needsSync = false;
    this.qos1 = 0;
    if (!sync && this.waiting.length === 0) {
      this.write(batch);
      return;
    }
    this.waiting.push(batch);
    this.c.ctx.broker.afterSync(this.onSynced);
  }

  private readonly onSynced = (): void => {
    const batch = this.waiting.shift();
    if (batch !== undefined) this.write(batch);
  };

  private write(b: AckBatch): void {
    this.unackedQos1 -= b.qos1;
    if (this.c.state !== 'connected') return;
    const acks = b.acks;
    let run = 0; // start of the current run of short acks
    for (let i = 0; i < acks.length; i++) {
      const a = acks[i] as Ack;
      if (typeof a === 'number') continue;
      if (run < i) this.c.send(encodeShortAcks(acks, run, i));
      this.c.send(a);
      run = i + 1;
    }
    if (run < acks.length) this.c.send(encodeShortAcks(acks, run, acks.length));
  }
}

export function handlePublish(c: MqttConnection, p: PublishPacket): void {
  const v5 = c.level === 5;
  const s = c.session!;
  const limits = c.limits;
  let topic = p.topic;
  if (v5) {
    // [MQTT-3.3.4-6]: a client must not send Subscription Identifiers.
    if (p.properties.subscriptionIdentifiers !== undefined) throw new MqttFailure(ReasonCode.ProtocolError, 'subscription identifier in PUBLISH');
    const alias = p.properties.topicAlias;
    if (alias !== undefined) {
      // [MQTT-3.3.2-9] / [MQTT-3.3.2-10]: alias 0 (refused by the codec) or above our maximum.
      if (alias > limits.topicAliasMaximum) throw new MqttFailure(ReasonCode.TopicAliasInvalid, `topic alias ${alias} above maximum ${limits.topicAliasMaximum}`);
      if (topic.length === 0) {
        const known = c.inboundAliases?.get(alias);
        if (known === undefined) throw new MqttFailure(ReasonCode.ProtocolError, `unknown topic alias ${alias}`);
        topic = known;
      } else {
        const bad = checkTopicName(topic, limits);
        if (bad !== undefined) throw new MqttFailure(bad, 'invalid topic name');
        (c.inboundAliases ??= new Map()).set(alias, topic);
      }
    }
  }
  const bad = checkTopicName(topic, limits);
  if (bad !== undefined) throw new MqttFailure(topic.length === 0 && v5 ? ReasonCode.ProtocolError : bad, 'invalid topic name');

  // The broker's message size limit (RabbitMQ max_message_size): 5.0 DISCONNECT 0x95, 3.1.1 close.
  if (p.payload.length > c.maxPayloadSize) throw new MqttFailure(ReasonCode.PacketTooLarge, `message of ${p.payload.length} bytes exceeds the maximum of ${c.maxPayloadSize}`);

  const qos = p.qos;
  if (qos === 2 && s.inboundQos2?.has(p.packetId) === true) {
    // A resend of a QoS 2 message we already hold: PUBREC again, do not route it twice (§4.3.3).
    c.inbound.queue(shortAck(PacketType.PUBREC, p.packetId), false, false);
    return;
  }
  if (qos > 0 && v5 && c.inbound.unackedQos1 + (s.inboundQos2?.size ?? 0) >= limits.receiveMaximum) {
    throw new MqttFailure(ReasonCode.ReceiveMaximumExceeded, 'receive maximum exceeded'); // [MQTT-3.3.4-9]
  }
  if (v5 && p.properties.payloadFormatIndicator === 1 && !isUtf8(p.payload)) {
    if (qos === 0) throw new MqttFailure(ReasonCode.PayloadFormatInvalid, 'payload is not UTF-8');
    ackWith(c, p, ReasonCode.PayloadFormatInvalid, 'payload is not UTF-8', false);
    return;
  }
  if (p.retain && !limits.retainAvailable && v5) throw new MqttFailure(ReasonCode.RetainNotSupported, 'retain not supported'); // [MQTT-3.3.1-?]

  const routingKey = topicToRoutingKey(topic);
  const properties = toCoreProperties(qos, p.retain, p.properties, Date.now());
  let result: PublishResult;
  setPublisher(s.key);
  try {
    result = s.vhost.publish(c.principal!, limits.exchange, routingKey, properties, p.payload, PUBLISH_OPTS);
  } catch (err) {
    const reason = reasonCodeFor(err);
    // 3.1.1 cannot say no in a PUBACK, and QoS 0 has no ack: close (RabbitMQ does the same).
    if (qos === 0 || !v5) throw new MqttFailure(reason, reasonStringFor(err));
    ackWith(c, p, reason, reasonStringFor(err), false);
    return;
  } finally {
    clearPublisher();
  }

  if (p.retain && limits.retainAvailable) {
    const store = retainedStoreFor(s.vhost, limits.maxRetainedMessages, c.principal!.user, c.log);
    // [MQTT-3.3.1-6] / [MQTT-3.3.1-7]: an empty payload clears; anything else replaces.
    if (p.payload.length === 0) store.clear(limits.exchange, routingKey);
    else if (!store.set(limits.exchange, routingKey, properties, Buffer.from(p.payload))) {
      c.log.warn({ clientId: c.clientId }, 'mqtt: retained message store full; message not retained');
    }
  }

  if (qos === 0) return;
  let reason: number = ReasonCode.Success;
  if (v5 && result.rejected) reason = ReasonCode.QuotaExceeded;
  else if (v5 && result.routed === 0) reason = ReasonCode.NoMatchingSubscribers; // MQTT 5 §3.4.2.1
  // A retained message was also written to the durable retained queue: confirm it only once
  // that is on disk too (DESIGN §3), even when the publish itself reached no durable queue.
  const needsSync = result.needsSync || (p.retain && limits.retainAvailable);
  ackWith(c, p, reason, reason === ReasonCode.Success ? undefined : reason === ReasonCode.QuotaExceeded ? 'queue full' : 'no matching subscribers', needsSync);
}

function ackWith(c: MqttConnection, p: PublishPacket, reason: number, text: string | undefined, needsSync: boolean): void {
  const props = text !== undefined ? c.reasonProps(text) : undefined;
  // QoS 2: remember the id until PUBREL unless we refused the message (§4.3.3).
  if (p.qos === 2 && reason < 0x80) (c.session!.inboundQos2 ??= new Set()).add(p.packetId);
  c.inbound.queue(ackOrShort(c.level, p.qos === 1 ? PacketType.PUBACK : PacketType.PUBREC, p.packetId, reason, props), needsSync, p.qos === 1);
}

/** PUBREL -> PUBCOMP; the packet id may be reused afterwards [MQTT-4.3.3-9]. */
export function handlePubrel(c: MqttConnection, p: AckPacket): void {
  const known = c.session!.inboundQos2?.delete(p.packetId) === true;
  const reason = known || c.level < 5 ? ReasonCode.Success : ReasonCode.PacketIdentifierNotFound;
  const props = reason === ReasonCode.Success ? undefined : c.reasonProps('unknown packet identifier');
  c.inbound.queue(ackOrShort(c.level, PacketType.PUBCOMP, p.packetId, reason, props), false, false);
}
