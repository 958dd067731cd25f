/**
 * AMQP 0-9-1 encoding helpers for the bench client and the null sink. Only what they
 * use: method frames with simple argument lists, content header with delivery-mode,
 * and the pre-encoded publish template. AMQP 0-9-1 §4.2.3 (frames), §4.2.6 (content).
 */

export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
export const FRAME_HEARTBEAT = 8;
export const FRAME_END = 0xce;
export const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]); // "AMQP" 0 0 9 1

/** (class << 16) | method, for switch statements. */
export const mid = (cls: number, method: number): number => cls * 65536 + method;

export const M = {
  connectionStart: mid(10, 10),
  connectionStartOk: mid(10, 11),
  connectionTune: mid(10, 30),
  connectionTuneOk: mid(10, 31),
  connectionOpen: mid(10, 40),
  connectionOpenOk: mid(10, 41),
  connectionClose: mid(10, 50),
  connectionCloseOk: mid(10, 51),
  connectionBlocked: mid(10, 60),
  connectionUnblocked: mid(10, 61),
  channelOpen: mid(20, 10),
  channelOpenOk: mid(20, 11),
  channelClose: mid(20, 40),
  channelCloseOk: mid(20, 41),
  queueDeclare: mid(50, 10),
  queueDeclareOk: mid(50, 11),
  queueBind: mid(50, 20),
  queueBindOk: mid(50, 21),
  queueDelete: mid(50, 40),
  queueDeleteOk: mid(50, 41),
  basicQos: mid(60, 10),
  basicQosOk: mid(60, 11),
  basicConsume: mid(60, 20),
  basicConsumeOk: mid(60, 21),
  basicCancel: mid(60, 30),
  basicPublish: mid(60, 40),
  basicReturn: mid(60, 50),
  basicDeliver: mid(60, 60),
  basicAck: mid(60, 80),
  basicNack: mid(60, 120),
  confirmSelect: mid(85, 10),
  confirmSelectOk: mid(85, 11),
} as const;

type TableValue = string | boolean | number | { [k: string]: TableValue };

/** Growable writer for setup-path encoding (not used per message). */
export class Writer {
  private buf = Buffer.alloc(256);
  n = 0;
  private ensure(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = Buffer.alloc(Math.max(this.buf.length * 2, this.n + k));
    this.buf.copy(b, 0, 0, this.n);
    this.buf = b;
  }
  u8(v: number): this {
    this.ensure(1);
    this.buf[this.n++] = v;
    return this;
  }
  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.n);
    this.n += 2;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.n);
    this.n += 4;
    return this;
  }
  u64(v: number): this {
    this.u32(Math.floor(v / 0x100000000));
    return this.u32(v % 0x100000000);
  }
  bytes(b: Buffer): this {
    this.ensure(b.length);
    b.copy(this.buf, this.n);
    this.n += b.length;
    return this;
  }
  shortstr(s: string): this {
    const b = Buffer.from(s, 'utf8');
    if (b.length > 255) throw new RangeError('shortstr longer than 255 bytes');
    return this.u8(b.length).bytes(b);
  }
  longstr(s: string | Buffer): this {
    const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    return this.u32(b.length).bytes(b);
  }
  /** AMQP 0-9-1 §4.2.5.5 field table, with the types RabbitMQ reads: S, t, I, F. */
  table(t: { [k: string]: TableValue }): this {
    const inner = new Writer();
    for (const [k, v] of Object.entries(t)) {
      inner.shortstr(k);
      if (typeof v === 'string') inner.u8(0x53).longstr(v);
      else if (typeof v === 'boolean') inner.u8(0x74).u8(v ? 1 : 0);
      else if (typeof v === 'number') inner.u8(0x49).u32(v >>> 0);
      else inner.u8(0x46).table(v);
    }
    return this.longstr(inner.done());
  }
  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.n));
  }
}

export function frame(type: number, channel: number, payload: Buffer): Buffer {
  const f = Buffer.allocUnsafe(payload.length + 8);
  f[0] = type;
  f.writeUInt16BE(channel, 1);
  f.writeUInt32BE(payload.length, 3);
  payload.copy(f, 7);
  f[payload.length + 7] = FRAME_END;
  return f;
}

export function methodFrame(channel: number, id: number, args: (w: Writer) => void = () => undefined): Buffer {
  const w = new Writer().u16(id >>> 16).u16(id & 0xffff);
  args(w);
  return frame(FRAME_METHOD, channel, w.done());
}

/** Read a u64 as a JS number (exact below 2^53; delivery tags and sizes never get there). */
export const readU64 = (b: Buffer, off: number): number => b.readUInt32BE(off) * 0x100000000 + b.readUInt32BE(off + 4);

export function writeU64(b: Buffer, off: number, v: number): void {
  b.writeUInt32BE(Math.floor(v / 0x100000000), off);
  b.writeUInt32BE(v % 0x100000000, off + 4);
}

export interface PublishTemplate {
  /** basic.publish + content header + body frame(s), ready to copy. */
  bytes: Buffer;
  /** Offset of the body's first byte inside `bytes`. */
  bodyOffset: number;
}

/** Pre-encode one publish (AMQP 0-9-1 §4.2.6: method, header, then bodies of at most frameMax-8 bytes). */
export function publishTemplate(
  channel: number,
  exchange: string,
  routingKey: string,
  body: Buffer,
  persistent: boolean,
  frameMax: number,
): PublishTemplate {
  const method = methodFrame(channel, M.basicPublish, (w) => w.u16(0).shortstr(exchange).shortstr(routingKey).u8(0));
  const hw = new Writer().u16(60).u16(0).u64(body.length).u16(0x1000).u8(persistent ? 2 : 1); // flags: delivery-mode only
  const header = frame(FRAME_HEADER, channel, hw.done());
  const parts = [method, header];
  const maxBody = frameMax - 8;
  for (let off = 0; off < body.length; off += maxBody) parts.push(frame(FRAME_BODY, channel, body.subarray(off, off + maxBody)));
  return { bytes: Buffer.concat(parts), bodyOffset: method.length + header.length + 7 };
}

/** basic.ack frame on `channel` (21 bytes) written at `off`. */
export const ACK_FRAME_SIZE = 21;
export function writeAck(b: Buffer, off: number, channel: number, tag: number, multiple: boolean): void {
  b[off] = FRAME_METHOD;
  b.writeUInt16BE(channel, off + 1);
  b.writeUInt32BE(13, off + 3);
  b.writeUInt32BE(M.basicAck, off + 7);
  writeU64(b, off + 11, tag);
  b[off + 19] = multiple ? 1 : 0;
  b[off + 20] = FRAME_END;
}
