/**
 * Issue 3's crash test: publishers with confirms over several durable queues while
 * the broker process is killed with SIGKILL at random moments, cycle after cycle;
 * then every message whose confirm arrived must be present (lost = 0). Duplicates are
 * counted and reported separately. One consumer acks part of one queue during the
 * cycles, so dequeue records are recovered too: a confirmed message whose ack was
 * not known to be stored may come back, one that was never acked must.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { freePort, spawnBroker, tempDataDir, type Ports } from '../../helpers/broker.js';

const CYCLES = Number(process.env.WHARF_CRASH_CYCLES ?? 20);
const QUEUES = ['crash-a', 'crash-b', 'crash-c'];
const PUBLISHERS = 3;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function publishUntilKilled(url: string, cycle: number, pub: number, confirmed: Set<string>, stop: { now: boolean }): Promise<void> {
  let conn: ChannelModel | undefined;
  try {
    conn = await connect(url);
    conn.on('error', () => {});
    const ch: ConfirmChannel = await conn.createConfirmChannel();
    ch.on('error', () => {});
    for (const q of QUEUES) await ch.assertQueue(q, { durable: true });
    let seq = 0;
    while (!stop.now) {
      // A window of 50 publishes, then wait for their confirms.
      for (let i = 0; i < 50; i++) {
        const q = QUEUES[(seq + pub) % QUEUES.length]!;
        const id = `${cycle}.${pub}.${seq++}`;
        ch.publish('', q, Buffer.from(id), { persistent: true, messageId: id }, (err) => {
          if (!err) confirmed.add(`${q}/${id}`);
        });
      }
      await ch.waitForConfirms();
    }
  } catch {
    // The broker was killed under us: expected.
  } finally {
    conn?.close().catch(() => {});
  }
}

async function ackSomeUntilKilled(url: string, acked: Set<string>, stop: { now: boolean }): Promise<void> {
  try {
    const conn = await connect(url);
    conn.on('error', () => {});
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    await ch.prefetch(20);
    await ch.consume(QUEUES[0]!, (m) => {
      if (!m || stop.now) return;
      // Ack every other message; recorded before the ack is sent, so "acked" means
      // "may be gone", never "must be present".
      if (Math.random() < 0.5) {
        acked.add(`${QUEUES[0]}/${m.properties.messageId as string}`);
        ch.ack(m);
      } else ch.nack(m, false, true);
    });
    while (!stop.now) await sleep(20);
  } catch {
    // killed
  }
}

test(`kill -9 during confirmed publishing, ${CYCLES} cycles: no confirmed message is lost`, { timeout: 600_000 }, async () => {
  const dataDir = tempDataDir('wharf-crash-');
  const ports: Ports = { amqp: await freePort(), mqtt: await freePort(), stomp: await freePort(), ws: await freePort() };
  const url = `amqp://guest:guest@127.0.0.1:${ports.amqp}`;
  const confirmed = new Set<string>();
  const acked = new Set<string>();
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const broker = await spawnBroker({ dataDir, ports });
    const stop = { now: false };
    const work = [
      ...Array.from({ length: PUBLISHERS }, (_, p) => publishUntilKilled(url, cycle, p, confirmed, stop)),
      ackSomeUntilKilled(url, acked, stop),
    ];
    await sleep(150 + Math.floor(Math.random() * 600));
    await broker.kill();
    stop.now = true;
    await Promise.all(work);
  }
  assert.ok(confirmed.size > 0, 'the publishers got confirms at all');

  const broker = await spawnBroker({ dataDir, ports });
  const seen = new Map<string, number>();
  try {
    const conn = await connect(url);
    const ch = await conn.createChannel();
    for (const q of QUEUES) {
      for (;;) {
        const m = await ch.get(q, { noAck: true });
        if (m === false) break;
        const key = `${q}/${m.properties.messageId as string}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    }
    await conn.close();
  } finally {
    await broker.stop();
  }
  const lost = [...confirmed].filter((k) => !seen.has(k) && !acked.has(k));
  const duplicates = [...seen.values()].filter((n) => n > 1).length;
  console.log(`crash test: ${CYCLES} cycles, ${confirmed.size} confirmed, ${acked.size} acked, ${seen.size} recovered, lost ${lost.length}, duplicated ${duplicates}`);
  assert.deepEqual(lost.slice(0, 10), [], `${lost.length} confirmed messages lost`);
  assert.equal(duplicates, 0, 'no message recovered twice');
});
