/**
 * MQTT 3.1.1 / 5.0 encoding helpers shared by the bench client and the null sink.
 * MQTT 3.1.1 §2.2 fixed header, §2.2.3 remaining length; MQTT 5.0 §2.2.2.
 */
import { varIntSize, writeVarInt } from '../../codecs/mqtt/varint.js';

export const PUBLISH = 3;
export const PUBACK = 4;
export const PUBREC = 5;
export const PUBREL = 6;
export const PUBCOMP = 7;

/**
 * Decode a variable byte integer at `off`. Returns the value and sets `lastVarintEnd`,
 * or returns -1 when more bytes are needed; throws when malformed (more than 4 bytes,
 * [MQTT-1.5.5-1] / 3.1.1 §2.2.3).
 */
export let lastVarintEnd = 0;
export function readVarint(b: Buffer, off: number, limit: number): number {
  let v = 0;
  let mul = 1;
  for (let k = 0; k < 4; k++) {
    if (off + k >= limit) return -1;
    const d = b[off + k]!;
    v += (d & 127) * mul;
    if ((d & 128) === 0) {
      lastVarintEnd = off + k + 1;
      return v;
    }
    mul *= 128;
  }
  throw new Error('malformed MQTT remaining length');
}

/** Packet with fixed header `first` and the given variable part. */
export function packet(first: number, body: Buffer): Buffer {
  const b = Buffer.allocUnsafe(1 + varIntSize(body.length) + body.length);
  b[0] = first;
  const off = writeVarInt(b, 1, body.length);
  body.copy(b, off);
  return b;
}

export function str(s: string): Buffer {
  const v = Buffer.from(s, 'utf8');
  const b = Buffer.allocUnsafe(2 + v.length);
  b.writeUInt16BE(v.length, 0);
  v.copy(b, 2);
  return b;
}

export function connectPacket(version: 4 | 5, clientId: string, user: string, password: string, clean: boolean): Buffer {
  const flags = (clean ? 0x02 : 0) | (user !== '' ? 0x80 : 0) | (password !== '' ? 0x40 : 0);
  const parts = [str('MQTT'), Buffer.from([version, flags, 0, 0])]; // keep-alive 0: no pings needed
  if (version === 5) parts.push(Buffer.from([0])); // no properties
  parts.push(str(clientId));
  if (user !== '') parts.push(str(user));
  if (password !== '') parts.push(str(password));
  return packet(0x10, Buffer.concat(parts));
}

export function subscribePacket(version: 4 | 5, packetId: number, filter: string, qos: number): Buffer {
  const pid = Buffer.from([packetId >> 8, packetId & 255]);
  const parts: Buffer[] = [pid];
  if (version === 5) parts.push(Buffer.from([0]));
  parts.push(str(filter), Buffer.from([qos]));
  return packet(0x82, Buffer.concat(parts));
}

export interface MqttPublishTemplate {
  bytes: Buffer;
  /** Offset of the packet identifier (-1 for QoS 0). */
  pidOffset: number;
  bodyOffset: number;
}

export function publishTemplate(version: 4 | 5, topic: string, qos: number, body: Buffer): MqttPublishTemplate {
  const t = str(topic);
  const varLen = t.length + (qos > 0 ? 2 : 0) + (version === 5 ? 1 : 0);
  const rl = varLen + body.length;
  const head = 1 + varIntSize(rl);
  const b = Buffer.alloc(head + rl);
  b[0] = 0x30 | (qos << 1);
  writeVarInt(b, 1, rl);
  t.copy(b, head);
  let off = head + t.length;
  const pidOffset = qos > 0 ? off : -1;
  if (qos > 0) off += 2;
  if (version === 5) b[off++] = 0; // no properties
  body.copy(b, off);
  return { bytes: b, pidOffset, bodyOffset: off };
}

/** Packet id for the n-th (1-based) tag of a sequential window: 1..65535, never 0 [MQTT-2.3.1-1]. */
export const pidOfTag = (tag: number): number => ((tag - 1) % 65535) + 1;

/** The tag in [low, low + 65535) whose packet id is `pid`. */
export const tagOfPid = (pid: number, low: number): number => low + ((pid - pidOfTag(low) + 65535) % 65535);

/** Value sizes of MQTT 5 properties by identifier (MQTT 5.0 §2.2.2.2); 'v' varint, 's' length-prefixed, 'p' string pair. */
const PROP_SIZE: Record<number, number | 'v' | 's' | 'p'> = {
  0x01: 1, 0x02: 4, 0x03: 's', 0x08: 's', 0x09: 's', 0x0b: 'v', 0x11: 4, 0x12: 's', 0x13: 2, 0x15: 's', 0x16: 's',
  0x17: 1, 0x18: 4, 0x19: 1, 0x1a: 's', 0x1c: 's', 0x1f: 's', 0x21: 2, 0x22: 2, 0x23: 2, 0x24: 1, 0x25: 1,
  0x26: 'p', 0x27: 4, 0x28: 1, 0x29: 1, 0x2a: 1,
};

/**
 * Find a two-byte property (e.g. 0x21 Receive Maximum) in the properties that start at
 * `off` (at the property-length varint) and end before `limit`; -1 when absent.
 */
export function findU16Property(b: Buffer, off: number, limit: number, id: number): number {
  const len = readVarint(b, off, limit);
  if (len < 0) return -1;
  let p = lastVarintEnd;
  const end = Math.min(limit, p + len);
  while (p < end) {
    const pid = b[p++]!;
    const size = PROP_SIZE[pid];
    if (size === undefined) return -1; // unknown property: stop rather than misread
    if (pid === id && size === 2) return p + 2 <= end ? b.readUInt16BE(p) : -1;
    if (size === 'v') {
      if (readVarint(b, p, end) < 0) return -1;
      p = lastVarintEnd;
    } else if (size === 's') p += 2 + b.readUInt16BE(p);
    else if (size === 'p') {
      p += 2 + b.readUInt16BE(p);
      p += 2 + b.readUInt16BE(p);
    } else p += size;
  }
  return -1;
}
