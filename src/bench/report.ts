import type { IdleResult } from './idle.js';
import type { BenchOptions } from './options.js';
import { fmtMs, fmtRate, type RunResult } from './run.js';

const n = (x: number): string => Math.round(x).toLocaleString('en-US');
const mb = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;

export function describe(o: BenchOptions): string {
  const ep = o.endpoint;
  const cross = o.consumeEndpoint.protocol !== ep.protocol ? ` -> ${o.consumeEndpoint.protocol} ${o.consumeEndpoint.host}:${o.consumeEndpoint.port}` : '';
  if (o.mode === 'idle') return `${ep.protocol} ${ep.host}:${ep.port}: ${n(o.idleConnections)} idle connections`;
  const dests = `${o.destinations} ${o.semantics}${o.destinations === 1 ? '' : 's'}`;
  const rel = [
    o.persistent ? 'persistent' : 'transient',
    ep.protocol === 'mqtt' || o.consumeEndpoint.protocol === 'mqtt' ? `QoS ${o.qos}` : '',
    o.confirmWindow > 0 ? `confirm window ${o.confirmWindow}` : '',
    o.autoAck ? 'auto-ack' : `manual ack${o.multiAck ? ' (multiple)' : ''}`,
    o.prefetch > 0 ? `prefetch ${o.prefetch}` : '',
    o.rate > 0 ? `${n(o.rate)} msg/s total` : 'unlimited rate',
    o.count > 0 ? `${n(o.count)} messages` : '',
    o.duration > 0 ? `${o.duration} s` : '',
    o.drain ? 'publish then drain' : '',
  ].filter(Boolean);
  return `${ep.protocol} ${ep.host}:${ep.port}${cross}: ${o.producers} producer(s) -> ${dests} -> ${o.consumers} consumer(s), ${o.size} B, ${rel.join(', ')}`;
}

export function summary(o: BenchOptions, r: RunResult): string {
  const L: string[] = [];
  L.push(`summary: ${describe(o)}`);
  if (r.drain) {
    L.push(`  publish   ${n(r.drain.publish.count)} in ${r.drain.publish.seconds.toFixed(2)} s (${fmtRate(r.drain.publish.rate)})`);
    L.push(`  drain     ${n(r.drain.consume.count)} in ${r.drain.consume.seconds.toFixed(2)} s (${fmtRate(r.drain.consume.rate)})`);
  } else {
    L.push(`  sent      ${n(r.sent.count)} in ${r.sent.seconds.toFixed(2)} s (${fmtRate(r.sent.rate)})`);
    L.push(`  received  ${n(r.received.count)} in ${r.received.seconds.toFixed(2)} s (${fmtRate(r.received.rate)})`);
  }
  if (o.confirmWindow > 0) L.push(`  confirmed ${n(r.confirmed)}  nacked ${n(r.nacked)}  unconfirmed at end ${n(r.inflightAtEnd)}`);
  const l = r.latencyMs;
  L.push(`  latency   p50 ${fmtMs(l.p50)}  p99 ${fmtMs(l.p99)}  p99.9 ${fmtMs(l.p999)}  max ${fmtMs(l.max)}  mean ${fmtMs(l.mean)}  (${n(l.count)} samples)`);
  const d = r.delivery;
  const flag = d.lost > 0 || d.duplicates > 0 || r.corrupt > 0 || d.unexpected > 0 ? '   <-- NOT CLEAN' : '';
  L.push(`  delivery  expected ${n(d.expected)}  distinct ${n(d.distinct)}  LOST ${n(d.lost)}  DUPLICATES ${n(d.duplicates)}  corrupt ${n(r.corrupt)}  unexpected ${n(d.unexpected)}${flag}`);
  if (r.cutShort) L.push(`  NOTE      stopped waiting after --max-drain ${o.maxDrain} s while messages were still arriving: "LOST" includes messages that were only late`);
  if (r.broker) {
    const b = r.broker;
    L.push(`  broker    pid ${b.pid}: cpu ${b.cpuSeconds.toFixed(2)} s (${b.cpuSecondsPerMillion.toFixed(2)} s per million messages), RSS ${mb(b.rssStartBytes)} -> ${mb(b.rssEndBytes)}, peak ${mb(b.rssPeakBytes)}`);
  }
  L.push(`  bench     cpu ${r.benchCpuSeconds.toFixed(2)} s in ${r.wallSeconds.toFixed(2)} s (${((r.benchCpuSeconds / r.wallSeconds) * 100).toFixed(0)} % of one core)`);
  for (const e of r.errors) L.push(`  ERROR     ${e}`);
  return L.join('\n');
}

export function idleSummary(o: BenchOptions, r: IdleResult): string {
  const L: string[] = [];
  L.push(`summary: ${describe(o)}`);
  L.push(`  connected ${n(r.connected)} of ${n(r.requested)} in ${r.connectSeconds.toFixed(2)} s (${fmtRate(r.connectRate)}), failed ${n(r.failed)}`);
  L.push(`  handshake p50 ${fmtMs(r.handshakeMs.p50)}  p99 ${fmtMs(r.handshakeMs.p99)}  max ${fmtMs(r.handshakeMs.max)}`);
  if (o.brokerPid > 0) {
    L.push(`  broker    RSS ${mb(r.rssBeforeBytes)} -> ${mb(r.rssAfterBytes)}: ${(r.rssPerConnectionBytes / 1024).toFixed(1)} KiB per connection`);
  }
  if (r.firstError) L.push(`  ERROR     first failure: ${r.firstError}`);
  return L.join('\n');
}

/** The options as they go into --json (endpoints without passwords). */
export function optionsForJson(o: BenchOptions): Record<string, unknown> {
  const { endpoint, consumeEndpoint, ...rest } = o;
  const strip = (e: typeof endpoint): Record<string, unknown> => ({ protocol: e.protocol, host: e.host, port: e.port, vhost: e.vhost, user: e.user });
  return { ...rest, endpoint: strip(endpoint), consumeEndpoint: strip(consumeEndpoint) };
}
