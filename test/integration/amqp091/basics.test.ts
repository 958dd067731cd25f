/** Everyday operations through amqplib: large bodies, purge/delete conditions, headers exchange, durability, update-secret. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ConsumeMessage, GetMessage } from 'amqplib';
import { useSharedBroker, startTestBroker } from '../../helpers/broker.js';
import { channel, confirmChannel, connect, errorOf, sleep, waitFor } from './helpers.js';
import { RawAmqp } from './raw-amqp.js';

const b = useSharedBroker();

test('bodies larger than frame_max travel in several body frames, both ways', async () => {
  const c = await connect(b, '?frameMax=4096');
  const ch = await channel(c);
  await ch.assertQueue('big-body');
  const bodies = [randomBytes(1), randomBytes(4088), randomBytes(4089), randomBytes(1 << 20)];
  for (const body of bodies) ch.sendToQueue('big-body', body);
  const got: Buffer[] = [];
  await ch.consume('big-body', (m) => m && got.push(m.content), { noAck: true });
  await waitFor(() => got.length === bodies.length, 10000, 'all bodies');
  got.forEach((g, i) => assert.ok(g.equals(bodies[i]!), `body ${i} intact`));
  await c.close();
});

test('properties round-trip through the broker unchanged', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('props');
  const ts = Math.floor(Date.now() / 1000);
  ch.sendToQueue('props', Buffer.from('p'), {
    contentType: 'application/json',
    contentEncoding: 'gzip',
    headers: { s: 'str', n: 42, big: 2 ** 40, f: 1.5, b: true, nested: { a: [1, 'two'] }, nil: null },
    deliveryMode: 2,
    priority: 4,
    correlationId: 'corr',
    replyTo: 'rq',
    expiration: '60000',
    messageId: 'mid',
    timestamp: ts,
    type: 'kind',
    userId: 'guest',
    appId: 'app',
  });
  await sleep(30);
  const m = (await ch.get('props', { noAck: true })) as GetMessage;
  const p = m.properties;
  assert.equal(p.contentType, 'application/json');
  assert.equal(p.contentEncoding, 'gzip');
  assert.deepEqual(p.headers, { s: 'str', n: 42, big: 2 ** 40, f: 1.5, b: true, nested: { a: [1, 'two'] }, nil: null });
  assert.equal(p.deliveryMode, 2);
  assert.equal(p.priority, 4);
  assert.equal(p.correlationId, 'corr');
  assert.equal(p.replyTo, 'rq');
  assert.equal(p.expiration, '60000');
  assert.equal(p.messageId, 'mid');
  assert.equal(p.timestamp, ts);
  assert.equal(p.type, 'kind');
  assert.equal(p.userId, 'guest');
  assert.equal(p.appId, 'app');
  // a user_id that is not the connection's user is refused
  ch.sendToQueue('props', Buffer.from('x'), { userId: 'mallory' });
  await waitFor(() => ch.closeError !== undefined, 5000, 'channel error');
  assert.match(String(ch.closeError?.message), /user_id property set to 'mallory' but authenticated user was 'guest'/);
  await c.close();
});

test('queue.purge, delete if-empty / if-unused, exchange.delete if-unused', async () => {
  const c = await connect(b);
  let ch = await channel(c);
  await ch.assertQueue('pd');
  for (let i = 0; i < 3; i++) ch.sendToQueue('pd', Buffer.from('x'));
  await sleep(30);
  assert.equal((await ch.purgeQueue('pd')).messageCount, 3);
  ch.sendToQueue('pd', Buffer.from('y'));
  await sleep(20);
  const e1 = await errorOf(ch.deleteQueue('pd', { ifEmpty: true }));
  assert.equal(e1.code, 406);
  ch = await channel(c);
  await ch.consume('pd', () => {}, { noAck: true });
  const e2 = await errorOf(ch.deleteQueue('pd', { ifUnused: true }));
  assert.equal(e2.code, 406);
  ch = await channel(c);
  assert.equal((await ch.deleteQueue('pd')).messageCount, 0);
  await ch.assertExchange('xd', 'direct');
  await ch.assertQueue('xdq');
  await ch.bindQueue('xdq', 'xd', 'k');
  const e3 = await errorOf(ch.deleteExchange('xd', { ifUnused: true }));
  assert.equal(e3.code, 406);
  ch = await channel(c);
  await ch.deleteExchange('xd');
  await ch.deleteQueue('xdq');
  await c.close();
});

test('headers exchange (x-match all / any)', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertExchange('hx', 'headers');
  await ch.assertQueue('h-all');
  await ch.assertQueue('h-any');
  await ch.bindQueue('h-all', 'hx', '', { 'x-match': 'all', format: 'pdf', type: 'report' });
  await ch.bindQueue('h-any', 'hx', '', { 'x-match': 'any', format: 'pdf', type: 'report' });
  ch.publish('hx', '', Buffer.from('both'), { headers: { format: 'pdf', type: 'report' } });
  ch.publish('hx', '', Buffer.from('one'), { headers: { format: 'pdf', type: 'log' } });
  await sleep(50);
  const all = await ch.get('h-all', { noAck: true });
  assert.ok(all !== false && all.content.toString() === 'both');
  assert.equal(await ch.get('h-all', { noAck: true }), false);
  assert.equal((await ch.checkQueue('h-any')).messageCount, 2);
  await c.close();
});

test('exclusive consumer: a second consumer is refused with 403', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('excl-cons');
  await ch.consume('excl-cons', () => {}, { exclusive: true });
  const ch2 = await channel(c);
  const e = await errorOf(ch2.consume('excl-cons', () => {}));
  assert.equal(e.code, 403);
  assert.match(e.message, /in exclusive use/);
  await c.close();
});

test('confirmed persistent messages survive a broker restart', async () => {
  const local = await startTestBroker();
  try {
    let c = await connect(local);
    const ch = await confirmChannel(c);
    await ch.assertQueue('durable-q', { durable: true });
    for (let i = 0; i < 50; i++) ch.sendToQueue('durable-q', Buffer.from(`d${i}`), { persistent: true });
    ch.sendToQueue('durable-q', Buffer.from('transient'), { persistent: false });
    await ch.waitForConfirms();
    await c.close();
    await local.restart();
    c = await connect(local);
    const ch2 = await channel(c);
    const got: ConsumeMessage[] = [];
    await ch2.consume('durable-q', (m) => m && got.push(m), { noAck: true });
    await waitFor(() => got.length === 50, 5000, 'recovered messages');
    assert.deepEqual(got.map((m) => m.content.toString()), Array.from({ length: 50 }, (_, i) => `d${i}`));
    await c.close();
  } finally {
    await local.stop();
  }
});

test('connection.update-secret (RabbitMQ extension)', async () => {
  const c = await connect(b);
  await c.updateSecret(Buffer.from('guest'), 'rotation');
  const ch = await channel(c);
  await ch.checkExchange('amq.direct');
  await c.close();
  // Wharf re-checks the new secret; a wrong one is refused with RabbitMQ's text for a
  // refusing backend (RabbitMQ's internal backend would accept any secret).
  const raw = await RawAmqp.handshake(b.ports.amqp);
  raw.method(0, 'connection.update-secret', { newSecret: Buffer.from('wrong'), reason: 'rotation' });
  const m = await raw.nextMethodArgs();
  assert.ok(m.name === 'connection.close', m.name);
  assert.equal(m.replyCode, 530);
  assert.equal(m.replyText, 'NOT_ALLOWED - New secret was refused by one of the backends');
  raw.destroy();
});

test('messages from other protocols: long header names are cut, unencodable ones dropped, the consumer keeps going', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('foreign');
  const got: Array<{ body: string; keys: string[] }> = [];
  await ch.consume('foreign', (m) => m && got.push({ body: m.content.toString(), keys: Object.keys(m.properties.headers ?? {}) }), { noAck: false });
  // Published straight into the core, as another protocol could.
  const vhost = b.server().broker.getVhost('/')!;
  const principal = { user: { name: 'guest', tags: [] }, connectionId: 987654321 as never };
  vhost.publish(principal, '', 'foreign', { headers: { ['h'.repeat(300)]: 'v' } }, Buffer.from('long-name'), { mandatory: false });
  vhost.publish(principal, '', 'foreign', { headers: { huge: 2n ** 70n } }, Buffer.from('unencodable'), { mandatory: false });
  ch.sendToQueue('foreign', Buffer.from('next'));
  await waitFor(() => got.length === 2, 5000, 'two deliveries');
  await sleep(30);
  assert.deepEqual(got.map((g) => g.body), ['long-name', 'next']);
  assert.deepEqual(got[0]!.keys, ['h'.repeat(255)]);
  // the dropped one was settled, not left unacked in the queue
  const q = await ch.checkQueue('foreign');
  assert.equal(q.messageCount, 0);
  await c.close();
});
