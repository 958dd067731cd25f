/**
 * Starts a whole Wharf server for integration tests: in-process (fast, for most tests)
 * or as a child process running the real `wharf start` command (for kill -9 and
 * restart tests). Ports are OS-assigned; data lives in a fresh temp directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { defaultConfig, mergeConfig, type DeepPartial, type WharfConfig } from '../../src/server/config.js';
import { createLogger } from '../../src/server/logger.js';
import { WharfServer } from '../../src/server/server.js';

export interface Ports {
  amqp: number;
  mqtt: number;
  stomp: number;
  ws: number;
}

export interface TestBroker {
  readonly ports: Ports;
  readonly dataDir: string;
  readonly server: () => WharfServer;
  stop(): Promise<void>;
  /** Stop and start again on the same data dir and ports. */
  restart(): Promise<void>;
}

export interface TestBrokerOptions {
  config?: DeepPartial<WharfConfig>;
  dataDir?: string;
}

export function tempDataDir(prefix = 'wharf-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startTestBroker(opts: TestBrokerOptions = {}): Promise<TestBroker> {
  const dataDir = opts.dataDir ?? tempDataDir();
  const ownsDir = opts.dataDir === undefined;
  const level = process.env.WHARF_LOG_LEVEL ?? 'silent';
  const base = mergeConfig(defaultConfig, { dataDir, log: { level }, shutdownTimeout: 2 });
  let config: WharfConfig = mergeConfig(base, opts.config ?? {});
  let server: WharfServer | undefined;
  let ports: Ports | undefined;
  // Fixed ports outside the kernel's ephemeral range (see freePort), so that a restart
  // finds them free again; a clash with a parallel test file is retried.
  for (let attempt = 0; server === undefined; attempt++) {
    ports = await freePorts();
    const tryConfig = withPorts(config, ports);
    try {
      server = await WharfServer.start(tryConfig, createLogger(config.log.level));
      config = tryConfig;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw err;
    }
  }
  let stopped = false;
  return {
    ports: ports!,
    dataDir,
    server: () => server!,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server!.stop();
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await server!.stop();
      server = await WharfServer.start(config, createLogger(config.log.level));
    },
  };
}

/**
 * One broker for the whole test file: started in a `before` hook and stopped in an
 * `after` hook registered where this is called (call it at the top level of the file).
 * The returned handle forwards to that broker, so it may be captured before the hook
 * ran but used only inside tests. `setup` (users, vhosts...) runs in the same hook
 * right after the start: a separate top-level `before` would not wait for it, since
 * node:test starts top-level `before` hooks as soon as they are registered.
 */
export function useSharedBroker(opts: TestBrokerOptions = {}, setup?: (b: TestBroker) => void | Promise<void>): TestBroker {
  let broker: TestBroker | undefined;
  before(async () => {
    broker = await startTestBroker(opts);
    await setup?.(broker);
  });
  after(async () => {
    await broker?.stop();
  });
  const current = (): TestBroker => {
    if (broker === undefined) throw new Error('the shared test broker is not running (used outside a test?)');
    return broker;
  };
  return {
    get ports() {
      return current().ports;
    },
    get dataDir() {
      return current().dataDir;
    },
    server: () => current().server(),
    stop: () => current().stop(),
    restart: () => current().restart(),
  };
}

/** Run `fn` with a fresh broker, always stopping it. */
export async function withBroker<T>(fn: (b: TestBroker) => Promise<T>, opts?: TestBrokerOptions): Promise<T> {
  const b = await startTestBroker(opts);
  try {
    return await fn(b);
  } finally {
    await b.stop();
  }
}

/** The config with every enabled listener on the given ports (disabled ones stay at 0). */
function withPorts(config: WharfConfig, ports: Ports): WharfConfig {
  const l = config.listeners;
  const pick = (current: number, chosen: number): number => (current === 0 ? 0 : chosen);
  return mergeConfig(config, {
    listeners: {
      amqp: { port: pick(l.amqp.port, ports.amqp) },
      mqtt: { port: pick(l.mqtt.port, ports.mqtt) },
      stomp: { port: pick(l.stomp.port, ports.stomp) },
      ws: { port: pick(l.ws.port, ports.ws) },
    },
  });
}

export interface SpawnedBroker {
  readonly child: ChildProcess;
  readonly ports: Ports;
  readonly dataDir: string;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

/**
 * A free TCP port on 127.0.0.1 below the kernel's ephemeral range (32768-60999 by
 * default). Ports the OS hands out for bind(0) or for outgoing client sockets come
 * from that range, so a port chosen there can be taken by a client's socket between
 * a broker's stop and its restart; below it, only another test choosing the same
 * random number can clash, and binding checks that.
 */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const free = await new Promise<boolean>((res) => {
      const s = createServer();
      s.once('error', () => res(false));
      s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
    });
    if (free) return port;
  }
}

async function freePorts(): Promise<Ports> {
  return { amqp: await freePort(), mqtt: await freePort(), stomp: await freePort(), ws: await freePort() };
}

export async function waitForPort(port: number, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        res(true);
      });
      s.once('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `node bin/wharf.js start` as a child process with the given data dir and fresh ports. */
export async function spawnBroker(opts: { dataDir?: string; ports?: Ports; args?: string[]; env?: Record<string, string> } = {}): Promise<SpawnedBroker> {
  const dataDir = opts.dataDir ?? tempDataDir();
  const ports: Ports = opts.ports ?? (await freePorts());
  const bin = resolve(process.cwd(), 'bin/wharf.js');
  const child = spawn(
    process.execPath,
    [bin, 'start', '--data-dir', dataDir, '--amqp-port', String(ports.amqp), '--mqtt-port', String(ports.mqtt), '--stomp-port', String(ports.stomp), '--ws-port', String(ports.ws), ...(opts.args ?? [])],
    { env: { ...process.env, WHARF_LOG_LEVEL: 'info', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  await Promise.race([
    waitForPort(ports.amqp),
    exited.then((code) => {
      throw new Error(`broker exited early (${code}): ${out}`);
    }),
  ]);
  return {
    child,
    ports,
    dataDir,
    output: () => out,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
