import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Timestamp, type FieldTable } from '../../../src/core/message.js';
import { FakeSink, drain, eventually, publish, q, startCore } from './helpers.js';

test('x-message-ttl: expired messages are dead-lettered with reason expired and x-death', async () => {
  const t = await startCore();
  t.vh.declareExchange(t.p, 'dlx', 'fanout', { durable: false, autoDelete: false, internal: false, arguments: {} }, false);
  t.vh.declareQueue(t.p, 'dead', q(), false);
  t.vh.bind(t.p, { source: 'dlx', destinationKind: 'queue', destination: 'dead', routingKey: '', arguments: {} });
  t.vh.declareQueue(t.p, 'ttl', q({ arguments: { 'x-message-ttl': 300, 'x-dead-letter-exchange': 'dlx' } }), false);
  publish(t, '', 'ttl', 'old', { expiration: '60000', headers: { keep: 'me' } });
  assert.equal(t.vh.getQueue('ttl')?.messageCount, 1);
  await eventually(() => t.vh.getQueue('dead')?.messageCount === 1);
  assert.equal(t.vh.getQueue('ttl')?.messageCount, 0);
  const d = t.vh.get(t.p, 'dead', true);
  assert.ok(d);
  const h = d.message.properties.headers as FieldTable;
  assert.equal(h['keep'], 'me');
  assert.equal(d.message.properties.expiration, undefined, 'expiration is removed');
  const deaths = h['x-death'] as FieldTable[];
  assert.equal(deaths.length, 1);
  const x = deaths[0] as FieldTable;
  assert.equal(x['count'], 1n);
  assert.equal(x['reason'], 'expired');
  assert.equal(x['queue'], 'ttl');
  assert.equal(x['exchange'], '');
  assert.deepEqual(x['routing-keys'], ['ttl']);
  assert.equal(x['original-expiration'], '60000');
  assert.ok(x['time'] instanceof Timestamp);
  assert.equal(h['x-first-death-reason'], 'expired');
  assert.equal(h['x-first-death-queue'], 'ttl');
  assert.equal(h['x-first-death-exchange'], '');
  assert.equal(d.message.exchange, 'dlx');
  assert.equal(d.message.routingKey, 'ttl');
  await t.broker.close();
});

test('per-message expiration expires at the head; TTL 0 goes to a ready consumer', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'pm', q(), false);
  publish(t, '', 'pm', 'short', { expiration: '10' });
  publish(t, '', 'pm', 'forever');
  await eventually(() => t.vh.getQueue('pm')?.messageCount === 1);
  assert.deepEqual(drain(t, 'pm'), ['forever']);
  // TTL 0 with no consumer: gone at once. With a consumer: delivered.
  publish(t, '', 'pm', 'zero', { expiration: '0' });
  await eventually(() => t.vh.getQueue('pm')?.messageCount === 0);
  const sink = new FakeSink();
  t.vh.consume(t.p, 'pm', sink, { tag: 'c', noAck: true, exclusive: false, priority: 0, arguments: {} });
  publish(t, '', 'pm', 'zero2', { expiration: '0' });
  assert.deepEqual(sink.bodies(), ['zero2']);
  await t.broker.close();
});

test('reject without requeue dead-letters with reason rejected and x-dead-letter-routing-key', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'dlq', q(), false);
  t.vh.declareQueue(t.p, 'src', q({ arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq' } }), false);
  publish(t, '', 'src', 'bad');
  const d = t.vh.get(t.p, 'src', false);
  assert.ok(d);
  t.vh.settle('src', d.tag, { kind: 'reject', requeue: false });
  const dl = t.vh.get(t.p, 'dlq', true);
  assert.equal(dl?.message.body.toString(), 'bad');
  assert.equal(dl?.message.routingKey, 'dlq');
  const x = (dl?.message.properties.headers?.['x-death'] as FieldTable[])[0] as FieldTable;
  assert.equal(x['reason'], 'rejected');
  assert.deepEqual(x['routing-keys'], ['src']);
  assert.equal(x['original-expiration'], undefined);
  await t.broker.close();
});

test('x-death: same queue and reason increments count and moves to the front', async () => {
  const t = await startCore();
  // a -> (reject) -> b -> (reject) -> a -> (reject) -> b : rejections never count as cycles.
  t.vh.declareQueue(t.p, 'a', q({ arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'b' } }), false);
  t.vh.declareQueue(t.p, 'b', q({ arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'a' } }), false);
  publish(t, '', 'a', 'ping');
  const hop = (from: string) => {
    const d = t.vh.get(t.p, from, false);
    assert.ok(d, `message in ${from}`);
    t.vh.settle(from, d.tag, { kind: 'reject', requeue: false });
  };
  hop('a');
  hop('b');
  hop('a');
  const d = t.vh.get(t.p, 'b', true);
  assert.ok(d);
  const deaths = d.message.properties.headers?.['x-death'] as FieldTable[];
  assert.deepEqual(
    deaths.map((x) => [x['queue'], x['count']]),
    [
      ['a', 2n],
      ['b', 1n],
    ],
  );
  assert.equal(d.message.properties.headers?.['x-first-death-queue'], 'a');
  await t.broker.close();
});

test('automatic dead-letter cycles are dropped (expired into itself)', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'self', q({ arguments: { 'x-message-ttl': 5, 'x-dead-letter-exchange': '' } }), false);
  publish(t, '', 'self', 'loop');
  await eventually(() => t.vh.getQueue('self')?.messageCount === 0);
  // Dropped, not cycling forever: still empty a bit later.
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(t.vh.getQueue('self')?.messageCount, 0);
  await t.broker.close();
});

test('x-expires deletes an unused queue; a consumer keeps it alive', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'exp', q({ arguments: { 'x-expires': 30 } }), false);
  t.vh.declareQueue(t.p, 'kept', q({ arguments: { 'x-expires': 30 } }), false);
  const c = t.vh.consume(t.p, 'kept', new FakeSink(), { tag: 'c', noAck: true, exclusive: false, priority: 0, arguments: {} });
  await eventually(() => t.vh.getQueue('exp') === undefined);
  assert.ok(t.vh.getQueue('kept'));
  c.cancel();
  await eventually(() => t.vh.getQueue('kept') === undefined);
  await t.broker.close();
});
