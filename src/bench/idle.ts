import { createClient, type BenchClient } from './clients/index.js';
import { Histogram } from './histogram.js';
import type { BenchOptions } from './options.js';
import { rssBytes } from './proc-stats.js';

export interface IdleResult {
  requested: number;
  connected: number;
  failed: number;
  firstError: string;
  connectSeconds: number;
  connectRate: number;
  handshakeMs: { p50: number; p99: number; max: number };
  rssBeforeBytes: number;
  rssAfterBytes: number;
  rssPerConnectionBytes: number;
  benchCpuSeconds: number;
}

/**
 * Opens N idle connections (full protocol handshake: AMQP connection.open-ok, MQTT
 * CONNACK, STOMP CONNECTED; no channel, subscription or keep-alive traffic), keeps them
 * `hold` seconds, and reports connect time and the broker's RSS growth per connection.
 */
export async function runIdle(o: BenchOptions, progress: { line(s: string): void }): Promise<IdleResult> {
  const cpu0 = process.cpuUsage();
  const rss = (): number => (o.brokerPid > 0 ? rssBytes(o.brokerPid) : 0);
  const rssBefore = rss();
  const clients: BenchClient[] = [];
  const hs = new Histogram();
  let failed = 0;
  let firstError = '';
  let next = 0;
  const t0 = performance.now();
  let lastReport = t0;
  const worker = async (): Promise<void> => {
    while (next < o.idleConnections) {
      const i = next++;
      const c = createClient(o.endpoint, o.mqttVersion, `wb-${o.runId}-i${i}`);
      const s = performance.now();
      try {
        await c.connect();
        hs.record((performance.now() - s) * 1000);
        clients.push(c);
      } catch (err) {
        failed++;
        if (firstError === '') firstError = err instanceof Error ? err.message : String(err);
        await c.close().catch(() => undefined);
      }
      const now = performance.now();
      if (!o.quiet && now - lastReport >= 1000) {
        lastReport = now;
        progress.line(`[${((now - t0) / 1000).toFixed(0).padStart(3)}s] ${clients.length} connected, ${failed} failed`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.connectConcurrency, o.idleConnections) }, worker));
  const connectSeconds = (performance.now() - t0) / 1000;
  // Let the broker settle (lazy allocations, GC) before reading its RSS.
  await new Promise((r) => setTimeout(r, o.hold * 1000));
  const alive = clients.filter((c) => c.error === null).length;
  const rssAfter = rss();
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  const cpu = process.cpuUsage(cpu0);
  return {
    requested: o.idleConnections,
    connected: alive,
    failed: failed + (clients.length - alive),
    firstError,
    connectSeconds,
    connectRate: clients.length / connectSeconds,
    handshakeMs: { p50: hs.percentile(50) / 1000, p99: hs.percentile(99) / 1000, max: hs.count ? hs.max / 1000 : NaN },
    rssBeforeBytes: rssBefore,
    rssAfterBytes: rssAfter,
    rssPerConnectionBytes: o.brokerPid > 0 && alive > 0 ? (rssAfter - rssBefore) / alive : NaN,
    benchCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
