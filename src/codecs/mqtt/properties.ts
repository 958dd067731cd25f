/**
 * MQTT 5.0 properties (§2.2.2.2). One static table drives decoding, validation and
 * encoding: identifier -> wire type, field name, and the packets it may appear in.
 */
import { malformed, protocolError } from './errors.js';
import type { MqttReader } from './reader.js';
import { varIntSize, writeVarInt } from './varint.js';

export interface MqttProperties {
  payloadFormatIndicator?: number;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  /** Several may appear in a PUBLISH sent to a client (one per matching subscription). */
  subscriptionIdentifiers?: number[];
  sessionExpiryInterval?: number;
  assignedClientIdentifier?: string;
  serverKeepAlive?: number;
  authenticationMethod?: string;
  authenticationData?: Buffer;
  requestProblemInformation?: number;
  willDelayInterval?: number;
  requestResponseInformation?: number;
  responseInformation?: string;
  serverReference?: string;
  reasonString?: string;
  receiveMaximum?: number;
  topicAliasMaximum?: number;
  topicAlias?: number;
  maximumQoS?: number;
  retainAvailable?: number;
  /** Order and repeats preserved (§3.3.2.3.7). */
  userProperties?: Array<[string, string]>;
  maximumPacketSize?: number;
  wildcardSubscriptionAvailable?: number;
  subscriptionIdentifierAvailable?: number;
  sharedSubscriptionAvailable?: number;
}

/** A frozen empty set, shared so packets without properties allocate nothing. */
export const NO_PROPERTIES: MqttProperties = Object.freeze({}) as MqttProperties;

type WireType = 'byte' | 'u16' | 'u32' | 'varint' | 'utf8' | 'binary' | 'pair';
type ScalarKey = Exclude<keyof MqttProperties, 'userProperties' | 'subscriptionIdentifiers'>;

/** Bit for "inside the CONNECT will properties" (packet type 0 is reserved, so bit 0 is free). */
export const WILL_PROPERTIES = 0;

interface PropertyDef {
  readonly id: number;
  readonly type: WireType;
  readonly key: keyof MqttProperties;
  /** Bitmask of (1 << packet type), plus (1 << WILL_PROPERTIES). */
  readonly allowed: number;
}

const P = (types: number[]): number => types.reduce((m, t) => m | (1 << t), 0);
// Packet type numbers: 1 CONNECT, 2 CONNACK, 3 PUBLISH, 4 PUBACK, 5 PUBREC, 6 PUBREL, 7 PUBCOMP,
// 8 SUBSCRIBE, 9 SUBACK, 10 UNSUBSCRIBE, 11 UNSUBACK, 14 DISCONNECT, 15 AUTH. Table 2-4 of MQTT 5.
const ACKS_AND_MORE = P([2, 4, 5, 6, 7, 9, 11, 14, 15]);
const DEFS: readonly PropertyDef[] = [
  { id: 0x01, type: 'byte', key: 'payloadFormatIndicator', allowed: P([3, WILL_PROPERTIES]) },
  { id: 0x02, type: 'u32', key: 'messageExpiryInterval', allowed: P([3, WILL_PROPERTIES]) },
  { id: 0x03, type: 'utf8', key: 'contentType', allowed: P([3, WILL_PROPERTIES]) },
  { id: 0x08, type: 'utf8', key: 'responseTopic', allowed: P([3, WILL_PROPERTIES]) },
  { id: 0x09, type: 'binary', key: 'correlationData', allowed: P([3, WILL_PROPERTIES]) },
  { id: 0x0b, type: 'varint', key: 'subscriptionIdentifiers', allowed: P([3, 8]) },
  { id: 0x11, type: 'u32', key: 'sessionExpiryInterval', allowed: P([1, 2, 14]) },
  { id: 0x12, type: 'utf8', key: 'assignedClientIdentifier', allowed: P([2]) },
  { id: 0x13, type: 'u16', key: 'serverKeepAlive', allowed: P([2]) },
  { id: 0x15, type: 'utf8', key: 'authenticationMethod', allowed: P([1, 2, 15]) },
  { id: 0x16, type: 'binary', key: 'authenticationData', allowed: P([1, 2, 15]) },
  { id: 0x17, type: 'byte', key: 'requestProblemInformation', allowed: P([1]) },
  { id: 0x18, type: 'u32', key: 'willDelayInterval', allowed: P([WILL_PROPERTIES]) },
  { id: 0x19, type: 'byte', key: 'requestResponseInformation', allowed: P([1]) },
  { id: 0x1a, type: 'utf8', key: 'responseInformation', allowed: P([2]) },
  { id: 0x1c, type: 'utf8', key: 'serverReference', allowed: P([2, 14]) },
  { id: 0x1f, type: 'utf8', key: 'reasonString', allowed: ACKS_AND_MORE },
  { id: 0x21, type: 'u16', key: 'receiveMaximum', allowed: P([1, 2]) },
  { id: 0x22, type: 'u16', key: 'topicAliasMaximum', allowed: P([1, 2]) },
  { id: 0x23, type: 'u16', key: 'topicAlias', allowed: P([3]) },
  { id: 0x24, type: 'byte', key: 'maximumQoS', allowed: P([2]) },
  { id: 0x25, type: 'byte', key: 'retainAvailable', allowed: P([2]) },
  { id: 0x26, type: 'pair', key: 'userProperties', allowed: P([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 15, WILL_PROPERTIES]) },
  { id: 0x27, type: 'u32', key: 'maximumPacketSize', allowed: P([1, 2]) },
  { id: 0x28, type: 'byte', key: 'wildcardSubscriptionAvailable', allowed: P([2]) },
  { id: 0x29, type: 'byte', key: 'subscriptionIdentifierAvailable', allowed: P([2]) },
  { id: 0x2a, type: 'byte', key: 'sharedSubscriptionAvailable', allowed: P([2]) },
];

/** Static decode table indexed by identifier (identifiers are < 0x80, one byte as varint). */
const BY_ID: ReadonlyArray<PropertyDef | undefined> = (() => {
  const t: Array<PropertyDef | undefined> = new Array(128).fill(undefined);
  for (const d of DEFS) t[d.id] = d;
  return t;
})();
const BY_KEY: ReadonlyMap<string, PropertyDef> = new Map(DEFS.map((d) => [d.key, d]));

/**
 * Read a property block: Variable Byte Integer length, then properties. `context` is the
 * packet type (or WILL_PROPERTIES). Unknown identifiers and identifiers not valid for the
 * packet are malformed; a repeated single-valued property is a protocol error (§2.2.2.2).
 */
export function readProperties(r: MqttReader, context: number): MqttProperties {
  const len = r.varInt('property length');
  if (len > r.remaining) throw malformed('property length exceeds packet');
  if (len === 0) return NO_PROPERTIES;
  const end = r.pos + len;
  const out: MqttProperties = {};
  const bag = out as Record<string, unknown>;
  while (r.pos < end) {
    const id = r.varInt('property identifier');
    const def = id < 128 ? BY_ID[id] : undefined;
    if (def === undefined) throw malformed(`unknown property 0x${id.toString(16)}`);
    if ((def.allowed & (1 << context)) === 0) throw malformed(`property ${def.key} not allowed here`);
    switch (def.type) {
      case 'pair': {
        const k = r.utf8('user property name');
        const v = r.utf8('user property value');
        (out.userProperties ??= []).push([k, v]);
        break;
      }
      case 'varint': {
        // Only the Subscription Identifier is a varint property: 1..268,435,455 [MQTT-3.8.2.1.2].
        const v = r.varInt('subscription identifier');
        if (v === 0) throw protocolError('subscription identifier 0');
        const list = (out.subscriptionIdentifiers ??= []);
        if (context !== 3 && list.length > 0) throw protocolError('repeated subscription identifier');
        list.push(v);
        break;
      }
      default: {
        if (bag[def.key] !== undefined) throw protocolError(`repeated property ${def.key}`);
        bag[def.key] = readScalar(r, def);
      }
    }
    if (r.pos > end) throw malformed('property overruns property length');
  }
  validate(out);
  return out;
}

function readScalar(r: MqttReader, def: PropertyDef): number | string | Buffer {
  switch (def.type) {
    case 'byte':
      return r.u8(def.key);
    case 'u16':
      return r.u16(def.key);
    case 'u32':
      return r.u32(def.key);
    case 'utf8':
      return r.utf8(def.key);
    case 'binary':
      return r.binary(def.key);
    default:
      throw malformed('bad property table');
  }
}

/** Value rules from §3.1.2.11 and §3.3.2.3: those that make a packet a protocol error. */
function validate(p: MqttProperties): void {
  if (p.payloadFormatIndicator !== undefined && p.payloadFormatIndicator > 1) throw protocolError('payload format indicator > 1');
  if (p.requestProblemInformation !== undefined && p.requestProblemInformation > 1) throw protocolError('request problem information > 1');
  if (p.requestResponseInformation !== undefined && p.requestResponseInformation > 1) throw protocolError('request response information > 1');
  if (p.receiveMaximum === 0) throw protocolError('receive maximum 0'); // [MQTT-3.1.2-?] 0 is a Protocol Error
  if (p.maximumPacketSize === 0) throw protocolError('maximum packet size 0');
  if (p.topicAlias === 0) throw protocolError('topic alias 0'); // [MQTT-3.3.2-8]
  if (p.authenticationData !== undefined && p.authenticationMethod === undefined) {
    throw protocolError('authentication data without method'); // §3.1.2.11.10
  }
}

function scalarSize(def: PropertyDef, v: unknown): number {
  switch (def.type) {
    case 'byte':
      return 1;
    case 'u16':
      return 2;
    case 'u32':
      return 4;
    case 'varint':
      return varIntSize(v as number);
    case 'utf8':
      return 2 + Buffer.byteLength(v as string, 'utf8');
    case 'binary':
      return 2 + (v as Buffer).length;
    default:
      return 0;
  }
}

/** Bytes the property block's contents take (without its own length prefix). */
export function propertiesLength(p: MqttProperties): number {
  let n = 0;
  for (const key in p) {
    const v = (p as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const def = BY_KEY.get(key);
    if (def === undefined) continue;
    if (def.type === 'pair') {
      for (const [k, val] of v as Array<[string, string]>) n += 1 + 2 + Buffer.byteLength(k) + 2 + Buffer.byteLength(val);
    } else if (def.type === 'varint') {
      for (const id of v as number[]) n += 1 + varIntSize(id);
    } else {
      n += 1 + scalarSize(def, v);
    }
  }
  return n;
}

/** Write the property block contents (caller wrote the length). Returns the new offset. */
export function writeProperties(buf: Buffer, off: number, p: MqttProperties): number {
  for (const key in p) {
    const v = (p as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const def = BY_KEY.get(key);
    if (def === undefined) continue;
    switch (def.type) {
      case 'pair':
        for (const [k, val] of v as Array<[string, string]>) {
          buf[off++] = def.id;
          off = writeUtf8(buf, off, k);
          off = writeUtf8(buf, off, val);
        }
        break;
      case 'varint':
        for (const id of v as number[]) {
          buf[off++] = def.id;
          off = writeVarInt(buf, off, id);
        }
        break;
      case 'byte':
        buf[off++] = def.id;
        buf[off++] = v as number;
        break;
      case 'u16':
        buf[off++] = def.id;
        off = buf.writeUInt16BE(v as number, off);
        break;
      case 'u32':
        buf[off++] = def.id;
        off = buf.writeUInt32BE(v as number, off);
        break;
      case 'utf8':
        buf[off++] = def.id;
        off = writeUtf8(buf, off, v as string);
        break;
      case 'binary':
        buf[off++] = def.id;
        off = buf.writeUInt16BE((v as Buffer).length, off);
        off += (v as Buffer).copy(buf, off);
        break;
    }
  }
  return off;
}

export function writeUtf8(buf: Buffer, off: number, s: string): number {
  const n = buf.write(s, off + 2, 'utf8');
  buf.writeUInt16BE(n, off);
  return off + 2 + n;
}

/** Keys of scalar properties, exported for adapters that copy a subset. */
export type MqttScalarPropertyKey = ScalarKey;
