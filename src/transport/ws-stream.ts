import { isUtf8 } from 'node:buffer';
import type { WebSocket } from 'ws';
import type { ByteStream } from './byte-stream.js';

/**
 * ByteStream over one WebSocket. Each received message's bytes are handed on as a chunk
 * (the codecs are incremental, so message boundaries do not matter). Writes made between
 * cork() and uncork() go out as one WebSocket message.
 *
 * `textFrames`: STOMP over WebSocket is text by convention (RabbitMQ Web-STOMP's default,
 * what browser STOMP clients expect); a chunk that is not valid UTF-8 (binary body) still
 * goes out as a binary message, and both kinds are accepted. Without it (MQTT) only
 * binary messages are sent and accepted: "If any other type of data frame is received
 * the recipient MUST close the Network Connection" [MQTT-6.0.0-1].
 */
export function webSocketStream(
  ws: WebSocket,
  remoteAddress: string,
  remotePort: number,
  secure: boolean,
  textFrames: boolean,
  onAuthenticated?: () => void,
): ByteStream {
  let corked = 0;
  let pending: Buffer[] = [];
  let closeListener: ((hadError: boolean) => void) | undefined;
  let drainListener: (() => void) | undefined;
  let closed = false;
  let hadError = false;
  // ws exposes no 'drain'; poll the buffered amount after sends that crossed the mark.
  const highWater = 1024 * 1024;
  let drainTimer: NodeJS.Timeout | undefined;

  const send = (data: Buffer): boolean => {
    if (ws.readyState !== ws.OPEN) return false;
    const asText = textFrames && isUtf8(data);
    ws.send(asText ? data.toString('utf8') : data, { binary: !asText });
    if (ws.bufferedAmount > highWater) {
      if (!drainTimer) {
        drainTimer = setInterval(() => {
          if (ws.bufferedAmount <= highWater || ws.readyState !== ws.OPEN) {
            clearInterval(drainTimer);
            drainTimer = undefined;
            drainListener?.();
          }
        }, 5);
      }
      return false;
    }
    return true;
  };
  ws.on('error', () => {
    hadError = true;
    ws.terminate();
  });
  ws.on('close', () => {
    closed = true;
    if (drainTimer) clearInterval(drainTimer);
    closeListener?.(hadError);
  });
  return {
    remoteAddress,
    remotePort,
    kind: secure ? 'wss' : 'ws',
    write(chunk) {
      if (corked > 0) {
        pending.push(chunk);
        return ws.bufferedAmount <= highWater;
      }
      return send(chunk);
    },
    cork() {
      corked++;
    },
    uncork() {
      if (corked === 0 || --corked > 0 || pending.length === 0) return;
      const out = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
      pending = [];
      send(out);
    },
    get writableNeedDrain() {
      return ws.bufferedAmount > highWater;
    },
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    end() {
      if (pending.length > 0) {
        const out = Buffer.concat(pending);
        pending = [];
        send(out);
      }
      ws.close(1000);
    },
    destroy: () => ws.terminate(),
    authenticated() {
      onAuthenticated?.();
    },
    onData: (l) =>
      ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
        if (!isBinary && !textFrames) {
          // 1003: unsupported data (RFC 6455 §7.4.1).
          ws.close(1003, 'binary frames only');
          return;
        }
        if (Buffer.isBuffer(data)) l(data);
        else if (Array.isArray(data)) l(Buffer.concat(data));
        else l(Buffer.from(data));
      }),
    onDrain: (l) => {
      drainListener = l;
    },
    onClose: (l) => {
      closeListener = l;
      if (closed) queueMicrotask(() => l(hadError));
    },
  };
}
