/**
 * Issue 3 "Disk full", through a real broker and amqplib:
 * - the disk alarm: free space falls below `alarms.diskFreeLimit` (a ballast file takes
 *   it), the alarm sets, publishing connections get connection.blocked and are no longer
 *   read, a consuming connection keeps draining, nothing confirmed is lost; deleting the
 *   ballast clears the alarm, publishers get connection.unblocked and go on;
 * - a disk that fills up with no alarm to stop it (tmpfs, needs root): the journal gets
 *   ENOSPC, holds the confirms and retries; once space is freed every held publish is
 *   confirmed, and everything confirmed survives a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { openTestDisk } from './disk-space.js';

const MiB = 1024 * 1024;
const QUEUE = 'disk-q';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

interface Publisher {
  readonly conn: ChannelModel;
  readonly ch: ConfirmChannel;
  readonly events: string[];
  readonly confirmed: Set<string>;
  readonly nacked: Set<string>;
  sent: number;
  publish(size: number): void;
}

async function publisher(url: string): Promise<Publisher> {
  const conn = await connect(url);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(QUEUE, { durable: true });
  const p: Publisher = {
    conn,
    ch,
    events: [],
    confirmed: new Set(),
    nacked: new Set(),
    sent: 0,
    publish(size) {
      const id = `m${p.sent++}`;
      ch.publish('', QUEUE, Buffer.alloc(size, 0x42), { persistent: true, messageId: id }, (err) => (err ? p.nacked : p.confirmed).add(id));
    },
  };
  conn.on('blocked', (reason: string) => p.events.push(`blocked:${reason}`));
  conn.on('unblocked', () => p.events.push('unblocked'));
  return p;
}

/** Every message in the queue after a restart, by message id (counting duplicates). */
async function contents(b: TestBroker): Promise<Map<string, number>> {
  const conn = await connect(`amqp://guest:guest@127.0.0.1:${b.ports.amqp}`);
  try {
    const ch = await conn.createChannel();
    const seen = new Map<string, number>();
    for (;;) {
      const m = await ch.get(QUEUE, { noAck: true });
      if (m === false) return seen;
      const id = m.properties.messageId as string;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
  } finally {
    await conn.close();
  }
}

test('disk alarm: publishers blocked, consumers keep draining, nothing confirmed lost, publishing resumes when space is freed', { timeout: 120_000 }, async () => {
  const disk = openTestDisk(160);
  let b: TestBroker | undefined;
  try {
    // The limit sits 32 MiB below today's free space: a 64 MiB ballast crosses it.
    const limit = disk.freeBytes() - 32 * MiB;
    b = await startTestBroker({ dataDir: disk.dir, config: { store: { segmentSize: MiB }, alarms: { diskFreeLimit: limit, checkIntervalMs: 50 } } });
    const url = `amqp://guest:guest@127.0.0.1:${b.ports.amqp}`;
    const alarms = b.server().broker.alarms;
    const pub = await publisher(url);
    for (let i = 0; i < 300; i++) pub.publish(4096);
    await pub.ch.waitForConfirms();
    assert.equal(pub.confirmed.size, 300);
    assert.equal(alarms.active, false, 'no alarm with space to spare');

    // Take the space away.
    assert.ok(disk.addBallast('ballast', 64 * MiB) === 64 * MiB, 'ballast written');
    await waitFor(() => alarms.active, 10_000, 'the disk alarm');
    assert.deepEqual(alarms.list(), ['disk']);
    // A connection learns it is blocked when it next publishes (RabbitMQ's rule).
    while (pub.events.length === 0 && pub.sent < 5000) {
      pub.publish(4096);
      await sleep(5);
    }
    assert.match(pub.events[0] ?? '', /^blocked:/, 'amqplib got connection.blocked');

    // Blocked means not read: neither the queue nor the confirms move any more. (A
    // connection is suspended at its first publish during the alarm, which itself gets
    // through, as in RabbitMQ; so one more publish first.)
    const vh = b.server().broker.getVhost('/')!;
    pub.publish(4096);
    await sleep(300);
    const queued = vh.getQueue(QUEUE)!.messageCount;
    const confirmedWhileBlocked = pub.confirmed.size;
    for (let i = 0; i < 50; i++) pub.publish(4096);
    await sleep(500);
    assert.equal(vh.getQueue(QUEUE)!.messageCount, queued, 'no publish was read while blocked');
    assert.equal(pub.confirmed.size, confirmedWhileBlocked, 'no confirm while blocked');
    assert.equal(pub.nacked.size, 0);

    // A consuming connection is not blocked: it drains and acks.
    const sub = await connect(url);
    const sch = await sub.createChannel();
    const consumed: string[] = [];
    await sch.prefetch(10);
    await sch.consume(QUEUE, (m) => {
      if (m === null || consumed.length >= 100) return;
      consumed.push(m.properties.messageId as string);
      sch.ack(m);
    });
    await waitFor(() => consumed.length >= 100, 10_000, 'the consumer to drain 100 messages during the alarm');
    await sch.close();
    await sleep(100);
    assert.equal(vh.getQueue(QUEUE)!.messageCount, queued - 100, 'acks went through during the alarm');

    // Give the space back: the alarm clears, the publisher is unblocked, held publishes
    // are read and confirmed, and new ones go through.
    disk.removeBallast('ballast');
    await waitFor(() => !alarms.active, 10_000, 'the alarm to clear');
    await waitFor(() => pub.events.includes('unblocked'), 10_000, 'connection.unblocked');
    for (let i = 0; i < 300; i++) pub.publish(4096);
    await pub.ch.waitForConfirms();
    assert.equal(pub.confirmed.size, pub.sent, 'every publish confirmed after the alarm');
    assert.equal(pub.nacked.size, 0);
    await pub.conn.close();
    await sub.close();

    await b.restart();
    const seen = await contents(b);
    const gone = new Set(consumed);
    const lost = [...pub.confirmed].filter((id) => !seen.has(id) && !gone.has(id));
    const duplicated = [...seen.values()].filter((n) => n > 1).length;
    assert.deepEqual(lost, [], 'nothing confirmed is lost');
    assert.equal(duplicated, 0);
    assert.equal(seen.size, pub.confirmed.size - consumed.length);
    for (const id of consumed) assert.equal(seen.has(id), false, `acked ${id} stays gone`);
  } finally {
    await b?.stop();
    disk.cleanup();
  }
});

test('a disk that fills with no alarm: confirms are held while writes fail with ENOSPC, then sent once space is freed', { timeout: 120_000 }, async (t) => {
  const disk = openTestDisk(48);
  if (!disk.isolated) {
    disk.cleanup();
    // Filling the machine's real temp filesystem to the last byte is not something a test may do.
    t.skip('needs a private tmpfs (run as root)');
    return;
  }
  let b: TestBroker | undefined;
  try {
    b = await startTestBroker({ dataDir: disk.dir, config: { store: { segmentSize: MiB }, alarms: { diskFreeLimit: 0, checkIntervalMs: 50 } } });
    const url = `amqp://guest:guest@127.0.0.1:${b.ports.amqp}`;
    const pub = await publisher(url);
    for (let i = 0; i < 50; i++) pub.publish(1024);
    await pub.ch.waitForConfirms();
    assert.equal(pub.confirmed.size, 50);

    // Fill the filesystem to the last block.
    disk.addBallast('ballast', 1024 * MiB);
    assert.ok(disk.freeBytes() < MiB, `disk full (${disk.freeBytes()} bytes free)`);
    for (let i = 0; i < 40; i++) pub.publish(64 * 1024);
    await sleep(1000);
    assert.equal(pub.confirmed.size, 50, 'nothing is confirmed that could not be written');
    assert.equal(pub.nacked.size, 0);
    assert.equal(b.server().broker.alarms.active, false, 'no alarm was configured to stop the publisher');

    disk.removeBallast('ballast');
    await waitFor(() => pub.confirmed.size === 90, 20_000, 'the held confirms after space came back');
    for (let i = 0; i < 50; i++) pub.publish(1024);
    await pub.ch.waitForConfirms();
    assert.equal(pub.confirmed.size, 140);
    await pub.conn.close();

    await b.restart();
    const seen = await contents(b);
    assert.deepEqual(
      [...pub.confirmed].filter((id) => !seen.has(id)),
      [],
      'nothing confirmed is lost',
    );
    assert.equal(seen.size, 140);
    assert.equal([...seen.values()].filter((n) => n > 1).length, 0, 'no duplicates');
  } finally {
    await b?.stop();
    disk.cleanup();
  }
});
