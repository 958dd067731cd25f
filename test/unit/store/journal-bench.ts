/**
 * Quick throughput and restart measurements for docs/store.md (not a test; run by hand):
 *
 *   npm run build && node --expose-gc dist/test/unit/store/journal-bench.js [dir] [messages for restart run]
 *
 * 1. Durable small records: publishers with a bounded confirm window, each "publish"
 *    = writeMessage + enqueue, confirmed by sync(); fsync and fsync:false modes.
 * 2. Restart time with N (default 1,000,000) stored messages: after a clean close (load
 *    the checkpoint) and after a kill (checkpoint + replay of what followed it).
 * 3. Heap per stored message and checkpoint time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queueKey } from '../../../src/store/api.js';
import { JournalMessageStore } from '../../../src/store/journal/index.js';
import { dirBytes } from './helpers.js';

const base = process.argv[2] ?? tmpdir();
const N = Number(process.argv[3] ?? 1_000_000);
const Q = queueKey('/', 'bench');
const quiet = { warn: (o: object, m?: string) => console.error('warn', m, o) };
const gc = (globalThis as { gc?: () => void }).gc;

function fresh(): string {
  return mkdtempSync(join(base, 'wharf-bench-'));
}

/** `publishers` independent publishers, each keeping `window` unconfirmed messages in flight. */
async function durable(fsync: boolean, publishers: number, window: number, size: number, seconds: number): Promise<void> {
  const dir = fresh();
  const s = new JournalMessageStore({ dir, fsync, log: quiet, checkpointIntervalMs: 5_000 });
  await s.open();
  const body = Buffer.alloc(size, 0x61);
  let id = 0;
  let confirmed = 0;
  let stop = false;
  const t0 = process.hrtime.bigint();
  const startSyncs = s.stats().fdatasyncs;
  await new Promise<void>((resolve) => {
    let running = publishers;
    const publisher = (): void => {
      let inflight = 0;
      const pump = (): void => {
        if (stop) {
          if (inflight === 0 && --running === 0) resolve();
          return;
        }
        while (inflight < window) {
          const m = ++id;
          s.writeMessage(m, body);
          s.enqueue(Q, m);
          s.dequeue(Q, m - 1000); // keep the queue (and the index) at a steady size
          inflight++;
          s.sync(() => {
            confirmed++;
            inflight--;
            pump();
          });
        }
      };
      pump();
    };
    for (let p = 0; p < publishers; p++) publisher();
    setTimeout(() => (stop = true), seconds * 1000);
  });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const syncs = s.stats().fdatasyncs - startSyncs;
  console.log(
    `${fsync ? 'fsync      ' : 'fsync:false'} ${publishers} publishers x window ${window}, ${size} B: ` +
      `${Math.round(confirmed / secs).toLocaleString('en')} confirmed msg/s, ${Math.round(syncs / secs)} fdatasync/s, ` +
      `${(confirmed / Math.max(1, syncs)).toFixed(1)} msgs per fdatasync`,
  );
  await s.close();
  rmSync(dir, { recursive: true, force: true });
}

async function restart(): Promise<void> {
  const dir = fresh();
  const body = Buffer.alloc(100, 0x62);
  let s = new JournalMessageStore({ dir, log: quiet, checkpointIntervalMs: 0 });
  await s.open();
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  let t = Date.now();
  for (let id = 1; id <= N; id++) {
    s.writeMessage(id, body);
    s.enqueue(Q, id);
    if (id % 50_000 === 0) await new Promise<void>((r) => s.sync(() => r()));
  }
  await new Promise<void>((r) => s.sync(() => r()));
  const writeMs = Date.now() - t;
  gc?.();
  const heap1 = process.memoryUsage().heapUsed;
  t = Date.now();
  await s.checkpoint();
  const cpMs = Date.now() - t;
  console.log(
    `${N.toLocaleString('en')} x 100 B messages written+synced in ${writeMs} ms; heap ${((heap1 - heap0) / N).toFixed(0)} B/message ` +
      `(index + 16 MiB record cache); checkpoint ${cpMs} ms, ${(s.stats().lastCheckpointBytes / 1e6).toFixed(1)} MB; journal ${(dirBytes(dir) / 1e6).toFixed(0)} MB`,
  );
  await s.close();

  s = new JournalMessageStore({ dir, log: quiet, checkpointIntervalMs: 0 });
  t = Date.now();
  let st = await s.open();
  let count = st.queues.get(Q)?.length ?? 0;
  console.log(`restart after clean close: open() ${Date.now() - t} ms, ${count.toLocaleString('en')} messages, ${s.recovery!.recordsReplayed} records replayed`);
  // Crash case: 100k more messages after the checkpoint, then no clean close.
  for (let id = N + 1; id <= N + 100_000; id++) {
    s.writeMessage(id, body);
    s.enqueue(Q, id);
  }
  await new Promise<void>((r) => s.sync(() => r()));
  await s.close({ checkpoint: false });
  s = new JournalMessageStore({ dir, log: quiet, checkpointIntervalMs: 0 });
  t = Date.now();
  st = await s.open();
  count = st.queues.get(Q)?.length ?? 0;
  console.log(`restart after a kill: open() ${Date.now() - t} ms, ${count.toLocaleString('en')} messages, ${s.recovery!.recordsReplayed.toLocaleString('en')} records replayed`);
  t = Date.now();
  let bytes = 0;
  for (const m of st.queues.get(Q)!) bytes += m.record.length;
  console.log(`reading every recovered body back (${(bytes / 1e6).toFixed(0)} MB): ${Date.now() - t} ms`);
  await s.close();
  rmSync(dir, { recursive: true, force: true });
}

console.log(`node ${process.version}, dir ${base}`);
for (const [p, w] of [
  [1, 1],
  [10, 1],
  [100, 1],
  [100, 10],
] as const) {
  await durable(true, p, w, 100, 3);
}
await durable(true, 100, 10, 1024, 3);
await durable(false, 100, 10, 100, 3);
await restart();
