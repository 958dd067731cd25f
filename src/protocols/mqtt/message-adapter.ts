/**
 * MQTT PUBLISH <-> protocol-neutral message. The table lives in docs/message-mapping.md
 * ("MQTT"); keep the two in step.
 */
import { isUtf8 } from 'node:buffer';
import type { MqttProperties, QoS } from '../../codecs/mqtt/index.js';
import { Timestamp, type FieldTable, type FieldValue, type Message, type MessageProperties } from '../../core/message.js';
import { routingKeyToTopic, topicToRoutingKey } from './topic.js';

/** Header names the MQTT layer owns (RabbitMQ uses the first two as well). */
export const H_QOS = 'x-mqtt-publish-qos';
export const H_RETAIN = 'x-mqtt-retain';
export const H_PAYLOAD_FORMAT = 'x-mqtt-payload-format-indicator';
/** Correlation data that is not a short UTF-8 string travels as a binary header (RabbitMQ's choice too). */
export const H_CORRELATION = 'x-correlation-id';

/** AMQP short strings (correlation-id) hold at most 255 bytes. */
const SHORTSTR_MAX = 255;

function plainProperties(qos: QoS, retain: boolean): MessageProperties {
  const headers: FieldTable = retain ? { [H_QOS]: qos, [H_RETAIN]: true } : { [H_QOS]: qos };
  return Object.freeze({ deliveryMode: qos > 0 ? 2 : 1, headers: Object.freeze(headers) });
}

/**
 * The properties of a PUBLISH without MQTT 5 properties (every 3.1.1 PUBLISH) depend only
 * on QoS and retain: share six frozen objects instead of building two per message
 * (docs/performance.md). Nothing downstream modifies message properties (dead-lettering
 * and the retained store copy them); freezing makes sure of it.
 */
const PLAIN: readonly MessageProperties[] = [0, 1, 2, 0, 1, 2].map((q, i) => plainProperties(q as QoS, i >= 3));

/** No MQTT 5 property is set (always so for a 3.1.1 packet). */
export function hasNoProperties(p: MqttProperties): boolean {
  for (const _ in p) return false;
  return true;
}

/**
 * Build core properties for an inbound PUBLISH (or will). QoS >= 1 is published persistent
 * (deliveryMode 2) so durable queues store it.
 */
export function toCoreProperties(qos: QoS, retain: boolean, p: MqttProperties, nowMs: number): MessageProperties {
  if (hasNoProperties(p)) return PLAIN[retain ? qos + 3 : qos]!;
  const headers: FieldTable = {};
  if (p.userProperties !== undefined) {
    // Repeated names (allowed, §3.3.2.3.7) collect into an array in arrival order.
    for (const [k, v] of p.userProperties) {
      const prev = headers[k];
      if (prev === undefined) headers[k] = v;
      else if (Array.isArray(prev)) prev.push(v);
      else headers[k] = [prev, v];
    }
  }
  headers[H_QOS] = qos;
  if (retain) headers[H_RETAIN] = true;
  const props: MessageProperties = { deliveryMode: qos > 0 ? 2 : 1, headers };
  if (p.payloadFormatIndicator !== undefined) headers[H_PAYLOAD_FORMAT] = p.payloadFormatIndicator;
  if (p.contentType !== undefined) props.contentType = p.contentType;
  if (p.responseTopic !== undefined) props.replyTo = topicToRoutingKey(p.responseTopic);
  if (p.correlationData !== undefined) {
    const c = p.correlationData;
    if (c.length <= SHORTSTR_MAX && isUtf8(c) && !c.includes(0)) props.correlationId = c.toString('utf8');
    else headers[H_CORRELATION] = Buffer.from(c);
  }
  if (p.messageExpiryInterval !== undefined) {
    props.expiration = String(p.messageExpiryInterval * 1000);
    // The timestamp lets the outbound side send the remaining interval [MQTT-3.3.2-6].
    props.timestamp = new Timestamp(Math.floor(nowMs / 1000));
  }
  return props;
}

/** The QoS a message was published with: the MQTT header, else persistent -> 1, transient -> 0. */
export function messageQoS(p: MessageProperties): QoS {
  const q = p.headers?.[H_QOS];
  if (q === 0 || q === 1 || q === 2) return q;
  return p.deliveryMode === 2 ? 1 : 0;
}

export const wasRetained = (m: Message): boolean => m.properties.headers?.[H_RETAIN] === true;

/** Topic for a delivery: the routing key with separators swapped back. */
export const deliveryTopic = (m: Message): string => routingKeyToTopic(m.routingKey);

const noNul = (s: string): boolean => !s.includes('\u0000');

function userValue(v: FieldValue): string | undefined {
  switch (typeof v) {
    case 'string':
      return noNul(v) ? v : undefined;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(v);
    default:
      return undefined;
  }
}

/**
 * MQTT 5 PUBLISH properties for a delivery (nothing for 3.1.1). Returns a fresh object: the
 * caller adds subscription identifiers and a topic alias. `undefined` when the message
 * has already expired (it must then not be delivered, [MQTT-3.3.2-5]).
 */
export function toMqttProperties(src: MessageProperties, nowMs: number): MqttProperties | undefined {
  const out: MqttProperties = {};
  if (src.contentType !== undefined && noNul(src.contentType)) out.contentType = src.contentType;
  if (src.replyTo !== undefined && noNul(src.replyTo)) out.responseTopic = routingKeyToTopic(src.replyTo);
  if (src.correlationId !== undefined) out.correlationData = Buffer.from(src.correlationId, 'utf8');
  if (src.expiration !== undefined) {
    const ms = Number(src.expiration);
    if (Number.isFinite(ms) && ms >= 0) {
      // Only an MQTT publish carries its arrival time in `timestamp` (toCoreProperties); in a
      // message from AMQP or STOMP it is the application's timestamp, which says nothing
      // about how long the message has waited here (an hour-old one would be dropped).
      const fromMqtt = src.headers?.[H_QOS] !== undefined;
      const waited = fromMqtt && src.timestamp !== undefined ? Math.max(0, Math.floor(nowMs / 1000) - src.timestamp.seconds) : 0;
      const remaining = Math.ceil(ms / 1000) - waited;
      if (remaining <= 0 && ms > 0) return undefined;
      out.messageExpiryInterval = Math.max(remaining, 0);
    }
  }
  const h = src.headers;
  if (h !== undefined) {
    let user: Array<[string, string]> | undefined;
    for (const k in h) {
      const v = h[k]!;
      if (k === H_PAYLOAD_FORMAT) {
        if (v === 0 || v === 1) out.payloadFormatIndicator = v;
        continue;
      }
      if (k === H_CORRELATION) {
        if (Buffer.isBuffer(v)) out.correlationData = v;
        continue;
      }
      if (k.startsWith('x-mqtt-') || !noNul(k)) continue;
      if (Array.isArray(v)) {
        for (const item of v) {
          const s = userValue(item);
          if (s !== undefined) (user ??= []).push([k, s]);
        }
        continue;
      }
      const s = userValue(v);
      if (s !== undefined) (user ??= []).push([k, s]);
    }
    if (user !== undefined) out.userProperties = user;
  }
  return out;
}

/** Has a message with an expiration (and the arrival timestamp MQTT adds with it) expired by now? */
export function hasExpired(p: MessageProperties, nowMs: number): boolean {
  if (p.expiration === undefined || p.timestamp === undefined || p.headers?.[H_QOS] === undefined) return false;
  const ms = Number(p.expiration);
  return Number.isFinite(ms) && p.timestamp.seconds * 1000 + ms <= nowMs;
}
