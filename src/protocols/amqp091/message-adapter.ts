/**
 * Converts AMQP 0-9-1 content-header properties to the protocol-neutral
 * MessageProperties and back (docs/message-mapping.md, AMQP 0-9-1 column).
 * The codec has its own Timestamp/Decimal classes (it may not import core); the
 * tables are converted copy-on-write, so tables without such values are shared.
 */
import { AmqpDecimal, AmqpTimestamp, TypedField, type AmqpFieldTable, type AmqpFieldValue, type BasicProperties } from '../../codecs/amqp091/index.js';
import { Decimal, Timestamp, type FieldTable, type FieldValue, type MessageProperties } from '../../core/message.js';

function valueToCore(v: AmqpFieldValue): FieldValue {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object' || Buffer.isBuffer(v)) return v;
  if (v instanceof AmqpTimestamp) return new Timestamp(v.seconds);
  if (v instanceof AmqpDecimal) return new Decimal(v.scale, v.digits);
  if (Array.isArray(v)) {
    let out: FieldValue[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const c = valueToCore(v[i]);
      if (out === undefined && c !== v[i]) out = v.slice(0, i) as FieldValue[];
      if (out !== undefined) out.push(c);
    }
    return out ?? (v as FieldValue[]);
  }
  if (v instanceof TypedField) return valueToCore(v.value);
  return tableToCore(v as AmqpFieldTable);
}

export function tableToCore(t: AmqpFieldTable): FieldTable {
  let out: FieldTable | undefined;
  const keys = Object.keys(t);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = t[k];
    const c = valueToCore(v);
    if (out === undefined && c !== v) {
      out = {};
      for (let j = 0; j < i; j++) setKey(out, keys[j]!, t[keys[j]!] as FieldValue);
    }
    if (out !== undefined) setKey(out, k, c);
  }
  return out ?? (t as FieldTable);
}

function valueToWire(v: FieldValue): AmqpFieldValue {
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return v;
  if (v instanceof Timestamp) return new AmqpTimestamp(v.seconds);
  if (v instanceof Decimal) return new AmqpDecimal(v.scale, v.digits);
  if (Array.isArray(v)) {
    let out: AmqpFieldValue[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const c = valueToWire(v[i]!);
      if (out === undefined && c !== v[i]) out = v.slice(0, i) as AmqpFieldValue[];
      if (out !== undefined) out.push(c);
    }
    return out ?? (v as AmqpFieldValue[]);
  }
  return tableToWire(v as FieldTable);
}

export function tableToWire(t: FieldTable): AmqpFieldTable {
  let out: AmqpFieldTable | undefined;
  const keys = Object.keys(t);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = t[k]!;
    const c = valueToWire(v);
    // Field names are short strings; other protocols' header names may be longer.
    if (out === undefined && (c !== v || (k.length > 85 && short(k) !== k))) {
      out = {};
      for (let j = 0; j < i; j++) setKey(out, keys[j]!, t[keys[j]!] as AmqpFieldValue);
    }
    if (out !== undefined) setKey(out, k.length > 85 ? short(k) : k, c);
  }
  return out ?? (t as AmqpFieldTable);
}

/** Assign without invoking the __proto__ setter. */
function setKey<T>(o: Record<string, T>, k: string, v: T): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/**
 * The content header a MessageProperties object came from (or was converted to),
 * kept on the object under a non-enumerable symbol: deliveries of a message
 * published over 0-9-1 reuse it instead of converting back, and a message fanned
 * out to N consumers converts once. Non-enumerable, so copies the core makes
 * (dead-lettering adds x-death) do not inherit a stale header.
 */
const WIRE = Symbol('amqp091.wireProperties');
type WithWire = MessageProperties & { [WIRE]?: BasicProperties };

function remember(m: MessageProperties, p: BasicProperties): void {
  if (Object.isExtensible(m)) Object.defineProperty(m, WIRE, { value: p, enumerable: false, writable: false, configurable: false });
}

/** Content header -> MessageProperties. delivery-mode 2 is persistent, anything else transient. */
export function toCoreProperties(p: BasicProperties): MessageProperties {
  const m: MessageProperties = {};
  toCore(p, m);
  // The wire form stays valid only if nothing was normalised (delivery-mode other than 1/2).
  if (p.deliveryMode === undefined || p.deliveryMode === m.deliveryMode) remember(m, p);
  return m;
}

function toCore(p: BasicProperties, m: MessageProperties): void {
  if (p.contentType !== undefined) m.contentType = p.contentType;
  if (p.contentEncoding !== undefined) m.contentEncoding = p.contentEncoding;
  if (p.headers !== undefined) m.headers = tableToCore(p.headers);
  if (p.deliveryMode !== undefined) m.deliveryMode = p.deliveryMode === 2 ? 2 : 1;
  if (p.priority !== undefined) m.priority = p.priority;
  if (p.correlationId !== undefined) m.correlationId = p.correlationId;
  if (p.replyTo !== undefined) m.replyTo = p.replyTo;
  if (p.expiration !== undefined) m.expiration = p.expiration;
  if (p.messageId !== undefined) m.messageId = p.messageId;
  if (p.timestamp !== undefined) m.timestamp = new Timestamp(p.timestamp);
  if (p.type !== undefined) m.type = p.type;
  if (p.userId !== undefined) m.userId = p.userId;
  if (p.appId !== undefined) m.appId = p.appId;
  if (p.clusterId !== undefined) m.clusterId = p.clusterId;
}

/** MessageProperties -> content header. Strings longer than a short string are cut (§4.2.5.3). */
export function toWireProperties(m: MessageProperties): BasicProperties {
  const cached = (m as WithWire)[WIRE];
  if (cached !== undefined) return cached;
  const p: BasicProperties = {};
  if (m.contentType !== undefined) p.contentType = short(m.contentType);
  if (m.contentEncoding !== undefined) p.contentEncoding = short(m.contentEncoding);
  if (m.headers !== undefined) p.headers = tableToWire(m.headers);
  if (m.deliveryMode !== undefined) p.deliveryMode = m.deliveryMode;
  if (m.priority !== undefined) p.priority = Math.max(0, Math.min(255, m.priority | 0));
  if (m.correlationId !== undefined) p.correlationId = short(m.correlationId);
  if (m.replyTo !== undefined) p.replyTo = short(m.replyTo);
  if (m.expiration !== undefined) p.expiration = short(m.expiration);
  if (m.messageId !== undefined) p.messageId = short(m.messageId);
  if (m.timestamp !== undefined) p.timestamp = Math.max(0, Math.floor(m.timestamp.seconds));
  if (m.type !== undefined) p.type = short(m.type);
  if (m.userId !== undefined) p.userId = short(m.userId);
  if (m.appId !== undefined) p.appId = short(m.appId);
  if (m.clusterId !== undefined) p.clusterId = short(m.clusterId);
  remember(m, p);
  return p;
}

/** Other protocols may carry longer strings than a 0-9-1 short string holds (§4.2.5.3: 255 octets). */
export function short(s: string): string {
  if (s.length <= 85) return s; // 85 * 3 <= 255: always fits
  if (Buffer.byteLength(s) <= 255) return s;
  let out = s.slice(0, 255);
  while (Buffer.byteLength(out) > 255) out = out.slice(0, -1);
  return out;
}
