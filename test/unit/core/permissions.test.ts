import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ErrorCode, type BrokerError } from '../../../src/core/errors.js';
import type { Principal, User } from '../../../src/core/api.js';
import { checkPassword, hashPassword, isLoopback } from '../../../src/core/users.js';
import { FakeSink, conn, q, startCore } from './helpers.js';

const refused = (text?: string) => (e: unknown) => {
  assert.equal((e as BrokerError).code, ErrorCode.AccessRefused, (e as BrokerError).message);
  if (text) assert.equal((e as BrokerError).message, text);
  return true;
};

test('password hashing is rabbit_password_hashing_sha256', () => {
  const salt = Buffer.from([1, 2, 3, 4]);
  const h = hashPassword('secret', salt);
  const raw = Buffer.from(h, 'base64');
  assert.equal(raw.length, 36);
  assert.deepEqual(raw.subarray(0, 4), salt);
  assert.deepEqual(raw.subarray(4), createHash('sha256').update(Buffer.concat([salt, Buffer.from('secret')])).digest());
  assert.ok(checkPassword('secret', h));
  assert.ok(!checkPassword('Secret', h));
  assert.ok(!checkPassword('secret', 'garbage'));
  // A hash for "guest" in the format RabbitMQ exports verifies.
  const known = hashPassword('guest', Buffer.from('a1b2c3d4', 'hex'));
  assert.ok(checkPassword('guest', known));
});

test('loopback detection', () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopback(a), a);
  for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '128.0.0.1', 'fe80::1', '']) assert.ok(!isLoopback(a), a);
});

test('configure / write / read permissions are enforced with RabbitMQ texts', async () => {
  const t = await startCore();
  t.broker.addUser('u', 'pw', []);
  t.broker.setPermissions('u', '/', { configure: '^u-', write: '^(u-|amq\\.direct$)', read: '^(u-|amq\\.direct$)' });
  const user = t.broker.authenticate('u', 'pw', '10.1.1.1') as User;
  const u: Principal = { user, connectionId: conn() };
  t.vh.declareQueue(u, 'u-q', q(), false);
  assert.throws(() => t.vh.declareQueue(u, 'other', q(), false), refused("access to queue 'other' in vhost '/' refused for user 'u'"));
  t.vh.declareQueue(t.p, 'other', q(), false);
  assert.throws(() => t.vh.deleteQueue(u, 'other', false, false), refused());
  assert.throws(() => t.vh.declareExchange(u, 'x', 'direct', { durable: false, autoDelete: false, internal: false, arguments: {} }, false), refused("access to exchange 'x' in vhost '/' refused for user 'u'"));
  // bind: write on the queue, read on the exchange.
  t.vh.bind(u, { source: 'amq.direct', destinationKind: 'queue', destination: 'u-q', routingKey: 'k', arguments: {} });
  assert.throws(() => t.vh.bind(u, { source: 'amq.topic', destinationKind: 'queue', destination: 'u-q', routingKey: 'k', arguments: {} }), refused("access to exchange 'amq.topic' in vhost '/' refused for user 'u'"));
  assert.throws(() => t.vh.bind(u, { source: 'amq.direct', destinationKind: 'queue', destination: 'other', routingKey: 'k', arguments: {} }), refused("access to queue 'other' in vhost '/' refused for user 'u'"));
  // publish: write on the exchange.
  assert.equal(t.vh.publish(u, 'amq.direct', 'k', {}, Buffer.from('m'), { mandatory: false }).routed, 1);
  assert.throws(() => t.vh.publish(u, 'amq.fanout', 'k', {}, Buffer.from('m'), { mandatory: false }), refused("access to exchange 'amq.fanout' in vhost '/' refused for user 'u'"));
  // consume / get / purge: read on the queue.
  assert.throws(() => t.vh.consume(u, 'other', new FakeSink(), { tag: 'c', noAck: true, exclusive: false, priority: 0, arguments: {} }), refused());
  assert.throws(() => t.vh.get(u, 'other', true), refused());
  assert.throws(() => t.vh.purgeQueue(u, 'other'), refused());
  assert.equal(t.vh.get(u, 'u-q', true)?.message.body.toString(), 'm');
  // Empty pattern grants nothing.
  t.broker.setPermissions('u', '/', { configure: '', write: '', read: '.*' });
  assert.throws(() => t.vh.declareQueue(u, 'u-q2', q(), false), refused());
  assert.equal(t.broker.canAccessVhost(user, '/'), true);
  t.broker.clearPermissions('u', '/');
  assert.equal(t.broker.canAccessVhost(user, '/'), false);
  assert.equal(t.broker.canAccessVhost(user, '/nope'), false);
  await t.broker.close();
});

test('alarms: setAlarm notifies listeners on state changes only', async () => {
  const t = await startCore();
  const seen: [boolean, string][] = [];
  const off = t.broker.alarms.onChange((a, r) => seen.push([a, r]));
  assert.equal(t.broker.alarms.active, false);
  t.broker.alarms.setAlarm('memory', true);
  t.broker.alarms.setAlarm('disk', true);
  t.broker.alarms.setAlarm('memory', false);
  assert.equal(t.broker.alarms.active, true);
  t.broker.alarms.setAlarm('disk', false);
  off();
  t.broker.alarms.setAlarm('disk', true);
  assert.deepEqual(seen, [
    [true, 'low on memory'],
    [false, ''],
  ]);
  await t.broker.close();
});

test('vhosts: add, permissions per vhost, delete drops queues and stored messages', async () => {
  const t = await startCore();
  const vh2 = t.broker.addVhost('second');
  t.broker.setPermissions('guest', 'second', { configure: '.*', write: '.*', read: '.*' });
  assert.deepEqual(t.broker.listVhosts().sort(), ['/', 'second']);
  assert.equal(t.broker.canAccessVhost(t.p.user, 'second'), true);
  vh2.declareQueue(t.p, 'same-name', q({ durable: true }), false);
  t.vh.declareQueue(t.p, 'same-name', q(), false);
  vh2.publish(t.p, '', 'same-name', { deliveryMode: 2 }, Buffer.from('v2'), { mandatory: false });
  assert.equal(t.vh.getQueue('same-name')?.messageCount, 0, 'vhosts are isolated');
  assert.equal(t.messages.recordCount, 1);
  const sink = new FakeSink();
  vh2.consume(t.p, 'same-name', sink, { tag: 'c', noAck: false, exclusive: false, priority: 0, arguments: {} });
  assert.equal(t.broker.deleteVhost('second'), true);
  assert.equal(typeof sink.cancelled, 'string');
  assert.equal(t.messages.recordCount, 0);
  assert.equal(t.broker.getVhost('second'), undefined);
  assert.equal(t.broker.canAccessVhost(t.p.user, 'second'), false);
  await t.broker.close();
});
