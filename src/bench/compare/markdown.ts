import type { Aggregate } from './results.js';
import { THROUGHPUT_TARGET, WHARF_IDS, type Case, type Plan, type Scenario } from './scenarios.js';
import { fmtNum, fmtRatio, ratio } from './stats.js';
import type { Machine, Versions } from './machine.js';

export interface Report {
  plan: Plan;
  runs: number;
  scenarios: Scenario[];
  aggregates: Map<string, Aggregate[]>;
  machine: Machine;
  versions: Versions;
  command: string;
  benchCommand: (c: Case) => string;
  notes: string[];
  label: string;
  startedAt: Date;
  finishedAt: Date;
  loadAvgAtEnd: string;
}

interface TargetRow {
  what: string;
  wharf: string;
  peer: string;
  value: string;
  target: string;
  met: boolean | null;
}

const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const cell = (x: number, d = 0): string => fmtNum(x, d);
const lossCell = (a: Aggregate): string => (a.lost > 0 || a.corrupt > 0 ? `**${fmtNum(a.lost)}**` : '0');
const dupCell = (a: Aggregate): string => (a.duplicates > 0 ? `**${fmtNum(a.duplicates)}**` : '0');
const errCell = (a: Aggregate): string => (a.errors.length ? esc(a.errors.slice(0, 2).join('; ')).slice(0, 160) : '');
const runsCell = (a: Aggregate): string => (a.okRuns === a.runs ? String(a.runs) : `${a.okRuns}/${a.runs}`);

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function wharfs(aggs: Aggregate[]): Aggregate[] {
  return aggs.filter((a) => WHARF_IDS.includes(a.broker.id));
}

function label(a: Aggregate, c: Case): string {
  if (c.scenario === 2 && a.broker.id === 'wharf') return 'Wharf, fsync before confirm (default)';
  if (c.scenario === 2 && a.broker.id === 'wharf-write') return 'Wharf, confirm after write (RabbitMQ-classic-like)';
  return a.broker.id === 'wharf' ? 'Wharf' : a.broker.label;
}

function ratioCols(c: Case, aggs: Aggregate[], metric: string, lowerIsBetter = false): { head: string[]; cells: (a: Aggregate) => string[] } {
  const ws = wharfs(aggs);
  return {
    head: ws.map((w) => `${w.broker.id === 'wharf-write' ? 'Wharf (write)' : c.scenario === 2 ? 'Wharf (fsync)' : 'Wharf'}/this${lowerIsBetter ? ' (lower = Wharf better)' : ''}`),
    cells: (a) => ws.map((w) => (a.broker.peer ? fmtRatio(ratio(w.medians[metric] ?? NaN, a.medians[metric] ?? NaN)) : '')),
  };
}

function caseTable(c: Case, aggs: Aggregate[]): string {
  if (c.kind === 'throughput') {
    const r = ratioCols(c, aggs, 'rate');
    return table(
      ['broker', 'runs', 'received msg/s', 'sent msg/s', ...r.head, 'p50 ms', 'p99 ms', 'p99.9 ms', 'broker CPU s / M msgs', 'broker peak RSS MiB', 'bench CPU %', 'lost', 'dup', 'errors'],
      aggs.map((a) => [label(a, c), runsCell(a), cell(a.medians.rate ?? NaN), cell(a.medians.sentRate ?? NaN), ...r.cells(a), cell(a.medians.p50 ?? NaN, 2), cell(a.medians.p99 ?? NaN, 2), cell(a.medians.p999 ?? NaN, 2), cell(a.medians.cpuPerMillion ?? NaN, 1), cell(a.medians.rssPeakMiB ?? NaN), cell(a.medians.benchCpuPct ?? NaN), lossCell(a), dupCell(a), errCell(a)]),
    );
  }
  if (c.kind === 'latency') {
    const r = ratioCols(c, aggs, 'p99', true);
    return table(
      ['broker', 'runs', 'p50 ms', 'p99 ms', 'p99.9 ms', ...r.head.map((h) => h.replace('/this', ' p99/this')), 'received msg/s', 'broker CPU s / M msgs', 'lost', 'dup', 'errors'],
      aggs.map((a) => [label(a, c), runsCell(a), cell(a.medians.p50 ?? NaN, 3), cell(a.medians.p99 ?? NaN, 3), cell(a.medians.p999 ?? NaN, 3), ...r.cells(a), cell(a.medians.rate ?? NaN), cell(a.medians.cpuPerMillion ?? NaN, 1), lossCell(a), dupCell(a), errCell(a)]),
    );
  }
  if (c.kind === 'drain') {
    const p = ratioCols(c, aggs, 'publishRate');
    const d = ratioCols(c, aggs, 'drainRate');
    return table(
      ['broker', 'runs', 'publish msg/s', ...p.head.map((h) => h.replace('/this', ' publish/this')), 'drain msg/s', ...d.head.map((h) => h.replace('/this', ' drain/this')), 'broker peak RSS MiB', 'broker CPU s / M msgs', 'lost', 'dup', 'errors'],
      aggs.map((a) => [label(a, c), runsCell(a), cell(a.medians.publishRate ?? NaN), ...p.cells(a), cell(a.medians.drainRate ?? NaN), ...d.cells(a), cell(a.medians.rssPeakMiB ?? NaN), cell(a.medians.cpuPerMillion ?? NaN, 1), lossCell(a), dupCell(a), errCell(a)]),
    );
  }
  const r = ratioCols(c, aggs, 'rssPerConnKiB', true);
  return table(
    ['broker', 'runs', 'connected', 'connect time s', 'connections/s', 'handshake p99 ms', 'broker RSS KiB / connection', ...r.head.map((h) => h.replace('/this', ' RSS/this')), 'errors'],
    aggs.map((a) => [label(a, c), runsCell(a), cell(a.medians.connected ?? NaN), cell(a.medians.connectSeconds ?? NaN, 2), cell(a.medians.connectRate ?? NaN), cell(a.medians.handshakeP99Ms ?? NaN, 1), cell(a.medians.rssPerConnKiB ?? NaN, 1), ...r.cells(a), errCell(a)]),
  );
}

/** The issue's targets, one row per (case, Wharf variant, peer). */
export function targetRows(c: Case, aggs: Aggregate[]): TargetRow[] {
  const rows: TargetRow[] = [];
  const peers = aggs.filter((a) => a.broker.peer && a.okRuns > 0);
  for (const w of wharfs(aggs)) {
    const wl = w.broker.id === 'wharf-write' ? 'Wharf (write)' : 'Wharf';
    const what = `${c.scenario}. ${c.title}`;
    if (c.kind === 'throughput' || c.kind === 'drain') {
      const metrics = c.kind === 'drain' ? ['publishRate', 'drainRate'] : ['rate'];
      for (const p of peers) {
        for (const m of metrics) {
          const v = ratio(w.medians[m] ?? NaN, p.medians[m] ?? NaN);
          const t = THROUGHPUT_TARGET[p.broker.id];
          rows.push({ what: `${what}${m === 'rate' ? '' : m === 'publishRate' ? ' (publish)' : ' (drain)'}`, wharf: wl, peer: p.broker.label, value: fmtRatio(v), target: `≥ ${t}×`, met: Number.isFinite(v) ? v >= t : null });
        }
      }
    } else {
      const m = c.kind === 'latency' ? 'p99' : 'rssPerConnKiB';
      const best = peers.reduce((b, p) => Math.min(b, p.medians[m] ?? Infinity), Infinity);
      const mine = w.medians[m] ?? NaN;
      const unit = c.kind === 'latency' ? 'ms p99' : 'KiB/conn';
      if (Number.isFinite(best)) {
        rows.push({ what, wharf: wl, peer: 'best peer', value: `${fmtNum(mine, 2)} vs ${fmtNum(best, 2)} ${unit}`, target: '≤ best peer', met: Number.isFinite(mine) ? mine <= best : null });
      }
    }
  }
  return rows;
}

export function render(r: Report): string {
  const L: string[] = [];
  const all = r.scenarios.flatMap((s) => s.cases);
  L.push('# Benchmarks: Wharf vs RabbitMQ, ActiveMQ and Mosquitto');
  L.push('');
  L.push(`Generated by \`${r.command}\` from ${r.startedAt.toISOString()} to ${r.finishedAt.toISOString()}.`);
  L.push('Do not edit by hand: re-run the command. How the numbers are made: [bench.md](bench.md).');
  L.push('');
  if (r.label) L.push(`> **${r.label}**`, '');
  L.push('## Machine');
  L.push('');
  const m = r.machine;
  L.push(`- CPU: ${m.nproc} × ${m.cpuModel} (nproc ${m.nproc}); load average ${m.loadAvgAtStart} at start, ${r.loadAvgAtEnd} at end`);
  L.push(`- Memory: ${m.memoryGiB.toFixed(1)} GiB`);
  L.push(`- Disk (data directories): ${m.disk}; 4 KiB write + fdatasync median ${m.fsyncMs.toFixed(2)} ms`);
  L.push(`- Kernel: ${m.kernel}`);
  L.push('- Brokers, load generator and everything else share this one machine; every broker listens on 127.0.0.1.');
  L.push('');
  L.push('## Versions');
  L.push('');
  const v = r.versions;
  L.push(`- Wharf ${v.wharf} on Node.js ${v.node}`);
  L.push(`- RabbitMQ ${v.rabbitmq} (Erlang ${v.erlang}), Debian package, config from ../shared/peers/start.sh`);
  L.push(`- ActiveMQ Classic ${v.activemq} (${v.java}, -Xmx512M), Debian package`);
  L.push(`- Mosquitto ${v.mosquitto}, Debian package, default limits`);
  L.push(`- Load generator: \`wharf bench\` (this repository, src/bench), Node.js ${v.node}`);
  L.push('');
  L.push('## Method');
  L.push('');
  L.push(`- ${r.runs} run(s) per broker and case; the broker order rotates every run (alternating); the tables show medians over the successful runs. Before each run the comparison waits (up to 2 minutes) until every broker uses less than 0.15 CPU seconds per second, so a backlog one broker is still digesting does not slow the next run (on 2 cores it would take CPU from whichever broker is measured).`);
  L.push(`- Timed cases run ${r.plan.duration} s after a ${r.plan.warmup} s warm-up that is excluded from rates and latency (loss and duplicates count the whole run).`);
  L.push('- msg/s received is deliveries per second (a fan-out to 16 consumers counts 16 per message), measured from the end of the warm-up to the last delivery.');
  L.push('- Latency is end to end: producer timestamp in the body to the consumer\'s socket read, same clock.');
  L.push("- Broker CPU s / M msgs: the broker process's utime+stime (/proc/<pid>/stat) over the measured window, per million deliveries (per million publishes when nothing is consumed). Peak RSS: VmRSS sampled every 200 ms.");
  L.push("- bench CPU %: the load generator's CPU time over its whole run (connect to close) as a share of one core; well below 100 % means the generator was not the limit.");
  L.push('- Wharf runs with its defaults (fsync before confirm) except the rows marked "confirm after write" (`--fsync false`).');
  L.push('- Ratios are Wharf/peer on the medians; for throughput higher is better, for latency and memory lower is better.');
  L.push('- Scenario 6 runs first. Its RSS per connection is the largest over the runs (the first, cold run: later runs reuse memory the previous connections freed); connect time is the median. A garbage-collected broker (Node.js, the JVM) may even shrink while connections open; a value near or below zero means the growth was below what RSS can resolve at that connection count. RSS is read 3 s after the last handshake, so for Node.js and the JVM it includes the garbage of the connect burst, which their collectors return some 10-20 s later (Wharf MQTT: 5.7-6.0 KiB at 3 s, 2.6-2.8 KiB at 30 s; Mosquitto 0.8 KiB at both; docs/performance.md "Below the `net` API").');
  L.push('');
  L.push('Commands:');
  L.push('');
  L.push('```sh');
  L.push(r.command);
  for (const c of all) L.push(`# ${c.id}: ${r.benchCommand(c)}`);
  L.push('```');
  L.push('');
  L.push('## Against the targets of issue 6');
  L.push('');
  const trows = all.flatMap((c) => targetRows(c, r.aggregates.get(c.id) ?? []));
  if (trows.length === 0) L.push('No comparison was possible (Wharf or the peers produced no successful run).');
  else {
    L.push(table(['case', 'Wharf', 'peer', 'Wharf/peer', 'target', 'met'], trows.map((t) => [esc(t.what), t.wharf, t.peer, t.value, t.target, t.met === null ? 'n/a' : t.met ? 'yes' : '**no**'])));
    const met = trows.filter((t) => t.met === true).length;
    const comparable = trows.filter((t) => t.met !== null).length;
    L.push('');
    L.push(`${met} of ${comparable} comparisons with results on both sides meet their target${comparable < trows.length ? ` (${trows.length - comparable} without a result: n/a)` : ''}.`);
  }
  L.push('');
  for (const s of r.scenarios) {
    L.push(`## ${s.n}. ${s.title}`);
    L.push('');
    for (const c of s.cases) {
      L.push(`### ${c.title}`);
      L.push('');
      L.push(caseTable(c, r.aggregates.get(c.id) ?? []));
      L.push('');
    }
  }
  if (r.notes.length > 0) {
    L.push('## Notes');
    L.push('');
    for (const n of r.notes) L.push(`- ${n}`);
    L.push('');
  }
  return L.join('\n');
}
