import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, type BrokerError } from '../../../src/core/errors.js';
import type { QueueDeliveryTag } from '../../../src/core/api.js';
import { FakeSink, conn, drain, publish, q, startCore } from './helpers.js';

const code = (c: ErrorCode) => (e: unknown) => (e as BrokerError).code === c;

test('predeclared exchanges exist on the default vhost', async () => {
  const t = await startCore();
  const names = t.vh.listExchanges().map((x) => x.name).sort();
  assert.deepEqual(names, ['', 'amq.direct', 'amq.fanout', 'amq.headers', 'amq.match', 'amq.topic']);
  assert.equal(t.vh.getExchange('amq.match')?.type, 'headers');
  assert.equal(t.vh.getExchange('amq.topic')?.type, 'topic');
  await t.broker.close();
});

test('default exchange routes by queue name; get returns remaining count', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'hello', q(), false);
  const r = publish(t, '', 'hello', 'Hello World!');
  assert.equal(r.routed, 1);
  publish(t, '', 'hello', 'second');
  const d = t.vh.get(t.p, 'hello', true);
  assert.equal(d?.message.body.toString(), 'Hello World!');
  assert.equal(d?.remaining, 1);
  assert.equal(publish(t, '', 'nope', 'x').routed, 0);
  await t.broker.close();
});

test('server-named queues look like amq.gen-<22 base64url chars>', async () => {
  const t = await startCore();
  const a = t.vh.declareQueue(t.p, '', q({ exclusive: true }), false);
  const b = t.vh.declareQueue(t.p, '', q({ exclusive: true }), false);
  assert.match(a.name, /^amq\.gen-[A-Za-z0-9_-]{22}$/);
  assert.notEqual(a.name, b.name);
  await t.broker.close();
});

test('consume with credit: deliveries stop at credit and resume after ack', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'work', q(), false);
  for (let i = 0; i < 5; i++) publish(t, '', 'work', `m${i}`);
  const sink = new FakeSink(2);
  const c = t.vh.consume(t.p, 'work', sink, { tag: 'c1', noAck: false, exclusive: false, priority: 0, arguments: {} });
  assert.deepEqual(sink.bodies(), ['m0', 'm1']);
  assert.equal(t.vh.getQueue('work')?.unackedCount, 2);
  t.vh.settle('work', (sink.got[0] as { tag: QueueDeliveryTag }).tag, { kind: 'ack' });
  sink.inFlight--;
  c.resume();
  assert.deepEqual(sink.bodies(), ['m0', 'm1', 'm2']);
  assert.equal(t.vh.getQueue('work')?.messageCount, 2);
  assert.throws(() => t.vh.settle('work', Number.MAX_SAFE_INTEGER as QueueDeliveryTag, { kind: 'ack' }), code(ErrorCode.PreconditionFailed));
  await t.broker.close();
});

test('round-robin between two consumers of equal priority', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'rr', q(), false);
  const a = new FakeSink();
  const b = new FakeSink();
  t.vh.consume(t.p, 'rr', a, { tag: 'a', noAck: true, exclusive: false, priority: 0, arguments: {} });
  t.vh.consume(t.p, 'rr', b, { tag: 'b', noAck: true, exclusive: false, priority: 0, arguments: {} });
  for (let i = 0; i < 6; i++) publish(t, '', 'rr', `m${i}`);
  assert.deepEqual(a.bodies(), ['m0', 'm2', 'm4']);
  assert.deepEqual(b.bodies(), ['m1', 'm3', 'm5']);
  await t.broker.close();
});

test('reject with requeue puts the message back in place, marked redelivered', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'rq', q(), false);
  for (const s of ['a', 'b', 'c']) publish(t, '', 'rq', s);
  const d1 = t.vh.get(t.p, 'rq', false);
  const d2 = t.vh.get(t.p, 'rq', false);
  assert.ok(d1 && d2);
  t.vh.requeue('rq', [d2.tag, d1.tag]);
  const again = t.vh.get(t.p, 'rq', false);
  assert.equal(again?.message.body.toString(), 'a');
  assert.equal(again?.redelivered, true);
  t.vh.settle('rq', again.tag, { kind: 'reject', requeue: true });
  assert.deepEqual(drain(t, 'rq'), ['a', 'b', 'c']);
  await t.broker.close();
});

test('re-entrant sink: settling and resuming from inside deliver is safe', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 're', q(), false);
  for (let i = 0; i < 100; i++) publish(t, '', 're', `m${i}`);
  const seen: string[] = [];
  let consumer: { resume(): void } | undefined;
  let inFlight = 0;
  const sink = {
    hasCredit: () => inFlight < 1,
    deliver(d: import('../../../src/core/api.js').Delivery) {
      inFlight++;
      seen.push(d.message.body.toString());
      t.vh.settle('re', d.tag, { kind: 'ack' });
      inFlight--;
      consumer?.resume();
    },
    cancelledByBroker() {},
  };
  consumer = t.vh.consume(t.p, 're', sink, { tag: 'r', noAck: false, exclusive: false, priority: 0, arguments: {} });
  consumer.resume();
  assert.equal(seen.length, 100);
  assert.equal(seen[99], 'm99');
  assert.equal(t.vh.getQueue('re')?.messageCount, 0);
  await t.broker.close();
});

test('connectionClosed deletes exclusive queues and requeues unacked deliveries', async () => {
  const t = await startCore();
  const other = { user: t.p.user, connectionId: conn() };
  t.vh.declareQueue(other, 'excl', q({ exclusive: true }), false);
  t.vh.declareQueue(t.p, 'shared', q(), false);
  publish(t, '', 'shared', 'x');
  const d = t.vh.get(other, 'shared', false);
  assert.ok(d);
  assert.equal(t.vh.getQueue('shared')?.messageCount, 0);
  assert.throws(() => t.vh.declareQueue(t.p, 'excl', q({ exclusive: true }), true), code(ErrorCode.ResourceLocked));
  t.vh.connectionClosed(other.connectionId);
  assert.equal(t.vh.getQueue('excl'), undefined);
  const again = t.vh.get(t.p, 'shared', true);
  assert.equal(again?.redelivered, true);
  await t.broker.close();
});

test('authentication: password check and loopback-only guest', async () => {
  const t = await startCore();
  assert.ok(t.broker.authenticate('guest', 'guest', '127.0.0.1'));
  assert.ok(t.broker.authenticate('guest', 'guest', '::1'));
  assert.ok(t.broker.authenticate('guest', 'guest', '::ffff:127.0.0.5'));
  assert.equal(t.broker.authenticate('guest', 'guest', '10.0.0.1'), undefined);
  assert.equal(t.broker.authenticate('guest', 'wrong', '127.0.0.1'), undefined);
  assert.equal(t.broker.authenticate('nobody', 'guest', '127.0.0.1'), undefined);
  t.broker.addUser('app', 's3cret', []);
  assert.ok(t.broker.authenticate('app', 's3cret', '10.0.0.1'));
  const app = t.broker.authenticate('app', 's3cret', '10.0.0.1');
  assert.ok(app);
  assert.equal(t.broker.canAccessVhost(app, '/'), false);
  t.broker.setPermissions('app', '/', { configure: '.*', write: '.*', read: '.*' });
  assert.equal(t.broker.canAccessVhost(app, '/'), true);
  await t.broker.close();
});
