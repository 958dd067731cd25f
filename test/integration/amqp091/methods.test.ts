/**
 * The methods no client library test reaches otherwise: access.request, basic.recover-async,
 * the nowait forms, queue.unbind, cancel of an unknown tag, and server-only methods sent
 * by a client. Expected answers were checked against RabbitMQ 3.10.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MethodName } from '../../../src/codecs/amqp091/index.js';
import { useSharedBroker } from '../../helpers/broker.js';
import { channel, connect, sleep } from './helpers.js';
import { RawAmqp } from './raw-amqp.js';

const b = useSharedBroker();

async function openChannel(): Promise<RawAmqp> {
  const c = await RawAmqp.handshake(b.ports.amqp);
  c.method(1, 'channel.open', {});
  await c.expectMethod('channel.open-ok');
  return c;
}

/** A synchronous method whose reply proves everything before it was handled without a reply. */
async function ping(c: RawAmqp): Promise<void> {
  c.method(1, 'basic.qos', { prefetchSize: 0, prefetchCount: 0, global: false });
  await c.expectMethod('basic.qos-ok');
}

test('access.request is answered with a ticket (deprecated, as RabbitMQ)', async () => {
  const c = await openChannel();
  c.method(1, 'access.request', { realm: '/data', exclusive: false, passive: true, active: true, write: true, read: true });
  const m = await c.nextMethodArgs();
  assert.ok(m.name === 'access.request-ok');
  assert.equal(m.ticket, 1);
  c.destroy();
});

test('nowait forms get no reply but take effect', async () => {
  const c = await openChannel();
  c.method(1, 'exchange.declare', { exchange: 'nw-x', type: 'fanout', nowait: true });
  c.method(1, 'queue.declare', { queue: 'nw-q', nowait: true });
  c.method(1, 'queue.bind', { queue: 'nw-q', exchange: 'nw-x', routingKey: '', nowait: true });
  c.method(1, 'exchange.declare', { exchange: 'nw-x2', type: 'direct', nowait: true });
  c.method(1, 'exchange.bind', { destination: 'nw-x2', source: 'nw-x', routingKey: '', nowait: true });
  c.method(1, 'confirm.select', { nowait: true });
  await ping(c); // the first reply is qos-ok: nothing above answered
  c.encoder().content(1, 'basic.publish', { exchange: 'nw-x', routingKey: '' }, {}, Buffer.from('through nowait bindings'));
  c.encoder().flush();
  const ack = await c.nextMethodArgs();
  assert.ok(ack.name === 'basic.ack', `confirm mode is on: ${ack.name}`);
  c.method(1, 'basic.consume', { queue: 'nw-q', consumerTag: 'nw-tag', noAck: true, nowait: true });
  const d = await c.nextMethodArgs();
  assert.ok(d.name === 'basic.deliver', d.name);
  assert.equal(d.consumerTag, 'nw-tag');
  c.method(1, 'basic.cancel', { consumerTag: 'nw-tag', nowait: true });
  c.method(1, 'exchange.unbind', { destination: 'nw-x2', source: 'nw-x', routingKey: '', nowait: true });
  c.method(1, 'queue.purge', { queue: 'nw-q', nowait: true });
  c.method(1, 'queue.delete', { queue: 'nw-q', nowait: true });
  c.method(1, 'exchange.delete', { exchange: 'nw-x2', nowait: true });
  c.method(1, 'exchange.delete', { exchange: 'nw-x', nowait: true });
  await ping(c);
  c.method(1, 'queue.declare', { queue: 'nw-q', passive: true });
  const gone = await c.nextMethodArgs();
  assert.ok(gone.name === 'channel.close');
  assert.equal(gone.replyCode, 404);
  c.destroy();
});

test('queue.unbind stops routing through that binding (amqplib)', async () => {
  const conn = await connect(b);
  const ch = await channel(conn);
  await ch.assertQueue('ub-q');
  await ch.bindQueue('ub-q', 'amq.direct', 'ub');
  ch.publish('amq.direct', 'ub', Buffer.from('bound'));
  await sleep(30);
  await ch.unbindQueue('ub-q', 'amq.direct', 'ub');
  ch.publish('amq.direct', 'ub', Buffer.from('unbound'));
  await sleep(30);
  const m = await ch.get('ub-q', { noAck: true });
  assert.ok(m !== false && m.content.toString() === 'bound');
  assert.equal(await ch.get('ub-q', { noAck: true }), false);
  // unbinding a binding that does not exist succeeds (RabbitMQ 3.x)
  await ch.unbindQueue('ub-q', 'amq.direct', 'never-bound');
  await conn.close();
});

test('basic.recover-async redelivers without a reply; cancel of an unknown tag is answered', async () => {
  const c = await openChannel();
  c.method(1, 'queue.declare', { queue: 'ra-q', exclusive: true });
  await c.expectMethod('queue.declare-ok');
  c.encoder().content(1, 'basic.publish', { exchange: '', routingKey: 'ra-q' }, {}, Buffer.from('x'));
  c.encoder().flush();
  c.method(1, 'basic.consume', { queue: 'ra-q', consumerTag: 'ra' });
  await c.expectMethod('basic.consume-ok');
  const first = await c.nextMethodArgs();
  assert.ok(first.name === 'basic.deliver' && first.redelivered === false);
  c.method(1, 'basic.recover-async', { requeue: true });
  const again = await c.nextMethodArgs();
  assert.ok(again.name === 'basic.deliver', again.name);
  assert.equal(again.redelivered, true);
  c.method(1, 'basic.cancel', { consumerTag: 'no-such-tag' });
  const ok = await c.nextMethodArgs();
  assert.ok(ok.name === 'basic.cancel-ok');
  assert.equal(ok.consumerTag, 'no-such-tag');
  c.destroy();
});

test('server-only methods from a client: 503 unimplemented, content methods after their content', async () => {
  const cases: Array<[MethodName, object]> = [
    ['queue.declare-ok', { queue: 'x', messageCount: 0, consumerCount: 0 }],
    ['connection.tune-ok', { channelMax: 1, frameMax: 4096, heartbeat: 0 }],
    ['basic.consume-ok', { consumerTag: 'x' }],
  ];
  for (const [name, args] of cases) {
    const c = await openChannel();
    c.method(1, name, args as never);
    const m = await c.nextMethodArgs();
    assert.ok(m.name === 'connection.close');
    assert.equal(m.replyCode, 503, `${name}: ${m.replyText}`);
    assert.equal(m.replyText, 'COMMAND_INVALID - unimplemented method');
    c.destroy();
  }
  // basic.deliver carries content: a method frame next is 505, as RabbitMQ
  let c = await openChannel();
  c.method(1, 'basic.deliver', { consumerTag: 'x', deliveryTag: 1, redelivered: false, exchange: '', routingKey: 'k' });
  c.method(1, 'basic.qos', { prefetchSize: 0, prefetchCount: 0, global: false });
  const m = await c.nextMethodArgs();
  assert.ok(m.name === 'connection.close');
  assert.equal(m.replyCode, 505);
  assert.equal(m.replyText, 'UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead');
  assert.deepEqual([m.classId, m.methodId], [60, 60], 'names basic.deliver, as RabbitMQ');
  c.destroy();
  // with its content it is 503 like the others
  c = await openChannel();
  c.encoder().content(1, 'basic.deliver', { consumerTag: 'x', deliveryTag: 1, redelivered: false, exchange: '', routingKey: 'k' }, {}, Buffer.from('b'));
  c.encoder().flush();
  const close = await c.nextMethodArgs();
  assert.ok(close.name === 'connection.close');
  assert.equal(close.replyCode, 503);
  assert.equal(close.classId, 60);
  assert.equal(close.methodId, 60);
  c.destroy();
});

test('a channel method on channel 0 is 504 (unexpected method in connection state running)', async () => {
  const c = await RawAmqp.handshake(b.ports.amqp);
  c.method(0, 'channel.open', {});
  const m = await c.nextMethodArgs();
  assert.ok(m.name === 'connection.close');
  assert.equal(m.replyCode, 504);
  assert.equal(m.replyText, 'CHANNEL_ERROR - unexpected method in connection state running');
  c.destroy();
});

test('client-initiated channel.close and connection.close are answered with close-ok', async () => {
  const c = await openChannel();
  c.method(1, 'channel.close', { replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 });
  await c.expectMethod('channel.close-ok');
  c.method(0, 'connection.close', { replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 });
  await c.expectMethod('connection.close-ok');
  await c.waitClosed();
});
