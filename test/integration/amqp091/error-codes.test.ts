/** One test per AMQP 0-9-1 reply code as amqplib clients see them (soft: channel, hard: connection). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSharedBroker } from '../../helpers/broker.js';
import { channel, connect, errorOf, waitFor, within } from './helpers.js';
import { RawAmqp } from './raw-amqp.js';

const b = useSharedBroker({ config: { limits: { amqp091: { maxMessageSize: 1024 } } } });

test('404 NOT_FOUND closes the channel, the connection lives on', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  const e = await errorOf(ch.checkQueue('no-such-queue'));
  assert.equal(e.code, 404);
  assert.match(e.message, /NOT_FOUND - no queue 'no-such-queue' in vhost '\/'/);
  const ch2 = await channel(c);
  const e2 = await errorOf(ch2.assertExchange('no-such-x', 'direct', { durable: true }).then(() => ch2.bindQueue('nope', 'no-such-x', '')));
  assert.equal(e2.code, 404);
  const ch3 = await channel(c);
  ch3.publish('missing-exchange', 'k', Buffer.from('x'));
  await waitFor(() => ch3.closeError !== undefined, 5000, 'publish to a missing exchange');
  assert.match(String(ch3.closeError?.message), /404 \(NOT-FOUND\) with message "NOT_FOUND - no exchange 'missing-exchange' in vhost '\/'"/);
  const ok = await channel(c);
  await ok.checkExchange('amq.fanout');
  await c.close();
});

test('406 PRECONDITION_FAILED: inequivalent redeclare', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('ineq', { durable: true });
  const e = await errorOf(ch.assertQueue('ineq', { durable: false }));
  assert.equal(e.code, 406);
  assert.match(e.message, /PRECONDITION_FAILED - inequivalent arg 'durable' for queue 'ineq' in vhost '\/'/);
  const ch2 = await channel(c);
  await ch2.assertExchange('ineq-x', 'direct');
  const e2 = await errorOf(ch2.assertExchange('ineq-x', 'fanout'));
  assert.equal(e2.code, 406);
  assert.match(e2.message, /inequivalent arg 'type' for exchange 'ineq-x'/);
  const ch3 = await channel(c);
  await ch3.deleteQueue('ineq');
  await c.close();
});

test('406: message larger than the configured max size', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('big');
  ch.sendToQueue('big', Buffer.alloc(2048));
  await waitFor(() => ch.closeError !== undefined, 5000, 'channel error');
  assert.match(String(ch.closeError?.message), /PRECONDITION_FAILED - message size 2048 is larger than configured max size 1024/);
  const ch2 = await channel(c);
  assert.equal((await ch2.checkQueue('big')).messageCount, 0);
  await c.close();
});

test('405 RESOURCE_LOCKED: exclusive queue of another connection', async () => {
  const c1 = await connect(b);
  const c2 = await connect(b);
  const ch1 = await channel(c1);
  await ch1.assertQueue('locked', { exclusive: true });
  const ch2 = await channel(c2);
  const e = await errorOf(ch2.consume('locked', () => {}));
  assert.equal(e.code, 405);
  assert.match(e.message, /RESOURCE_LOCKED - cannot obtain exclusive access to locked queue 'locked' in vhost '\/'/);
  await c1.close();
  await c2.close();
});

test('403 ACCESS_REFUSED: reserved amq. names and the default exchange', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  const e = await errorOf(ch.assertExchange('amq.mine', 'direct'));
  assert.equal(e.code, 403);
  assert.match(e.message, /ACCESS_REFUSED - exchange name 'amq.mine' contains reserved prefix 'amq\.\*'/);
  const ch2 = await channel(c);
  const e2 = await errorOf(ch2.assertQueue('amq.q'));
  assert.equal(e2.code, 403);
  assert.match(e2.message, /queue name 'amq.q' contains reserved prefix 'amq\.\*'/);
  const ch3 = await channel(c);
  await ch3.assertQueue('q403');
  const e3 = await errorOf(ch3.bindQueue('q403', '', 'k'));
  assert.equal(e3.code, 403);
  assert.match(e3.message, /operation not permitted on the default exchange/);
  await c.close();
});

test('530 NOT_ALLOWED: reusing a consumer tag closes the connection', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('tags');
  await ch.consume('tags', () => {}, { consumerTag: 'mine' });
  const closed = new Promise<void>((r) => c.on('close', () => r()));
  await errorOf(ch.consume('tags', () => {}, { consumerTag: 'mine' }));
  await within(closed, 5000, 'connection close');
  const e = c.errors[0] as Error & { code?: number };
  assert.equal(e.code, 530);
  assert.match(e.message, /NOT_ALLOWED - attempt to reuse consumer tag 'mine'/);
});

test('503 COMMAND_INVALID: unknown exchange type closes the connection', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  const closed = new Promise<void>((r) => c.on('close', () => r()));
  await errorOf(ch.assertExchange('weird', 'x-unknown-type'));
  await within(closed, 5000, 'connection close');
  const e = c.errors[0] as Error & { code?: number };
  assert.equal(e.code, 503);
  assert.match(e.message, /COMMAND_INVALID - unknown exchange type 'x-unknown-type'/);
});

test('540 NOT_IMPLEMENTED: prefetch_size and immediate', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  const closed = new Promise<void>((r) => c.on('close', () => r()));
  // amqplib only sends prefetchSize 0; drive basic.qos directly through its RPC primitive
  await errorOf(new Promise((res, rej) => {
    const chAny = ch as unknown as { _rpc(method: number, fields: object, expect: number, cb: (err: unknown, r: unknown) => void): void };
    chAny._rpc(0x003c000a, { prefetchSize: 10, prefetchCount: 1, global: false }, 0x003c000b, (err, r) => (err ? rej(err) : res(r)));
  }));
  await within(closed, 5000, 'connection close');
  const e = c.errors[0] as Error & { code?: number };
  assert.equal(e.code, 540);
  assert.match(e.message, /NOT_IMPLEMENTED - prefetch_size!=0 \(10\)/);
  // amqplib always sends immediate=false: use a raw client for immediate=true
  const raw = await RawAmqp.handshake(b.ports.amqp);
  raw.method(1, 'channel.open', {});
  await raw.expectMethod('channel.open-ok');
  raw.encoder().content(1, 'basic.publish', { exchange: 'amq.direct', routingKey: 'k', immediate: true }, {}, Buffer.from('x'));
  raw.encoder().flush();
  const close = await raw.expectMethod('connection.close');
  assert.ok(close.name === 'connection.close');
  assert.equal(close.replyCode, 540);
  assert.equal(close.replyText, 'NOT_IMPLEMENTED - immediate=true');
  assert.equal(close.classId, 60);
  assert.equal(close.methodId, 40);
  raw.destroy();
});

type RpcChannel = { _rpc(method: number, fields: object, expect: number, cb: (err: unknown, r: unknown) => void): void };
const rpc = (ch: unknown, method: number, fields: object, expect: number): Promise<unknown> =>
  new Promise((res, rej) => (ch as RpcChannel)._rpc(method, fields, expect, (err, r) => (err ? rej(err) : res(r))));

test('540 NOT_IMPLEMENTED: channel.flow active=false and basic.recover requeue=false (as RabbitMQ)', async () => {
  for (const [method, fields, expect, text] of [
    [0x00140014, { active: false }, 0x00140015, 'NOT_IMPLEMENTED - active=false'],
    [0x003c006e, { requeue: false }, 0x003c006f, 'NOT_IMPLEMENTED - requeue=false'],
  ] as const) {
    const c = await connect(b);
    const ch = await channel(c);
    const closed = new Promise<void>((r) => c.on('close', () => r()));
    await errorOf(rpc(ch, method, fields, expect));
    await within(closed, 5000, 'connection close');
    const e = c.errors[0] as Error & { code?: number };
    assert.equal(e.code, 540);
    assert.ok(e.message.includes(text), e.message);
  }
  // the accepted forms answer normally
  const c = await connect(b);
  const ch = await channel(c);
  assert.deepEqual(((await rpc(ch, 0x00140014, { active: true }, 0x00140015)) as { fields: unknown }).fields, { active: true });
  await ch.recover();
  await c.close();
});

test('541 INTERNAL_ERROR: an exception inside the broker closes only that connection', async () => {
  const vhost = b.server().broker.getVhost('/')!;
  const bystander = await connect(b);
  const bch = await channel(bystander);
  await bch.assertQueue('bystander');
  const got: string[] = [];
  await bch.consume('bystander', (m) => m && got.push(m.content.toString()), { noAck: true });
  const original = vhost.purgeQueue;
  // A broker bug, simulated: the core throws something that is not a BrokerError.
  vhost.purgeQueue = function (this: typeof vhost, p, name) {
    if (name === 'boom') throw new TypeError('simulated bug');
    return original.call(this, p, name);
  };
  try {
    const c = await connect(b);
    const ch = await channel(c);
    await ch.assertQueue('boom');
    const closed = new Promise<void>((r) => c.on('close', () => r()));
    await errorOf(ch.purgeQueue('boom'));
    await within(closed, 5000, 'connection close');
    const e = c.errors[0] as Error & { code?: number };
    assert.equal(e.code, 541);
    assert.match(e.message, /INTERNAL_ERROR/);
  } finally {
    vhost.purgeQueue = original;
  }
  // the other connection never noticed
  bch.sendToQueue('bystander', Buffer.from('still here'));
  await waitFor(() => got.length === 1, 5000, 'delivery to the bystander');
  assert.deepEqual(got, ['still here']);
  assert.deepEqual(bystander.errors, []);
  await bystander.close();
});
