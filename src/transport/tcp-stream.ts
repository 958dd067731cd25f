import type { Socket } from 'node:net';
import type { ByteStream } from './byte-stream.js';

/**
 * ByteStream over a TCP or TLS socket. TCP_NODELAY is set on every socket: without it
 * Nagle's algorithm delays small frames by tens of milliseconds (DESIGN §4).
 */
export function socketStream(socket: Socket, kind: 'tcp' | 'tls'): ByteStream {
  socket.setNoDelay(true);
  // A protocol error must close one connection, never surface as an unhandled 'error'.
  socket.on('error', () => socket.destroy());
  let closeListener: ((hadError: boolean) => void) | undefined;
  let closed = false;
  let hadError = false;
  socket.once('error', () => (hadError = true));
  socket.once('close', (err: boolean) => {
    closed = true;
    closeListener?.(err || hadError);
  });
  return {
    remoteAddress: socket.remoteAddress ?? '',
    remotePort: socket.remotePort ?? 0,
    kind,
    write: (chunk) => (socket.destroyed ? false : socket.write(chunk)),
    cork: () => socket.cork(),
    uncork: () => socket.uncork(),
    get writableNeedDrain() {
      return socket.writableNeedDrain;
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    end: () => socket.end(),
    destroy: () => socket.destroy(),
    onData: (l) => socket.on('data', l),
    onDrain: (l) => socket.on('drain', l),
    onClose: (l) => {
      closeListener = l;
      if (closed) queueMicrotask(() => l(hadError));
    },
  };
}
