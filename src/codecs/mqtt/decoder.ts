/**
 * Incremental MQTT decoder. Feed it chunks as they arrive; `next()` returns one packet
 * at a time or `undefined` when it needs more bytes.
 *
 * - A packet wholly inside the current chunk is parsed in place (payloads are slices).
 * - A packet split across chunks is copied once into a buffer of exactly its size,
 *   allocated only after its Remaining Length passed the maximum-size check.
 * - The fixed header is checked (type, reserved flag bits, size) as soon as its bytes
 *   arrive, so a bad packet is refused before its body is buffered.
 */
import { MqttCodecError, malformed, protocolError } from './errors.js';
import {
  PacketType,
  type AckPacket,
  type ConnackPacket,
  type ConnectPacket,
  type MqttPacket,
  type ProtocolLevel,
  type PublishPacket,
  type QoS,
  type SubackPacket,
  type SubscribePacket,
  type Subscription,
  type UnsubackPacket,
  type UnsubscribePacket,
  type WillMessage,
} from './packets.js';
import { NO_PROPERTIES, readProperties, WILL_PROPERTIES, type MqttProperties } from './properties.js';
import { MqttReader } from './reader.js';

/** A CONNECT with a protocol level we do not speak (answer: CONNACK 1 / 0x84, then close). */
export class UnsupportedProtocolError extends MqttCodecError {
  constructor(readonly level: number) {
    super(0x84, `unsupported protocol level ${level}`);
  }
}

export interface DecoderOptions {
  /** Largest packet accepted, fixed header included (MQTT 5 "Maximum Packet Size"). */
  maxPacketSize: number;
  /** Most topic filters in one SUBSCRIBE/UNSUBSCRIBE; more is a QUOTA error (0x97). */
  maxFiltersPerPacket: number;
}

const PINGREQ: MqttPacket = Object.freeze({ type: PacketType.PINGREQ });
const PINGRESP: MqttPacket = Object.freeze({ type: PacketType.PINGRESP });

/**
 * Required fixed-header flag bits per packet type (MQTT 5 Table 2-2, 3.1.1 Table 2.2);
 * -1 for PUBLISH whose flags carry DUP/QoS/RETAIN. Index 0 is reserved (malformed).
 */
const REQUIRED_FLAGS: readonly number[] = [-2, 0, 0, -1, 0, 0, 0b0010, 0, 0b0010, 0, 0b0010, 0, 0, 0, 0, 0];

const NO_BYTES = Buffer.alloc(0);

export class MqttDecoder {
  /** 0 until a CONNECT was decoded; then the level it announced (properties exist only at 5). */
  level: ProtocolLevel | 0 = 0;
  /** Until set, any first packet other than CONNECT is refused at its first byte [MQTT-3.1.0-1]. */
  expectConnect = true;

  private chunk: Buffer = NO_BYTES;
  private off = 0;
  /**
   * Bytes of a fixed header split across chunks (at most 1 + 4). Allocated the first time
   * that happens: most connections never need it, and a Buffer costs ~0.3 KiB per idle
   * connection (docs/performance.md).
   */
  private head: Buffer | undefined;
  private headLen = 0;
  /** A packet split across chunks, allocated at its exact size. */
  private partial: Buffer | undefined;
  private partialFill = 0;
  private partialHeaderLen = 0;

  constructor(readonly options: DecoderOptions) {}

  /** Hand over the next received chunk; call `next()` until it returns undefined. */
  push(chunk: Buffer): void {
    this.chunk = chunk;
    this.off = 0;
  }

  /** Bytes of the current chunk not yet consumed or buffered. */
  get buffered(): number {
    return this.chunk.length - this.off + this.headLen + (this.partial ? this.partialFill : 0);
  }

  next(): MqttPacket | undefined {
    for (;;) {
      if (this.partial !== undefined) {
        const p = this.partial;
        const n = Math.min(p.length - this.partialFill, this.chunk.length - this.off);
        this.chunk.copy(p, this.partialFill, this.off, this.off + n);
        this.partialFill += n;
        this.off += n;
        if (this.partialFill < p.length) return undefined;
        this.partial = undefined;
        return this.parse(p, 0, this.partialHeaderLen, p.length);
      }
      if (this.headLen > 0) {
        // Continue a fixed header that started in an earlier chunk.
        const head = this.head!; // headLen > 0: allocated below
        while (this.off < this.chunk.length) {
          head[this.headLen++] = this.chunk[this.off++]!;
          const h = this.fixedHeader(head, 0, this.headLen);
          if (h < 0) continue;
          this.startPartial(head, 0, this.headLen, h);
          this.headLen = 0;
          break;
        }
        if (this.headLen > 0) return undefined;
        continue;
      }
      const avail = this.chunk.length - this.off;
      if (avail === 0) return undefined;
      const total = this.fixedHeader(this.chunk, this.off, this.chunk.length);
      if (total < 0) {
        this.chunk.copy((this.head ??= Buffer.alloc(5)), 0, this.off);
        this.headLen = avail;
        this.off = this.chunk.length;
        return undefined;
      }
      const start = this.off;
      if (avail >= total) {
        this.off += total;
        return this.parse(this.chunk, start, start + this.lastHeaderLen, start + total);
      }
      this.startPartial(this.chunk, start, this.chunk.length, total);
      this.off = this.chunk.length;
    }
  }

  private lastHeaderLen = 0;

  private startPartial(src: Buffer, start: number, stop: number, total: number): void {
    this.partial = Buffer.allocUnsafe(total);
    this.partialFill = src.copy(this.partial, 0, start, stop);
    this.partialHeaderLen = this.lastHeaderLen;
  }

  /**
   * Validate the fixed header at buf[start..stop). Returns the packet's total size, or -1
   * when more header bytes are needed. Throws for a bad type, flags or size.
   */
  private fixedHeader(buf: Buffer, start: number, stop: number): number {
    const b0 = buf[start]!;
    const type = b0 >> 4;
    const flags = b0 & 0x0f;
    if (this.expectConnect && type !== PacketType.CONNECT) {
      throw protocolError('first packet is not CONNECT'); // [MQTT-3.1.0-1]
    }
    const required = REQUIRED_FLAGS[type]!;
    if (required === -2) throw malformed('reserved packet type 0');
    if (type === PacketType.AUTH && this.level !== 5) throw malformed('packet type 15 before MQTT 5');
    // [MQTT-2.1.3-1] / [MQTT-2.2.2-2]: reserved flag bits must have the listed values.
    if (required >= 0 && flags !== required) throw malformed(`reserved flag bits 0x${flags.toString(16)} on packet type ${type}`);
    let value = 0;
    let multiplier = 1;
    let i = 1;
    for (;;) {
      if (start + i >= stop) return -1;
      const b = buf[start + i]!;
      value += (b & 0x7f) * multiplier;
      i++;
      if ((b & 0x80) === 0) break;
      if (i === 5) throw malformed('remaining length longer than 4 bytes'); // [MQTT-1.5.5-1]
      multiplier *= 128;
    }
    const total = value + i;
    if (total > this.options.maxPacketSize) {
      throw new MqttCodecError(0x95, `packet of ${total} bytes exceeds maximum ${this.options.maxPacketSize}`);
    }
    this.lastHeaderLen = i;
    return total;
  }

  private parse(buf: Buffer, start: number, body: number, end: number): MqttPacket {
    const b0 = buf[start]!;
    const type = b0 >> 4;
    const r = new MqttReader(buf, body, end);
    const v5 = this.level === 5;
    switch (type) {
      case PacketType.CONNECT:
        return this.parseConnect(r);
      case PacketType.CONNACK:
        return parseConnack(r, v5);
      case PacketType.PUBLISH:
        return parsePublish(r, b0 & 0x0f, v5);
      case PacketType.PUBACK:
      case PacketType.PUBREC:
      case PacketType.PUBREL:
      case PacketType.PUBCOMP:
        return parseAck(r, type, v5);
      case PacketType.SUBSCRIBE:
        return parseSubscribe(r, v5, this.options.maxFiltersPerPacket);
      case PacketType.SUBACK:
        return parseSuback(r, v5);
      case PacketType.UNSUBSCRIBE:
        return parseUnsubscribe(r, v5, this.options.maxFiltersPerPacket);
      case PacketType.UNSUBACK:
        return parseUnsuback(r, v5);
      case PacketType.PINGREQ:
        expectEmpty(r, 'PINGREQ');
        return PINGREQ;
      case PacketType.PINGRESP:
        expectEmpty(r, 'PINGRESP');
        return PINGRESP;
      case PacketType.DISCONNECT:
      case PacketType.AUTH: {
        // 3.1.1 DISCONNECT has no variable header; 5.0 may omit reason (0) and properties.
        if (!v5) {
          expectEmpty(r, 'DISCONNECT');
          return { type: PacketType.DISCONNECT, reasonCode: 0, properties: NO_PROPERTIES };
        }
        const reasonCode = r.remaining > 0 ? r.u8('reason code') : 0;
        const properties = r.remaining > 0 ? readProperties(r, type) : NO_PROPERTIES;
        expectEmpty(r, type === PacketType.AUTH ? 'AUTH' : 'DISCONNECT');
        return { type: type as 14 | 15, reasonCode, properties } as MqttPacket;
      }
      default:
        throw malformed(`unknown packet type ${type}`);
    }
  }

  /** MQTT 5 §3.1, 3.1.1 §3.1, 3.1 §3.1. */
  private parseConnect(r: MqttReader): ConnectPacket {
    if (this.level !== 0) throw protocolError('second CONNECT'); // [MQTT-3.1.0-2]
    const protocolName = r.utf8('protocol name');
    const level = r.u8('protocol level');
    if (protocolName === 'MQIsdp') {
      if (level !== 3) throw new UnsupportedProtocolError(level);
    } else if (protocolName === 'MQTT') {
      if (level !== 4 && level !== 5) throw new UnsupportedProtocolError(level);
    } else {
      throw protocolError(`unknown protocol name`); // [MQTT-3.1.2-1]
    }
    const protocolLevel = level as ProtocolLevel;
    const flags = r.u8('connect flags');
    if (flags & 0x01) throw malformed('reserved connect flag set'); // [MQTT-3.1.2-3]
    const clean = (flags & 0x02) !== 0;
    const willFlag = (flags & 0x04) !== 0;
    const willQos = (flags >> 3) & 0x03;
    const willRetain = (flags & 0x20) !== 0;
    const hasPassword = (flags & 0x40) !== 0;
    const hasUsername = (flags & 0x80) !== 0;
    if (willQos === 3) throw malformed('will QoS 3'); // [MQTT-3.1.2-14]
    if (!willFlag && (willQos !== 0 || willRetain)) throw malformed('will QoS/retain without will flag'); // [MQTT-3.1.2-11], [MQTT-3.1.2-13]
    if (protocolLevel < 5 && hasPassword && !hasUsername) throw malformed('password without user name'); // 3.1.1 [MQTT-3.1.2-22]
    const keepAlive = r.u16('keep alive');
    const properties = protocolLevel === 5 ? readProperties(r, PacketType.CONNECT) : NO_PROPERTIES;
    const clientId = r.utf8('client identifier');
    let will: WillMessage | undefined;
    if (willFlag) {
      const wp = protocolLevel === 5 ? readProperties(r, WILL_PROPERTIES) : NO_PROPERTIES;
      const topic = r.utf8('will topic');
      const payload = r.binary('will payload');
      will = { topic, payload, qos: willQos as QoS, retain: willRetain, properties: wp };
    }
    const username = hasUsername ? r.utf8('user name') : undefined;
    const password = hasPassword ? r.binary('password') : undefined;
    expectEmpty(r, 'CONNECT');
    this.level = protocolLevel;
    this.expectConnect = false;
    return { type: PacketType.CONNECT, protocolName, protocolLevel, clean, keepAlive, properties, clientId, will, username, password };
  }
}

function expectEmpty(r: MqttReader, what: string): void {
  if (r.remaining !== 0) throw malformed(`${r.remaining} trailing bytes in ${what}`);
}

function packetId(r: MqttReader): number {
  const id = r.u16('packet identifier');
  if (id === 0) throw malformed('packet identifier 0'); // [MQTT-2.2.1-3] non-zero
  return id;
}

function parseConnack(r: MqttReader, v5: boolean): ConnackPacket {
  const ack = r.u8('connack flags');
  if (ack & 0xfe) throw malformed('reserved connack flags'); // [MQTT-3.2.2-1]
  const reasonCode = r.u8('connect reason code');
  const properties = v5 ? readProperties(r, PacketType.CONNACK) : NO_PROPERTIES;
  expectEmpty(r, 'CONNACK');
  return { type: PacketType.CONNACK, sessionPresent: (ack & 1) === 1, reasonCode, properties };
}

/** MQTT 5 §3.3 / 3.1.1 §3.3. Flags: DUP bit 3, QoS bits 2-1, RETAIN bit 0. */
function parsePublish(r: MqttReader, flags: number, v5: boolean): PublishPacket {
  const qos = (flags >> 1) & 0x03;
  if (qos === 3) throw malformed('PUBLISH QoS 3'); // [MQTT-3.3.1-4]
  const dup = (flags & 0x08) !== 0;
  if (dup && qos === 0) throw malformed('DUP set on QoS 0 PUBLISH'); // [MQTT-3.3.1-2]
  const topic = r.utf8('topic name');
  const id = qos > 0 ? packetId(r) : 0;
  const properties = v5 ? readProperties(r, PacketType.PUBLISH) : NO_PROPERTIES;
  const payload = r.buf.subarray(r.pos, r.end);
  return { type: PacketType.PUBLISH, topic, packetId: id, qos: qos as QoS, dup, retain: (flags & 1) === 1, properties, payload };
}

/** PUBACK/PUBREC/PUBREL/PUBCOMP: MQTT 5 §3.4.2 (reason and properties optional), 3.1.1: id only. */
function parseAck(r: MqttReader, type: number, v5: boolean): AckPacket {
  const id = packetId(r);
  let reasonCode = 0;
  let properties: MqttProperties = NO_PROPERTIES;
  if (v5) {
    if (r.remaining > 0) reasonCode = r.u8('reason code');
    if (r.remaining > 0) properties = readProperties(r, type);
  }
  expectEmpty(r, 'acknowledgement');
  return { type: type as 4 | 5 | 6 | 7, packetId: id, reasonCode, properties };
}

/** MQTT 5 §3.8 / 3.1.1 §3.8. */
function parseSubscribe(r: MqttReader, v5: boolean, maxFilters: number): SubscribePacket {
  const id = packetId(r);
  const properties = v5 ? readProperties(r, PacketType.SUBSCRIBE) : NO_PROPERTIES;
  const subscriptions: Subscription[] = [];
  while (r.remaining > 0) {
    if (subscriptions.length >= maxFilters) throw new MqttCodecError(0x97, `more than ${maxFilters} topic filters in one SUBSCRIBE`);
    const topicFilter = r.utf8('topic filter');
    const o = r.u8('subscription options');
    const qos = o & 0x03;
    if (qos === 3) throw malformed('subscription QoS 3'); // [MQTT-3.8.3-4]
    if (v5) {
      if (o & 0xc0) throw malformed('reserved subscription option bits'); // [MQTT-3.8.3-5]
      const retainHandling = (o >> 4) & 0x03;
      if (retainHandling === 3) throw protocolError('retain handling 3');
      subscriptions.push({ topicFilter, qos: qos as QoS, noLocal: (o & 0x04) !== 0, retainAsPublished: (o & 0x08) !== 0, retainHandling: retainHandling as 0 | 1 | 2 });
    } else {
      if (o & 0xfc) throw malformed('reserved subscription option bits'); // 3.1.1 [MQTT-3-8.3-4]
      subscriptions.push({ topicFilter, qos: qos as QoS, noLocal: false, retainAsPublished: false, retainHandling: 0 });
    }
  }
  if (subscriptions.length === 0) throw protocolError('SUBSCRIBE without topic filters'); // [MQTT-3.8.3-3]
  return { type: PacketType.SUBSCRIBE, packetId: id, properties, subscriptions };
}

function parseSuback(r: MqttReader, v5: boolean): SubackPacket {
  const id = packetId(r);
  const properties = v5 ? readProperties(r, PacketType.SUBACK) : NO_PROPERTIES;
  const reasonCodes: number[] = [];
  while (r.remaining > 0) reasonCodes.push(r.u8('suback reason code'));
  return { type: PacketType.SUBACK, packetId: id, properties, reasonCodes };
}

/** MQTT 5 §3.10 / 3.1.1 §3.10. */
function parseUnsubscribe(r: MqttReader, v5: boolean, maxFilters: number): UnsubscribePacket {
  const id = packetId(r);
  const properties = v5 ? readProperties(r, PacketType.UNSUBSCRIBE) : NO_PROPERTIES;
  const topicFilters: string[] = [];
  while (r.remaining > 0) {
    if (topicFilters.length >= maxFilters) throw new MqttCodecError(0x97, `more than ${maxFilters} topic filters in one UNSUBSCRIBE`);
    topicFilters.push(r.utf8('topic filter'));
  }
  if (topicFilters.length === 0) throw protocolError('UNSUBSCRIBE without topic filters'); // [MQTT-3.10.3-2]
  return { type: PacketType.UNSUBSCRIBE, packetId: id, properties, topicFilters };
}

function parseUnsuback(r: MqttReader, v5: boolean): UnsubackPacket {
  const id = packetId(r);
  if (!v5) {
    expectEmpty(r, 'UNSUBACK');
    return { type: PacketType.UNSUBACK, packetId: id, properties: NO_PROPERTIES, reasonCodes: [] };
  }
  const properties = readProperties(r, PacketType.UNSUBACK);
  const reasonCodes: number[] = [];
  while (r.remaining > 0) reasonCodes.push(r.u8('unsuback reason code'));
  return { type: PacketType.UNSUBACK, packetId: id, properties, reasonCodes };
}
