import { createServer, type Server, type Socket } from 'node:net';
import type { Protocol } from '../options.js';
import { AmqpSinkConnection } from './amqp.js';
import { MqttSinkConnection } from './mqtt.js';
import { StompSinkConnection } from './stomp.js';

/**
 * A null sink: a tiny server that completes each protocol's handshake, discards what
 * is published and confirms it at once (AMQP basic.ack, MQTT PUBACK/PUBREC/PUBCOMP,
 * STOMP RECEIPT). Running the bench against it measures the load generator alone.
 * It never delivers messages to consumers.
 */

export interface SinkStats {
  connections: number;
  messages: number;
  bytes: number;
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

export function startNullSink(protocol: Protocol, port: number, host = '127.0.0.1'): Promise<NullSink> {
  const stats: SinkStats = { connections: 0, messages: 0, bytes: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    stats.connections++;
    socket.setNoDelay(true);
    const write = (b: Buffer): void => {
      if (!socket.destroyed) socket.write(b);
    };
    const conn: SinkConnection =
      protocol === 'amqp'
        ? new AmqpSinkConnection(write, () => socket.end(), stats)
        : protocol === 'mqtt'
          ? new MqttSinkConnection(write, () => socket.end(), stats)
          : new StompSinkConnection(write, () => socket.end(), stats);
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
