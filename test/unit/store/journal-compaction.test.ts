import assert from 'node:assert/strict';
import { test } from 'node:test';
import { queueKey } from '../../../src/store/api.js';
import { JournalMessageStore } from '../../../src/store/journal/index.js';
import { captureLog, dirBytes, recordFor, segmentFiles, synced, tempDir } from './helpers.js';

const Q = queueKey('/', 'work');

test('after a queue of 200k messages drains, the journal shrinks back to near its empty size', async (t) => {
  const dir = tempDir(t);
  const SEG = 1024 * 1024;
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0, segmentSize: SEG });
  await s.open();
  await s.checkpoint();
  const empty = dirBytes(dir);
  const N = 200_000;
  const body = Buffer.alloc(64, 0x61);
  for (let id = 1; id <= N; id++) {
    s.writeMessage(id, body);
    s.enqueue(Q, id);
    if (id % 10_000 === 0) await synced(s);
  }
  await synced(s);
  const full = dirBytes(dir);
  assert.ok(full > 15 * SEG, `full journal is ${full} bytes`);
  for (let id = 1; id <= N; id++) {
    s.dequeue(Q, id);
    if (id % 10_000 === 0) await synced(s);
  }
  await synced(s);
  await s.checkpoint();
  await s.checkpoint();
  const drained = dirBytes(dir);
  const st = s.stats();
  assert.equal(st.liveMessages, 0);
  assert.ok(st.segmentsDeleted > 15, `deleted ${st.segmentsDeleted}`);
  // What remains is the head segment (at most one segment of ack records) and a tiny checkpoint.
  assert.ok(drained <= empty + SEG, `drained ${drained} bytes, empty was ${empty}`);
  await s.close();
  const r = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0, segmentSize: SEG });
  const rs = await r.open();
  assert.equal(rs.queues.size, 0);
  assert.equal(rs.lastMessageId, N);
  await r.close();
});

test('sparse old segments are compacted: survivors move to the head, old files go, order and flags stay', async (t) => {
  const dir = tempDir(t);
  const SEG = 64 * 1024;
  const QA = queueKey('/', 'a');
  const QB = queueKey('/', 'b');
  const log = captureLog();
  const s = new JournalMessageStore({ dir, log, checkpointIntervalMs: 0, segmentSize: SEG, cacheBytes: 4096 });
  await s.open();
  const N = 3000;
  for (let id = 1; id <= N; id++) {
    s.writeMessage(id, recordFor(id, 200));
    s.enqueue(id % 2 === 0 ? QA : QB, id);
  }
  await synced(s);
  const segsBefore = segmentFiles(dir).length;
  assert.ok(segsBefore >= 10);
  // Keep every 10th message: every old segment becomes ~10% live.
  for (let id = 1; id <= N; id++) if (id % 10 !== 0) s.dequeue(id % 2 === 0 ? QA : QB, id);
  for (let id = 10; id <= N; id += 40) s.markDelivered(QA, id);
  await s.checkpoint(); // snapshot, then copy the survivors forward
  assert.equal(s.stats().compactedMessages, N / 10);
  await s.checkpoint(); // the copies are in this snapshot: the old segments can go
  const segsAfter = segmentFiles(dir).length;
  assert.ok(segsAfter <= 3, `segments before ${segsBefore}, after ${segsAfter}: ${segmentFiles(dir).join(',')}`);
  for (let id = 10; id <= N; id += 10) assert.deepEqual(s.readMessage(id), recordFor(id, 200), `read ${id} after compaction`);
  await s.close({ checkpoint: false });

  const r = new JournalMessageStore({ dir, log, checkpointIntervalMs: 0, segmentSize: SEG });
  const st = await r.open();
  const expectA = Array.from({ length: N / 10 }, (_, i) => 10 * (i + 1));
  assert.deepEqual(st.queues.get(QA)!.map((m) => m.id), expectA);
  assert.equal(st.queues.has(QB), false, 'every kept id is even, so b is empty');
  assert.deepEqual(
    st.queues.get(QA)!.filter((m) => m.delivered).map((m) => m.id),
    expectA.filter((id) => (id - 10) % 40 === 0),
  );
  for (const m of st.queues.get(QA)!) assert.deepEqual(m.record, recordFor(m.id, 200));
  await r.close();
  assert.equal(log.lines.length, 0, JSON.stringify(log.lines));
});

test('compaction survives a crash before the next checkpoint (old copy and new copy both valid)', async (t) => {
  const dir = tempDir(t);
  const SEG = 32 * 1024;
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0, segmentSize: SEG });
  await s.open();
  for (let id = 1; id <= 1000; id++) {
    s.writeMessage(id, recordFor(id, 150));
    s.enqueue(Q, id);
  }
  for (let id = 1; id <= 1000; id++) if (id % 7 !== 0) s.dequeue(Q, id);
  await s.checkpoint();
  assert.ok(s.stats().compactedMessages > 0);
  s.dequeue(Q, 7); // an ack after the copy
  await synced(s);
  await s.close({ checkpoint: false });
  const r = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0, segmentSize: SEG });
  const st = await r.open();
  const expected = Array.from({ length: 142 }, (_, i) => 7 * (i + 1)).filter((id) => id !== 7);
  assert.deepEqual(st.queues.get(Q)!.map((m) => m.id), expected);
  for (const m of st.queues.get(Q)!) assert.deepEqual(m.record, recordFor(m.id, 150));
  await r.close();
});
