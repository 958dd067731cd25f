import { spawnSync } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { median } from './stats.js';

export interface Machine {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  disk: string;
  fsyncMs: number;
  loadAvgAtStart: string;
}

const sh = (cmd: string, args: string[]): string => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
};

/** Median latency of a 4 KiB write + fdatasync in `dir` (context for the persistent scenario). */
export function fsyncProbe(dir: string, n = 100): number {
  const d = mkdtempSync(join(dir, 'fsync-probe-'));
  const fd = openSync(join(d, 'probe'), 'w');
  const buf = Buffer.alloc(4096, 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      writeSync(fd, buf);
      fdatasyncSync(fd);
      times.push(performance.now() - t);
    }
  } finally {
    closeSync(fd);
    rmSync(d, { recursive: true, force: true });
  }
  return median(times);
}

export function machine(dataDir: string): Machine {
  const df = sh('df', ['-h', '--output=source,fstype,size,avail', dataDir]).split('\n').slice(1).join(' ').replace(/\s+/g, ' ');
  const lsblk = sh('lsblk', ['-d', '-n', '-o', 'NAME,ROTA,SIZE,MODEL']).split('\n').filter((l) => !l.startsWith('zram') && !l.startsWith('loop')).join('; ');
  return {
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: totalmem() / 2 ** 30,
    kernel: release(),
    disk: `${df}${lsblk ? ` (lsblk: ${lsblk.replace(/\s+/g, ' ')})` : ''}`,
    fsyncMs: fsyncProbe(dataDir),
    loadAvgAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}

export interface Versions {
  node: string;
  wharf: string;
  rabbitmq: string;
  erlang: string;
  activemq: string;
  java: string;
  mosquitto: string;
}

const dpkg = (pkg: string): string => sh('dpkg-query', ['-W', '-f', '${Version}', pkg]) || 'not installed';

export function versions(repo: string): Versions {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
  const commit = sh('git', ['-C', repo, 'rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['-C', repo, 'status', '--porcelain', '--untracked-files=no']) !== '';
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return {
    node: process.version,
    wharf: `${pkg.version}${commit ? ` (${commit}${dirty ? ', uncommitted changes' : ''})` : ''}`,
    rabbitmq: dpkg('rabbitmq-server'),
    erlang: dpkg('erlang-base'),
    activemq: dpkg('activemq'),
    java: (java.stderr || java.stdout || '').split('\n')[0]?.trim() || 'not installed',
    mosquitto: dpkg('mosquitto'),
  };
}
