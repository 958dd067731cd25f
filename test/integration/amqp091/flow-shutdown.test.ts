/** connection.blocked / unblocked under a resource alarm, and the 320 close on server stop. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsumeMessage } from 'amqplib';
import { startTestBroker } from '../../helpers/broker.js';
import { channel, connect, sleep, spawnPy, waitFor, within } from './helpers.js';
import { RawAmqp } from './raw-amqp.js';

test('resource alarm: publishers get connection.blocked and are not read; consumers keep working', async () => {
  const b = await startTestBroker();
  try {
    const pub = await connect(b);
    const events: string[] = [];
    pub.on('blocked', (reason: string) => events.push(`blocked:${reason}`));
    pub.on('unblocked', () => events.push('unblocked'));
    const pch = await channel(pub);
    await pch.assertQueue('flow-q');
    const sub = await connect(b);
    const sch = await channel(sub);
    const got: ConsumeMessage[] = [];
    await sch.consume('flow-q', (m) => m && got.push(m));

    const subEvents: string[] = [];
    sub.on('blocked', () => subEvents.push('blocked'));

    b.server().broker.alarms.setAlarm('test', true);
    await sleep(50);
    // not a publishing connection yet: RabbitMQ tells publishing connections only
    assert.deepEqual(events, []);
    for (let i = 0; i < 5; i++) pch.sendToQueue('flow-q', Buffer.from(`m${i}`));
    await waitFor(() => events.length === 1, 5000, 'connection.blocked');
    assert.deepEqual(events, ['blocked:low on test']);
    await sleep(200);
    // RabbitMQ blocks a connection once it publishes: at most the first publish got through.
    assert.ok(got.length <= 1, `got ${got.length} while blocked`);
    // a consuming connection is not blocked: it can still ack and declare
    for (const m of got) sch.ack(m);
    await sch.checkQueue('flow-q');

    b.server().broker.alarms.setAlarm('test', false);
    await waitFor(() => got.length === 5, 5000, 'publishes after unblock');
    assert.deepEqual(events, ['blocked:low on test', 'unblocked']);
    assert.deepEqual(got.map((m) => m.content.toString()), ['m0', 'm1', 'm2', 'm3', 'm4']);
    assert.deepEqual(subEvents, [], 'a consuming connection is never blocked');
    // a connection that has published is told as soon as the next alarm fires
    b.server().broker.alarms.setAlarm('test', true);
    await waitFor(() => events.length === 3, 5000, 'second connection.blocked');
    b.server().broker.alarms.setAlarm('test', false);
    await waitFor(() => events.length === 4, 5000, 'second connection.unblocked');
    assert.deepEqual(events.slice(2), ['blocked:low on test', 'unblocked']);
    await pub.close();
    await sub.close();
  } finally {
    await b.stop();
  }
});

test('server stop closes connections with 320 CONNECTION_FORCED', async () => {
  const b = await startTestBroker();
  const c = await connect(b);
  await channel(c);
  const raw = await RawAmqp.handshake(b.ports.amqp);
  // amqplib treats 320 as non-fatal: it reports it with 'close', not 'error'
  const closed = new Promise<Error & { code?: number }>((r) => c.on('close', (err: Error) => r(err)));
  await b.stop();
  const e = await within(closed, 5000, 'amqplib close');
  assert.equal(e.code, 320);
  assert.match(e.message, /CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'/);
  const m = await raw.expectMethod('connection.close');
  assert.ok(m.name === 'connection.close');
  assert.equal(m.replyCode, 320);
  assert.equal(m.replyText, "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'");
  raw.destroy();
});

test('pika sees connection.blocked too', async () => {
  const b = await startTestBroker();
  try {
    const p = spawnPy('blocked.py', ['127.0.0.1', String(b.ports.amqp)]);
    await p.waitFor('READY');
    b.server().broker.alarms.setAlarm('test', true);
    const r = await p.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /BLOCKED low on test/);
  } finally {
    b.server().broker.alarms.setAlarm('test', false);
    await b.stop();
  }
});

test('a blocked publisher is not dropped for missed heartbeats while we do not read it', async () => {
  const b = await startTestBroker();
  try {
    const pub = await connect(b, '?heartbeat=1');
    const pch = await channel(pub);
    await pch.assertQueue('hb-flow');
    b.server().broker.alarms.setAlarm('test', true);
    pch.sendToQueue('hb-flow', Buffer.from('1'));
    pch.sendToQueue('hb-flow', Buffer.from('2'));
    await sleep(3000); // three heartbeat periods without being read
    b.server().broker.alarms.setAlarm('test', false);
    const sub = await connect(b);
    const sch = await channel(sub);
    let count = 0;
    for (let i = 0; i < 100 && count < 2; i++) {
      count = (await sch.checkQueue('hb-flow')).messageCount;
      if (count < 2) await sleep(20);
    }
    assert.equal(count, 2);
    assert.deepEqual(pub.errors, []);
    await pub.close();
    await sub.close();
  } finally {
    await b.stop();
  }
});
