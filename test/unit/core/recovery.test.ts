import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal, Timestamp, type Message, type MessageId } from '../../../src/core/message.js';
import { deserializeMessage, serializeMessage } from '../../../src/core/message-serde.js';
import { jsonToTable, tableToJson } from '../../../src/core/field-table-json.js';
import { queueKey } from '../../../src/store/api.js';
import { MemoryDefinitionStore, MemoryMessageStore } from '../../../src/store/memory/index.js';
import { drain, publish, q, silentLog, startCore } from './helpers.js';

test('message-serde round trip with every property and field type', () => {
  const m: Message = {
    exchange: 'ex',
    routingKey: 'a.b.ü',
    body: Buffer.from([0, 1, 2, 255]),
    id: 42 as MessageId,
    properties: {
      contentType: 'application/json',
      contentEncoding: 'gzip',
      deliveryMode: 2,
      priority: 7,
      correlationId: 'c',
      replyTo: 'r',
      expiration: '1000',
      messageId: 'm',
      timestamp: new Timestamp(1700000000),
      type: 't',
      userId: 'guest',
      appId: 'app',
      clusterId: 'cl',
      headers: {
        s: 'str',
        i: -5,
        big: 1n << 40n,
        l: 2 ** 40,
        d: 1.5,
        b: true,
        n: null,
        x: Buffer.from('bytes'),
        ts: new Timestamp(12),
        dec: new Decimal(2, 12345),
        arr: [1, 'two', [3n], { four: 4 }],
        tbl: { nested: { deep: 'yes' } },
      },
    },
  };
  const back = deserializeMessage(42 as MessageId, serializeMessage(m));
  assert.deepEqual(back, m);
  const empty: Message = { exchange: '', routingKey: '', body: Buffer.alloc(0), id: 1 as MessageId, properties: {} };
  assert.deepEqual(deserializeMessage(1 as MessageId, serializeMessage(empty)), empty);
  // Truncated records are detected, never mis-read.
  const rec = serializeMessage(m);
  for (const cut of [0, 1, 5, rec.length - 1]) assert.throws(() => deserializeMessage(42 as MessageId, rec.subarray(0, cut)));
  // "__proto__" keys stay data.
  const evil: Message = { ...empty, properties: { headers: JSON.parse('{"__proto__": {"polluted": 1}}') } };
  const e2 = deserializeMessage(1 as MessageId, serializeMessage(evil));
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  assert.ok(Object.prototype.hasOwnProperty.call(e2.properties.headers, '__proto__'));
});

test('field-table JSON keeps types for redeclare comparison', () => {
  const t = { a: 1, b: 'x', c: 1n, d: Buffer.from('z'), e: new Timestamp(5), f: new Decimal(1, 5), g: [true, null], h: { i: 2.5 } };
  assert.deepEqual(jsonToTable(JSON.parse(JSON.stringify(tableToJson(t)))), t);
});

test('recovery: durable definitions and persistent messages survive a restart', async () => {
  const messages = new MemoryMessageStore();
  const definitions = new MemoryDefinitionStore();
  const t = await startCore({ messages, definitions });
  t.vh.declareExchange(t.p, 'dx', 'topic', { durable: true, autoDelete: false, internal: false, arguments: { 'alternate-exchange': 'amq.fanout' } }, false);
  t.vh.declareExchange(t.p, 'tx', 'fanout', { durable: false, autoDelete: false, internal: false, arguments: {} }, false);
  t.vh.declareQueue(t.p, 'dq', q({ durable: true, arguments: { 'x-max-length': 100, 'x-max-priority': 3 } }), false);
  t.vh.declareQueue(t.p, 'tq', q(), false);
  t.vh.declareQueue(t.p, 'eq', q({ durable: true, exclusive: true }), false);
  t.vh.bind(t.p, { source: 'dx', destinationKind: 'queue', destination: 'dq', routingKey: 'a.#', arguments: {} });
  t.vh.bind(t.p, { source: 'dx', destinationKind: 'queue', destination: 'tq', routingKey: 'a.#', arguments: {} });
  t.broker.addUser('alice', 'pw', ['management']);
  t.broker.setPermissions('alice', '/', { configure: '^a', write: '.*', read: '.*' });
  const r1 = publish(t, 'dx', 'a.1', 'persistent', { deliveryMode: 2, priority: 1, headers: { n: 1n } });
  assert.equal(r1.needsSync, true);
  assert.equal(r1.routed, 2);
  assert.equal(publish(t, 'dx', 'a.2', 'transient').needsSync, false);
  publish(t, 'dx', 'a.3', 'high', { deliveryMode: 2, priority: 3 });
  publish(t, 'dx', 'a.4', 'acked', { deliveryMode: 2 });
  publish(t, 'dx', 'a.5', 'delivered', { deliveryMode: 2 });
  // take 'high' (delivered, unacked) and then ack it; 'acked' delivered and acked too
  const high = t.vh.get(t.p, 'dq', false);
  assert.equal(high?.message.body.toString(), 'high');
  t.vh.settle('dq', high.tag, { kind: 'ack' });
  const p1 = t.vh.get(t.p, 'dq', false);
  assert.equal(p1?.message.body.toString(), 'persistent');
  // leave 'persistent' delivered and unacked at shutdown
  await new Promise<void>((resolve) => t.broker.afterSync(resolve));
  await t.broker.close();
  assert.equal(messages.messageCount(queueKey('/', 'dq')), 3);

  const t2 = await startCore({ messages, definitions });
  assert.equal(t2.vh.getExchange('dx')?.type, 'topic');
  assert.deepEqual(t2.vh.getExchange('dx')?.arguments, { 'alternate-exchange': 'amq.fanout' });
  assert.equal(t2.vh.getExchange('tx'), undefined);
  assert.equal(t2.vh.getQueue('tq'), undefined);
  assert.equal(t2.vh.getQueue('eq'), undefined);
  assert.deepEqual(t2.vh.getQueue('dq')?.arguments, { 'x-max-length': 100, 'x-max-priority': 3 });
  const got = [];
  for (;;) {
    const d = t2.vh.get(t2.p, 'dq', false);
    if (!d) break;
    got.push([d.message.body.toString(), d.redelivered, d.message.properties.headers?.['n'] ?? null]);
    t2.vh.settle('dq', d.tag, { kind: 'ack' });
  }
  assert.deepEqual(got, [
    ['persistent', true, 1n],
    ['acked', false, null],
    ['delivered', false, null],
  ]);
  // Durable binding came back (routes again); the user and permissions too.
  assert.equal(publish(t2, 'dx', 'a.9', 'again', { deliveryMode: 2 }).routed, 1);
  assert.ok(t2.broker.authenticate('alice', 'pw', '10.0.0.9'));
  assert.throws(() => t2.vh.declareQueue({ user: t2.broker.authenticate('alice', 'pw', '10.0.0.9')!, connectionId: t2.p.connectionId }, 'bq', q(), false));
  // Redeclare with the same args is equivalent after a JSON round trip.
  t2.vh.declareQueue(t2.p, 'dq', q({ durable: true, arguments: { 'x-max-length': 100, 'x-max-priority': 3 } }), false);
  assert.deepEqual(drain(t2, 'dq'), ['again']);
  await t2.broker.close();
  assert.equal(messages.recordCount, 0, 'every acknowledged record is gone');
});

test('recovery: deleted and purged queues leave nothing behind', async () => {
  const messages = new MemoryMessageStore();
  const definitions = new MemoryDefinitionStore();
  const t = await startCore({ messages, definitions });
  t.vh.declareQueue(t.p, 'p', q({ durable: true }), false);
  t.vh.declareQueue(t.p, 'd', q({ durable: true }), false);
  t.vh.bind(t.p, { source: 'amq.fanout', destinationKind: 'queue', destination: 'p', routingKey: '', arguments: {} });
  t.vh.bind(t.p, { source: 'amq.fanout', destinationKind: 'queue', destination: 'd', routingKey: '', arguments: {} });
  publish(t, 'amq.fanout', '', 'x', { deliveryMode: 2 });
  assert.equal(messages.recordCount, 1, 'one record for two queues');
  t.vh.purgeQueue(t.p, 'p');
  assert.equal(messages.recordCount, 1);
  t.vh.deleteQueue(t.p, 'd', false, false);
  assert.equal(messages.recordCount, 0);
  await t.broker.close();
  const t2 = await startCore({ messages, definitions });
  assert.equal(t2.vh.getQueue('d'), undefined);
  assert.equal(t2.vh.getQueue('p')?.messageCount, 0);
  await t2.broker.close();
});

test('dead-lettered persistent messages are persisted in the target durable queue', async () => {
  const messages = new MemoryMessageStore();
  const definitions = new MemoryDefinitionStore();
  const t = await startCore({ messages, definitions });
  t.vh.declareQueue(t.p, 'dlq', q({ durable: true }), false);
  t.vh.declareQueue(t.p, 'src', q({ durable: true, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq' } }), false);
  publish(t, '', 'src', 'm', { deliveryMode: 2 });
  const d = t.vh.get(t.p, 'src', false);
  assert.ok(d);
  t.vh.settle('src', d.tag, { kind: 'reject', requeue: false });
  await t.broker.close();
  const t2 = await startCore({ messages, definitions });
  assert.equal(t2.vh.getQueue('src')?.messageCount, 0);
  const back = t2.vh.get(t2.p, 'dlq', true);
  assert.equal(back?.message.body.toString(), 'm');
  assert.ok(Array.isArray(back?.message.properties.headers?.['x-death']));
  await t2.broker.close();
});

test('recovery: a durable binding keeps its filter source, and the registered compiler rebuilds the filter', async () => {
  const messages = new MemoryMessageStore();
  const definitions = new MemoryDefinitionStore();
  // A stand-in language: "h=v" keeps messages whose header h equals v.
  const compile = (expression: string) => {
    const [h, v] = expression.split('=');
    if (h === undefined || v === undefined) throw new Error(`bad expression ${expression}`);
    return (m: Message): boolean => m.properties.headers?.[h] === v;
  };
  const t = await startCore({ messages, definitions, filterCompilers: { eq: compile } });
  t.vh.declareQueue(t.p, 'reds', q({ durable: true }), false);
  t.vh.declareQueue(t.p, 'reds-transient', q(), false);
  const filterSource = { language: 'eq', expression: 'colour=red' };
  t.vh.bind(t.p, { source: 'amq.topic', destinationKind: 'queue', destination: 'reds', routingKey: 'paint', arguments: {}, filter: compile(filterSource.expression), filterSource });
  t.vh.bind(t.p, { source: 'amq.topic', destinationKind: 'queue', destination: 'reds-transient', routingKey: 'paint', arguments: {}, filter: compile(filterSource.expression), filterSource });
  assert.deepEqual(
    t.vh.listBindings().filter((b) => b.destination === 'reds' && b.source === 'amq.topic').map((b) => b.filterSource),
    [filterSource],
  );
  await t.broker.close();
  // Only the durable binding is in the definitions, with its source.
  const saved = (await definitions.load())!.bindings;
  assert.deepEqual(saved.map((b) => [b.destination, b.filter]), [['reds', filterSource]]);

  const t2 = await startCore({ messages, definitions, filterCompilers: { eq: compile } });
  publish(t2, 'amq.topic', 'paint', 'red', { headers: { colour: 'red' } });
  publish(t2, 'amq.topic', 'paint', 'blue', { headers: { colour: 'blue' } });
  assert.deepEqual(drain(t2, 'reds'), ['red']);
  // Re-binding with another expression replaces the source, and the definitions follow.
  const blues = { language: 'eq', expression: 'colour=blue' };
  t2.vh.bind(t2.p, { source: 'amq.topic', destinationKind: 'queue', destination: 'reds', routingKey: 'paint', arguments: {}, filter: compile(blues.expression), filterSource: blues });
  await t2.broker.close();
  assert.deepEqual((await definitions.load())!.bindings.map((b) => b.filter), [blues]);

  // No compiler for the language: the binding comes back without its filter (more messages,
  // never fewer), and the broker says so.
  const errors: string[] = [];
  const log = { ...silentLog, error: (_o: unknown, msg?: string) => void errors.push(msg ?? '') };
  const t3 = await startCore({ messages, definitions, log });
  publish(t3, 'amq.topic', 'paint', 'red', { headers: { colour: 'red' } });
  publish(t3, 'amq.topic', 'paint', 'blue', { headers: { colour: 'blue' } });
  assert.deepEqual(drain(t3, 'reds'), ['red', 'blue']);
  assert.deepEqual(errors, ['binding filter not restored: the binding routes without it']);
  await t3.broker.close();
});
