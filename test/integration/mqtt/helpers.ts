/**
 * Shared helpers for the MQTT integration tests: MQTT.js clients with bounded waits, and a
 * raw TCP client that speaks bytes (for bad input and exact packet checks).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import mqtt, { type IClientOptions, type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt';
import { encodeConnect, MqttDecoder, type ConnackPacket, type ConnectPacket, type MqttPacket, type ProtocolLevel } from '../../../src/codecs/mqtt/index.js';
import type { TestBroker } from '../../helpers/broker.js';

export type Transport = 'tcp' | 'ws';
export const TRANSPORTS: readonly Transport[] = ['tcp', 'ws'];

export function mqttUrl(b: TestBroker, t: Transport): string {
  return t === 'tcp' ? `mqtt://127.0.0.1:${b.ports.mqtt}` : `ws://127.0.0.1:${b.ports.ws}/mqtt`;
}

/** Connect with MQTT.js; never reconnects on its own, fails after 5 s. */
export async function connectClient(b: TestBroker, t: Transport, opts: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(mqttUrl(b, t), { reconnectPeriod: 0, connectTimeout: 5000, ...opts }, false);
}

/**
 * Connect and also return the CONNACK; the Inbox is attached before the CONNECT goes out,
 * so messages a resumed session sends right after CONNACK are not missed.
 */
export function connectWithConnack(b: TestBroker, t: Transport, opts: IClientOptions = {}): Promise<{ client: MqttClient; connack: IConnackPacket; inbox: Inbox }> {
  return connectUrlWithConnack(mqttUrl(b, t), opts);
}

export function connectUrlWithConnack(url: string, opts: IClientOptions = {}): Promise<{ client: MqttClient; connack: IConnackPacket; inbox: Inbox }> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    const inbox = new Inbox(client);
    client.once('connect', (connack) => resolve({ client, connack, inbox }));
    client.once('error', (e) => {
      client.end(true);
      reject(e);
    });
  });
}

export interface Received {
  topic: string;
  payload: Buffer;
  packet: IPublishPacket;
}

/** Collects every message a client receives; `next()` waits (bounded) for the next one. */
export class Inbox {
  readonly messages: Received[] = [];
  private waiters: Array<() => void> = [];

  constructor(client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload, packet });
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
  }

  /** Wait until at least `n` messages arrived (or time out with a useful error). */
  async waitFor(n: number, timeoutMs = 5000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} messages, got ${this.messages.length}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.messages;
  }
}

/** Resolve after `ms` (to let something NOT happen before asserting it did not). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export { withBroker } from '../../helpers/broker.js';

/** End clients without waiting on a broker that may be gone. */
export async function endAll(...clients: Array<MqttClient | undefined>): Promise<void> {
  await Promise.all(clients.map((c) => (c ? c.endAsync(true).catch(() => undefined) : undefined)));
}

/** A raw MQTT client over TCP or WebSocket: write bytes, read decoded packets (server -> client). */
export class RawClient {
  private readonly decoder: MqttDecoder;
  private readonly packets: MqttPacket[] = [];
  private waiters: Array<() => void> = [];
  closed = false;
  error: unknown;

  private constructor(
    private readonly sendBytes: (b: Buffer) => void,
    private readonly destroy: () => void,
    level: ProtocolLevel,
  ) {
    this.decoder = new MqttDecoder({ maxPacketSize: 1 << 28, maxFiltersPerPacket: 1 << 20 });
    this.decoder.expectConnect = false;
    this.decoder.level = level;
  }

  private feed(chunk: Buffer): void {
    try {
      this.decoder.push(chunk);
      for (let p = this.decoder.next(); p !== undefined; p = this.decoder.next()) this.packets.push(p);
    } catch (e) {
      this.error = e;
    }
    this.wake();
  }

  private onClosed(): void {
    this.closed = true;
    this.wake();
  }

  static async open(port: number, level: ProtocolLevel = 4): Promise<RawClient> {
    const socket: Socket = netConnect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new RawClient((b) => socket.write(b), () => socket.destroy(), level);
    socket.on('data', (chunk) => c.feed(chunk));
    socket.on('close', () => c.onClosed());
    socket.on('error', () => undefined);
    return c;
  }

  /** Over WebSocket (by default subprotocol mqtt, path /mqtt); each write is one binary message. */
  static async openWs(port: number, level: ProtocolLevel = 4, path = '/mqtt', subprotocol: string | undefined = 'mqtt'): Promise<RawClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, subprotocol === undefined ? [] : [subprotocol]);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const c = new RawClient((b) => ws.send(b, { binary: true }), () => ws.terminate(), level);
    ws.on('message', (data: Buffer) => c.feed(data));
    ws.on('close', () => c.onClosed());
    ws.on('error', () => undefined);
    return c;
  }

  /** Over the transport the test runs on. */
  static openOn(b: TestBroker, t: Transport, level: ProtocolLevel = 4): Promise<RawClient> {
    return t === 'tcp' ? RawClient.open(b.ports.mqtt, level) : RawClient.openWs(b.ports.ws, level);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(b: Buffer): void {
    this.sendBytes(b);
  }

  /** Next packet, or 'closed' when the server closed the connection; throws after the timeout. */
  async next(timeoutMs = 5000): Promise<MqttPacket | 'closed'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = this.packets.shift();
      if (p !== undefined) return p;
      if (this.closed) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a packet');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Wait until the server closes the connection; returns the packets it sent before. */
  async untilClosed(timeoutMs = 5000): Promise<MqttPacket[]> {
    const got: MqttPacket[] = [];
    for (;;) {
      const p = await this.next(timeoutMs);
      if (p === 'closed') return got;
      got.push(p);
    }
  }

  close(): void {
    this.destroy();
  }
}

/** CONNECT bytes with defaults for every field the test does not care about. */
export function connectPacket(level: ProtocolLevel, clientId: string, extra: Partial<Omit<ConnectPacket, 'type'>> = {}): Buffer {
  return encodeConnect({
    protocolName: level === 3 ? 'MQIsdp' : 'MQTT',
    protocolLevel: level,
    clean: true,
    keepAlive: 0,
    properties: {},
    clientId,
    will: undefined,
    username: undefined,
    password: undefined,
    ...extra,
  });
}

/** Open a raw client on `t`, send CONNECT, and return it with the CONNACK (asserted to be one). */
export async function rawConnect(
  b: TestBroker,
  t: Transport,
  level: ProtocolLevel,
  clientId: string,
  extra: Partial<Omit<ConnectPacket, 'type'>> = {},
): Promise<{ raw: RawClient; connack: ConnackPacket }> {
  const raw = await RawClient.openOn(b, t, level);
  raw.write(connectPacket(level, clientId, extra));
  const connack = await raw.next();
  if (connack === 'closed' || connack.type !== 2) {
    raw.close();
    throw new Error(`expected CONNACK, got ${connack === 'closed' ? 'close' : `packet type ${connack.type}`}`);
  }
  return { raw, connack };
}

/** Next packet of `type`, skipping others; fails when the connection closes first. */
export async function nextOf<T extends MqttPacket>(raw: RawClient, type: T['type'], timeoutMs = 5000): Promise<T> {
  for (;;) {
    const p = await raw.next(timeoutMs);
    if (p === 'closed') throw new Error(`connection closed while waiting for packet type ${type}`);
    if (p.type === type) return p as T;
  }
}
