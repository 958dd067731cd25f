import { createServer, type Server, type Socket } from 'node:net';
import type { Protocol } from '../options.js';
import { AmqpSinkConnection } from './amqp.js';
import { MqttSinkConnection } from './mqtt.js';
import type { SinkOutput } from './flood.js';
import { StompSinkConnection } from './stomp.js';

/**
 * A null sink: a tiny server that completes each protocol's handshake, discards what
 * is published and confirms it at once (AMQP basic.ack, MQTT PUBACK/PUBREC/PUBCOMP,
 * STOMP RECEIPT). Running the bench against it measures the load generator alone.
 * A subscriber (basic.consume, SUBSCRIBE) gets an endless flood of pre-encoded bench
 * messages instead, which measures the bench's consumer side alone.
 */

export interface SinkStats {
  connections: number;
  messages: number;
  bytes: number;
}

export interface SinkOptions {
  /** Body size of the messages flooded to subscribers. */
  size: number;
}

export interface SinkConnection {
  /** Consume whole frames, return bytes used; throw on garbage. */
  parse(buf: Buffer): number;
}

export interface NullSink {
  readonly port: number;
  readonly stats: SinkStats;
  close(): Promise<void>;
}

export function startNullSink(protocol: Protocol, port: number, host = '127.0.0.1', opts: SinkOptions = { size: 1024 }): Promise<NullSink> {
  const stats: SinkStats = { connections: 0, messages: 0, bytes: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    stats.connections++;
    socket.setNoDelay(true);
    const out: SinkOutput = {
      write: (b) => !socket.destroyed && socket.write(b),
      onceDrain: (cb) => socket.once('drain', cb),
      closed: () => socket.destroyed || socket.writableEnded,
    };
    const end = (): void => void socket.end();
    const conn: SinkConnection =
      protocol === 'amqp'
        ? new AmqpSinkConnection(out, end, stats, opts)
        : protocol === 'mqtt'
          ? new MqttSinkConnection(out, end, stats, opts)
          : new StompSinkConnection(out, end, stats, opts);
    let pending: Buffer | null = null;
    socket.on('data', (chunk: Buffer) => {
      stats.bytes += chunk.length;
      const buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
      pending = null;
      let used: number;
      try {
        used = conn.parse(buf);
      } catch {
        socket.destroy();
        return;
      }
      if (used < buf.length) pending = Buffer.from(buf.subarray(used));
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve({
        port: typeof addr === 'object' && addr !== null ? addr.port : port,
        stats,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
