/**
 * Frame encoder with a reused output chunk (DESIGN §4 "reuse encoders' scratch
 * buffers"). Frames are written back to back into the current chunk; `flush()`
 * hands the written region to the sink as one Buffer slice and keeps writing after
 * it, so a region given to the sink is never overwritten (the socket may still hold
 * it). A new chunk is allocated only when the current one is full.
 *
 * Chunks are sized to the traffic, up to `chunkSize`: a new chunk has room for twice the
 * busiest recent flush, and a chunk far larger than recent flushes is let go at the next
 * flush. A connection that receives a delivery now and then (an idle consumer) then holds
 * a small chunk, not 64 KiB for life, while a busy one keeps full-size chunks.
 *
 * Large bodies are not copied: the body frame's 7-octet header is written, the
 * pending region flushed, the body slice handed to the sink as is, and the
 * frame-end octet starts the next region.
 */
import { FRAME_BODY, FRAME_END, FRAME_HEADER, FRAME_HEARTBEAT, FRAME_METHOD, FRAME_MIN_SIZE, FRAME_OVERHEAD } from './constants.js';
import { encodeContentHeader } from './content-header.js';
import { encodeMethodPayload, type MethodInput } from './method-codec.js';
import { methodSpec, type BasicProperties, type MethodName } from './spec.js';
import { WireWriter } from './wire-writer.js';

export type FrameSink = (chunk: Buffer) => void;

/** Bodies at most this long are copied into the output chunk instead of written separately. */
const COPY_BODY_MAX = 4096;

const DELIVER_SPEC = methodSpec('basic.deliver');

/** Smallest chunk (below 4 KiB, allocUnsafe serves it from Node's shared pool). */
const MIN_CHUNK = 1024;
/** A chunk this many times larger than the recent peak flush is let go. */
const RELEASE_FACTOR = 8;
const NO_CHUNK = Buffer.alloc(0);

export class FrameEncoder extends WireWriter {
  /** Start of the bytes not yet handed to the sink. */
  private start = 0;
  /** Bumped whenever bytes move to a new chunk; a rollback is only safe within one generation. */
  private generation = 0;
  /** A failed encode could not be rolled back: the output stream is unusable. */
  broken = false;
  /** Largest frame the peer accepts (0 = unlimited); bodies are split to fit. */
  frameMax = FRAME_MIN_SIZE;
  /** Bytes handed to the sink since the last flush() (chunks that filled up mid-turn). */
  private spilled = 0;
  /** The busiest recent flush in bytes, halved at every flush that was smaller. */
  private recentPeak = 0;

  constructor(
    private readonly sink: FrameSink,
    private readonly chunkSize = 64 * 1024,
  ) {
    super(Math.min(MIN_CHUNK, chunkSize));
  }

  /** Bytes encoded and not yet flushed. */
  get pending(): number {
    return this.pos - this.start;
  }

  override ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // Complete frames before the one being written go out first.
    if (this.origin > this.start) {
      this.sink(this.buf.subarray(this.start, this.origin));
      this.spilled += this.origin - this.start;
    }
    const used = this.pos - this.origin;
    this.generation++;
    const next = Buffer.allocUnsafe(this.nextChunkSize(used + n));
    this.buf.copy(next, 0, this.origin, this.pos);
    this.buf = next;
    this.start = 0;
    this.origin = 0;
    this.pos = used;
  }

  /** Room for twice the recent peak (a power of two), within [MIN_CHUNK, chunkSize], and never less than `need`. */
  private nextChunkSize(need: number): number {
    const max = this.chunkSize;
    const want = Math.min(max, Math.max(2 * this.recentPeak, need));
    let size = Math.min(MIN_CHUNK, max);
    while (size < want) size *= 2;
    return Math.max(Math.min(size, max), need);
  }

  /** Hand everything encoded so far to the sink. */
  private handOver(): void {
    if (this.pos > this.start) {
      this.sink(this.buf.subarray(this.start, this.pos));
      this.spilled += this.pos - this.start;
      this.start = this.pos;
    }
    this.origin = this.pos;
  }

  /**
   * Hand everything encoded so far to the sink; the caller's end of a write batch (one per
   * event-loop turn). Also where the chunk is let go when it is much larger than the
   * traffic: the next frame then starts a chunk sized to recent flushes.
   */
  flush(): void {
    this.handOver();
    const flushed = this.spilled;
    this.spilled = 0;
    this.recentPeak = Math.max(flushed, this.recentPeak >>> 1);
    const size = this.buf.length;
    if (size > MIN_CHUNK && size >= RELEASE_FACTOR * Math.max(this.recentPeak, MIN_CHUNK)) {
      this.buf = NO_CHUNK;
      this.start = this.pos = this.origin = 0;
      this.generation++;
    }
  }

  private begin(type: number, channel: number): void {
    this.ensure(7);
    this.origin = this.pos;
    const b = this.buf;
    const p = this.pos;
    b[p] = type;
    b[p + 1] = channel >>> 8;
    b[p + 2] = channel & 0xff;
    this.pos = p + 7;
  }

  private end(): void {
    const size = this.pos - this.origin - 7;
    this.buf.writeUInt32BE(size, this.origin + 3);
    this.ensure(1);
    this.buf[this.pos++] = FRAME_END;
    this.origin = this.pos;
  }

  /**
   * Run an encode that may throw (a string too long for a short string, a value a
   * field table cannot hold): on failure the partial frames are discarded, so the
   * output stays well-formed; if that is impossible `broken` is set.
   */
  private atomic(fn: () => void): void {
    const gen = this.generation;
    const at = this.pos;
    try {
      fn();
    } catch (e) {
      if (gen === this.generation && at >= this.start) {
        this.pos = at;
        this.origin = at;
      } else {
        this.broken = true;
      }
      throw e;
    }
  }

  method<N extends MethodName>(channel: number, name: N, args: MethodInput<N>): void {
    this.atomic(() => {
      this.begin(FRAME_METHOD, channel);
      encodeMethodPayload(this, methodSpec(name), args as Readonly<Record<string, unknown>>);
      this.end();
    });
  }

  header(channel: number, bodySize: number, properties: BasicProperties): void {
    this.begin(FRAME_HEADER, channel);
    encodeContentHeader(this, bodySize, properties);
    this.end();
  }

  /** Body frames, split so that no frame exceeds frameMax (§4.2.6.2). */
  body(channel: number, body: Buffer): void {
    const max = this.frameMax === 0 ? body.length : this.frameMax - FRAME_OVERHEAD;
    for (let off = 0; off < body.length; off += max) {
      const piece = off === 0 && body.length <= max ? body : body.subarray(off, Math.min(body.length, off + max));
      this.begin(FRAME_BODY, channel);
      this.buf.writeUInt32BE(piece.length, this.origin + 3);
      if (piece.length <= COPY_BODY_MAX) {
        this.bytes(piece);
      } else {
        this.handOver();
        this.sink(piece);
        this.spilled += piece.length;
      }
      this.ensure(1);
      this.buf[this.pos++] = FRAME_END;
      this.origin = this.pos;
    }
  }

  /** A content-carrying method: method frame, header frame, body frames. */
  content<N extends MethodName>(channel: number, name: N, args: MethodInput<N>, properties: BasicProperties, body: Buffer): void {
    this.atomic(() => {
      this.begin(FRAME_METHOD, channel);
      encodeMethodPayload(this, methodSpec(name), args as Readonly<Record<string, unknown>>);
      this.end();
      this.header(channel, body.length, properties);
    });
    this.body(channel, body);
  }

  /**
   * basic.deliver + header + body, the hot path: the method is written directly
   * instead of walking the table (layout per spec.ts 'basic.deliver').
   */
  deliver(
    channel: number,
    consumerTag: string,
    deliveryTag: number,
    redelivered: boolean,
    exchange: string,
    routingKey: string,
    properties: BasicProperties,
    body: Buffer,
  ): void {
    const gen = this.generation;
    const at = this.pos;
    try {
      this.deliverHead(channel, consumerTag, deliveryTag, redelivered, exchange, routingKey, properties, body.length);
    } catch (e) {
      // Same rule as atomic(), inlined: no closure on the hot path.
      if (gen === this.generation && at >= this.start) {
        this.pos = at;
        this.origin = at;
      } else {
        this.broken = true;
      }
      throw e;
    }
    this.body(channel, body);
  }

  private deliverHead(
    channel: number,
    consumerTag: string,
    deliveryTag: number,
    redelivered: boolean,
    exchange: string,
    routingKey: string,
    properties: BasicProperties,
    bodySize: number,
  ): void {
    this.begin(FRAME_METHOD, channel);
    this.short(DELIVER_SPEC.classId);
    this.short(DELIVER_SPEC.methodId);
    this.shortstr(consumerTag);
    this.longlong(deliveryTag);
    this.octet(redelivered ? 1 : 0);
    this.shortstr(exchange);
    this.shortstr(routingKey);
    this.end();
    this.header(channel, bodySize, properties);
  }

  heartbeat(): void {
    this.begin(FRAME_HEARTBEAT, 0);
    this.end();
  }

  /** Raw bytes (the protocol header) outside any frame. */
  raw(b: Buffer): void {
    this.origin = this.pos;
    this.bytes(b);
    this.origin = this.pos;
  }
}
