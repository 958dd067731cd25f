/**
 * Damage at rest: truncated, bit-flipped and zero-filled journals must open, log what
 * they dropped, and keep every record before the damage.
 *
 * Record positions are computed here from the documented v1 layout (20-byte segment
 * header; record = 9-byte header + payload; message payload = 8-byte id + record;
 * enqueue payload = 8-byte id + queue key), independently of the store's code.
 */
import assert from 'node:assert/strict';
import { crc32c } from '@node-rs/crc32';
import { appendFileSync, cpSync, openSync, readFileSync, closeSync, writeSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { queueKey } from '../../../src/store/api.js';
import { JournalMessageStore, JournalReadError, UnsupportedJournalVersion } from '../../../src/store/journal/index.js';
import { captureLog, recordFor, rng, segmentFiles, synced, tempDir } from './helpers.js';

const Q = queueKey('/', 'q');
const QLEN = Buffer.byteLength(Q);
const SEG_HEADER = 20;

interface Placed {
  readonly id: number;
  readonly kind: 'message' | 'enqueue';
  readonly segment: number;
  readonly start: number;
  readonly end: number;
}

/** Where the writer must have put message+enqueue records for ids 1..n in segments of segSize. */
function layout(sizes: readonly number[], segSize: number): Placed[] {
  const out: Placed[] = [];
  let seg = 1;
  let off = SEG_HEADER;
  const place = (id: number, kind: Placed['kind'], len: number): void => {
    if (off + len > segSize && off > SEG_HEADER) {
      seg++;
      off = SEG_HEADER;
    }
    out.push({ id, kind, segment: seg, start: off, end: off + len });
    off += len;
  };
  sizes.forEach((size, i) => {
    place(i + 1, 'message', 9 + 8 + size);
    place(i + 1, 'enqueue', 9 + 8 + QLEN);
  });
  return out;
}

/** Ids whose message and enqueue records both satisfy `intact`. */
function survivors(placed: readonly Placed[], intact: (p: Placed) => boolean): number[] {
  const ok = new Map<number, number>();
  for (const p of placed) if (intact(p)) ok.set(p.id, (ok.get(p.id) ?? 0) + 1);
  return [...ok].filter(([, n]) => n === 2).map(([id]) => id);
}

const segPath = (dir: string, n: number): string => join(dir, `${String(n).padStart(10, '0')}.wjl`);

async function writeJournal(dir: string, sizes: readonly number[], segmentSize: number): Promise<void> {
  // No checkpoint at all, so that recovery scans (and meets the damage in) every segment.
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0, checkpointBytes: 0, segmentSize });
  await s.open();
  for (let i = 0; i < sizes.length; i++) {
    s.writeMessage(i + 1, recordFor(i + 1, sizes[i]));
    s.enqueue(Q, i + 1);
    if (i % 17 === 16) await synced(s);
  }
  await synced(s);
  // No final checkpoint: the directory is exactly what a kill after the last sync leaves.
  await s.close({ checkpoint: false });
}

async function reopen(dir: string, segmentSize: number) {
  const log = captureLog();
  const s = new JournalMessageStore({ dir, log, checkpointIntervalMs: 0, segmentSize });
  const st = await s.open();
  const ids = (st.queues.get(Q) ?? []).map((m) => m.id);
  for (const m of st.queues.get(Q) ?? []) assert.deepEqual(m.record, recordFor(m.id, m.record.length), `content of ${m.id}`);
  return { s, st, ids, log };
}

test('last segment truncated at random bytes: everything before the cut survives, the torn tail is logged', async (t) => {
  const pristine = tempDir(t);
  const sizes = Array.from({ length: 200 }, (_, i) => 10 + ((i * 37) % 300));
  await writeJournal(pristine, sizes, 64 * 1024 * 1024);
  const placed = layout(sizes, 64 * 1024 * 1024);
  const fileLen = statSync(segPath(pristine, 1)).size;
  assert.equal(fileLen, placed[placed.length - 1]!.end, 'layout matches the documented format');
  const seed = 0x5eed01;
  const rand = rng(seed);
  for (let round = 0; round < 25; round++) {
    const cut = SEG_HEADER + Math.floor(rand() * (fileLen - SEG_HEADER));
    const dir = tempDir(t);
    cpSync(pristine, dir, { recursive: true });
    truncateSync(segPath(dir, 1), cut);
    const { s, ids, log } = await reopen(dir, 64 * 1024 * 1024);
    const expected = survivors(placed, (p) => p.end <= cut);
    assert.deepEqual(ids, expected, `seed ${seed} round ${round} cut ${cut}`);
    const boundary = Math.max(SEG_HEADER, ...placed.filter((p) => p.end <= cut).map((p) => p.end));
    if (boundary < cut) {
      const line = log.lines.find((l) => /damaged tail of the last segment/.test(l.msg));
      assert.ok(line, `cut ${cut} logged`);
      assert.equal(line.obj['offset'], boundary);
      assert.equal(line.obj['droppedBytes'], cut - boundary);
      assert.ok(['truncated', 'zero-filled'].includes(String(line.obj['kind'])));
    } else {
      assert.equal(log.lines.length, 0);
    }
    // The store keeps working on top of the damaged segment and a second restart agrees.
    s.writeMessage(10_000, recordFor(10_000, 50));
    s.enqueue(Q, 10_000);
    await synced(s);
    await s.close();
    const again = await reopen(dir, 64 * 1024 * 1024);
    assert.deepEqual(again.ids, [...expected, 10_000]);
    await again.s.close();
  }
});

test('a flipped byte in the middle of the journal: earlier records and later segments survive', async (t) => {
  const SEG = 4096;
  const pristine = tempDir(t);
  const sizes = Array.from({ length: 300 }, () => 100);
  await writeJournal(pristine, sizes, SEG);
  const placed = layout(sizes, SEG);
  const lastSeg = placed[placed.length - 1]!.segment;
  assert.deepEqual(segmentFiles(pristine).length, lastSeg);
  const rand = rng(0xf11b);
  for (let round = 0; round < 12; round++) {
    // Alternate between a middle segment and the last one.
    const seg = round % 2 === 0 ? 2 + Math.floor(rand() * (lastSeg - 2)) : lastSeg;
    const inSeg = placed.filter((p) => p.segment === seg);
    const victim = inSeg[Math.floor(rand() * inSeg.length)]!;
    const at = victim.start + Math.floor(rand() * (victim.end - victim.start));
    const dir = tempDir(t);
    cpSync(pristine, dir, { recursive: true });
    const fd = openSync(segPath(dir, seg), 'r+');
    const b = Buffer.alloc(1);
    const { readSync } = await import('node:fs');
    readSync(fd, b, 0, 1, at);
    b[0] = b[0]! ^ (1 << Math.floor(rand() * 8));
    writeSync(fd, b, 0, 1, at);
    closeSync(fd);
    const { s, ids, log } = await reopen(dir, SEG);
    const expected = survivors(placed, (p) => p.segment !== seg || p.end <= victim.start);
    assert.deepEqual(ids, expected, `round ${round}: flipped byte ${at} of segment ${seg} (record at ${victim.start})`);
    const line = log.lines.find((l) => l.obj['segment'] === seg && l.obj['offset'] === victim.start);
    assert.ok(line, `round ${round}: damage logged ${JSON.stringify(log.lines)}`);
    assert.match(line.msg, seg === lastSeg ? /tail of the last segment/ : /middle of the journal/);
    await s.close();
  }
});

test('zero-filled tails: an extended file and zeroes over the last records', async (t) => {
  const pristine = tempDir(t);
  const sizes = Array.from({ length: 120 }, (_, i) => 20 + i);
  await writeJournal(pristine, sizes, 64 * 1024 * 1024);
  const placed = layout(sizes, 64 * 1024 * 1024);
  const all = placed.map((p) => p.id).filter((id, i, a) => a.indexOf(id) === i);

  // (a) the file grew but its last blocks were never written: 8 KiB of zeroes
  {
    const dir = tempDir(t);
    cpSync(pristine, dir, { recursive: true });
    appendFileSync(segPath(dir, 1), Buffer.alloc(8192));
    const { s, ids, log } = await reopen(dir, 64 * 1024 * 1024);
    assert.deepEqual(ids, all);
    const line = log.lines.find((l) => l.obj['kind'] === 'zero-filled');
    assert.ok(line);
    assert.equal(line.obj['droppedBytes'], 8192);
    await s.close();
  }
  // (b) zeroes from a record boundary to the end, and (c) from a random byte
  const rand = rng(0x2e80);
  for (const fromBoundary of [true, false, false, false]) {
    const victim = placed[40 + Math.floor(rand() * 150)]!;
    const from = fromBoundary ? victim.start : victim.start + 1 + Math.floor(rand() * (victim.end - victim.start - 1));
    const dir = tempDir(t);
    cpSync(pristine, dir, { recursive: true });
    const size = statSync(segPath(dir, 1)).size;
    const fd = openSync(segPath(dir, 1), 'r+');
    writeSync(fd, Buffer.alloc(size - from), 0, size - from, from);
    closeSync(fd);
    const { s, ids, log } = await reopen(dir, 64 * 1024 * 1024);
    assert.deepEqual(ids, survivors(placed, (p) => p.end <= from), `zeroes from ${from}`);
    const line = log.lines.find((l) => /damaged tail/.test(l.msg));
    assert.ok(line);
    if (fromBoundary) assert.equal(line.obj['kind'], 'zero-filled');
    await s.close();
  }
});

test('a damaged checkpoint is ignored and the segments are replayed instead', async (t) => {
  const dir = tempDir(t);
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  await s.open();
  for (let id = 1; id <= 50; id++) {
    s.writeMessage(id, recordFor(id));
    s.enqueue(Q, id);
  }
  s.dequeue(Q, 7);
  s.markDelivered(Q, 9);
  await s.close();
  const cp = join(dir, 'checkpoint.wcp');
  const data = readFileSync(cp);
  data[data.length >> 1] ^= 0x40;
  writeFileSync(cp, data);
  const { s: r, st, ids, log } = await reopen(dir, 64 * 1024 * 1024);
  assert.ok(log.lines.some((l) => /checkpoint unusable/.test(l.msg)));
  assert.equal(r.recovery!.checkpointSeq, 0);
  assert.deepEqual(ids, Array.from({ length: 50 }, (_, i) => i + 1).filter((id) => id !== 7));
  assert.deepEqual(st.queues.get(Q)!.filter((m) => m.delivered).map((m) => m.id), [9]);
  await r.close();
});

test('a body damaged after its checkpoint is caught by the CRC on read, not returned', async (t) => {
  const dir = tempDir(t);
  const sizes = Array.from({ length: 10 }, () => 64);
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  await s.open();
  sizes.forEach((size, i) => {
    s.writeMessage(i + 1, recordFor(i + 1, size));
    s.enqueue(Q, i + 1);
  });
  await s.close(); // checkpointed: recovery will not rescan segment 1
  const victim = layout(sizes, 1 << 30).find((p) => p.id === 5 && p.kind === 'message')!;
  const fd = openSync(segPath(dir, 1), 'r+');
  writeSync(fd, Buffer.from([0xee]), 0, 1, victim.start + 30);
  closeSync(fd);
  const log = captureLog();
  const r = new JournalMessageStore({ dir, log, checkpointIntervalMs: 0 });
  const st = await r.open();
  const list = st.queues.get(Q)!;
  assert.equal(list.length, 10);
  assert.throws(() => list[4]!.record, JournalReadError);
  assert.equal(r.readMessage(5), undefined);
  assert.ok(log.lines.some((l) => l.obj['id'] === 5 && /failed its check/.test(l.msg)));
  for (const m of list) if (m.id !== 5) assert.deepEqual(m.record, recordFor(m.id, 64));
  await r.close();
});

test('a segment with a damaged header is skipped; the others are used', async (t) => {
  const SEG = 4096;
  const dir = tempDir(t);
  const sizes = Array.from({ length: 100 }, () => 100);
  await writeJournal(dir, sizes, SEG);
  const placed = layout(sizes, SEG);
  const fd = openSync(segPath(dir, 2), 'r+');
  writeSync(fd, Buffer.from('X'), 0, 1, 3);
  closeSync(fd);
  const { s, ids, log } = await reopen(dir, SEG);
  assert.deepEqual(ids, survivors(placed, (p) => p.segment !== 2));
  assert.ok(log.lines.some((l) => l.obj['segment'] === 2 && l.obj['reason'] === 'bad-magic'));
  await s.close();
});

test('a segment of a newer format version is refused rather than misread', async (t) => {
  const dir = tempDir(t);
  await writeJournal(dir, [10, 20], 1 << 20);
  const h = Buffer.alloc(20);
  h.write('WHARFJNL', 0, 'latin1');
  h.writeUInt32LE(2, 8);
  h.writeUInt32LE(2, 12);
  h.writeUInt32LE(crc32c(h.subarray(0, 16)), 16);
  writeFileSync(segPath(dir, 2), h);
  const s = new JournalMessageStore({ dir, log: captureLog(), checkpointIntervalMs: 0 });
  await assert.rejects(s.open(), UnsupportedJournalVersion);
});

test('empty segments a crash left behind the torn tail are not damage, and go away', async (t) => {
  const dir = tempDir(t);
  const sizes = Array.from({ length: 30 }, () => 50);
  await writeJournal(dir, sizes, 1 << 20);
  const placed = layout(sizes, 1 << 20);
  const cut = placed[41]!.start + 5; // inside the record of the 21st message's pair
  truncateSync(segPath(dir, 1), cut);
  writeFileSync(segPath(dir, 2), Buffer.alloc(0)); // rolled to, never written
  writeFileSync(segPath(dir, 3), Buffer.alloc(0));
  const { s, ids, log } = await reopen(dir, 1 << 20);
  assert.deepEqual(ids, survivors(placed, (p) => p.end <= cut));
  assert.equal(log.lines.length, 1, JSON.stringify(log.lines));
  assert.match(log.lines[0]!.msg, /tail of the last segment/);
  assert.equal(log.lines[0]!.obj['segment'], 1);
  await s.close(); // its checkpoint deletes the empty files
  assert.ok(!segmentFiles(dir).includes('0000000002.wjl') && !segmentFiles(dir).includes('0000000003.wjl'), segmentFiles(dir).join(','));
});
