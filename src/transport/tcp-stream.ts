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

  write(chunk: Buffer): boolean {
    return this.socket.destroyed ? false : this.socket.write(chunk);
  }
  cork(): void {
    this.socket.cork();
  }
  uncork(): void {
    this.socket.uncork();
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
    this.socket.end();
  }
  destroy(): void {
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
