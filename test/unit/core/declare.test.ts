import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, type BrokerError } from '../../../src/core/errors.js';
import type { QueueOptions } from '../../../src/core/api.js';
import { FakeSink, conn, publish, q, startCore } from './helpers.js';

const code = (c: ErrorCode, text?: string) => (e: unknown) => {
  const be = e as BrokerError;
  assert.equal(be.code, c, be.message);
  if (text !== undefined) assert.equal(be.message, text);
  return true;
};

test('queue redeclare: equivalent is fine, differences are 406 with RabbitMQ texts', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'q', q({ arguments: { 'x-message-ttl': 1000 } }), false);
  const r = t.vh.declareQueue(t.p, 'q', q({ arguments: { 'x-message-ttl': 1000n, 'x-other': 'ignored' } }), false);
  assert.equal(r.name, 'q');
  assert.throws(
    () => t.vh.declareQueue(t.p, 'q', q({ durable: true, arguments: { 'x-message-ttl': 1000 } }), false),
    code(ErrorCode.PreconditionFailed, "inequivalent arg 'durable' for queue 'q' in vhost '/': received 'true' but current is 'false'"),
  );
  assert.throws(
    () => t.vh.declareQueue(t.p, 'q', q({ autoDelete: true, arguments: { 'x-message-ttl': 1000 } }), false),
    code(ErrorCode.PreconditionFailed, "inequivalent arg 'auto_delete' for queue 'q' in vhost '/': received 'true' but current is 'false'"),
  );
  assert.throws(
    () => t.vh.declareQueue(t.p, 'q', q({ arguments: { 'x-message-ttl': 2000 } }), false),
    code(
      ErrorCode.PreconditionFailed,
      "inequivalent arg 'x-message-ttl' for queue 'q' in vhost '/': received the value '2000' of type 'signedint' but current is the value '1000' of type 'signedint'",
    ),
  );
  assert.throws(
    () => t.vh.declareQueue(t.p, 'q', q(), false),
    code(ErrorCode.PreconditionFailed, "inequivalent arg 'x-message-ttl' for queue 'q' in vhost '/': received none but current is the value '1000' of type 'signedint'"),
  );
  // Declaring classic explicitly matches an implicit classic queue.
  t.vh.declareQueue(t.p, 'c', q(), false);
  t.vh.declareQueue(t.p, 'c', q({ arguments: { 'x-queue-type': 'classic' } }), false);
  await t.broker.close();
});

test('passive declare, exclusive locking', async () => {
  const t = await startCore();
  assert.throws(() => t.vh.declareQueue(t.p, 'missing', q(), true), code(ErrorCode.NotFound, "no queue 'missing' in vhost '/'"));
  t.vh.declareQueue(t.p, 'ex', q({ exclusive: true }), false);
  publish(t, '', 'ex', 'm');
  assert.deepEqual(t.vh.declareQueue(t.p, 'ex', q(), true), { name: 'ex', messageCount: 1, consumerCount: 0 });
  const other = { user: t.p.user, connectionId: conn() };
  const locked =
    "cannot obtain exclusive access to locked queue 'ex' in vhost '/'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.";
  assert.throws(() => t.vh.declareQueue(other, 'ex', q({ exclusive: true }), false), code(ErrorCode.ResourceLocked, locked));
  assert.throws(() => t.vh.declareQueue(other, 'ex', q(), true), code(ErrorCode.ResourceLocked));
  assert.throws(() => t.vh.consume(other, 'ex', new FakeSink(), { tag: 't', noAck: true, exclusive: false, priority: 0, arguments: {} }), code(ErrorCode.ResourceLocked));
  assert.throws(() => t.vh.get(other, 'ex', true), code(ErrorCode.ResourceLocked));
  assert.throws(() => t.vh.purgeQueue(other, 'ex'), code(ErrorCode.ResourceLocked));
  assert.throws(() => t.vh.deleteQueue(other, 'ex', false, false), code(ErrorCode.ResourceLocked));
  assert.throws(() => t.vh.bind(other, { source: 'amq.direct', destinationKind: 'queue', destination: 'ex', routingKey: 'k', arguments: {} }), code(ErrorCode.ResourceLocked));
  // Exclusive flag mismatch by the owner is also "locked" (RabbitMQ strict check).
  assert.throws(() => t.vh.declareQueue(t.p, 'ex', q(), false), code(ErrorCode.ResourceLocked));
  // Anyone may publish to it.
  assert.equal(publish({ ...t, p: other }, '', 'ex', 'm2').routed, 1);
  await t.broker.close();
});

test('queue delete if-unused / if-empty, purge, missing queue delete is a no-op', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'd', q(), false);
  publish(t, '', 'd', '1');
  publish(t, '', 'd', '2');
  assert.throws(() => t.vh.deleteQueue(t.p, 'd', false, true), code(ErrorCode.PreconditionFailed, "queue 'd' in vhost '/' is not empty"));
  const sink = new FakeSink(0);
  const c = t.vh.consume(t.p, 'd', sink, { tag: 'c', noAck: false, exclusive: false, priority: 0, arguments: {} });
  assert.throws(() => t.vh.deleteQueue(t.p, 'd', true, false), code(ErrorCode.PreconditionFailed, "queue 'd' in vhost '/' in use"));
  c.cancel();
  assert.equal(t.vh.purgeQueue(t.p, 'd'), 2);
  assert.equal(t.vh.deleteQueue(t.p, 'd', true, true), 0);
  assert.equal(t.vh.getQueue('d'), undefined);
  assert.equal(t.vh.deleteQueue(t.p, 'd', false, false), 0);
  assert.throws(() => t.vh.purgeQueue(t.p, 'd'), code(ErrorCode.NotFound));
  await t.broker.close();
});

test('deleting a queue cancels its consumers via cancelledByBroker', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'gone', q(), false);
  const sink = new FakeSink();
  t.vh.consume(t.p, 'gone', sink, { tag: 'c', noAck: true, exclusive: false, priority: 0, arguments: {} });
  assert.equal(t.vh.deleteQueue(t.p, 'gone', false, false), 0);
  assert.equal(typeof sink.cancelled, 'string');
  await t.broker.close();
});

test('invalid queue arguments are refused with 406', async () => {
  const t = await startCore();
  const bad = (args: Record<string, unknown>, text?: string) =>
    assert.throws(() => t.vh.declareQueue(t.p, 'bad', q({ arguments: args as never }), false), code(ErrorCode.PreconditionFailed, text));
  bad({ 'x-max-length': -1 }, "invalid arg 'x-max-length' for queue 'bad' in vhost '/': {value_negative,-1}");
  // Texts as RabbitMQ 3.10 writes them (compared against the real broker).
  bad({ 'x-overflow': 'foo' }, "invalid arg 'x-overflow' for queue 'bad' in vhost '/': invalid_overflow");
  bad({ 'x-max-priority': 256 }, "invalid arg 'x-max-priority' for queue 'bad' in vhost '/': {max_value_exceeded,256}");
  bad({ 'x-message-ttl': 'soon' }, "invalid arg 'x-message-ttl' for queue 'bad' in vhost '/': \"expected integer, got longstr\"");
  bad({ 'x-expires': 1.5 }, "invalid arg 'x-expires' for queue 'bad' in vhost '/': \"expected integer, got double\"");
  bad({ 'x-expires': 0 }, "invalid arg 'x-expires' for queue 'bad' in vhost '/': {value_zero,0}");
  bad({ 'x-expires': -1 }, "invalid arg 'x-expires' for queue 'bad' in vhost '/': {value_negative,-1}");
  bad({ 'x-max-length-bytes': -5 }, "invalid arg 'x-max-length-bytes' for queue 'bad' in vhost '/': {value_negative,-5}");
  bad({ 'x-single-active-consumer': 'yes' }, "invalid arg 'x-single-active-consumer' for queue 'bad' in vhost '/': {unacceptable_type,longstr}");
  bad({ 'x-dead-letter-routing-key': 'k' }, "invalid arg 'x-dead-letter-routing-key' for queue 'bad' in vhost '/': routing_key_but_no_dlx_defined");
  bad({ 'x-dead-letter-exchange': true }, "invalid type 'bool' for arg 'x-dead-letter-exchange' in queue 'bad' in vhost '/'");
  bad({ 'x-queue-type': 'stream' }, "invalid arg 'x-queue-type' for queue 'bad' in vhost '/': stream queues are not supported by this broker yet");
  bad({ 'x-queue-type': 'weird' }, "invalid arg 'x-queue-type' for queue 'bad' in vhost '/': \"unsupported queue type 'weird'\"");
  // Quorum: RabbitMQ checks auto-delete, then exclusive, then durable.
  const quorum = (over: Partial<QueueOptions>, text: string) =>
    assert.throws(() => t.vh.declareQueue(t.p, 'qq', q({ ...over, arguments: { 'x-queue-type': 'quorum' } }), false), code(ErrorCode.PreconditionFailed, text));
  quorum({}, "invalid property 'non-durable' for queue 'qq' in vhost '/'");
  quorum({ durable: true, exclusive: true }, "invalid property 'exclusive-owner' for queue 'qq' in vhost '/'");
  quorum({ durable: false, exclusive: true }, "invalid property 'exclusive-owner' for queue 'qq' in vhost '/'");
  quorum({ durable: true, autoDelete: true }, "invalid property 'auto-delete' for queue 'qq' in vhost '/'");
  quorum({ durable: false, exclusive: true, autoDelete: true }, "invalid property 'auto-delete' for queue 'qq' in vhost '/'");
  const ok = t.vh.declareQueue(t.p, 'qq', q({ durable: true, arguments: { 'x-queue-type': 'quorum' } }), false);
  assert.equal(ok.name, 'qq');
  assert.equal(t.vh.getQueue('bad'), undefined);
  await t.broker.close();
});

test('maxQueues limit gives PreconditionFailed (406, as RabbitMQ)', async () => {
  const t = await startCore({ maxQueues: 2 });
  t.vh.declareQueue(t.p, 'a', q(), false);
  t.vh.declareQueue(t.p, 'b', q(), false);
  t.vh.declareQueue(t.p, 'a', q(), false); // redeclare is not a new queue
  assert.throws(() => t.vh.declareQueue(t.p, 'c', q(), false), code(ErrorCode.PreconditionFailed));
  t.vh.deleteQueue(t.p, 'b', false, false);
  t.vh.declareQueue(t.p, 'c', q(), false);
  await t.broker.close();
});
