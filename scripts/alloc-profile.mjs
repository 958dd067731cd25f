#!/usr/bin/env node
// Where the broker allocates, per received message. Starts Wharf in this process (ports
// amqp 26672, mqtt 21883, stomp 21613), runs `wharf bench <args>` once to warm up and once
// under V8's sampling heap profiler with collected objects included (so short-lived garbage
// counts, which is what drives scavenges), then prints bytes per received message by
// allocating function. Run `npm run build` first.
//   node scripts/alloc-profile.mjs --protocol mqtt --size 256 --rate 1000 --duration 10 --warmup 2 --port 21883
// Env: TOP=n rows (default 30); CALLERS=<regex> also prints the call stacks of matching
// functions (e.g. CALLERS='^Map ' for who creates Maps). `node --no-turbo-inlining` before the
// script name attributes inlined callees to themselves.
import { Session } from 'node:inspector';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const repo = new URL('..', import.meta.url).pathname;
const root = repo + 'dist/src/server/';
const wharf = repo + 'bin/wharf.js';
const { defaultConfig, mergeConfig } = await import(root + 'config.js');
const { createLogger } = await import(root + 'logger.js');
const { WharfServer } = await import(root + 'server.js');
const dataDir = mkdtempSync(join(tmpdir(), 'hs-'));
const cfg = mergeConfig(defaultConfig, { dataDir, log: { level: 'warn' }, listeners: { amqp: { port: 26672 }, mqtt: { port: 21883 }, stomp: { port: 21613 }, ws: { port: 0 } } });
const server = await WharfServer.start(cfg, createLogger('warn'));
const s = new Session(); s.connect();
const post = (m, p) => new Promise((res, rej) => s.post(m, p, (e, r) => (e ? rej(e) : res(r))));
const args = process.argv.slice(2);
// warm run without sampling
await new Promise((r) => spawn('node', [wharf, 'bench', '--host', '127.0.0.1', '--quiet', ...args, '--duration', '4'], { stdio: 'ignore' }).on('exit', r));
await post('HeapProfiler.startSampling', { samplingInterval: 128, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
let out = '';
await new Promise((r) => { const c = spawn('node', [wharf, 'bench', '--host', '127.0.0.1', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'inherit'] }); c.stdout.on('data', (d) => (out += d)); c.on('exit', r); });
const { profile } = await post('HeapProfiler.stopSampling');
console.log(out.split('\n').filter((l) => /received|latency/.test(l)).join('\n'));
const m = /received\s+([\d,]+)/.exec(out); const n = m ? Number(m[1].replace(/,/g, '')) : 1;
const self = new Map(); let total = 0;
const callers = new Map();
const walk = (node, stack) => {
  const f = node.callFrame; const name = `${f.functionName || '(anon)'} ${f.url.replace(/.*\/(dist|node:)/, '$1')}:${f.lineNumber + 1}`;
  const st = [...stack, name];
  if (node.selfSize) { self.set(name, (self.get(name) ?? 0) + node.selfSize); total += node.selfSize; const key = name + '  <=  ' + stack.slice(-4).reverse().join(' < '); callers.set(key, (callers.get(key) ?? 0) + node.selfSize); }
  for (const c of node.children) walk(c, st);
};
walk(profile.head, []);
console.log(`sampled ${(total / 1e6).toFixed(1)} MB over the whole run (warm-up included); ${(total / n).toFixed(0)} B per measured message (n=${n})`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 30))) console.log(`${(v / n).toFixed(0).padStart(6)} B/msg  ${k}`);
if (process.env.CALLERS) { const re = new RegExp(process.env.CALLERS); for (const [k, v] of [...callers].filter(([k]) => re.test(k.split('  <=  ')[0])).sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${(v / n).toFixed(0).padStart(6)} B/msg  ${k}`); }
await server.stop();
process.exit(0);
