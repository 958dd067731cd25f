import type { Broker } from './brokers.js';
import type { Case } from './scenarios.js';
import { median } from './stats.js';

/** Numbers taken from one `wharf bench --json` document. */
export interface RunRecord {
  caseId: string;
  broker: string;
  run: number;
  ok: boolean;
  error: string;
  metrics: Record<string, number>;
  lost: number;
  duplicates: number;
  corrupt: number;
  /** Not an error, but worth showing (e.g. the wait for late deliveries was cut short). */
  note: string;
}

type Json = Record<string, unknown>;
const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});

/** Extract the metrics of a bench JSON document for a case of the given kind. */
export function extract(c: Case, doc: Json): Pick<RunRecord, 'metrics' | 'lost' | 'duplicates' | 'corrupt' | 'error' | 'note'> {
  const errors = Array.isArray(doc.errors) ? (doc.errors as unknown[]).map(String) : [];
  if (c.kind === 'idle') {
    const i = obj(doc.idle);
    const failed = num(i.failed);
    return {
      metrics: {
        connected: num(i.connected),
        failed,
        connectSeconds: num(i.connectSeconds),
        connectRate: num(i.connectRate),
        handshakeP99Ms: num(obj(i.handshakeMs).p99),
        rssPerConnKiB: num(i.rssPerConnectionBytes) / 1024,
      },
      lost: 0,
      duplicates: 0,
      corrupt: 0,
      note: '',
      error: failed > 0 ? `${failed} connections failed: ${String(i.firstError ?? '')}` : '',
    };
  }
  const lat = obj(doc.latencyMs);
  const broker = obj(doc.broker);
  const delivery = obj(doc.delivery);
  const metrics: Record<string, number> = {
    rate: num(obj(doc.received).rate),
    sentRate: num(obj(doc.sent).rate),
    p50: num(lat.p50),
    p99: num(lat.p99),
    p999: num(lat.p999),
    cpuPerMillion: num(broker.cpuSecondsPerMillion),
    rssPeakMiB: num(broker.rssPeakBytes) / 2 ** 20,
    benchCpuSeconds: num(doc.benchCpuSeconds),
    // The load generator's CPU share over the whole run: near 100 % it may be the bottleneck.
    benchCpuPct: (num(doc.benchCpuSeconds) / num(doc.wallSeconds)) * 100,
  };
  const drain = obj(doc.drain);
  if (c.kind === 'drain') {
    metrics.publishRate = num(obj(drain.publish).rate);
    metrics.drainRate = num(obj(drain.consume).rate);
  }
  return {
    note: doc.cutShort === true ? `stopped waiting after --max-drain with ${num(delivery.lost)} deliveries outstanding (late, maybe not lost)` : '',
    metrics,
    lost: num(delivery.lost),
    duplicates: num(delivery.duplicates),
    corrupt: num(doc.corrupt),
    error: errors.join('; '),
  };
}

export interface Aggregate {
  caseId: string;
  broker: Broker;
  runs: number;
  okRuns: number;
  medians: Record<string, number>;
  lost: number;
  duplicates: number;
  corrupt: number;
  errors: string[];
}

export function aggregate(caseId: string, broker: Broker, records: readonly RunRecord[]): Aggregate {
  const mine = records.filter((r) => r.caseId === caseId && r.broker === broker.id);
  const ok = mine.filter((r) => r.ok);
  const keys = new Set(ok.flatMap((r) => Object.keys(r.metrics)));
  const medians: Record<string, number> = {};
  for (const k of keys) medians[k] = median(ok.map((r) => r.metrics[k] ?? NaN));
  // RSS growth per idle connection: only the first run on a broker grows its heap; later
  // runs reuse what the previous run's connections freed (malloc, JVM and V8 heaps do not
  // shrink), so their growth understates the cost. Report the largest (coldest) run.
  if (keys.has('rssPerConnKiB')) medians.rssPerConnKiB = Math.max(...ok.map((r) => r.metrics.rssPerConnKiB ?? NaN).filter(Number.isFinite));
  const sum = (f: (r: RunRecord) => number): number => mine.reduce((a, r) => a + (Number.isFinite(f(r)) ? f(r) : 0), 0);
  return {
    caseId,
    broker,
    runs: mine.length,
    okRuns: ok.length,
    medians,
    lost: sum((r) => r.lost),
    duplicates: sum((r) => r.duplicates),
    corrupt: sum((r) => r.corrupt),
    errors: [...new Set(mine.flatMap((r) => [r.error, r.note]).filter((e) => e !== ''))],
  };
}
