/**
 * The page file (docs/store.md "Paging"): reference-counted records that are not
 * durable, segments deleted as soon as they hold nothing live, sparse segments
 * compacted, the directory wiped at open and close and locked while open.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PageFile } from '../../../src/store/journal/index.js';
import { captureLog, recordFor, segmentFiles, tempDir, waitFor } from './helpers.js';

test('write, read back (before and after the write completes), addRef and release', async (t) => {
  const dir = tempDir(t);
  const p = new PageFile({ dir, log: captureLog() });
  p.open();
  for (let id = 1; id <= 100; id++) p.write(id, recordFor(id, 50 + id));
  // Not yet written: served from the pending batch.
  assert.deepEqual(p.read(7), recordFor(7, 57));
  await waitFor(() => p.stats().diskBytes > 0 && p.read(100) !== undefined);
  await new Promise((r) => setTimeout(r, 20));
  for (let id = 1; id <= 100; id++) assert.deepEqual(p.read(id), recordFor(id, 50 + id), `record ${id}`);
  assert.equal(p.has(5), true);
  p.addRef(5);
  p.release(5);
  assert.equal(p.has(5), true, 'one reference left');
  p.release(5);
  assert.equal(p.has(5), false);
  assert.equal(p.read(5), undefined);
  assert.throws(() => p.write(6, recordFor(6)), /paged already/);
  assert.throws(() => p.addRef(5), /unknown record/);
  assert.equal(p.stats().liveRecords, 99);
  await p.close();
  assert.deepEqual(segmentFiles(dir), [], 'close gives the space back');
});

test('segments go as soon as their records are released; large records are written from the caller buffer', async (t) => {
  const dir = tempDir(t);
  const p = new PageFile({ dir, segmentSize: 64 * 1024 });
  p.open();
  const big = recordFor(999, 40_000);
  for (let id = 1; id <= 400; id++) p.write(id, id % 50 === 0 ? recordFor(id, 40_000) : recordFor(id, 500));
  await new Promise((r) => setTimeout(r, 30));
  const before = p.stats();
  assert.ok(before.segments > 4, `several segments (${before.segments})`);
  assert.deepEqual(p.read(50), recordFor(50, 40_000));
  for (let id = 1; id <= 400; id++) p.release(id);
  await waitFor(() => p.stats().segments === 1, 5000, 'only the active segment left');
  assert.equal(p.stats().liveBytes, 0);
  assert.equal(segmentFiles(dir).length, 1);
  void big;
  await p.close();
});

test('sparse segments are compacted: a few long-lived records do not pin the whole file', async (t) => {
  const dir = tempDir(t);
  const p = new PageFile({ dir, segmentSize: 64 * 1024 });
  p.open();
  // Keep one record in ten; the rest come and go. Without compaction every segment
  // would stay, each pinned by its survivors.
  let id = 0;
  const kept: number[] = [];
  for (let round = 0; round < 40; round++) {
    const batch: number[] = [];
    for (let i = 0; i < 100; i++) {
      p.write(++id, recordFor(id, 600));
      if (id % 10 === 0) kept.push(id);
      else batch.push(id);
    }
    await new Promise((r) => setImmediate(r));
    for (const x of batch) p.release(x);
  }
  // Compaction runs a bounded amount after each completed batch: give it time to converge.
  await waitFor(() => p.stats().diskBytes <= 2 * p.stats().liveBytes + 3 * 64 * 1024, 10_000, `compaction (${JSON.stringify(p.stats())})`);
  assert.ok(p.stats().compactedRecords > 0, 'compaction ran');
  assert.equal(p.stats().liveRecords, kept.length);
  for (const k of kept) assert.deepEqual(p.read(k), recordFor(k, 600), `kept record ${k}`);
  await p.close();
});

test('open wipes what a previous run left and locks the directory', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, '0000000001.wjl'), Buffer.alloc(1000, 7));
  writeFileSync(join(dir, '0000000009.wjl'), Buffer.alloc(1000, 7));
  writeFileSync(join(dir, 'unrelated.txt'), 'keep me');
  const p = new PageFile({ dir });
  p.open();
  assert.deepEqual(segmentFiles(dir), ['0000000001.wjl'], 'old segments gone, numbering starts over');
  const other = new PageFile({ dir });
  assert.throws(() => other.open(), /already open/);
  p.write(1, recordFor(1));
  assert.deepEqual(p.read(1), recordFor(1));
  await p.close();
  // Closed: a new page file may take the directory.
  other.open();
  await other.close();
});

test('a full disk holds page writes in memory and retries; reads are served meanwhile', async (t) => {
  const dir = tempDir(t);
  let full = true;
  const p = new PageFile({
    dir,
    log: captureLog(),
    io: {
      writev: (fd, bufs, pos, cb) => {
        if (full) {
          process.nextTick(cb, Object.assign(new Error('no space'), { code: 'ENOSPC' }), 0);
          return;
        }
        import('node:fs').then(({ writev }) => writev(fd, bufs as Buffer[], pos, cb), (e: Error) => cb(e as NodeJS.ErrnoException, 0));
      },
    },
  });
  p.open();
  for (let id = 1; id <= 20; id++) p.write(id, recordFor(id));
  await new Promise((r) => setTimeout(r, 120));
  for (let id = 1; id <= 20; id++) assert.deepEqual(p.read(id), recordFor(id));
  full = false;
  await waitFor(() => p.stats().diskBytes > 20, 5000, 'written after space came back');
  await new Promise((r) => setTimeout(r, 1200));
  for (let id = 1; id <= 20; id++) assert.deepEqual(p.read(id), recordFor(id));
  await p.close();
});
