/**
 * Helpers for STOMP integration tests: a raw TCP client that speaks bytes, a TCP
 * transport for @stomp/stompjs (it normally needs a WebSocket), a stompjs factory for
 * both transports, and a runner for stomp.py scripts under /usr/bin/python3.
 */
import net from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import { Client } from '@stomp/stompjs';
import type { IMessage, IStompSocket, StompConfig } from '@stomp/stompjs';
import { StompDecoder, StompFrameError } from '../../../src/codecs/stomp/index.js';
import { runPythonScript, type PyResult } from '../../helpers/python.js';
import type { StompFrame, StompVersion } from '../../../src/codecs/stomp/index.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The RECEIPT `id` from a stompjs client, within 5 s. Call it before sending the frame
 * that asks for the receipt, await it after.
 */
export function receiptFrom(c: Client, id: string): Promise<void> {
  return withTimeout(new Promise<void>((resolve) => c.watchForReceipt(id, () => resolve())), 5000, `RECEIPT ${id}`);
}

/** Reject after `ms` with a message naming what was awaited. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

export async function eventually(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met in time: ${what}`);
    await sleep(10);
  }
}

// ---- raw client ----------------------------------------------------------------------

/** A byte-level STOMP client: send exact bytes, read decoded server frames. */
export class RawClient {
  readonly socket: net.Socket;
  readonly frames: StompFrame[] = [];
  /** Raw bytes received (heart-beats included). */
  bytes = 0;
  heartbeats = 0;
  closed = false;
  private readonly decoder = new StompDecoder({ maxCommandLength: 1 << 16, maxHeaders: 1 << 16, maxHeaderLength: 1 << 20, maxBodySize: 1 << 28 });
  private waiters: Array<() => void> = [];
  readonly closedPromise: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      });
    });
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      this.decoder.push(chunk);
      try {
        for (let f = this.decoder.next(); f !== undefined; f = this.decoder.next()) this.frames.push(f);
      } catch (e) {
        if (!(e instanceof StompFrameError)) throw e;
        socket.destroy();
      }
      this.heartbeats = this.decoder.heartbeats;
      this.wake();
    });
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Set how received headers are unescaped (after CONNECTED). */
  setVersion(v: StompVersion): void {
    this.decoder.version = v;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  /** Next frame (consumed from the queue), or throws on timeout/close. */
  async next(timeoutMs = 5000, what = 'a frame'): Promise<StompFrame> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.shift();
      if (f !== undefined) return f;
      if (this.closed) throw new Error(`connection closed while waiting for ${what}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Take the first frame matching `pred` out of the queue (others stay, in order). */
  async take(pred: (f: StompFrame) => boolean, timeoutMs = 5000, what = 'a matching frame'): Promise<StompFrame> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      if (this.closed) throw new Error(`connection closed while waiting for ${what}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; have ${this.frames.map((f) => f.command).join(',')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The RECEIPT for `id`, wherever it is among received frames. */
  receipt(id: string, timeoutMs = 5000): Promise<StompFrame> {
    return this.take((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === id, timeoutMs, `RECEIPT ${id}`);
  }

  /** Next frame with the given command (skipping none: asserts order). */
  async expect(command: string, timeoutMs = 5000): Promise<StompFrame> {
    const f = await this.next(timeoutMs, command);
    if (f.command !== command) {
      throw new Error(`expected ${command}, got ${f.command} ${JSON.stringify({ ...f.headers })} ${f.body.toString().slice(0, 200)}`);
    }
    return f;
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    await withTimeout(this.closedPromise, timeoutMs, 'the server to close the connection');
  }

  /** CONNECT and wait for CONNECTED. */
  async handshake(headers: Record<string, string> = { 'accept-version': '1.2', host: '/' }): Promise<StompFrame> {
    this.write(frame('CONNECT', headers));
    const f = await this.expect('CONNECTED');
    this.setVersion((f.headers['version'] as StompVersion | undefined) ?? '1.0');
    return f;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Build a frame's bytes (no escaping: tests write exactly what they mean). */
export function frame(command: string, headers: Record<string, string> = {}, body: string | Buffer = ''): Buffer {
  let head = command + '\n';
  for (const [k, v] of Object.entries(headers)) head += `${k}:${v}\n`;
  head += '\n';
  return Buffer.concat([Buffer.from(head, 'utf8'), typeof body === 'string' ? Buffer.from(body, 'utf8') : body, Buffer.from([0])]);
}

export async function rawConnected(port: number, headers?: Record<string, string>): Promise<RawClient> {
  const c = await RawClient.connect(port);
  await c.handshake(headers);
  return c;
}

// ---- stompjs over TCP ---------------------------------------------------------------

/** IStompSocket over a TCP socket, so stompjs can talk to the plain STOMP port. */
export class TcpStompSocket implements IStompSocket {
  onclose: ((ev?: unknown) => unknown) | null = null;
  onerror: ((ev: unknown) => unknown) | null = null;
  onmessage: ((ev: unknown) => unknown) | null = null;
  onopen: ((ev?: unknown) => unknown) | null = null;
  binaryType = 'arraybuffer';
  readyState = 0;
  readonly url: string;
  private readonly socket: net.Socket;

  constructor(port: number) {
    this.url = `tcp://127.0.0.1:${port}`;
    this.socket = net.connect(port, '127.0.0.1', () => {
      this.readyState = 1;
      this.onopen?.({});
    });
    this.socket.on('data', (chunk: Buffer) => {
      const ab = chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.length);
      this.onmessage?.({ data: ab });
    });
    this.socket.on('error', (e) => this.onerror?.(e));
    this.socket.on('close', () => {
      this.readyState = 3;
      this.onclose?.({ code: 1000, reason: '', wasClean: true });
    });
  }

  send(data: string | ArrayBufferLike | ArrayBufferView): void {
    if (typeof data === 'string') this.socket.write(data, 'utf8');
    else if (ArrayBuffer.isView(data)) this.socket.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    else this.socket.write(Buffer.from(data as ArrayBuffer));
  }

  close(): void {
    this.readyState = 2;
    this.socket.end();
  }

  terminate(): void {
    this.socket.destroy();
  }
}

export type Transport = 'ws' | 'tcp';

export interface BrokerPorts {
  readonly stomp: number;
  readonly ws: number;
}

/** A stompjs Client over WebSocket (subprotocol v12.stomp etc.) or TCP, activated; resolves once connected. */
export async function stompjs(ports: BrokerPorts, transport: Transport, config: StompConfig = {}): Promise<Client> {
  const client = new Client({
    webSocketFactory: () =>
      transport === 'ws'
        ? (new WebSocket(`ws://127.0.0.1:${ports.ws}/ws`, ['v12.stomp', 'v11.stomp', 'v10.stomp']) as unknown as IStompSocket)
        : new TcpStompSocket(ports.stomp),
    reconnectDelay: 0,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    connectHeaders: { login: 'guest', passcode: 'guest', host: '/' },
    ...config,
  });
  const connected = new Promise<void>((resolve, reject) => {
    client.onConnect = () => resolve();
    client.onStompError = (f) => reject(new Error(`STOMP ERROR: ${f.headers['message']} ${f.body}`));
    client.onWebSocketError = (e) => reject(new Error(`socket error ${String(e)}`));
  });
  client.activate();
  await withTimeout(connected, 5000, `stompjs ${transport} connect`);
  return client;
}

/** Collect messages of a subscription. */
export class Inbox {
  readonly messages: IMessage[] = [];
  readonly push = (m: IMessage): void => {
    this.messages.push(m);
  };
  async waitFor(n: number, timeoutMs = 5000): Promise<IMessage[]> {
    await eventually(() => this.messages.length >= n, `${n} messages (have ${this.messages.length})`, timeoutMs);
    return this.messages;
  }
}

// ---- stomp.py ------------------------------------------------------------------------

export type { PyResult };

/** Run test/integration/stomp/py/<script> with Debian's python3-stomp (always /usr/bin/python3). */
export function runPython(script: string, args: string[], timeoutMs = 20000): Promise<PyResult> {
  return runPythonScript(join(process.cwd(), 'test', 'integration', 'stomp', 'py', script), args, timeoutMs);
}
