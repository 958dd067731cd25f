import { AmqpClient, createClient, type BenchClient } from './clients/index.js';
import type { Destination, DeliverySink } from './clients/types.js';
import { Histogram } from './histogram.js';
import type { BenchOptions } from './options.js';
import { ProcSampler, type ProcWindow } from './proc-stats.js';
import { GroupTracker, totals, type DeliveryTotals } from './tracker.js';

/** Live counters shared by every consumer sink (plain numbers: no allocation per message). */
export class Counters {
  received = 0;
  corrupt = 0;
  measuring = false;
  lastDeliveryMs = 0;
  readonly latency = new Histogram();
  readonly interval = new Histogram();
}

class ConsumerSink implements DeliverySink {
  constructor(
    private readonly group: GroupTracker,
    private readonly c: Counters,
  ) {}

  deliver(producer: number, seq: number, tsUs: number, nowUs: number): void {
    this.group.record(producer, seq);
    const c = this.c;
    c.received++;
    c.lastDeliveryMs = nowUs / 1000;
    const lat = nowUs - tsUs;
    c.interval.record(lat);
    if (c.measuring) c.latency.record(lat);
  }

  corrupt(): void {
    this.c.corrupt++;
  }
}

/** Drives one producer connection: batches as large as window, rate and socket allow. */
class ProducerDriver {
  private stopped = false;
  private waiting = false;
  private scheduled = false;
  private startMs = 0;
  private finished: () => void = () => undefined;
  readonly done: Promise<void>;

  constructor(
    readonly client: BenchClient,
    private readonly quota: number,
    private readonly ratePerSec: number,
    private readonly batch: number,
  ) {
    this.done = new Promise((r) => (this.finished = r));
    client.onRoom(() => {
      if (this.waiting) {
        this.waiting = false;
        this.schedule();
      }
    });
  }

  start(): void {
    this.startMs = performance.now();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.finished();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(this.pump);
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    if (this.stopped) return;
    const c = this.client;
    if (c.error) return this.stop();
    const published = c.stats.published;
    let n = Math.min(this.batch, this.quota - published);
    if (n <= 0) return this.stop();
    if (this.ratePerSec > 0) {
      const elapsed = performance.now() - this.startMs;
      const due = Math.floor((elapsed / 1000) * this.ratePerSec) + 1 - published;
      if (due <= 0) {
        // Sleep until the next message is due (timers have ~1 ms resolution).
        const nextAt = ((published + 1 - 1) / this.ratePerSec) * 1000;
        this.scheduled = true;
        setTimeout(this.pump, Math.max(1, nextAt - elapsed));
        return;
      }
      n = Math.min(n, due);
    }
    const room = c.room();
    if (room <= 0) {
      this.waiting = true;
      return;
    }
    c.publish(Math.min(n, room));
    this.schedule();
  };
}

export interface PhaseRates {
  seconds: number;
  count: number;
  rate: number;
}

export interface RunResult {
  sent: PhaseRates;
  received: PhaseRates;
  confirmed: number;
  nacked: number;
  inflightAtEnd: number;
  delivery: DeliveryTotals;
  /** The wait for outstanding deliveries hit --max-drain while messages were still arriving:
   *  part of `delivery.lost` may only be late, not lost. */
  cutShort: boolean;
  corrupt: number;
  latencyMs: { p50: number; p99: number; p999: number; max: number; mean: number; count: number };
  drain: { publish: PhaseRates; consume: PhaseRates } | null;
  broker: (ProcWindow & { cpuSecondsPerMillion: number }) | null;
  benchCpuSeconds: number;
  /** Wall time of the whole run (connect to close), the denominator for the bench's CPU share. */
  wallSeconds: number;
  errors: string[];
}

export interface Progress {
  line(text: string): void;
}

const sum = (xs: readonly BenchClient[], f: (c: BenchClient) => number): number => xs.reduce((a, c) => a + f(c), 0);

async function limitAll<T>(n: number, limit: number, f: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      out[i] = await f(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function autoBatch(size: number): number {
  return Math.max(1, Math.min(1000, Math.floor(65536 / (size + 64))));
}

/** One throughput / latency run as described by the options. */
export async function runThroughput(o: BenchOptions, progress: Progress, interrupted: Promise<void> = new Promise(() => undefined)): Promise<RunResult> {
  const errors: string[] = [];
  const destinations: Destination[] = Array.from({ length: o.destinations }, (_, i) => ({
    kind: o.semantics,
    segments: ['bench', o.runId, String(i)],
  }));
  const destOfProducer = (p: number): number => p % o.destinations;
  const destOfConsumer = (c: number): number => c % o.destinations;

  const counters = new Counters();
  // Delivery groups: a queue's competing consumers share one; a topic subscriber has its own.
  const groups: GroupTracker[] = [];
  const groupDest: number[] = [];
  const groupOfConsumer: number[] = [];
  for (let c = 0; c < o.consumers; c++) {
    const d = destOfConsumer(c);
    if (o.semantics === 'queue' && c >= o.destinations) {
      groupOfConsumer.push(d);
      continue;
    }
    groupOfConsumer.push(groups.length);
    groups.push(new GroupTracker());
    groupDest.push(d);
  }

  const all: BenchClient[] = [];
  const track = (c: BenchClient): BenchClient => {
    all.push(c);
    c.onError((err) => {
      if (!errors.includes(err.message)) errors.push(err.message);
      abort();
    });
    return c;
  };
  let aborted = false;
  let abortWake: () => void = () => undefined;
  const abortPromise = new Promise<void>((r) => (abortWake = r));
  const abort = (): void => {
    aborted = true;
    abortWake();
  };

  const sampler = o.brokerPid > 0 ? new ProcSampler(o.brokerPid) : null;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  let setup: AmqpClient | null = null;
  const producers: BenchClient[] = [];
  const consumers: BenchClient[] = [];
  const drivers: ProducerDriver[] = [];
  let ticker: NodeJS.Timeout | null = null;
  let warmupTimer: NodeJS.Timeout | null = null;
  let drain: RunResult['drain'] = null;
  let sent: PhaseRates = { seconds: 0, count: 0, rate: 0 };
  let received: PhaseRates = { seconds: 0, count: 0, rate: 0 };
  let brokerWindow: ProcWindow | null = null;
  let cutShort = false;

  const connectConsumers = async (): Promise<void> => {
    await limitAll(o.consumers, 50, async (c) => {
      const client = track(createClient(o.consumeEndpoint, o.mqttVersion, `wb-${o.runId}-c${c}`));
      consumers.push(client);
      await client.connect();
      await client.setupConsumer(
        {
          destination: destinations[destOfConsumer(c)]!,
          prefetch: o.prefetch,
          autoAck: o.autoAck,
          multiAck: o.multiAck,
          qos: o.qos,
          durable: o.persistent,
          consumerIndex: c,
        },
        new ConsumerSink(groups[groupOfConsumer[c]!]!, counters),
      );
    });
  };

  const liveTicker = (startMs: number): NodeJS.Timeout => {
    let lastSent = 0;
    let lastRecv = 0;
    let lastConf = 0;
    let lastMs = startMs;
    const t = setInterval(() => {
      const now = performance.now();
      const s = sum(producers, (c) => c.stats.published);
      const cf = sum(producers, (c) => c.stats.confirmed);
      const r = counters.received;
      const dt = (now - lastMs) / 1000;
      const iv = counters.interval;
      const conf = o.confirmWindow > 0 ? `  confirmed ${fmtRate((cf - lastConf) / dt)}` : '';
      progress.line(
        `[${fmtSecs((now - startMs) / 1000)}] sent ${fmtRate((s - lastSent) / dt)}${conf}  received ${fmtRate((r - lastRecv) / dt)}` +
          `  latency p50 ${fmtMs(iv.percentile(50) / 1000)} p99 ${fmtMs(iv.percentile(99) / 1000)}`,
      );
      iv.reset();
      lastSent = s;
      lastRecv = r;
      lastConf = cf;
      lastMs = now;
    }, 1000);
    return t;
  };

  try {
    // Queues exist before anyone publishes (a publish to a missing queue is dropped).
    if (o.semantics === 'queue' && o.endpoint.protocol === 'amqp') {
      setup = new AmqpClient(o.endpoint);
      track(setup);
      await setup.connect();
      await setup.openChannel();
      for (const d of destinations) await setup.declareQueue(d.segments.join('.'), o.persistent, false);
    }
    if (!o.drain) await connectConsumers();
    await limitAll(o.producers, 50, async (p) => {
      const client = track(createClient(o.endpoint, o.mqttVersion, `wb-${o.runId}-p${p}`));
      producers[p] = client;
      await client.connect();
      await client.setupProducer({
        producerId: p,
        size: o.size,
        persistent: o.persistent,
        confirmWindow: o.confirmWindow,
        qos: o.qos,
        destination: destinations[destOfProducer(p)]!,
      });
    });
    if (aborted) throw new Error(errors[0] ?? 'aborted');

    const batch = o.batch > 0 ? o.batch : autoBatch(o.size);
    const quotaOf = (p: number): number =>
      o.count > 0 ? Math.floor(o.count / o.producers) + (p < o.count % o.producers ? 1 : 0) : Number.MAX_SAFE_INTEGER;
    const ratePer = o.rate > 0 ? o.rate / Math.max(1, o.producers) : 0;
    for (let p = 0; p < o.producers; p++) drivers.push(new ProducerDriver(producers[p]!, quotaOf(p), ratePer, batch));

    const startMs = performance.now();
    if (!o.quiet) ticker = liveTicker(startMs);
    let measureStartMs = startMs;
    let sent0 = 0;
    let recv0 = 0;
    const beginMeasure = (): void => {
      measureStartMs = performance.now();
      sent0 = sum(producers, (c) => c.stats.published);
      recv0 = counters.received;
      counters.measuring = true;
      sampler?.start();
    };
    if (o.warmup > 0) warmupTimer = setTimeout(beginMeasure, o.warmup * 1000);
    else beginMeasure();
    for (const d of drivers) d.start();

    // Stop on duration (if no count), when every producer met its quota, or on error.
    // With no producer (consumers only) only the duration ends the run.
    const allDone = drivers.length > 0 ? Promise.all(drivers.map((d) => d.done)) : new Promise<void>(() => undefined);
    let timer: NodeJS.Timeout | null = null;
    const timeUp = o.duration > 0 ? [new Promise<void>((r) => (timer = setTimeout(r, o.duration * 1000)))] : [];
    // An interrupt (Ctrl-C) ends the publishing early; the run still drains and reports.
    await Promise.race([allDone, abortPromise, interrupted, ...timeUp]);
    if (timer !== null) clearTimeout(timer);
    for (const d of drivers) d.stop();
    if (warmupTimer !== null) clearTimeout(warmupTimer);
    if (!counters.measuring) beginMeasure();
    const stopMs = performance.now();
    const sentTotal = sum(producers, (c) => c.stats.published);
    sent = phase(sentTotal - sent0, stopMs - measureStartMs);

    // Wait for outstanding confirms.
    await waitProgress(() => sum(producers, (c) => c.inflight()) === 0, () => sum(producers, (c) => c.stats.confirmed + c.stats.nacked), o.drainTimeout, o.maxDrain, abortPromise);

    if (o.drain) {
      const publish = phase(sentTotal, stopMs - startMs);
      const consumeStart = performance.now();
      counters.lastDeliveryMs = 0;
      await connectConsumers();
      const expected = expectedTotal();
      cutShort = (await waitProgress(() => counters.received >= expected, () => counters.received, o.drainTimeout, o.maxDrain, abortPromise)) === 'cut';
      const lastMs = counters.lastDeliveryMs > 0 ? counters.lastDeliveryMs - performance.timeOrigin : performance.now();
      const consume = phase(counters.received, lastMs - consumeStart);
      drain = { publish, consume };
      received = consume;
    } else {
      const expected = expectedTotal();
      cutShort = (await waitProgress(() => counters.received >= expected, () => counters.received, o.drainTimeout, o.maxDrain, abortPromise)) === 'cut';
      const lastMs = counters.lastDeliveryMs > 0 ? counters.lastDeliveryMs - performance.timeOrigin : stopMs;
      received = phase(counters.received - recv0, Math.max(lastMs, stopMs) - measureStartMs);
    }
    if (sampler) brokerWindow = sampler.stop();
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (!errors.includes(msg)) errors.push(msg);
    if (sampler?.started) brokerWindow = sampler.stop();
  } finally {
    if (ticker) clearInterval(ticker);
    if (warmupTimer !== null) clearTimeout(warmupTimer);
    for (const d of drivers) d.stop();
    await Promise.all([...producers, ...consumers].filter((c) => c !== undefined && c !== setup).map((c) => c.close().catch(() => undefined)));
    if (setup !== null && setup.error === null) {
      await setup.deleteQueues(setup.declared).catch((e: Error) => errors.push(`cleanup: ${e.message}`));
      await setup.close().catch(() => undefined);
    } else if (setup !== null) {
      await setup.close().catch(() => undefined);
    }
  }

  function expectedTotal(): number {
    let t = 0;
    for (let g = 0; g < groups.length; g++) t += expectedOf(g);
    return t;
  }
  function expectedOf(g: number): number {
    let t = 0;
    for (let p = 0; p < producers.length; p++) {
      const c = producers[p];
      if (c !== undefined && destOfProducer(p) === groupDest[g]) t += c.stats.published - c.stats.nacked;
    }
    return t;
  }

  const cpu = process.cpuUsage(cpu0);
  const lat = counters.latency;
  const delivered = drain ? drain.consume.count : received.count;
  const denom = delivered > 0 ? delivered : sent.count;
  return {
    sent,
    received,
    confirmed: sum(producers.filter(Boolean), (c) => c.stats.confirmed),
    nacked: sum(producers.filter(Boolean), (c) => c.stats.nacked),
    inflightAtEnd: sum(producers.filter(Boolean), (c) => c.inflight()),
    delivery: totals(groups, expectedOf),
    cutShort,
    corrupt: counters.corrupt,
    latencyMs: {
      p50: lat.percentile(50) / 1000,
      p99: lat.percentile(99) / 1000,
      p999: lat.percentile(99.9) / 1000,
      max: lat.count > 0 ? lat.max / 1000 : NaN,
      mean: lat.mean() / 1000,
      count: lat.count,
    },
    drain,
    broker: brokerWindow ? { ...brokerWindow, cpuSecondsPerMillion: denom > 0 ? (brokerWindow.cpuSeconds / denom) * 1e6 : NaN } : null,
    benchCpuSeconds: (cpu.user + cpu.system) / 1e6,
    wallSeconds: (performance.now() - wall0) / 1000,
    errors,
  };
}

function phase(count: number, ms: number): PhaseRates {
  const seconds = Math.max(ms, 0) / 1000;
  return { seconds, count, rate: seconds > 0 ? count / seconds : 0 };
}

/**
 * Resolve when `done()` holds ('done'), after `idleSecs` without `progress()` changing
 * ('idle'), after `maxSecs` in total although progress continued ('cut'), or on abort.
 */
async function waitProgress(done: () => boolean, progress: () => number, idleSecs: number, maxSecs: number, abort: Promise<void>): Promise<'done' | 'idle' | 'cut' | 'abort'> {
  let last = progress();
  const start = performance.now();
  let lastChange = start;
  let aborted = false;
  void abort.then(() => (aborted = true));
  for (;;) {
    if (done()) return 'done';
    if (aborted) return 'abort';
    await sleep(20);
    const p = progress();
    const now = performance.now();
    if (p !== last) {
      last = p;
      lastChange = now;
    } else if (now - lastChange > idleSecs * 1000) {
      return 'idle';
    }
    if (now - start > maxSecs * 1000) return 'cut';
  }
}

export const fmtRate = (r: number): string => `${Math.round(r).toLocaleString('en-US')}/s`;
export const fmtSecs = (s: number): string => `${s.toFixed(0).padStart(3)}s`;
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms < 1 ? `${ms.toFixed(3)} ms` : ms < 100 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(0)} ms`;
}
