import assert from 'node:assert/strict';
import { fdatasync, writev } from 'node:fs';
import { test } from 'node:test';
import { queueKey } from '../../../src/store/api.js';
import { JournalMessageStore, type JournalIo } from '../../../src/store/journal/index.js';
import { captureLog, recordFor, synced, tempDir } from './helpers.js';

const Q = queueKey('/', 'q');
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('all calls of one turn share one write and one fdatasync; sync callbacks fire in call order', async (t) => {
  const dir = tempDir(t);
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  await s.open();
  await synced(s); // the new segment's header
  const before = s.stats();
  const order: number[] = [];
  for (let id = 1; id <= 1000; id++) {
    s.writeMessage(id, recordFor(id));
    s.enqueue(Q, id);
    if (id % 100 === 0) s.sync(() => order.push(id));
  }
  await synced(s);
  const after = s.stats();
  assert.equal(after.flushes - before.flushes, 1);
  assert.equal(after.fdatasyncs - before.fdatasyncs, 1);
  assert.deepEqual(order, [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  await s.close();
});

test('while a flush is in flight the next turns accumulate into one batch', async (t) => {
  const dir = tempDir(t);
  // Hold each fdatasync until the test releases it, so "in flight" is deterministic.
  const held: Array<() => void> = [];
  const io: Partial<JournalIo> = {
    fdatasync: (fd, cb) => held.push(() => fdatasync(fd, cb)),
  };
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0, io });
  await s.open();
  const order: string[] = [];
  s.writeMessage(1, recordFor(1));
  s.enqueue(Q, 1);
  s.sync(() => order.push('A'));
  await turn();
  while (held.length === 0) await turn();
  // First flush is now waiting in fdatasync. Three more turns of work:
  for (const [id, name] of [
    [2, 'B'],
    [3, 'C'],
    [4, 'D'],
  ] as const) {
    s.writeMessage(id, recordFor(id));
    s.enqueue(Q, id);
    s.sync(() => order.push(name));
    await turn();
  }
  assert.equal(s.stats().flushes, 1, 'nothing else started while the first flush is in flight');
  assert.deepEqual(order, []);
  held.shift()!();
  while (held.length === 0) await turn();
  assert.deepEqual(order, ['A']);
  assert.equal(s.stats().flushes, 2, 'B, C and D went out together');
  held.shift()!();
  while (order.length < 4) await turn();
  assert.deepEqual(order, ['A', 'B', 'C', 'D']);
  // close() flushes and checkpoints through the same held fdatasync
  const closing = s.close();
  const release = setInterval(() => held.shift()?.(), 1);
  await closing;
  clearInterval(release);
});

test('sync with nothing pending calls back asynchronously; syncs issued during a flush wait for it', async (t) => {
  const dir = tempDir(t);
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  await s.open();
  await synced(s);
  let called = false;
  s.sync(() => {
    called = true;
  });
  assert.equal(called, false);
  await turn();
  assert.equal(called, true);
  await s.close();
});

test('fsync:false confirms after the write without fdatasync; a checkpoint still syncs', async (t) => {
  const dir = tempDir(t);
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0, fsync: false });
  await s.open();
  for (let id = 1; id <= 50; id++) {
    s.writeMessage(id, recordFor(id));
    s.enqueue(Q, id);
    await synced(s);
  }
  assert.equal(s.stats().fdatasyncs, 0);
  await s.checkpoint();
  assert.ok(s.stats().fdatasyncs >= 1);
  await s.close();
  const r = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  assert.equal((await r.open()).queues.get(Q)!.length, 50);
  await r.close();
});

test('disk full (ENOSPC): confirms are held and the batch is retried until it succeeds', async (t) => {
  const dir = tempDir(t);
  const log = captureLog();
  let failuresLeft = 0;
  const io: Partial<JournalIo> = {
    writev: (fd, bufs, pos, cb) => {
      if (failuresLeft > 0) {
        failuresLeft--;
        // Part of the batch may reach the file before the error; the retry rewrites it.
        writev(fd, [bufs[0]!.subarray(0, Math.min(3, bufs[0]!.length))], pos, () =>
          cb(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }), 0),
        );
        return;
      }
      writev(fd, bufs as Buffer[], pos, cb);
    },
  };
  const s = new JournalMessageStore({ dir, log, checkpointIntervalMs: 0, io });
  await s.open();
  await synced(s);
  failuresLeft = 3;
  let confirmed = false;
  for (let id = 1; id <= 20; id++) {
    s.writeMessage(id, recordFor(id));
    s.enqueue(Q, id);
  }
  const done = new Promise<Error | undefined>((resolve) =>
    s.sync((err) => {
      confirmed = true;
      resolve(err);
    }),
  );
  while (failuresLeft > 1) await turn();
  assert.equal(confirmed, false, 'not confirmed while the disk is full');
  assert.equal(await done, undefined);
  assert.equal(failuresLeft, 0);
  assert.ok(s.stats().writeRetries >= 3);
  assert.ok(log.lines.some((l) => /disk full/.test(l.msg)));
  await s.close({ checkpoint: false });
  const r = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  const st = await r.open();
  assert.deepEqual(st.queues.get(Q)!.map((m) => m.id), Array.from({ length: 20 }, (_, i) => i + 1));
  for (const m of st.queues.get(Q)!) assert.deepEqual(m.record, recordFor(m.id));
  await r.close();
});

test('an fdatasync I/O error fails every pending and later sync, and close reports it', async (t) => {
  const dir = tempDir(t);
  const log = captureLog();
  let fail = false;
  const io: Partial<JournalIo> = {
    fdatasync: (fd, cb) => (fail ? cb(Object.assign(new Error('input/output error'), { code: 'EIO' })) : fdatasync(fd, cb)),
  };
  const s = new JournalMessageStore({ dir, log, checkpointIntervalMs: 0, io });
  await s.open();
  await synced(s);
  fail = true;
  s.writeMessage(1, recordFor(1));
  s.enqueue(Q, 1);
  await assert.rejects(synced(s), /input\/output/);
  s.writeMessage(2, recordFor(2));
  await assert.rejects(synced(s), /input\/output/);
  assert.ok(log.lines.some((l) => l.level === 'error' && /store failed/.test(l.msg)));
  await assert.rejects(s.close(), /input\/output/);
});
