/**
 * The "queue larger than memory" run of issue 3, end to end (docs/store.md
 * "Measurements"): a real broker process (`bin/wharf.js start`), amqplib publishing
 * `count` persistent messages of `size` bytes into one durable queue with publisher
 * confirms, a restart (clean SIGTERM, or SIGKILL with `crash`), then a consumer that
 * drains the queue checking every message's sequence number. The broker's resident set
 * is read from /proc/<pid>/status (VmHWM: the kernel's own peak RSS), so the number is
 * the broker's alone, not the client's.
 *
 * Used by test/integration/store2/large-queue.test.ts (CI size) and by
 * scripts/large-queue.mjs (the full 5-million run).
 */
import { readFileSync } from 'node:fs';
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { freePort, spawnBroker, type Ports, type SpawnedBroker } from '../../helpers/broker.js';

export interface LargeQueueOptions {
  readonly dataDir: string;
  readonly count: number;
  /** Body bytes (at least 8: the sequence number lives in the first 8). */
  readonly size: number;
  /** Kill the broker with SIGKILL instead of stopping it before the restart. */
  readonly crash?: boolean;
  /** Publisher confirm window. */
  readonly window?: number;
  /** Extra broker flags, e.g. ['--max-body-memory', '67108864']. */
  readonly brokerArgs?: readonly string[];
  /** Called with progress lines (the script prints them). */
  readonly progress?: (line: string) => void;
  /** Stop after publishing and restarting (restart-time measurement), no drain. */
  readonly skipDrain?: boolean;
  /**
   * Transient messages into a non-durable queue (paged to <dataDir>/paging past the
   * memory budget); no restart (transient messages do not survive one), drain at once.
   */
  readonly transient?: boolean;
}

export interface PhaseMemory {
  /** Peak RSS of the broker process over its life so far (VmHWM), bytes. */
  readonly peakRss: number;
  /** RSS at the end of the phase (VmRSS), bytes. */
  readonly rss: number;
}

export interface LargeQueueResult {
  readonly count: number;
  readonly size: number;
  readonly publishMs: number;
  readonly publishRate: number;
  /** The broker that took the publishes: its memory after the last confirm. */
  readonly afterPublish: PhaseMemory;
  /** Spawn of the second broker to its AMQP port accepting connections. */
  readonly restartToListenMs: number;
  /** Spawn to a passive queue.declare answering with the full count (serving again). */
  readonly restartToServeMs: number;
  readonly recoveredCount: number;
  readonly afterRestart: PhaseMemory;
  readonly drainMs: number;
  readonly drainRate: number;
  readonly drained: number;
  /** Messages whose sequence number was not the one expected next (0 = perfect order). */
  readonly outOfOrder: number;
  readonly redelivered: number;
  readonly afterDrain: PhaseMemory;
  /** Highest VmHWM of both broker processes. */
  readonly peakRss: number;
  readonly brokerLog: string;
}

export function processMemory(pid: number): PhaseMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { peakRss: kb('VmHWM'), rss: kb('VmRSS') };
}

const QUEUE = 'large-queue';

async function publishAll(url: string, opts: LargeQueueOptions): Promise<void> {
  const conn: ChannelModel = await connect(url);
  try {
    const ch: ConfirmChannel = await conn.createConfirmChannel();
    await ch.assertQueue(QUEUE, { durable: !opts.transient });
    const window = opts.window ?? 2000;
    let outstanding = 0;
    let failed: Error | undefined;
    let wake: (() => void) | undefined;
    for (let seq = 0; seq < opts.count; seq++) {
      while (outstanding >= window && failed === undefined) await new Promise<void>((r) => (wake = r));
      if (failed !== undefined) throw failed;
      // A fresh buffer each time: amqplib writes large bodies by reference.
      const body = Buffer.allocUnsafe(opts.size).fill(0x61, 8);
      body.writeDoubleBE(seq, 0);
      outstanding++;
      const ok = ch.publish('', QUEUE, body, { persistent: !opts.transient }, (err) => {
        outstanding--;
        if (err) failed ??= new Error(`publish ${seq} nacked`);
        const w = wake;
        wake = undefined;
        w?.();
      });
      if (!ok) await new Promise<void>((r) => ch.once('drain', () => r()));
      if (opts.progress && seq > 0 && seq % 500_000 === 0) opts.progress(`published ${seq.toLocaleString('en')}`);
    }
    await ch.waitForConfirms();
    if (failed !== undefined) throw failed;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

async function drainAll(url: string, expected: number, progress?: (line: string) => void): Promise<{ drained: number; outOfOrder: number; redelivered: number }> {
  const conn: ChannelModel = await connect(url);
  try {
    const ch = await conn.createChannel();
    await ch.prefetch(2000);
    let next = 0;
    let drained = 0;
    let outOfOrder = 0;
    let redelivered = 0;
    let sinceAck = 0;
    await new Promise<void>((resolve, reject) => {
      conn.on('error', reject);
      ch.on('error', reject);
      void ch
        .consume(QUEUE, (m) => {
          if (m === null) return reject(new Error('consumer cancelled by the broker'));
          const seq = m.content.readDoubleBE(0);
          if (seq !== next) outOfOrder++;
          next = seq + 1;
          if (m.fields.redelivered) redelivered++;
          drained++;
          if (++sinceAck >= 500 || drained === expected) {
            ch.ack(m, true);
            sinceAck = 0;
          }
          if (progress && drained % 500_000 === 0) progress(`drained ${drained.toLocaleString('en')}`);
          if (drained === expected) resolve();
        })
        .catch(reject);
    });
    // The last ack must be processed before the queue is checked or the broker stops.
    const left = await ch.checkQueue(QUEUE);
    if (left.messageCount !== 0) throw new Error(`${left.messageCount} messages left after the drain`);
    return { drained, outOfOrder, redelivered };
  } finally {
    await conn.close().catch(() => undefined);
  }
}

export async function runLargeQueue(opts: LargeQueueOptions): Promise<LargeQueueResult> {
  if (opts.size < 8) throw new RangeError('size must be at least 8 bytes');
  const progress = opts.progress ?? (() => undefined);
  const ports: Ports = { amqp: await freePort(), mqtt: await freePort(), stomp: await freePort(), ws: await freePort() };
  const url = `amqp://guest:guest@127.0.0.1:${ports.amqp}`;
  const args = [...(opts.brokerArgs ?? [])];
  let log = '';
  let broker: SpawnedBroker | undefined = await spawnBroker({ dataDir: opts.dataDir, ports, args });
  try {
    let t = Date.now();
    await publishAll(url, opts);
    const publishMs = Date.now() - t;
    const afterPublish = processMemory(broker.child.pid!);
    progress(`published ${opts.count.toLocaleString('en')} in ${(publishMs / 1000).toFixed(1)} s; broker RSS ${mib(afterPublish.rss)}, peak ${mib(afterPublish.peakRss)}`);
    if (!opts.transient) {
      if (opts.crash) await broker.kill();
      else await broker.stop();
      log += broker.output();
      broker = undefined;
    }

    t = Date.now();
    if (!opts.transient) broker = await spawnBroker({ dataDir: opts.dataDir, ports, args });
    const live: SpawnedBroker = broker!;
    const restartToListenMs = Date.now() - t;
    const conn = await connect(url);
    const ch = await conn.createChannel();
    const q = await ch.checkQueue(QUEUE);
    const restartToServeMs = Date.now() - t;
    await conn.close();
    const afterRestart = processMemory(live.child.pid!);
    if (opts.transient) progress(`no restart (transient messages): the queue holds ${q.messageCount.toLocaleString('en')}`);
    else progress(`restarted: listening after ${restartToListenMs} ms, serving ${q.messageCount.toLocaleString('en')} messages after ${restartToServeMs} ms; RSS ${mib(afterRestart.rss)}, peak ${mib(afterRestart.peakRss)}`);

    let drain = { drained: 0, outOfOrder: 0, redelivered: 0 };
    let drainMs = 0;
    if (!opts.skipDrain) {
      t = Date.now();
      drain = await drainAll(url, q.messageCount, progress);
      drainMs = Date.now() - t;
    }
    const afterDrain = processMemory(live.child.pid!);
    if (!opts.skipDrain) progress(`drained ${drain.drained.toLocaleString('en')} in ${(drainMs / 1000).toFixed(1)} s; out of order ${drain.outOfOrder}; RSS ${mib(afterDrain.rss)}, peak ${mib(afterDrain.peakRss)}`);
    await live.stop();
    log += live.output();
    broker = undefined;
    return {
      count: opts.count,
      size: opts.size,
      publishMs,
      publishRate: Math.round(opts.count / (publishMs / 1000)),
      afterPublish,
      restartToListenMs,
      restartToServeMs,
      recoveredCount: q.messageCount,
      afterRestart,
      drainMs,
      drainRate: drainMs > 0 ? Math.round(drain.drained / (drainMs / 1000)) : 0,
      ...drain,
      afterDrain,
      peakRss: Math.max(afterPublish.peakRss, afterDrain.peakRss),
      brokerLog: log,
    };
  } finally {
    if (broker !== undefined) {
      await broker.kill().catch(() => undefined);
    }
  }
}

export const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(0)} MiB`;
