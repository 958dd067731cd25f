/**
 * MQTT encoder: one exactly-sized buffer per packet. PUBLISH payloads above
 * PUBLISH_INLINE_MAX are not copied: the caller writes the returned header and then
 * the payload slice (both under one cork, so they leave in one syscall).
 */
import {
  PacketType,
  type AckPacket,
  type ConnackPacket,
  type ConnectPacket,
  type DisconnectPacket,
  type AuthPacket,
  type MqttPacket,
  type ProtocolLevel,
  type QoS,
  type SubackPacket,
  type SubscribePacket,
  type UnsubackPacket,
  type UnsubscribePacket,
} from './packets.js';
import { propertiesLength, writeProperties, writeUtf8, type MqttProperties } from './properties.js';
import { varIntSize, writeVarInt } from './varint.js';

/** Payloads up to this size are copied into the PUBLISH buffer; larger ones are written separately. */
export const PUBLISH_INLINE_MAX = 4096;

const utf8Len = (s: string): number => 2 + Buffer.byteLength(s, 'utf8');
const propsBlockLen = (p: MqttProperties): number => {
  const n = propertiesLength(p);
  return varIntSize(n) + n;
};

function header(b0: number, remaining: number, extra = 0): { buf: Buffer; off: number } {
  const buf = Buffer.allocUnsafe(1 + varIntSize(remaining) + remaining - extra);
  buf[0] = b0;
  return { buf, off: writeVarInt(buf, 1, remaining) };
}

function writePropsBlock(buf: Buffer, off: number, p: MqttProperties): number {
  off = writeVarInt(buf, off, propertiesLength(p));
  return writeProperties(buf, off, p);
}

/**
 * Encode a PUBLISH. When `payload.length > PUBLISH_INLINE_MAX` the result holds only the
 * fixed and variable header, and the caller must write `payload` right after it.
 */
export function encodePublish(
  level: ProtocolLevel,
  topic: string,
  qos: QoS,
  dup: boolean,
  retain: boolean,
  packetId: number,
  properties: MqttProperties | undefined,
  payload: Buffer,
): Buffer {
  const varLen = utf8Len(topic) + (qos > 0 ? 2 : 0) + (level === 5 ? propsBlockLen(properties ?? {}) : 0);
  const remaining = varLen + payload.length;
  const inline = payload.length <= PUBLISH_INLINE_MAX;
  const b0 = (PacketType.PUBLISH << 4) | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 1 : 0);
  const { buf, off: o } = header(b0, remaining, inline ? 0 : payload.length);
  let off = writeUtf8(buf, o, topic);
  if (qos > 0) off = buf.writeUInt16BE(packetId, off);
  if (level === 5) off = writePropsBlock(buf, off, properties ?? {});
  if (inline) payload.copy(buf, off);
  return buf;
}

/** Total wire size of a PUBLISH (for the client's Maximum Packet Size, [MQTT-3.1.2-24]). */
export function publishSize(level: ProtocolLevel, topic: string, qos: QoS, properties: MqttProperties | undefined, payloadLength: number): number {
  const remaining = utf8Len(topic) + (qos > 0 ? 2 : 0) + (level === 5 ? propsBlockLen(properties ?? {}) : 0) + payloadLength;
  return 1 + varIntSize(remaining) + remaining;
}

const ackByte0 = (type: number): number => (type << 4) | (type === PacketType.PUBREL ? 0b0010 : 0);

/** 3.1.1 acks are always 4 bytes; in 5.0 reason 0 without properties may be omitted (§3.4.2.1). */
const isShortAck = (level: ProtocolLevel, reasonCode: number, properties: MqttProperties | undefined): boolean =>
  level < 5 || (reasonCode === 0 && (properties === undefined || propertiesLength(properties) === 0));

/** The 4-byte form: fixed header, remaining length 2, packet id. */
function writeShortAck(buf: Buffer, off: number, type: number, packetId: number): void {
  buf[off] = ackByte0(type);
  buf[off + 1] = 2;
  buf[off + 2] = (packetId >>> 8) & 0xff;
  buf[off + 3] = packetId & 0xff;
}

/** PUBACK/PUBREC/PUBREL/PUBCOMP. MQTT 5 §3.4.2.1: reason 0 without properties may be omitted. */
export function encodeAck(level: ProtocolLevel, type: 4 | 5 | 6 | 7, packetId: number, reasonCode = 0, properties?: MqttProperties): Buffer {
  if (isShortAck(level, reasonCode, properties)) {
    const buf = Buffer.allocUnsafe(4);
    writeShortAck(buf, 0, type, packetId);
    return buf;
  }
  const withProps = properties !== undefined && propertiesLength(properties) > 0;
  const remaining = 3 + (withProps ? propsBlockLen(properties!) : 0);
  const { buf, off: o } = header(ackByte0(type), remaining);
  let off = buf.writeUInt16BE(packetId, o);
  buf[off++] = reasonCode;
  if (withProps) writePropsBlock(buf, off, properties!);
  return buf;
}

/**
 * An acknowledgement that needs no reason code or properties (every one in 3.1.1; in 5.0
 * reason 0 without properties, §3.4.2.1) is 4 bytes: kept as the number
 * `type << 16 | packetId` until written, so a run of them is encoded into one buffer by
 * encodeShortAcks instead of one buffer each.
 */
export type ShortAck = number & { readonly __shortAck: unique symbol };

export const shortAck = (type: 4 | 5 | 6 | 7, packetId: number): ShortAck => ((type << 16) | packetId) as ShortAck;

/** An ack as a ShortAck when §3.4.2.1 allows the 4-byte form, else encoded (encodeAck). */
export function ackOrShort(level: ProtocolLevel, type: 4 | 5 | 6 | 7, packetId: number, reasonCode = 0, properties?: MqttProperties): ShortAck | Buffer {
  return isShortAck(level, reasonCode, properties) ? shortAck(type, packetId) : encodeAck(level, type, packetId, reasonCode, properties);
}

/** acks[start..end) as consecutive 4-byte packets in one buffer. */
export function encodeShortAcks(acks: ArrayLike<ShortAck | Buffer>, start: number, end: number): Buffer {
  const buf = Buffer.allocUnsafe((end - start) * 4);
  for (let i = start; i < end; i++) {
    const a = acks[i] as ShortAck;
    writeShortAck(buf, (i - start) * 4, a >>> 16, a & 0xffff);
  }
  return buf;
}

export function encodeConnack(level: ProtocolLevel, p: Omit<ConnackPacket, 'type'>): Buffer {
  const remaining = 2 + (level === 5 ? propsBlockLen(p.properties) : 0);
  const { buf, off: o } = header(PacketType.CONNACK << 4, remaining);
  let off = o;
  buf[off++] = p.sessionPresent ? 1 : 0;
  buf[off++] = p.reasonCode;
  if (level === 5) writePropsBlock(buf, off, p.properties);
  return buf;
}

export function encodeSuback(level: ProtocolLevel, p: Omit<SubackPacket, 'type'>): Buffer {
  const remaining = 2 + (level === 5 ? propsBlockLen(p.properties) : 0) + p.reasonCodes.length;
  const { buf, off: o } = header(PacketType.SUBACK << 4, remaining);
  let off = buf.writeUInt16BE(p.packetId, o);
  if (level === 5) off = writePropsBlock(buf, off, p.properties);
  for (const c of p.reasonCodes) buf[off++] = c;
  return buf;
}

/** 3.1.1 UNSUBACK is the packet id only; 5.0 adds properties and one reason code per filter. */
export function encodeUnsuback(level: ProtocolLevel, p: Omit<UnsubackPacket, 'type'>): Buffer {
  const remaining = 2 + (level === 5 ? propsBlockLen(p.properties) + p.reasonCodes.length : 0);
  const { buf, off: o } = header(PacketType.UNSUBACK << 4, remaining);
  let off = buf.writeUInt16BE(p.packetId, o);
  if (level === 5) {
    off = writePropsBlock(buf, off, p.properties);
    for (const c of p.reasonCodes) buf[off++] = c;
  }
  return buf;
}

const PINGRESP_BYTES = Buffer.from([PacketType.PINGRESP << 4, 0]);
const PINGREQ_BYTES = Buffer.from([PacketType.PINGREQ << 4, 0]);
export const encodePingresp = (): Buffer => PINGRESP_BYTES;

/** DISCONNECT / AUTH (MQTT 5 §3.14, §3.15); 3.1.1 DISCONNECT is two bytes. */
export function encodeDisconnectOrAuth(level: ProtocolLevel, type: 14 | 15, reasonCode: number, properties?: MqttProperties): Buffer {
  if (level < 5) return Buffer.from([type << 4, 0]);
  const withProps = properties !== undefined && propertiesLength(properties) > 0;
  if (reasonCode === 0 && !withProps) return Buffer.from([type << 4, 0]);
  const remaining = 1 + (withProps ? propsBlockLen(properties!) : 0);
  const { buf, off: o } = header(type << 4, remaining);
  let off = o;
  buf[off++] = reasonCode;
  if (withProps) writePropsBlock(buf, off, properties!);
  return buf;
}

/** Client-side CONNECT (used by tests and by nothing in the server). */
export function encodeConnect(p: Omit<ConnectPacket, 'type'>): Buffer {
  const level = p.protocolLevel;
  let remaining = utf8Len(p.protocolName) + 1 + 1 + 2 + (level === 5 ? propsBlockLen(p.properties) : 0) + utf8Len(p.clientId);
  if (p.will) {
    remaining += (level === 5 ? propsBlockLen(p.will.properties) : 0) + utf8Len(p.will.topic) + 2 + p.will.payload.length;
  }
  if (p.username !== undefined) remaining += utf8Len(p.username);
  if (p.password !== undefined) remaining += 2 + p.password.length;
  const { buf, off: o } = header(PacketType.CONNECT << 4, remaining);
  let off = writeUtf8(buf, o, p.protocolName);
  buf[off++] = level;
  let flags = p.clean ? 0x02 : 0;
  if (p.will) flags |= 0x04 | (p.will.qos << 3) | (p.will.retain ? 0x20 : 0);
  if (p.password !== undefined) flags |= 0x40;
  if (p.username !== undefined) flags |= 0x80;
  buf[off++] = flags;
  off = buf.writeUInt16BE(p.keepAlive, off);
  if (level === 5) off = writePropsBlock(buf, off, p.properties);
  off = writeUtf8(buf, off, p.clientId);
  if (p.will) {
    if (level === 5) off = writePropsBlock(buf, off, p.will.properties);
    off = writeUtf8(buf, off, p.will.topic);
    off = buf.writeUInt16BE(p.will.payload.length, off);
    off += p.will.payload.copy(buf, off);
  }
  if (p.username !== undefined) off = writeUtf8(buf, off, p.username);
  if (p.password !== undefined) {
    off = buf.writeUInt16BE(p.password.length, off);
    p.password.copy(buf, off);
  }
  return buf;
}

/** Client-side SUBSCRIBE (tests). */
export function encodeSubscribe(level: ProtocolLevel, p: Omit<SubscribePacket, 'type'>): Buffer {
  let remaining = 2 + (level === 5 ? propsBlockLen(p.properties) : 0);
  for (const s of p.subscriptions) remaining += utf8Len(s.topicFilter) + 1;
  const { buf, off: o } = header((PacketType.SUBSCRIBE << 4) | 0b0010, remaining);
  let off = buf.writeUInt16BE(p.packetId, o);
  if (level === 5) off = writePropsBlock(buf, off, p.properties);
  for (const s of p.subscriptions) {
    off = writeUtf8(buf, off, s.topicFilter);
    buf[off++] = s.qos | (s.noLocal ? 0x04 : 0) | (s.retainAsPublished ? 0x08 : 0) | (s.retainHandling << 4);
  }
  return buf;
}

/** Client-side UNSUBSCRIBE (tests). */
export function encodeUnsubscribe(level: ProtocolLevel, p: Omit<UnsubscribePacket, 'type'>): Buffer {
  let remaining = 2 + (level === 5 ? propsBlockLen(p.properties) : 0);
  for (const f of p.topicFilters) remaining += utf8Len(f);
  const { buf, off: o } = header((PacketType.UNSUBSCRIBE << 4) | 0b0010, remaining);
  let off = buf.writeUInt16BE(p.packetId, o);
  if (level === 5) off = writePropsBlock(buf, off, p.properties);
  for (const f of p.topicFilters) off = writeUtf8(buf, off, f);
  return buf;
}

/** Encode any packet (convenience for tests and rare paths; the hot path calls the specific encoders). */
export function encodePacket(level: ProtocolLevel, p: MqttPacket): Buffer {
  switch (p.type) {
    case PacketType.CONNECT:
      return encodeConnect(p);
    case PacketType.CONNACK:
      return encodeConnack(level, p);
    case PacketType.PUBLISH: {
      const h = encodePublish(level, p.topic, p.qos, p.dup, p.retain, p.packetId, p.properties, p.payload);
      return p.payload.length > PUBLISH_INLINE_MAX ? Buffer.concat([h, p.payload]) : h;
    }
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
      return encodeAck(level, p.type, p.packetId, p.reasonCode, (p as AckPacket).properties);
    case PacketType.SUBSCRIBE:
      return encodeSubscribe(level, p);
    case PacketType.SUBACK:
      return encodeSuback(level, p);
    case PacketType.UNSUBSCRIBE:
      return encodeUnsubscribe(level, p);
    case PacketType.UNSUBACK:
      return encodeUnsuback(level, p);
    case PacketType.PINGREQ:
      return PINGREQ_BYTES;
    case PacketType.PINGRESP:
      return PINGRESP_BYTES;
    case PacketType.DISCONNECT:
      return encodeDisconnectOrAuth(level, 14, (p as DisconnectPacket).reasonCode, (p as DisconnectPacket).properties);
    case PacketType.AUTH:
      return encodeDisconnectOrAuth(level, 15, (p as AuthPacket).reasonCode, (p as AuthPacket).properties);
  }
}
