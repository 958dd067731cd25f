/** Shared helpers for the AMQP 0-9-1 integration tests (real clients against startTestBroker). */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect as netConnect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import amqp from 'amqplib';
import type { TestBroker } from '../../helpers/broker.js';
import { runPythonScript, type PyResult } from '../../helpers/python.js';

export type { TestBroker };
export { withBroker } from '../../helpers/broker.js';

export const amqpUrl = (b: TestBroker, vhost = '', extra = ''): string =>
  `amqp://guest:guest@127.0.0.1:${b.ports.amqp}/${vhost}${extra}`;

/** An amqplib connection whose 'error' events are recorded instead of thrown. */
export async function connect(b: TestBroker, extra = ''): Promise<amqp.ChannelModel & { errors: Error[] }> {
  const c = (await amqp.connect(amqpUrl(b, '', extra))) as amqp.ChannelModel & { errors: Error[] };
  c.errors = [];
  c.on('error', (e: Error) => c.errors.push(e));
  return c;
}

/** The broker still works for a real client: a message round-trips through a fresh queue. */
export async function stillServes(b: TestBroker): Promise<void> {
  const c = await connect(b);
  const ch = await channel(c);
  const q = await ch.assertQueue('', { exclusive: true });
  ch.sendToQueue(q.queue, Buffer.from('alive'));
  await sleep(20);
  const m = await ch.get(q.queue, { noAck: true });
  assert.ok(m !== false && m.content.toString() === 'alive');
  await c.close();
}

/** Resolve when `pred` holds, polling; reject after `ms`. */
export async function waitFor(pred: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Error code and message of a rejected amqplib operation. */
export async function errorOf(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: number; message?: string };
    return { code: err.code ?? -1, message: err.message ?? '' };
  }
  throw new Error('expected the operation to fail');
}

/** A channel whose close error (if any) is captured. */
export async function channel(c: amqp.ChannelModel): Promise<amqp.Channel & { closeError?: Error & { code?: number } }> {
  const ch = (await c.createChannel()) as amqp.Channel & { closeError?: Error & { code?: number } };
  ch.on('error', (e: Error) => {
    ch.closeError = e;
  });
  return ch;
}

export async function confirmChannel(c: amqp.ChannelModel): Promise<amqp.ConfirmChannel & { closeError?: Error }> {
  const ch = (await c.createConfirmChannel()) as amqp.ConfirmChannel & { closeError?: Error };
  ch.on('error', (e: Error) => {
    ch.closeError = e;
  });
  return ch;
}

/** Run a Python script from test/integration/amqp091/py with /usr/bin/python3 (pika). */
export function runPy(script: string, args: string[], timeoutMs = 30000): Promise<PyResult> {
  return runPythonScript(resolve(process.cwd(), 'test/integration/amqp091/py', script), args, timeoutMs);
}

/** A raw TCP client that records everything the server sends. */
export interface RawClient {
  readonly socket: Socket;
  received(): Buffer;
  closed: Promise<void>;
  send(b: Buffer): void;
  /** Resolves when `n` octets have arrived (or the socket closed). */
  waitBytes(n: number, ms?: number): Promise<Buffer>;
}

export function rawConnect(port: number): Promise<RawClient> {
  return new Promise((res, rej) => {
    const socket = netConnect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let isClosed = false;
    const closed = new Promise<void>((r) => socket.on('close', () => {
      isClosed = true;
      r();
    }));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => {});
    socket.once('connect', () => {
      const client: RawClient = {
        socket,
        closed,
        received: () => Buffer.concat(chunks),
        send: (b) => socket.write(b),
        waitBytes: async (n, ms = 5000) => {
          await waitFor(() => isClosed || Buffer.concat(chunks).length >= n, ms, `${n} octets`);
          return Buffer.concat(chunks);
        },
      };
      res(client);
    });
    socket.once('error', rej);
  });
}

/** A running Python script whose output can be awaited line by line. */
export interface PyProcess {
  stdout(): string;
  /** Resolves once stdout contains `text`. */
  waitFor(text: string, ms?: number): Promise<void>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

export function spawnPy(script: string, args: string[], timeoutMs = 30000): PyProcess {
  const path = resolve(process.cwd(), 'test/integration/amqp091/py', script);
  const child = spawn('/usr/bin/python3', [path, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let exited = false;
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      exited = true;
      clearTimeout(timer);
      res({ code, stdout: out, stderr: err });
    });
  });
  return {
    stdout: () => out,
    done,
    waitFor: async (text, ms = 15000) => {
      await waitFor(() => out.includes(text) || exited, ms, `'${text}' from ${script}`);
      if (!out.includes(text)) throw new Error(`${script} exited without printing '${text}'\nstdout: ${out}\nstderr: ${err}`);
    },
  };
}

/** Await `p`, failing after `ms` so a test never hangs. */
export function within<T>(p: Promise<T>, ms = 5000, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_r, rej) => {
    timer = setTimeout(() => rej(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
