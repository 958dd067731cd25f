import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PEERS, openFilesLimit, pidListeningOn, startPeers, startWharf, stopPeers, type Broker, type WharfProcess } from './brokers.js';
import { machine, versions } from './machine.js';
import { render } from './markdown.js';
import { aggregate, extract, type Aggregate, type RunRecord } from './results.js';
import { plan as makePlan, scenarios as allScenarios, type BrokerId, type Case } from './scenarios.js';
import { fmtNum, rotation } from './stats.js';
import { cpuSeconds } from '../proc-stats.js';

/**
 * Wait until every broker is idle (each under 0.15 CPU seconds per second), at most
 * `maxMs`. A broker still digesting an earlier run's backlog would otherwise slow the next
 * run, whichever broker it measures: RabbitMQ keeps working for minutes after 100
 * publishers at full speed, and on 2 cores that CPU comes out of the measured broker's share.
 */
async function quiesce(pids: readonly number[], maxMs: number): Promise<number> {
  const t0 = Date.now();
  const cpu = (pid: number): number => {
    try {
      return cpuSeconds(pid);
    } catch {
      return 0; // gone: counts as idle
    }
  };
  while (Date.now() - t0 < maxMs) {
    const before = pids.map(cpu);
    await new Promise((r) => setTimeout(r, 1000));
    if (pids.every((pid, i) => cpu(pid) - (before[i] as number) < 0.15)) break;
  }
  return Date.now() - t0;
}

export const COMPARE_USAGE = `Usage: npm run bench:compare -- [options]
       (= npm run build && node scripts/bench-compare.mjs [options])

Starts RabbitMQ, ActiveMQ and Mosquitto (../shared/peers/start.sh) and Wharf, runs issue 6's
scenarios against every broker that speaks each protocol, and writes docs/benchmarks.md.

  --quick              short smoke run: 1 run, 2 s per case, small counts (labelled as such)
  --runs N             runs per broker and case                 [3; 1 with --quick]
  --duration S         seconds per timed case                   [10; 2 with --quick]
  --scenarios LIST     e.g. 1,2,7                               [all: 1-8]
  --brokers LIST       subset of wharf,wharf-write,rabbitmq,activemq,mosquitto
  --out FILE           markdown output                          [docs/benchmarks.md]
  --label TEXT         banner on top of the report (e.g. "preliminary: other builds running")
  --no-peers-start     do not run start.sh (use whatever peers are already running)
  --keep-peers         leave the peers running at the end (default: stop them if this run started them)
  --restart-peers      stop.sh then start.sh first, so every peer starts cold (disturbs anyone else using them)
`;

interface CompareOptions {
  quick: boolean;
  runs: number;
  duration: number | undefined;
  scenarios: Set<number> | null;
  brokers: Set<BrokerId> | null;
  out: string;
  label: string;
  peersStart: boolean;
  keepPeers: boolean;
  restartPeers: boolean;
}

function parse(argv: string[]): CompareOptions {
  const o: CompareOptions = { quick: false, runs: 0, duration: undefined, scenarios: null, brokers: null, out: '', label: '', peersStart: true, keepPeers: false, restartPeers: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--runs') o.runs = Number(val());
    else if (a === '--duration') o.duration = Number(val());
    else if (a === '--scenarios') o.scenarios = new Set(val().split(',').map(Number));
    else if (a === '--brokers') o.brokers = new Set(val().split(',') as BrokerId[]);
    else if (a === '--out') o.out = val();
    else if (a === '--label') o.label = val();
    else if (a === '--no-peers-start') o.peersStart = false;
    else if (a === '--keep-peers') o.keepPeers = true;
    else if (a === '--restart-peers') o.restartPeers = true;
    else if (a === '--help' || a === '-h') throw new Error('help');
    else throw new Error(`unknown option ${a}`);
  }
  if (o.runs === 0) o.runs = o.quick ? 1 : 3;
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs must be a positive integer');
  return o;
}

export async function runCompare(argv: string[]): Promise<number> {
  let o: CompareOptions;
  try {
    o = parse(argv);
  } catch (err) {
    const msg = (err as Error).message;
    process.stderr.write(msg === 'help' ? COMPARE_USAGE : `bench-compare: ${msg}\n\n${COMPARE_USAGE}`);
    return msg === 'help' ? 0 : 2;
  }
  const repo = resolve(fileURLToPath(new URL('../../../../', import.meta.url)));
  const benchMain = join(repo, 'dist/src/bench/main.js');
  if (!existsSync(benchMain)) {
    process.stderr.write('bench-compare: dist/ is missing; run `npm run build` first (npm run bench:compare does)\n');
    return 2;
  }
  const peersDir = resolve(repo, '..', 'shared', 'peers');
  const out = o.out !== '' ? resolve(o.out) : join(repo, 'docs/benchmarks.md');
  const work = mkdtempSync(join(tmpdir(), 'wharf-bench-compare-'));
  const log = (s: string): void => void process.stdout.write(`${s}\n`);
  const startedAt = new Date();
  const p = makePlan(o.quick, o.duration !== undefined ? { duration: o.duration } : {});
  const scen = allScenarios(p).filter((s) => o.scenarios === null || o.scenarios.has(s.n));
  const wanted = (id: BrokerId): boolean => o.brokers === null || o.brokers.has(id);
  const notes: string[] = [];
  log(`bench-compare: work directory ${work} (bench JSON and logs)`);

  const needsPeers = PEERS.some((pp) => wanted(pp.id));
  if (needsPeers && o.restartPeers && existsSync(peersDir)) {
    log('restarting peers (stop.sh, then start.sh)');
    stopPeers(peersDir);
  }
  const peers = needsPeers && existsSync(peersDir) ? await startPeers(peersDir, log, !o.peersStart) : { startedByUs: false, available: [] as Broker[], notes: needsPeers ? [`no peers directory at ${peersDir}`] : [] };
  notes.push(...peers.notes);
  if (needsPeers && !peers.startedByUs && peers.available.length > 0) {
    notes.push('The peers were already running when this comparison started (not restarted): their heaps may be warm from earlier use, which lowers their RSS growth in scenario 6. `--restart-peers` starts them cold.');
  }

  const wharfProcs: WharfProcess[] = [];
  const brokers = new Map<BrokerId, Broker>();
  for (const b of peers.available) if (wanted(b.id)) brokers.set(b.id, b);
  const stopAll = async (): Promise<void> => {
    for (const w of wharfProcs.splice(0)) await w.stop().catch(() => undefined);
    if (peers.startedByUs && !o.keepPeers) stopPeers(peersDir);
  };
  const onSignal = (): void => {
    void stopAll().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const needWrite = scen.some((s) => s.cases.some((c) => c.brokers.includes('wharf-write')));
  for (const [id, args] of [['wharf', []], ['wharf-write', ['--fsync', 'false']]] as [BrokerId, string[]][]) {
    if (!wanted(id) || (id === 'wharf-write' && !needWrite)) continue;
    try {
      const w = await startWharf(repo, id, args, work);
      wharfProcs.push(w);
      brokers.set(id, w.broker);
      log(`${w.broker.label}: pid ${w.broker.pid}, ports ${JSON.stringify(w.broker.ports)}`);
    } catch (err) {
      notes.push(`Wharf (${id}) could not start: ${(err as Error).message}`);
    }
  }
  const mach = machine(tmpdir());
  const vers = versions(repo);

  const rabbit = brokers.get('rabbitmq');
  if (rabbit && scen.some((s) => s.n === 6)) {
    const lim = openFilesLimit(rabbit.pid);
    if (lim < p.idleConnections + 200) {
      notes.push(
        `RabbitMQ runs with a soft open-files limit of ${lim} (start.sh starts it through su, which applies the PAM default). Past it RabbitMQ 3.10 does not just refuse connections: its memory monitor crashes on EMFILE and queues can no longer be declared until a restart, so scenario 6 stays below the limit for it.`,
      );
    }
  }

  const records: RunRecord[] = [];
  const cappedNotes = new Set<string>();
  let seq = 0;
  const runOne = async (c: Case, b: Broker, run: number): Promise<RunRecord> => {
    const id = ++seq;
    const port = b.ports[c.protocol];
    const cport = c.consumerProtocol ? b.ports[c.consumerProtocol] : undefined;
    const pid = b.peer ? pidListeningOn(b.pidPort) || b.pid : b.pid;
    const json = join(work, `${c.id}-${b.id}-${run}.json`);
    const caseArgs = [...c.args];
    if (c.kind === 'idle') {
      // A broker that runs out of descriptors may break as a whole (RabbitMQ 3.10's memory
      // monitor dies on EMFILE), so ask it for no more connections than its limit allows.
      const lim = openFilesLimit(pid);
      const i = caseArgs.indexOf('--idle-connections');
      const n = Number(caseArgs[i + 1]);
      if (Number.isFinite(lim) && lim < n + 200) {
        const capped = Math.max(50, Math.floor(lim * 0.6));
        caseArgs[i + 1] = String(capped);
        cappedNotes.add(`${b.label}: scenario 6 opened ${capped} instead of ${n} connections because its soft open-files limit is ${lim}; RSS per connection is still comparable, connect time is not.`);
      }
    }
    const args = [...caseArgs, '--host', '127.0.0.1', '--port', String(port), '--broker-pid', String(pid), '--json', json, '--quiet', '--run-id', `cmp${process.pid}x${id}`];
    if (cport !== undefined) args.push('--consumer-port', String(cport));
    if (c.kind === 'throughput' || c.kind === 'latency') args.push('--drain-timeout', '5', '--max-drain', '30');
    const logFile = join(work, 'bench.log');
    appendFileSync(logFile, `\n$ wharf bench ${args.join(' ')}\n`);
    const code = await new Promise<number | null>((res) => {
      const child = spawn(process.execPath, [benchMain, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (d: Buffer) => appendFileSync(logFile, d));
      child.stderr.on('data', (d: Buffer) => appendFileSync(logFile, d));
      const t = setTimeout(() => child.kill('SIGKILL'), c.timeoutS * 1000);
      child.once('exit', (code) => {
        clearTimeout(t);
        res(code);
      });
    });
    const base: RunRecord = { caseId: c.id, broker: b.id, run, ok: false, error: '', note: '', metrics: {}, lost: 0, duplicates: 0, corrupt: 0 };
    if (!existsSync(json)) return { ...base, error: code === null ? `bench killed after ${c.timeoutS} s` : `bench exited with ${code} and no result (see ${logFile})` };
    const doc = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>;
    const x = extract(c, doc);
    const ok = c.kind === 'idle' ? (x.metrics.connected ?? 0) > 0 : (code === 0 || code === 3) && x.error === '';
    return { ...base, ...x, ok };
  };

  // Idle connections first, while every broker's heap is as cold as it will get (RSS growth
  // per connection is measured), then the scenarios in their order.
  const order = [...scen.filter((s) => s.n === 6), ...scen.filter((s) => s.n !== 6)];
  for (const s of order) {
    for (const c of s.cases) {
      const list = c.brokers.filter((id) => brokers.has(id) && brokers.get(id)!.ports[c.protocol] !== undefined && (!c.consumerProtocol || brokers.get(id)!.ports[c.consumerProtocol] !== undefined));
      for (let run = 0; run < o.runs; run++) {
        for (const id of rotation(list, run)) {
          const b = brokers.get(id)!;
          const pids = [...brokers.values()].map((x) => (x.peer ? pidListeningOn(x.pidPort) || x.pid : x.pid));
          const waited = await quiesce(pids, 120_000);
          if (waited > 5000) log(`  (waited ${(waited / 1000).toFixed(0)} s for every broker to become idle)`);
          const r = await runOne(c, b, run);
          records.push(r);
          const m = r.metrics;
          const summary =
            c.kind === 'idle'
              ? `${fmtNum(m.connected ?? NaN)} connected in ${fmtNum(m.connectSeconds ?? NaN, 2)} s, ${fmtNum(m.rssPerConnKiB ?? NaN, 1)} KiB/conn`
              : c.kind === 'drain'
                ? `publish ${fmtNum(m.publishRate ?? NaN)}/s drain ${fmtNum(m.drainRate ?? NaN)}/s`
                : `${fmtNum(m.rate ?? NaN)} msg/s p50 ${fmtNum(m.p50 ?? NaN, 2)} ms p99 ${fmtNum(m.p99 ?? NaN, 2)} ms lost ${fmtNum(r.lost)} dup ${fmtNum(r.duplicates)}`;
          log(`[${c.id}] run ${run + 1}/${o.runs} ${b.label.padEnd(13)} ${r.ok ? summary : `FAILED: ${r.error}`}${r.ok && r.error ? ` (${r.error})` : ''}`);
        }
      }
    }
  }

  notes.push(...cappedNotes);
  const aggregates = new Map<string, Aggregate[]>();
  for (const s of scen) {
    for (const c of s.cases) {
      const ids = c.brokers.filter((id) => brokers.has(id));
      aggregates.set(c.id, ids.map((id) => aggregate(c.id, brokers.get(id)!, records)));
    }
  }
  const loadAvgAtEnd = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  await stopAll();
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);

  const cmd = `npm run bench:compare${argv.length ? ` -- ${argv.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}` : ''}`;
  const label = [o.quick ? 'Quick smoke run (--quick): one short run per case; not a measurement to draw conclusions from.' : '', o.label].filter(Boolean).join(' ');
  const md = render({
    plan: p,
    runs: o.runs,
    scenarios: scen,
    aggregates,
    machine: mach,
    versions: vers,
    command: cmd,
    benchCommand: (c) => `wharf bench ${c.args.join(' ')} --host 127.0.0.1 --port <${c.protocol} port>${c.consumerProtocol ? ` --consumer-port <${c.consumerProtocol} port>` : ''} --broker-pid <pid> --json <file>`,
    notes,
    label,
    startedAt,
    finishedAt: new Date(),
    loadAvgAtEnd,
  });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, md);
  const rawOut = out.replace(/\.md$/, '') + '.json';
  writeFileSync(rawOut, `${JSON.stringify({ startedAt, plan: p, runs: o.runs, records }, null, 1)}\n`);
  log(`wrote ${relative(process.cwd(), out)} and ${relative(process.cwd(), rawOut)}`);
  return 0;
}
