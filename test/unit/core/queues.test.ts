import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, type BrokerError } from '../../../src/core/errors.js';
import type { ConsumeOptions, QueueDeliveryTag } from '../../../src/core/api.js';
import type { FieldTable } from '../../../src/core/message.js';
import { FakeSink, conn, drain, publish, q, startCore } from './helpers.js';

const co = (tag: string, over: Partial<ConsumeOptions> = {}): ConsumeOptions => ({ tag, noAck: false, exclusive: false, priority: 0, arguments: {}, ...over });

test('x-overflow drop-head drops (and dead-letters) the oldest with reason maxlen', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'dl', q(), false);
  t.vh.declareQueue(t.p, 'ml', q({ arguments: { 'x-max-length': 2, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dl' } }), false);
  for (const s of ['1', '2', '3', '4']) assert.equal(publish(t, '', 'ml', s).rejected, false);
  assert.deepEqual(drain(t, 'ml'), ['3', '4']);
  const dead = [];
  for (;;) {
    const d = t.vh.get(t.p, 'dl', true);
    if (!d) break;
    dead.push(d);
  }
  assert.deepEqual(dead.map((d) => d.message.body.toString()), ['1', '2']);
  assert.equal(((dead[0]?.message.properties.headers?.['x-death'] as FieldTable[])[0] as FieldTable)['reason'], 'maxlen');
  await t.broker.close();
});

test('x-max-length-bytes counts body bytes of ready messages only', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'mb', q({ arguments: { 'x-max-length-bytes': 10 } }), false);
  publish(t, '', 'mb', '12345');
  publish(t, '', 'mb', '67890');
  const d = t.vh.get(t.p, 'mb', false); // unacked: no longer counted
  assert.ok(d);
  publish(t, '', 'mb', 'abcde');
  publish(t, '', 'mb', 'fghij');
  assert.deepEqual(drain(t, 'mb'), ['abcde', 'fghij']);
  await t.broker.close();
});

test('x-overflow reject-publish refuses new messages; reject-publish-dlx also dead-letters them', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'rp', q({ arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } }), false);
  assert.deepEqual({ ...publish(t, '', 'rp', 'a') }, { routed: 1, rejected: false, needsSync: false });
  const r = publish(t, '', 'rp', 'b');
  assert.equal(r.rejected, true);
  assert.equal(r.routed, 0);
  assert.deepEqual(drain(t, 'rp'), ['a']);

  t.vh.declareQueue(t.p, 'dead', q(), false);
  t.vh.declareQueue(t.p, 'rpd', q({ arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish-dlx', 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dead' } }), false);
  publish(t, '', 'rpd', 'a');
  assert.equal(publish(t, '', 'rpd', 'b').rejected, true);
  assert.deepEqual(drain(t, 'rpd'), ['a']);
  const d = t.vh.get(t.p, 'dead', true);
  assert.equal(d?.message.body.toString(), 'b');
  assert.equal(((d?.message.properties.headers?.['x-death'] as FieldTable[])[0] as FieldTable)['reason'], 'maxlen');
  // A fanout to an accepting and a refusing queue: routed to one, rejected flag set.
  t.vh.declareQueue(t.p, 'open', q(), false);
  t.vh.bind(t.p, { source: 'amq.fanout', destinationKind: 'queue', destination: 'open', routingKey: '', arguments: {} });
  t.vh.bind(t.p, { source: 'amq.fanout', destinationKind: 'queue', destination: 'rp', routingKey: '', arguments: {} });
  publish(t, '', 'rp', 'fill');
  const f = publish(t, 'amq.fanout', '', 'both');
  assert.equal(f.routed, 1);
  assert.equal(f.rejected, true);
  await t.broker.close();
});

test('priority queue: higher first, FIFO within a priority, clamped to x-max-priority', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'pq', q({ arguments: { 'x-max-priority': 5 } }), false);
  publish(t, '', 'pq', 'p0a');
  publish(t, '', 'pq', 'p3a', { priority: 3 });
  publish(t, '', 'pq', 'p9', { priority: 9 });
  publish(t, '', 'pq', 'p3b', { priority: 3 });
  publish(t, '', 'pq', 'p5', { priority: 5 });
  publish(t, '', 'pq', 'p0b');
  assert.deepEqual(drain(t, 'pq'), ['p9', 'p5', 'p3a', 'p3b', 'p0a', 'p0b']);
  // A queue without x-max-priority ignores priorities.
  t.vh.declareQueue(t.p, 'plain', q(), false);
  publish(t, '', 'plain', 'a');
  publish(t, '', 'plain', 'b', { priority: 9 });
  assert.deepEqual(drain(t, 'plain'), ['a', 'b']);
  await t.broker.close();
});

test('single active consumer: one consumer receives; the next takes over on cancel', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'sac', q({ arguments: { 'x-single-active-consumer': true } }), false);
  const a = new FakeSink();
  const b = new FakeSink();
  const ca = t.vh.consume(t.p, 'sac', a, co('a', { noAck: true }));
  t.vh.consume(t.p, 'sac', b, co('b', { noAck: true }));
  for (const s of ['1', '2', '3']) publish(t, '', 'sac', s);
  assert.deepEqual(a.bodies(), ['1', '2', '3']);
  assert.deepEqual(b.bodies(), []);
  ca.cancel();
  publish(t, '', 'sac', '4');
  assert.deepEqual(b.bodies(), ['4']);
  await t.broker.close();
});

test('single active consumer without credit holds messages rather than passing them on', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'sac2', q({ arguments: { 'x-single-active-consumer': true } }), false);
  const a = new FakeSink(1);
  const b = new FakeSink();
  t.vh.consume(t.p, 'sac2', a, co('a'));
  t.vh.consume(t.p, 'sac2', b, co('b'));
  publish(t, '', 'sac2', '1');
  publish(t, '', 'sac2', '2');
  assert.deepEqual(a.bodies(), ['1']);
  assert.deepEqual(b.bodies(), []);
  assert.equal(t.vh.getQueue('sac2')?.messageCount, 1);
  await t.broker.close();
});

test('consumer priorities: higher priority gets messages while it has credit; equals round-robin', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'cp', q(), false);
  const hi1 = new FakeSink(2);
  const hi2 = new FakeSink(2);
  const lo = new FakeSink();
  t.vh.consume(t.p, 'cp', lo, co('lo', { priority: 0 }));
  t.vh.consume(t.p, 'cp', hi1, co('hi1', { priority: 10 }));
  t.vh.consume(t.p, 'cp', hi2, co('hi2', { priority: 10 }));
  for (let i = 0; i < 6; i++) publish(t, '', 'cp', `m${i}`);
  assert.deepEqual(hi1.bodies(), ['m0', 'm2']);
  assert.deepEqual(hi2.bodies(), ['m1', 'm3']);
  assert.deepEqual(lo.bodies(), ['m4', 'm5']);
  await t.broker.close();
});

test('exclusive consumer: refused when others exist and blocks later ones', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'xc', q(), false);
  const c1 = t.vh.consume(t.p, 'xc', new FakeSink(), co('one'));
  const refused = (e: unknown) => {
    assert.equal((e as BrokerError).code, ErrorCode.AccessRefused);
    assert.equal((e as BrokerError).message, "queue 'xc' in vhost '/' in exclusive use");
    return true;
  };
  assert.throws(() => t.vh.consume(t.p, 'xc', new FakeSink(), co('two', { exclusive: true })), refused);
  c1.cancel();
  t.vh.consume(t.p, 'xc', new FakeSink(), co('ex', { exclusive: true }));
  assert.throws(() => t.vh.consume(t.p, 'xc', new FakeSink(), co('three')), refused);
  await t.broker.close();
});

test('auto-delete queue: deleted when its last consumer goes, not before it had one', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'ad', q({ autoDelete: true }), false);
  publish(t, '', 'ad', 'x');
  assert.ok(t.vh.getQueue('ad'));
  const c1 = t.vh.consume(t.p, 'ad', new FakeSink(), co('1'));
  const c2 = t.vh.consume(t.p, 'ad', new FakeSink(), co('2'));
  c1.cancel();
  assert.ok(t.vh.getQueue('ad'));
  c2.cancel();
  assert.equal(t.vh.getQueue('ad'), undefined);
  await t.broker.close();
});

test('auto-delete queue goes when its consumer connection closes', async () => {
  const t = await startCore();
  const other = { user: t.p.user, connectionId: conn() };
  t.vh.declareQueue(t.p, 'ad2', q({ autoDelete: true }), false);
  t.vh.consume(other, 'ad2', new FakeSink(), co('c'));
  t.vh.connectionClosed(other.connectionId);
  assert.equal(t.vh.getQueue('ad2'), undefined);
  await t.broker.close();
});

test('consumer filters skip non-matching messages without removing them', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'sel', q(), false);
  const red = new FakeSink();
  t.vh.consume(t.p, 'sel', red, co('red', { noAck: true, filter: (m) => m.properties.headers?.['color'] === 'red' }));
  publish(t, '', 'sel', 'b1', { headers: { color: 'blue' } });
  publish(t, '', 'sel', 'r1', { headers: { color: 'red' } });
  publish(t, '', 'sel', 'b2', { headers: { color: 'blue' } });
  publish(t, '', 'sel', 'r2', { headers: { color: 'red' } });
  assert.deepEqual(red.bodies(), ['r1', 'r2']);
  assert.deepEqual(drain(t, 'sel'), ['b1', 'b2']);
  await t.broker.close();
});

test('noAck consumers settle on send; requeue keeps order across consumers', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'ord', q(), false);
  for (let i = 0; i < 4; i++) publish(t, '', 'ord', `m${i}`);
  const s = new FakeSink(4);
  const c = t.vh.consume(t.p, 'ord', s, co('c'));
  assert.equal(t.vh.getQueue('ord')?.unackedCount, 4);
  c.cancel();
  // Cancel keeps unacked deliveries unacked; requeue (channel close) returns them in order.
  assert.equal(t.vh.getQueue('ord')?.unackedCount, 4);
  t.vh.requeue('ord', s.got.map((d) => d.tag).reverse() as QueueDeliveryTag[]);
  const all = [];
  for (;;) {
    const d = t.vh.get(t.p, 'ord', true);
    if (!d) break;
    all.push([d.message.body.toString(), d.redelivered]);
  }
  assert.deepEqual(all, [
    ['m0', true],
    ['m1', true],
    ['m2', true],
    ['m3', true],
  ]);
  // Settling a tag of a deleted queue is not an error.
  t.vh.deleteQueue(t.p, 'ord', false, false);
  t.vh.settle('ord', 1 as QueueDeliveryTag, { kind: 'ack' });
  await t.broker.close();
});

test('direct reply-to: replies go straight to the registered sink', async () => {
  const t = await startCore();
  const sink = new FakeSink();
  const reg = t.vh.registerDirectReply(t.p, sink);
  assert.match(reg.address, /^amq\.rabbitmq\.reply-to\./);
  assert.equal(publish(t, '', reg.address, 'pong').routed, 1);
  assert.deepEqual(sink.bodies(), ['pong']);
  assert.equal(sink.got[0]?.queue, 'amq.rabbitmq.reply-to');
  reg.cancel();
  assert.equal(publish(t, '', reg.address, 'late').routed, 0);
  const reg2 = t.vh.registerDirectReply(t.p, sink);
  t.vh.connectionClosed(t.p.connectionId);
  assert.equal(publish(t, '', reg2.address, 'late').routed, 0);
  await t.broker.close();
});

test('QueueInfo snapshot', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'info', q({ arguments: { 'x-max-length': 10 } }), false);
  publish(t, '', 'info', 'a');
  publish(t, '', 'info', 'b');
  t.vh.get(t.p, 'info', false);
  t.vh.consume(t.p, 'info', new FakeSink(0), co('c'));
  const i = t.vh.getQueue('info');
  assert.deepEqual(
    { name: i?.name, messageCount: i?.messageCount, unackedCount: i?.unackedCount, consumerCount: i?.consumerCount, args: i?.arguments },
    { name: 'info', messageCount: 1, unackedCount: 1, consumerCount: 1, args: { 'x-max-length': 10 } },
  );
  assert.ok(t.vh.listQueues().some((x) => x.name === 'info'));
  await t.broker.close();
});

test('a redeclared queue never reuses a delivery tag of its deleted namesake', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'again', q(), false);
  publish(t, '', 'again', 'old');
  const old = t.vh.get(t.p, 'again', false);
  assert.ok(old);
  t.vh.deleteQueue(t.p, 'again', false, false);
  t.vh.declareQueue(t.p, 'again', q(), false);
  publish(t, '', 'again', 'new');
  const fresh = t.vh.get(t.p, 'again', false);
  assert.ok(fresh);
  assert.notEqual(fresh.tag, old.tag);
  // Settling the old delivery is a no-op (it went with the deleted queue), not an ack of the new one.
  t.vh.settle('again', old.tag, { kind: 'ack' });
  assert.equal(t.vh.getQueue('again')?.unackedCount, 1);
  t.vh.settle('again', fresh.tag, { kind: 'ack' });
  assert.throws(() => t.vh.settle('again', fresh.tag, { kind: 'ack' }), /unknown delivery tag/);
  await t.broker.close();
});

test('x-max-length 0: a ready consumer still gets messages, otherwise they are dropped', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'zero', q({ arguments: { 'x-max-length': 0 } }), false);
  publish(t, '', 'zero', 'dropped');
  assert.equal(t.vh.getQueue('zero')?.messageCount, 0);
  const s = new FakeSink(1);
  t.vh.consume(t.p, 'zero', s, co('c'));
  publish(t, '', 'zero', 'live');
  publish(t, '', 'zero', 'no-credit');
  assert.deepEqual(s.bodies(), ['live']);
  assert.equal(t.vh.getQueue('zero')?.messageCount, 0);
  await t.broker.close();
});
