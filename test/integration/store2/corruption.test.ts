/**
 * Issue 3 "Corruption tests", at broker level: a broker process takes confirmed
 * publishes and is killed with SIGKILL; then the last journal segment is damaged
 *   - truncated at a random byte,
 *   - with one random byte flipped,
 *   - with a zero-filled tail (a file extended but never written),
 * and a new broker starts on that data directory. It must start, log the damage, and
 * serve exactly the messages whose records lie before the damaged record, in order;
 * and it must keep working (new publishes survive another restart).
 *
 * The expectation is computed here from the documented segment layout (docs/store.md
 * "On-disk format"), not from the store's code: header 20 bytes, then records
 * `length u32 | crc u32 | type u8 | payload`, type 2 = enqueue.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { freePort, spawnBroker, tempDataDir, type Ports } from '../../helpers/broker.js';
import { seededRandom } from '../../helpers/random.js';

const QUEUE = 'damaged';
const COUNT = 400;
const HEADER = 20;
const RECORD_HEADER = 9;
const ENQUEUE = 2;

interface RecordSpan {
  readonly start: number;
  readonly end: number;
  readonly type: number;
}

function records(seg: Buffer): RecordSpan[] {
  const out: RecordSpan[] = [];
  for (let o = HEADER; o + RECORD_HEADER <= seg.length; ) {
    const len = seg.readUInt32LE(o);
    const end = o + RECORD_HEADER + len;
    if (end > seg.length) break;
    out.push({ start: o, end, type: seg[o + 8]! });
    o = end;
  }
  return out;
}

async function publishConfirmed(url: string, from: number, count: number): Promise<void> {
  const conn = await connect(url);
  try {
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue(QUEUE, { durable: true });
    for (let i = from; i < from + count; i++) ch.publish('', QUEUE, Buffer.from(`body-${i}-${'x'.repeat(i % 200)}`), { persistent: true, messageId: String(i) });
    await ch.waitForConfirms();
  } finally {
    await conn.close();
  }
}

async function readAll(url: string): Promise<number[]> {
  const conn = await connect(url);
  try {
    const ch = await conn.createChannel();
    const ids: number[] = [];
    for (;;) {
      const m = await ch.get(QUEUE, { noAck: true });
      if (m === false) return ids;
      const id = Number(m.properties.messageId);
      assert.equal(m.content.toString(), `body-${id}-${'x'.repeat(id % 200)}`, `body of ${id} intact`);
      ids.push(id);
    }
  } finally {
    await conn.close();
  }
}

type Damage = 'truncate' | 'flip' | 'zero-tail';

for (const damage of ['truncate', 'flip', 'zero-tail'] as const) {
  test(`broker starts on a journal whose last segment has a ${damage}, logs it and serves everything before it`, { timeout: 120_000 }, async () => {
    const seed = (Date.now() ^ (damage.length * 7919)) >>> 0;
    const rand = seededRandom(seed);
    const dataDir = tempDataDir('wharf-corrupt-');
    const ports: Ports = { amqp: await freePort(), mqtt: await freePort(), stomp: await freePort(), ws: await freePort() };
    const url = `amqp://guest:guest@127.0.0.1:${ports.amqp}`;
    try {
      let broker = await spawnBroker({ dataDir, ports });
      await publishConfirmed(url, 0, COUNT);
      // A crash: no final checkpoint, the last segment holds every record.
      await broker.kill();

      const dir = join(dataDir, 'journal');
      const segs = readdirSync(dir).filter((f) => f.endsWith('.wjl') && statSync(join(dir, f)).size > HEADER).sort();
      const last = join(dir, segs[segs.length - 1]!);
      const bytes = readFileSync(last);
      const spans = records(bytes);
      assert.ok(spans.filter((r) => r.type === ENQUEUE).length === COUNT, 'every enqueue is in the last segment');
      // Damage somewhere in the second half of the records, inside a record.
      const victim = spans[Math.floor(spans.length / 2) + Math.floor(rand() * (spans.length / 2))]!;
      const at = victim.start + 1 + Math.floor(rand() * (victim.end - victim.start - 1));
      let damageStart = victim.start;
      switch (damage as Damage) {
        case 'truncate':
          truncateSync(last, at);
          break;
        case 'flip': {
          const b = Buffer.from(bytes);
          b[at] = b[at]! ^ (1 << Math.floor(rand() * 8));
          writeFileSync(last, b);
          break;
        }
        case 'zero-tail': {
          // From a record boundary half of the time (a torn append), else mid-record.
          const from = rand() < 0.5 ? victim.start : at;
          const b = Buffer.from(bytes);
          b.fill(0, from);
          writeFileSync(last, b);
          damageStart = victim.start;
          break;
        }
      }
      const expected = spans.filter((r) => r.type === ENQUEUE && r.end <= damageStart).length;
      const context = `seed ${seed}, ${damage} at byte ${at} of ${bytes.length} (record ${victim.start}..${victim.end}), expect ${expected} of ${COUNT}`;

      broker = await spawnBroker({ dataDir, ports });
      const ids = await readAll(url);
      assert.deepEqual(ids, Array.from({ length: expected }, (_, i) => i), `${context}: the messages before the damage, in order`);
      const log = broker.output();
      assert.match(log, /journal: dropped damaged tail of the last segment/, `${context}: the damage is logged`);
      assert.doesNotMatch(log, /"level":(50|60)/, `${context}: no error-level log`);

      // Still a working broker: new publishes land in a fresh segment and survive a crash.
      await publishConfirmed(url, 10_000, 50);
      await broker.kill();
      broker = await spawnBroker({ dataDir, ports });
      const after = await readAll(url);
      assert.deepEqual(after, Array.from({ length: 50 }, (_, i) => 10_000 + i), `${context}: publishes after the repair`);
      await broker.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
