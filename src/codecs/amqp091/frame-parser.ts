/**
 * Incremental frame parser (AMQP 0-9-1 §4.2.3):
 *
 *   type:octet channel:short size:long payload:size frame-end:0xCE
 *
 * Frames that lie inside one received chunk are parsed in place and body payloads
 * are zero-copy slices of the chunk. Only a frame that straddles chunks is copied,
 * once, into a buffer of exactly its size, allocated after its size was checked
 * against frame_max (DESIGN §4, §5). `next()` returns null for "need more".
 */
import { AmqpCodecError, frameError } from './codec-error.js';
import { decodeContentHeader, type ContentHeader } from './content-header.js';
import { FRAME_BODY, FRAME_END, FRAME_HEADER, FRAME_HEADER_SIZE, FRAME_HEARTBEAT, FRAME_METHOD, FRAME_MIN_SIZE, FRAME_OVERHEAD, PROTOCOL_HEADER } from './constants.js';
import { decodeMethodArgs } from './method-codec.js';
import type { AnyMethod } from './spec.js';
import { WireReader } from './wire-reader.js';

export interface MethodFrame {
  readonly type: typeof FRAME_METHOD;
  readonly channel: number;
  readonly method: AnyMethod;
}
export interface HeaderFrame {
  readonly type: typeof FRAME_HEADER;
  readonly channel: number;
  readonly header: ContentHeader;
}
export interface BodyFrame {
  readonly type: typeof FRAME_BODY;
  readonly channel: number;
  readonly payload: Buffer;
}
export interface HeartbeatFrame {
  readonly type: typeof FRAME_HEARTBEAT;
  readonly channel: number;
}
export type Frame = MethodFrame | HeaderFrame | BodyFrame | HeartbeatFrame;

const EMPTY = Buffer.alloc(0);

/** RabbitMQ tolerates frames up to one empty-frame size over frame_max (off-by-8 clients). */
const FRAME_SIZE_FUDGE = FRAME_OVERHEAD;

/** Render the first octets of a payload the way RabbitMQ's error texts do (<<1,2,3>>). */
export function payloadSnippet(buf: Buffer, start: number, end: number): string {
  const n = Math.min(16, end - start);
  const parts: number[] = [];
  for (let i = 0; i < n; i++) parts.push(buf[start + i]!);
  return `${end - start <= 16 ? 'all' : 'first 16'} octets = <<${parts.join(',')}>>`;
}

export class FrameParser {
  private frameMax: number;
  private chunk: Buffer = EMPTY;
  private pos = 0;
  /** Header bytes of a frame whose first < 7 octets arrived so far. */
  // Allocated the first time a header straddles chunks: most connections never need it,
  // and a Buffer costs ~0.3 KiB per idle connection (docs/performance.md).
  private hdr: Buffer | undefined;
  private hdrFill = 0;
  /** A frame straddling chunks, being filled. */
  private partial: Buffer | undefined;
  private partialFill = 0;
  private readonly reader = new WireReader();

  /** frameMax: the largest whole frame accepted (0 = no limit). Before tuning: FRAME_MIN_SIZE. */
  constructor(frameMax: number = FRAME_MIN_SIZE) {
    this.frameMax = frameMax;
  }

  setFrameMax(frameMax: number): void {
    this.frameMax = frameMax;
  }

  /** Bytes held that belong to an incomplete frame. */
  get buffered(): number {
    return this.hdrFill + this.partialFill + (this.chunk.length - this.pos);
  }

  /** Hand over the next received chunk; call only after next() returned null. */
  push(chunk: Buffer): void {
    if (this.pos < this.chunk.length) throw new Error('FrameParser.push before the previous chunk was consumed');
    this.chunk = chunk;
    this.pos = 0;
  }

  /** The next complete frame, or null when more bytes are needed. Throws AmqpCodecError. */
  next(): Frame | null {
    for (;;) {
      const chunk = this.chunk;
      const avail = chunk.length - this.pos;
      if (this.partial !== undefined) {
        const p = this.partial;
        const n = Math.min(p.length - this.partialFill, avail);
        chunk.copy(p, this.partialFill, this.pos, this.pos + n);
        this.partialFill += n;
        this.pos += n;
        if (this.partialFill < p.length) return this.release();
        this.partial = undefined;
        this.partialFill = 0;
        return this.parse(p, 0, p.length - FRAME_OVERHEAD);
      }
      if (this.hdrFill > 0) {
        const hdr = this.hdr!; // hdrFill > 0: allocated below
        const n = Math.min(FRAME_HEADER_SIZE - this.hdrFill, avail);
        chunk.copy(hdr, this.hdrFill, this.pos, this.pos + n);
        this.hdrFill += n;
        this.pos += n;
        if (this.hdrFill < FRAME_HEADER_SIZE) return this.release();
        const size = this.checkSize(hdr, 0);
        const p = Buffer.allocUnsafe(size + FRAME_OVERHEAD);
        hdr.copy(p, 0);
        this.partial = p;
        this.partialFill = FRAME_HEADER_SIZE;
        this.hdrFill = 0;
        continue;
      }
      if (avail === 0) return this.release();
      if (avail < FRAME_HEADER_SIZE) {
        chunk.copy((this.hdr ??= Buffer.alloc(FRAME_HEADER_SIZE)), 0, this.pos, chunk.length);
        this.hdrFill = avail;
        this.pos = chunk.length;
        return this.release();
      }
      const size = this.checkSize(chunk, this.pos);
      const total = size + FRAME_OVERHEAD;
      if (avail >= total) {
        const start = this.pos;
        this.pos += total;
        return this.parse(chunk, start, size);
      }
      const p = Buffer.allocUnsafe(total);
      chunk.copy(p, 0, this.pos, chunk.length);
      this.partial = p;
      this.partialFill = avail;
      this.pos = chunk.length;
      return this.release();
    }
  }

  private release(): null {
    this.chunk = EMPTY;
    this.pos = 0;
    this.reader.clear();
    return null;
  }

  /** §4.2.3: a peer must not send frames larger than the negotiated frame-max. */
  private checkSize(buf: Buffer, at: number): number {
    const size = buf.readUInt32BE(at + 3);
    if (this.frameMax !== 0 && size > this.frameMax - FRAME_OVERHEAD + FRAME_SIZE_FUDGE) {
      throw frameError(`type ${buf[at]}, all octets = <<>>: {frame_too_large,${size},${this.frameMax - FRAME_OVERHEAD}}`);
    }
    return size;
  }

  private parse(buf: Buffer, start: number, size: number): Frame {
    const type = buf[start]!;
    const channel = buf.readUInt16BE(start + 1);
    const ps = start + FRAME_HEADER_SIZE;
    const pe = ps + size;
    const marker = buf[pe]!;
    if (marker !== FRAME_END) {
      throw frameError(`type ${type}, ${payloadSnippet(buf, ps, pe)}: {invalid_frame_end_marker,${marker}}`);
    }
    switch (type) {
      case FRAME_METHOD: {
        const r = this.reader;
        r.reset(buf, ps, pe);
        if (size < 4) throw frameError(`type 1, ${payloadSnippet(buf, ps, pe)}: method frame too short`);
        const classId = r.short();
        const methodId = r.short();
        const method = decodeMethodArgs(r, classId, methodId);
        if (r.remaining !== 0) {
          throw new AmqpCodecError(501, `cannot decode ${method.name}: ${r.remaining} trailing octets`, classId, methodId);
        }
        return { type: FRAME_METHOD, channel, method };
      }
      case FRAME_HEADER: {
        const r = this.reader;
        r.reset(buf, ps, pe);
        const header = decodeContentHeader(r);
        if (r.remaining !== 0) throw frameError(`cannot decode content header: ${r.remaining} trailing octets`);
        return { type: FRAME_HEADER, channel, header };
      }
      case FRAME_BODY:
        return { type: FRAME_BODY, channel, payload: buf.subarray(ps, pe) };
      case FRAME_HEARTBEAT:
        if (size !== 0) throw frameError(`type 8, ${payloadSnippet(buf, ps, pe)}: unknown_frame`);
        return { type: FRAME_HEARTBEAT, channel };
      default:
        throw frameError(`type ${type}, ${payloadSnippet(buf, ps, pe)}: unknown_frame`);
    }
  }
}

/** Result of looking at the first octets of a connection. */
export type ProtocolHeaderCheck = 'ok' | 'need-more' | 'bad';

/** The 0-9 header ("AMQP" 1 1 0 9), which RabbitMQ also serves as 0-9-1. */
const HEADER_0_9 = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0x01, 0x01, 0x00, 0x09]);

/** AMQP 0-9-1 §4.2.2: the client opens with "AMQP" 0 0 9 1 (or the 0-9 header, as RabbitMQ allows). */
export function checkProtocolHeader(buf: Buffer): ProtocolHeaderCheck {
  const n = Math.min(buf.length, PROTOCOL_HEADER.length);
  const matches = (h: Buffer): boolean => {
    for (let i = 0; i < n; i++) if (buf[i] !== h[i]) return false;
    return true;
  };
  if (!matches(PROTOCOL_HEADER) && !matches(HEADER_0_9)) return 'bad';
  return n < PROTOCOL_HEADER.length ? 'need-more' : 'ok';
}
