import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { queueKey } from '../../../src/store/api.js';
import { DirLockedError, JournalMessageStore } from '../../../src/store/journal/index.js';
import { captureLog, recordFor, segmentFiles, synced, tempDir } from './helpers.js';

const Q1 = queueKey('/', 'orders');
const Q2 = queueKey('/', 'audit');
const Q3 = queueKey('other', 'orders');

test('an empty directory opens to an empty state', async (t) => {
  const dir = tempDir(t);
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  const st = await s.open();
  assert.equal(st.lastMessageId, 0);
  assert.equal(st.queues.size, 0);
  await s.close();
});

test('write, enqueue, read back; reopen restores queues in order with contents', async (t) => {
  const dir = tempDir(t);
  const log = captureLog();
  const s = new JournalMessageStore({ dir, log, checkpointIntervalMs: 0 });
  await s.open();
  for (let id = 1; id <= 300; id++) {
    s.writeMessage(id, recordFor(id));
    s.enqueue(Q1, id);
    if (id % 3 === 0) s.enqueue(Q2, id); // one record, two queues
    if (id % 5 === 0) s.enqueue(Q3, id);
  }
  assert.deepEqual(s.readMessage(7), recordFor(7));
  await synced(s);
  for (let id = 1; id <= 300; id += 2) s.dequeue(Q1, id); // out-of-order acks
  s.markDelivered(Q1, 10);
  s.markDelivered(Q2, 12);
  s.dequeue(Q2, 3);
  assert.equal(s.readMessage(3), undefined, 'no queue holds 3 any more');
  assert.deepEqual(s.readMessage(6), recordFor(6), 'still in Q2');
  await synced(s);
  await s.close();

  const r = new JournalMessageStore({ dir, log, checkpointIntervalMs: 0 });
  const st = await r.open();
  assert.equal(st.lastMessageId, 300);
  const q1 = st.queues.get(Q1)!;
  assert.deepEqual(q1.map((m) => m.id), Array.from({ length: 150 }, (_, i) => 2 * (i + 1)));
  assert.deepEqual(q1.filter((m) => m.delivered).map((m) => m.id), [10]);
  const q2 = st.queues.get(Q2)!;
  assert.deepEqual(q2.map((m) => m.id), Array.from({ length: 99 }, (_, i) => 3 * (i + 2)));
  assert.deepEqual(q2.filter((m) => m.delivered).map((m) => m.id), [12]);
  assert.equal(st.queues.get(Q3)!.length, 60);
  for (const [, list] of st.queues) for (const m of list) assert.deepEqual(m.record, recordFor(m.id), `record ${m.id}`);
  assert.deepEqual(r.readMessage(5), recordFor(5), 'held by Q3 only');
  assert.equal(r.readMessage(1), undefined);
  await r.close();
  assert.equal(log.lines.length, 0, JSON.stringify(log.lines));
});

test('reads come from disk when the cache is tiny, for small and large (zero-copy) records', async (t) => {
  const dir = tempDir(t);
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0, cacheBytes: 1024, segmentSize: 256 * 1024 });
  await s.open();
  const big = Buffer.alloc(100_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 13) & 0xff;
  s.writeMessage(1, recordFor(1, 500));
  s.enqueue(Q1, 1);
  s.writeMessage(2, big);
  s.enqueue(Q1, 2);
  s.writeMessage(3, recordFor(3, 200));
  s.enqueue(Q1, 3);
  // Not yet written: served from the pending batch, not from the (empty) cache or disk.
  assert.deepEqual(s.readMessage(2), big);
  assert.deepEqual(s.readMessage(1), recordFor(1, 500));
  assert.equal(s.stats().diskReads, 0);
  await synced(s);
  const before = s.stats().diskReads;
  assert.deepEqual(s.readMessage(2), big);
  assert.deepEqual(s.readMessage(1), recordFor(1, 500));
  assert.deepEqual(s.readMessage(3), recordFor(3, 200));
  assert.ok(s.stats().diskReads >= before + 2, 'at least the large and one small record were read from disk');
  await s.close();
});

test('segments roll; a record larger than a segment gets one of its own', async (t) => {
  const dir = tempDir(t);
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0, segmentSize: 8192, cacheBytes: 1024 });
  await s.open();
  const huge = recordFor(50, 40_000);
  for (let id = 1; id <= 100; id++) {
    s.writeMessage(id, id === 50 ? huge : recordFor(id, 300));
    s.enqueue(Q1, id);
  }
  await synced(s);
  assert.ok(segmentFiles(dir).length >= 5, `segments: ${segmentFiles(dir).join(',')}`);
  for (let id = 1; id <= 100; id++) assert.deepEqual(s.readMessage(id), id === 50 ? huge : recordFor(id, 300));
  await s.close({ checkpoint: false });
  const r = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0, segmentSize: 8192 });
  const st = await r.open();
  const q = st.queues.get(Q1)!;
  assert.equal(q.length, 100);
  for (const m of q) assert.deepEqual(m.record, m.id === 50 ? huge : recordFor(m.id, 300));
  await r.close();
});

test('dropQueue removes every entry; a message held elsewhere survives', async (t) => {
  const dir = tempDir(t);
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  await s.open();
  for (let id = 1; id <= 10; id++) {
    s.writeMessage(id, recordFor(id));
    s.enqueue(Q1, id);
    if (id <= 2) s.enqueue(Q2, id);
  }
  s.dropQueue(Q1);
  assert.equal(s.readMessage(5), undefined);
  assert.deepEqual(s.readMessage(2), recordFor(2));
  s.writeMessage(11, recordFor(11));
  s.enqueue(Q1, 11); // a queue of the same name declared again
  await synced(s);
  await s.close({ checkpoint: false });
  const r = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  const st = await r.open();
  assert.deepEqual(st.queues.get(Q1)!.map((m) => m.id), [11]);
  assert.deepEqual(st.queues.get(Q2)!.map((m) => m.id), [1, 2]);
  await r.close();
});

test('an id dequeued and enqueued again goes to the back of the queue', async (t) => {
  const dir = tempDir(t);
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  await s.open();
  for (let id = 1; id <= 3; id++) {
    s.writeMessage(id, recordFor(id));
    s.enqueue(Q1, id);
  }
  s.enqueue(Q2, 1); // keeps message 1 alive while it leaves Q1
  s.dequeue(Q1, 1);
  s.enqueue(Q1, 1);
  s.enqueue(Q1, 2); // already there: ignored, not duplicated
  await synced(s);
  await s.close({ checkpoint: false });
  for (const checkpointed of [false, true]) {
    const r = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
    const st = await r.open();
    assert.deepEqual(st.queues.get(Q1)!.map((m) => m.id), [2, 3, 1], `checkpointed=${checkpointed}`);
    await r.close(); // the second round recovers from this close's checkpoint
  }
});

test('a message written but never enqueued is not recovered; its id still counts', async (t) => {
  const dir = tempDir(t);
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  await s.open();
  s.writeMessage(1, recordFor(1));
  s.enqueue(Q1, 1);
  s.writeMessage(2, recordFor(2));
  assert.deepEqual(s.readMessage(2), recordFor(2));
  await synced(s);
  await s.close({ checkpoint: false });
  const r = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  const st = await r.open();
  assert.equal(st.lastMessageId, 2);
  assert.equal(r.recovery!.orphansDropped, 1);
  assert.equal(r.readMessage(2), undefined);
  assert.deepEqual(st.queues.get(Q1)!.map((m) => m.id), [1]);
  await r.close();
});

test('misuse is rejected: enqueue of an unwritten id, calls before open or after close', async (t) => {
  const dir = tempDir(t);
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  assert.throws(() => s.writeMessage(1, recordFor(1)), /journal: store is new/);
  await s.open();
  await assert.rejects(s.open(), /once/);
  assert.throws(() => s.enqueue(Q1, 99), /never written/);
  assert.throws(() => s.writeMessage(-1, recordFor(1)), RangeError);
  await s.close();
  assert.throws(() => s.dequeue(Q1, 1), /closed/);
  const err = await new Promise<Error | undefined>((resolve) => s.sync(resolve));
  assert.match(String(err), /not open/);
});

test('one writer per directory: a second store is refused, a stale lock is taken over', async (t) => {
  const dir = tempDir(t);
  const a = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  await a.open();
  const b = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  await assert.rejects(b.open(), DirLockedError);
  await a.close();
  // A lock naming a live process (our parent, the test runner) is respected...
  writeFileSync(join(dir, 'LOCK'), `${process.ppid}\n`);
  await assert.rejects(new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 }).open(), /in use by process/);
  // ...one naming a process that is gone is not.
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  writeFileSync(join(dir, 'LOCK'), `${gone}\n`);
  const c = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  await c.open();
  assert.equal(readFileSync(join(dir, 'LOCK'), 'utf8').trim(), String(process.pid));
  await c.close();
  assert.equal(existsSync(join(dir, 'LOCK')), false);
});
