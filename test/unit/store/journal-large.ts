/**
 * Store-level "queue larger than memory" run for docs/store.md (not a test; by hand):
 *
 *   npm run build && node dist/test/unit/store/journal-large.js <dir> [count=5000000] [size=1024]
 *
 * Publishes `count` messages of `size` bytes into one durable queue with a bounded
 * confirm window, closes, reopens (timing recovery), then drains the queue in order,
 * reading every body back from disk and acking it; reports peak RSS and the journal's
 * size before and after.
 */
import { mkdirSync } from 'node:fs';
import { queueKey } from '../../../src/store/api.js';
import { JournalMessageStore } from '../../../src/store/journal/index.js';
import { dirBytes } from './helpers.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: journal-large.js <dir> [count] [size]');
const count = Number(process.argv[3] ?? 5_000_000);
const size = Number(process.argv[4] ?? 1024);
const Q = queueKey('/', 'large');
mkdirSync(dir, { recursive: true });

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(0)} MiB`;
const log = { warn: (o: object, m?: string) => console.error('warn', m, o) };
const synced = (s: JournalMessageStore): Promise<void> => new Promise((r, j) => s.sync((e) => (e ? j(e) : r())));

const body = Buffer.alloc(size);
for (let i = 0; i < size; i++) body[i] = i & 0xff;

let s = new JournalMessageStore({ dir, log });
await s.open();
let t = Date.now();
for (let id = 1; id <= count; id++) {
  // A fresh buffer per message: the store keeps a reference (cache, pending batch).
  const rec = Buffer.allocUnsafe(size);
  body.copy(rec);
  rec.writeUInt32LE(id, 0);
  s.writeMessage(id, rec);
  s.enqueue(Q, id);
  if (id % 2000 === 0) await synced(s); // a publisher window of 2000 confirms
}
await synced(s);
const pubMs = Date.now() - t;
console.log(`published ${count.toLocaleString('en')} x ${size} B in ${(pubMs / 1000).toFixed(1)} s (${Math.round(count / (pubMs / 1000)).toLocaleString('en')} msg/s), journal ${mb(dirBytes(dir))}, peak RSS ${mb(peakRss)}`);
await s.close();

s = new JournalMessageStore({ dir, log });
t = Date.now();
const st = await s.open();
const list = st.queues.get(Q) ?? [];
console.log(`reopened in ${Date.now() - t} ms with ${list.length.toLocaleString('en')} messages (replayed ${s.recovery!.recordsReplayed} records), peak RSS so far ${mb(peakRss)}`);
t = Date.now();
let expect = 1;
for (const m of list) {
  const r = s.readMessage(m.id);
  if (r === undefined || r.length !== size || r.readUInt32LE(0) !== m.id || m.id !== expect++) throw new Error(`bad message ${m.id}`);
  s.dequeue(Q, m.id);
  if (m.id % 2000 === 0) await synced(s);
}
await synced(s);
const drainMs = Date.now() - t;
await s.checkpoint();
await s.checkpoint();
console.log(`drained in ${(drainMs / 1000).toFixed(1)} s (${Math.round(list.length / (drainMs / 1000)).toLocaleString('en')} msg/s, bodies read from disk: ${s.stats().diskReads.toLocaleString('en')}); journal after drain ${mb(dirBytes(dir))}; peak RSS ${mb(peakRss)}`);
await s.close();
clearInterval(sampler);
