import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Protocol } from '../options.js';
import type { BrokerId } from './scenarios.js';

export interface Broker {
  id: BrokerId;
  label: string;
  ports: Partial<Record<Protocol, number>>;
  /** Port used to find the process (any listener of it). */
  pidPort: number;
  pid: number;
  peer: boolean;
}

/** The side ports of ../shared/peers/start.sh. */
export const PEERS: Omit<Broker, 'pid'>[] = [
  { id: 'rabbitmq', label: 'RabbitMQ', ports: { amqp: 5682, mqtt: 1893, stomp: 61623 }, pidPort: 5682, peer: true },
  { id: 'activemq', label: 'ActiveMQ', ports: { stomp: 61633, mqtt: 1894 }, pidPort: 61626, peer: true },
  { id: 'mosquitto', label: 'Mosquitto', ports: { mqtt: 1895 }, pidPort: 1895, peer: true },
];

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host });
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

export async function waitPort(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portOpen(port)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/**
 * PID of the process listening on TCP `port`: `ss -ltnpH` first, else /proc/net/tcp{,6}
 * inode -> the /proc/<pid>/fd entry holding that socket.
 */
export function pidListeningOn(port: number): number {
  const ss = spawnSync('ss', ['-ltnpH'], { encoding: 'utf8' });
  if (ss.status === 0) {
    for (const line of ss.stdout.split('\n')) {
      const cols = line.trim().split(/\s+/);
      const local = cols[3] ?? '';
      if (local.endsWith(`:${port}`)) {
        const m = /pid=(\d+)/.exec(line);
        if (m) return Number(m[1]);
      }
    }
  }
  const inodes = new Set<string>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 10 || c[3] !== '0A') continue; // 0A = LISTEN
      if (parseInt(c[1]!.split(':')[1]!, 16) === port) inodes.add(c[9]!);
    }
  }
  if (inodes.size === 0) return 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      for (const fd of readdirSync(`/proc/${d}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${d}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return Number(d);
      }
    } catch {
      // process gone or not ours to read
    }
  }
  return 0;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Soft open-files limit of a process ("Max open files" in /proc/<pid>/limits). */
export function openFilesLimit(pid: number): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

export interface PeersState {
  startedByUs: boolean;
  available: Broker[];
  notes: string[];
}

/** Start the peers (idempotent script) and find their PIDs. */
export async function startPeers(peersDir: string, log: (s: string) => void, skipStart: boolean): Promise<PeersState> {
  const notes: string[] = [];
  const wasUp = (await Promise.all(PEERS.map((p) => portOpen(p.pidPort)))).every(Boolean);
  let startedByUs = false;
  if (!skipStart && !wasUp) {
    const script = join(peersDir, 'start.sh');
    log(`starting peers: bash ${script} (a few minutes the first time)`);
    const r = spawnSync('bash', [script], { stdio: 'inherit' });
    if (r.status !== 0) notes.push(`peers/start.sh exited with ${r.status}; missing peers are left out`);
    startedByUs = true;
  }
  const available: Broker[] = [];
  for (const p of PEERS) {
    const pid = (await portOpen(p.pidPort)) ? pidListeningOn(p.pidPort) : 0;
    if (pid > 0) available.push({ ...p, pid });
    else notes.push(`${p.label} is not running (nothing on 127.0.0.1:${p.pidPort}); its columns are empty`);
  }
  return { startedByUs, available, notes };
}

export function stopPeers(peersDir: string): void {
  spawnSync('bash', [join(peersDir, 'stop.sh')], { stdio: 'inherit' });
}

export interface WharfProcess {
  broker: Broker;
  stop(): Promise<void>;
}

/** `node bin/wharf.js start` on fresh ports and a fresh data directory. */
export async function startWharf(repo: string, id: BrokerId, extraArgs: string[], logDir: string): Promise<WharfProcess> {
  const ports = { amqp: await freePort(), mqtt: await freePort(), stomp: await freePort(), ws: await freePort() };
  const dataDir = mkdtempSync(join(tmpdir(), `wharf-bench-${id}-`));
  const args = [
    join(repo, 'bin/wharf.js'), 'start', '--data-dir', dataDir,
    '--amqp-port', String(ports.amqp), '--mqtt-port', String(ports.mqtt), '--stomp-port', String(ports.stomp), '--ws-port', String(ports.ws),
    ...extraArgs,
  ];
  const out = createWriteStream(join(logDir, `${id}.log`));
  const child: ChildProcess = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WHARF_LOG_LEVEL: process.env.WHARF_LOG_LEVEL ?? 'warn' } });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const up = await Promise.race([waitPort(ports.amqp, 30000), exited.then(() => false)]);
  if (!up) {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`wharf (${id}) did not start; see ${join(logDir, `${id}.log`)}`);
  }
  await Promise.all([waitPort(ports.mqtt, 10000), waitPort(ports.stomp, 10000)]);
  const label = id === 'wharf' ? 'Wharf (fsync)' : 'Wharf (write)';
  return {
    broker: { id, label, ports, pidPort: ports.amqp, pid: child.pid ?? 0, peer: false },
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15000);
      await exited;
      clearTimeout(t);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
