import { Decimal, Timestamp, type FieldTable, type FieldValue, type Message, type MessageId, type MessageProperties } from './message.js';

/**
 * Compact binary form of a Message for the store (one record per message, whatever
 * the number of queues). Layout, all integers big-endian:
 *   u8 version (1)
 *   str8 exchange, str8 routing key            (u8 length + utf8; AMQP caps both at 255)
 *   u16 property flags, then each present property in flag order
 *   u32 body length, body bytes
 * Strings in properties are str32 (u32 length + utf8); headers are a tagged field table.
 * Tags: 's' string, 'i' int32, 'l' int64 number, 'L' bigint, 'd' double, 't' bool,
 * 'V' null, 'x' bytes, 'T' timestamp, 'D' decimal, 'A' array, 'F' table.
 * Decoding checks every length against the remaining bytes (the record may be torn).
 */
const VERSION = 1;

const P_CONTENT_TYPE = 1 << 0;
const P_CONTENT_ENCODING = 1 << 1;
const P_HEADERS = 1 << 2;
const P_DELIVERY_MODE = 1 << 3;
const P_PRIORITY = 1 << 4;
const P_CORRELATION_ID = 1 << 5;
const P_REPLY_TO = 1 << 6;
const P_EXPIRATION = 1 << 7;
const P_MESSAGE_ID = 1 << 8;
const P_TIMESTAMP = 1 << 9;
const P_TYPE = 1 << 10;
const P_USER_ID = 1 << 11;
const P_APP_ID = 1 << 12;
const P_CLUSTER_ID = 1 << 13;

class Writer {
  private buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }
  i64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
  }
  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }
  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  str8(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    if (n > 255) throw new RangeError('short string over 255 bytes');
    this.ensure(1 + n);
    this.buf[this.pos++] = n;
    this.buf.write(s, this.pos, 'utf8');
    this.pos += n;
  }
  str32(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.ensure(4 + n);
    this.buf.writeUInt32BE(n, this.pos);
    this.pos += 4;
    this.buf.write(s, this.pos, 'utf8');
    this.pos += n;
  }
  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function writeValue(w: Writer, v: FieldValue): void {
  if (v === null) return w.u8(0x56 /* V */);
  switch (typeof v) {
    case 'string':
      w.u8(0x73 /* s */);
      return w.str32(v);
    case 'boolean':
      w.u8(0x74 /* t */);
      return w.u8(v ? 1 : 0);
    case 'bigint':
      w.u8(0x4c /* L */);
      return w.i64(BigInt.asIntN(64, v));
    case 'number':
      if (Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) {
        w.u8(0x69 /* i */);
        return w.i32(v);
      }
      if (Number.isSafeInteger(v)) {
        w.u8(0x6c /* l */);
        return w.i64(BigInt(v));
      }
      w.u8(0x64 /* d */);
      return w.f64(v);
    default:
      break;
  }
  if (Buffer.isBuffer(v)) {
    w.u8(0x78 /* x */);
    w.u32(v.length);
    return w.bytes(v);
  }
  if (v instanceof Timestamp) {
    w.u8(0x54 /* T */);
    return w.f64(v.seconds);
  }
  if (v instanceof Decimal) {
    w.u8(0x44 /* D */);
    w.u8(v.scale);
    return w.i32(v.digits);
  }
  if (Array.isArray(v)) {
    w.u8(0x41 /* A */);
    w.u32(v.length);
    for (const x of v) writeValue(w, x);
    return;
  }
  w.u8(0x46 /* F */);
  writeTable(w, v);
}

function writeTable(w: Writer, t: FieldTable): void {
  const keys = Object.keys(t);
  w.u32(keys.length);
  for (const k of keys) {
    w.str32(k);
    writeValue(w, t[k] as FieldValue);
  }
}

export function serializeMessage(m: Message): Buffer {
  const p = m.properties;
  const w = new Writer(64 + m.exchange.length + m.routingKey.length + m.body.length);
  w.u8(VERSION);
  w.str8(m.exchange);
  w.str8(m.routingKey);
  let flags = 0;
  if (p.contentType !== undefined) flags |= P_CONTENT_TYPE;
  if (p.contentEncoding !== undefined) flags |= P_CONTENT_ENCODING;
  if (p.headers !== undefined) flags |= P_HEADERS;
  if (p.deliveryMode !== undefined) flags |= P_DELIVERY_MODE;
  if (p.priority !== undefined) flags |= P_PRIORITY;
  if (p.correlationId !== undefined) flags |= P_CORRELATION_ID;
  if (p.replyTo !== undefined) flags |= P_REPLY_TO;
  if (p.expiration !== undefined) flags |= P_EXPIRATION;
  if (p.messageId !== undefined) flags |= P_MESSAGE_ID;
  if (p.timestamp !== undefined) flags |= P_TIMESTAMP;
  if (p.type !== undefined) flags |= P_TYPE;
  if (p.userId !== undefined) flags |= P_USER_ID;
  if (p.appId !== undefined) flags |= P_APP_ID;
  if (p.clusterId !== undefined) flags |= P_CLUSTER_ID;
  w.u16(flags);
  if (p.contentType !== undefined) w.str32(p.contentType);
  if (p.contentEncoding !== undefined) w.str32(p.contentEncoding);
  if (p.headers !== undefined) writeTable(w, p.headers);
  if (p.deliveryMode !== undefined) w.u8(p.deliveryMode);
  if (p.priority !== undefined) w.u8(p.priority);
  if (p.correlationId !== undefined) w.str32(p.correlationId);
  if (p.replyTo !== undefined) w.str32(p.replyTo);
  if (p.expiration !== undefined) w.str32(p.expiration);
  if (p.messageId !== undefined) w.str32(p.messageId);
  if (p.timestamp !== undefined) w.f64(p.timestamp.seconds);
  if (p.type !== undefined) w.str32(p.type);
  if (p.userId !== undefined) w.str32(p.userId);
  if (p.appId !== undefined) w.str32(p.appId);
  if (p.clusterId !== undefined) w.str32(p.clusterId);
  w.u32(m.body.length);
  w.bytes(m.body);
  return w.done();
}

export class SerdeError extends Error {
  constructor(why: string) {
    super(`corrupt message record: ${why}`);
    this.name = 'SerdeError';
  }
}

/** Nesting cap for tables/arrays in a record (a record is ours, but may be torn or damaged). */
const MAX_DEPTH = 64;

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new SerdeError('truncated');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }
  slice(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  str8(): string {
    const n = this.u8();
    return this.slice(n).toString('utf8');
  }
  str32(): string {
    const n = this.u32();
    return this.slice(n).toString('utf8');
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
}

function readValue(r: Reader, depth: number): FieldValue {
  if (depth > MAX_DEPTH) throw new SerdeError('nesting too deep');
  const tag = r.u8();
  switch (tag) {
    case 0x56:
      return null;
    case 0x73:
      return r.str32();
    case 0x74:
      return r.u8() !== 0;
    case 0x4c:
      return r.i64();
    case 0x69:
      return r.i32();
    case 0x6c:
      return Number(r.i64());
    case 0x64:
      return r.f64();
    case 0x78:
      // Copy: the record buffer may be a reused read buffer in a store.
      return Buffer.from(r.slice(r.u32()));
    case 0x54:
      return new Timestamp(r.f64());
    case 0x44: {
      const scale = r.u8();
      return new Decimal(scale, r.i32());
    }
    case 0x41: {
      const n = r.u32();
      // Every element takes at least one byte: refuse counts the record cannot hold.
      if (n > r.remaining) throw new SerdeError('array count exceeds record');
      const out: FieldValue[] = new Array<FieldValue>(n);
      for (let i = 0; i < n; i++) out[i] = readValue(r, depth + 1);
      return out;
    }
    case 0x46:
      return readTable(r, depth + 1);
    default:
      throw new SerdeError(`unknown value tag ${tag}`);
  }
}

function readTable(r: Reader, depth: number): FieldTable {
  const n = r.u32();
  if (n > r.remaining) throw new SerdeError('table count exceeds record');
  const t: FieldTable = {};
  for (let i = 0; i < n; i++) {
    const k = r.str32();
    const v = readValue(r, depth);
    // Own data property even for "__proto__" (no prototype pollution from a record).
    Object.defineProperty(t, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return t;
}

/**
 * `shareBody`: the record buffer belongs to the caller and is never reused or changed
 * (the stores' reads return such buffers), so the body may be a slice of it instead of
 * a copy: one allocation and one copy less per message read back.
 */
export function deserializeMessage(id: MessageId, record: Buffer, shareBody = false): Message {
  const r = new Reader(record);
  const version = r.u8();
  if (version !== VERSION) throw new SerdeError(`unknown version ${version}`);
  const exchange = r.str8();
  const routingKey = r.str8();
  const flags = r.u16();
  const p: MessageProperties = {};
  if (flags & P_CONTENT_TYPE) p.contentType = r.str32();
  if (flags & P_CONTENT_ENCODING) p.contentEncoding = r.str32();
  if (flags & P_HEADERS) p.headers = readTable(r, 0);
  if (flags & P_DELIVERY_MODE) p.deliveryMode = r.u8() === 2 ? 2 : 1;
  if (flags & P_PRIORITY) p.priority = r.u8();
  if (flags & P_CORRELATION_ID) p.correlationId = r.str32();
  if (flags & P_REPLY_TO) p.replyTo = r.str32();
  if (flags & P_EXPIRATION) p.expiration = r.str32();
  if (flags & P_MESSAGE_ID) p.messageId = r.str32();
  if (flags & P_TIMESTAMP) p.timestamp = new Timestamp(r.f64());
  if (flags & P_TYPE) p.type = r.str32();
  if (flags & P_USER_ID) p.userId = r.str32();
  if (flags & P_APP_ID) p.appId = r.str32();
  if (flags & P_CLUSTER_ID) p.clusterId = r.str32();
  const raw = r.slice(r.u32());
  const body = shareBody ? raw : Buffer.from(raw);
  return { exchange, routingKey, properties: p, body, id };
}
