#!/usr/bin/env node
// Issue 3's "queue larger than memory" run through a real broker and amqplib
// (docs/store.md "Measurements"). Needs `npm run build` first.
//
//   node scripts/large-queue.mjs [--count 5000000] [--size 1024] [--rss-limit-mib 1024]
//                                [--data-dir DIR] [--crash] [--no-drain] [--keep] [--transient]
//                                [-- broker flags, e.g. --max-body-memory 67108864]
//
// Publishes --count persistent messages of --size bytes into one durable queue with
// publisher confirms, restarts the broker (SIGTERM, or SIGKILL with --crash), measures
// the time until it serves again, drains the queue checking order, and reports the
// broker's peak RSS (VmHWM). --transient: non-persistent messages into a non-durable queue
// (paged to <data-dir>/paging past store.maxBodyMemory), no restart. Exits 1 when the order or count is wrong or the peak RSS
// exceeds --rss-limit-mib.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLargeQueue, mib } from '../dist/test/integration/store2/large-queue-run.js';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const own = sep >= 0 ? argv.slice(0, sep) : argv;
const brokerArgs = sep >= 0 ? argv.slice(sep + 1) : [];
const flag = (name) => own.includes(`--${name}`);
const value = (name, dflt) => {
  const i = own.indexOf(`--${name}`);
  return i >= 0 && i + 1 < own.length ? own[i + 1] : dflt;
};
const count = Number(value('count', 5_000_000));
const size = Number(value('size', 1024));
const limit = Number(value('rss-limit-mib', 1024)) * 1024 * 1024;
const dataDir = value('data-dir', undefined) ?? mkdtempSync(join(tmpdir(), 'wharf-large-'));
const started = Date.now();
console.log(`large queue: ${count.toLocaleString('en')} x ${size} B ${flag('transient') ? 'transient' : 'persistent'}, data dir ${dataDir}${flag('crash') ? ', restart by SIGKILL' : ''}${brokerArgs.length ? `, broker ${brokerArgs.join(' ')}` : ''}`);
let r;
try {
  r = await runLargeQueue({ dataDir, count, size, crash: flag('crash'), transient: flag('transient'), skipDrain: flag('no-drain'), brokerArgs, progress: (l) => console.log(`  ${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s  ${l}`) });
} finally {
  if (!flag('keep') && value('data-dir', undefined) === undefined) rmSync(dataDir, { recursive: true, force: true });
}
const { brokerLog, ...rest } = r;
const warnings = brokerLog.split('\n').filter((l) => /"level":(40|50|60)/.test(l));
for (const l of brokerLog.split('\n').filter((x) => x.includes('messages recovered'))) console.log(`broker: ${l}`);
console.log(JSON.stringify({ ...rest, brokerWarnings: warnings.length }, null, 2));
if (warnings.length > 0) console.log(warnings.slice(0, 10).join('\n'));
const problems = [];
if (r.recoveredCount !== count) problems.push(`recovered ${r.recoveredCount}, expected ${count}`);
if (!flag('no-drain') && (r.drained !== count || r.outOfOrder !== 0)) problems.push(`drained ${r.drained} with ${r.outOfOrder} out of order`);
if (r.peakRss > limit) problems.push(`peak RSS ${mib(r.peakRss)} over the limit ${mib(limit)}`);
console.log(problems.length === 0 ? `OK: peak broker RSS ${mib(r.peakRss)} (limit ${mib(limit)})` : `FAILED: ${problems.join('; ')}`);
process.exit(problems.length === 0 ? 0 : 1);
