import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { queueKey } from '../../../src/store/api.js';
import { JournalMessageStore } from '../../../src/store/journal/index.js';
import { captureLog, recordFor, synced, tempDir, waitFor } from './helpers.js';

const Q = queueKey('/', 'q');
const Q2 = queueKey('/', 'q2');

test('recovery loads the checkpoint and replays only the records written after it', async (t) => {
  const dir = tempDir(t);
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  await s.open();
  for (let id = 1; id <= 1000; id++) {
    s.writeMessage(id, recordFor(id));
    s.enqueue(Q, id);
  }
  for (let id = 1; id <= 400; id++) s.dequeue(Q, id);
  s.markDelivered(Q, 401);
  await s.checkpoint();
  assert.ok(existsSync(join(dir, 'checkpoint.wcp')));
  // After the checkpoint: 10 messages (2 records each), 5 acks, 1 delivered, 1 drop.
  for (let id = 1001; id <= 1010; id++) {
    s.writeMessage(id, recordFor(id));
    s.enqueue(Q2, id);
  }
  for (let id = 401; id <= 405; id++) s.dequeue(Q, id);
  s.markDelivered(Q, 406);
  s.dropQueue(Q2);
  await synced(s);
  await s.close({ checkpoint: false }); // as if killed here

  const r = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  const st = await r.open();
  assert.equal(r.recovery!.checkpointSeq, 1);
  // The checkpoint marker itself + 20 + 5 + 1 + 1 records.
  assert.equal(r.recovery!.recordsReplayed, 1 + 20 + 5 + 1 + 1);
  assert.equal(st.lastMessageId, 1010);
  const q = st.queues.get(Q)!;
  assert.deepEqual(q.map((m) => m.id), Array.from({ length: 595 }, (_, i) => 406 + i));
  assert.deepEqual(q.filter((m) => m.delivered).map((m) => m.id), [406]);
  assert.equal(st.queues.has(Q2), false);
  assert.deepEqual(q[100]!.record, recordFor(506));
  await r.close();

  // After a clean close the next start replays just the close's checkpoint marker.
  const r2 = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  const st2 = await r2.open();
  assert.equal(r2.recovery!.recordsReplayed, 1);
  assert.equal(r2.recovery!.checkpointSeq, 2);
  assert.equal(st2.queues.get(Q)!.length, 595);
  await r2.close();
});

test('a message written before a checkpoint and enqueued after it is recovered', async (t) => {
  const dir = tempDir(t);
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  await s.open();
  s.writeMessage(1, recordFor(1));
  await s.checkpoint();
  s.enqueue(Q, 1);
  await synced(s);
  await s.close({ checkpoint: false });
  const r = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  const st = await r.open();
  assert.deepEqual(st.queues.get(Q)!.map((m) => m.record), [recordFor(1)]);
  await r.close();
});

test('checkpoints happen on the interval timer and by journal growth', async (t) => {
  const dir = tempDir(t);
  const timed = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 20 });
  await timed.open();
  timed.writeMessage(1, recordFor(1));
  timed.enqueue(Q, 1);
  await waitFor(() => timed.stats().checkpoints >= 1, 10_000, 'interval checkpoint');
  const n = timed.stats().checkpoints;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(timed.stats().checkpoints, n, 'an idle store does not checkpoint again');
  await timed.close();

  const dir2 = tempDir(t);
  const sized = new JournalMessageStore({ dir: dir2, log: captureLog(), checkpointIntervalMs: 0, segmentSize: 16 * 1024 });
  await sized.open();
  for (let id = 1; id <= 2000; id++) {
    sized.writeMessage(id, recordFor(id, 100));
    sized.enqueue(Q, id);
  }
  await synced(sized);
  await waitFor(() => sized.stats().checkpoints >= 1, 10_000, 'size-triggered checkpoint');
  await sized.close();
});
