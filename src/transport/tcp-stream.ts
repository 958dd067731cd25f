import type { Socket } from 'node:net';
import type { ByteStream, StreamHandler } from './byte-stream.js';

/**
 * A protocol error must close one connection, never surface as an unhandled 'error'.
 * One function for every socket (`this` is the socket): a closure per connection would
 * cost memory on every idle connection (docs/performance.md "Memory per idle connection").
 */
function destroyOnError(this: Socket): void {
  this.destroy();
}

/**
 * Handlers given to attach(), by socket. The socket listeners below are shared by every
 * socket (`this` is the socket) and find the handler here: an entry costs less than the
 * three closures per connection that onData/onDrain/onClose need.
 */
const handlers = new WeakMap<Socket, StreamHandler>();

function onSocketData(this: Socket, chunk: Buffer): void {
  handlers.get(this)!.onStreamData(chunk);
}
function onSocketDrain(this: Socket): void {
  handlers.get(this)!.onStreamDrain();
}
function onSocketClose(this: Socket, hadError: boolean): void {
  handlers.get(this)!.onStreamClose(hadError);
}

/** A batch up to this many bytes is copied into one buffer; a larger one goes out as writev. */
const MAX_COPIED_BATCH = 64 * 1024;
/**
 * A buffer above this size is never copied into a batch: the codecs hand bodies over 4 KiB
 * to the stream apart from their frame precisely so that they are not copied (MQTT
 * PUBLISH_INLINE_MAX, AMQP COPY_BODY_MAX), and a batch holding one goes out as writev.
 */
const MAX_COPIED_CHUNK = 4096;

function allSmall(list: readonly Buffer[]): boolean {
  for (const b of list) if (b.length > MAX_COPIED_CHUNK) return false;
  return true;
}

/**
 * ByteStream over a TCP or TLS socket. TCP_NODELAY is set on every socket: without it
 * Nagle's algorithm delays small frames by tens of milliseconds (DESIGN §4).
 *
 * A class, not an object literal of closures: its methods live once on the prototype, so
 * an idle connection pays for four fields here (an object literal with a getter also fell
 * into dictionary mode, ~0.8 KiB per connection). The protocol's listeners are attached
 * to the socket directly, without wrappers.
 */
class SocketStream implements ByteStream {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** True between cork() and uncork(): writes are batched here, not in the socket. */
  private corked = false;
  /** The batch: its first buffer alone, or every buffer once there are two. */
  private first: Buffer | undefined;
  private rest: Buffer[] | undefined;
  private batched = 0;

  constructor(
    private readonly socket: Socket,
    readonly kind: 'tcp' | 'tls',
  ) {
    socket.setNoDelay(true);
    socket.on('error', destroyOnError);
    // Read at accept time: after the socket closes its peer address is gone.
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
  }

  /**
   * While corked, buffers are collected here and leave as one socket write at uncork:
   * a turn's small packets are copied into one buffer (never a buffer over 4 KiB: see
   * MAX_COPIED_CHUNK), which costs less than the
   * socket's own cork (a request object per write, then writev over the list) and
   * allocates nothing when the turn wrote one packet (docs/performance.md). A batch
   * goes out early once it reaches MAX_COPIED_BATCH. False means what socket.write's
   * false means (wait for 'drain', which will come); like a corked socket, a batch may
   * run past the high-water mark by up to one batch before the caller sees it.
   */
  write(chunk: Buffer): boolean {
    const s = this.socket;
    if (s.destroyed) return false;
    if (!this.corked) return s.write(chunk);
    if (this.first === undefined) this.first = chunk;
    else if (this.rest === undefined) this.rest = [this.first, chunk];
    else this.rest.push(chunk);
    this.batched += chunk.length;
    // Below the batch limit the answer is the socket's own: false while it waits for
    // 'drain' (which will come), so a caller that stops on false (AMQP) still stops.
    return this.batched < MAX_COPIED_BATCH ? !s.writableNeedDrain : this.flushBatch();
  }
  cork(): void {
    this.corked = true;
  }
  uncork(): void {
    this.corked = false;
    if (this.first !== undefined) this.flushBatch();
  }
  private flushBatch(): boolean {
    const s = this.socket;
    const first = this.first;
    const rest = this.rest;
    const bytes = this.batched;
    this.first = this.rest = undefined;
    this.batched = 0;
    if (first === undefined || s.destroyed) return !s.destroyed;
    if (rest === undefined) return s.write(first);
    // Copying is cheap for small packets; past these sizes a copy costs more than writev.
    if (bytes <= MAX_COPIED_BATCH && allSmall(rest)) return s.write(Buffer.concat(rest, bytes));
    s.cork();
    for (const b of rest) s.write(b);
    s.uncork();
    return !s.writableNeedDrain;
  }
  get writableNeedDrain(): boolean {
    return this.socket.writableNeedDrain;
  }
  pause(): void {
    this.socket.pause();
  }
  resume(): void {
    this.socket.resume();
  }
  end(): void {
    this.uncork();
    this.socket.end();
  }
  destroy(): void {
    this.first = this.rest = undefined;
    this.batched = 0;
    this.socket.destroy();
  }
  onData(listener: (chunk: Buffer) => void): void {
    this.socket.on('data', listener);
  }
  onDrain(listener: () => void): void {
    this.socket.on('drain', listener);
  }
  onClose(listener: (hadError: boolean) => void): void {
    const s = this.socket;
    // 'close' is emitted once, with hadError = "the socket had a transmission error"
    // (every socket error goes through destroy(err)). `closed` turns true when the
    // socket is destroyed, before 'close' is emitted: either way the listener runs once.
    if (s.closed) queueMicrotask(() => listener(s.errored !== null));
    else s.on('close', listener);
  }
  attach(handler: StreamHandler): void {
    const s = this.socket;
    handlers.set(s, handler);
    s.on('data', onSocketData);
    s.on('drain', onSocketDrain);
    if (s.closed) queueMicrotask(() => handler.onStreamClose(s.errored !== null));
    else s.on('close', onSocketClose);
  }
}

export function socketStream(socket: Socket, kind: 'tcp' | 'tls'): ByteStream {
  return new SocketStream(socket, kind);
}
