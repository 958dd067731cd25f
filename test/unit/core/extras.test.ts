import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deque } from '../../../src/core/deque.js';
import type { FieldTable } from '../../../src/core/message.js';
import type { Principal, User } from '../../../src/core/api.js';
import { ErrorCode, type BrokerError } from '../../../src/core/errors.js';
import { conn, drain, publish, q, startCore } from './helpers.js';

test('deque: push/shift/unshift/insertAt/removeAt/insertSorted against an array model', () => {
  const d = new Deque<number>(2);
  const model: number[] = [];
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let step = 0; step < 5000; step++) {
    const op = rnd(6);
    const v = rnd(1000);
    if (op === 0) {
      d.push(v);
      model.push(v);
    } else if (op === 1) {
      assert.equal(d.shift(), model.shift());
    } else if (op === 2) {
      d.unshift(v);
      model.unshift(v);
    } else if (op === 3) {
      const i = rnd(model.length + 1);
      d.insertAt(i, v);
      model.splice(i, 0, v);
    } else if (op === 4 && model.length > 0) {
      const i = rnd(model.length);
      assert.equal(d.removeAt(i), model.splice(i, 1)[0]);
    } else if (op === 5) {
      assert.equal(d.peek(), model[0]);
      assert.equal(d.peekLast(), model[model.length - 1]);
    }
    assert.equal(d.length, model.length);
  }
  assert.deepEqual([...d], model);
  const s = new Deque<number>();
  for (const v of [5, 1, 9, 3, 3, 7, 0, 10]) s.insertSorted(v, (x) => x);
  assert.deepEqual([...s], [0, 1, 3, 3, 5, 7, 9, 10]);
});

test('CC and BCC headers add routing keys; BCC is stripped; DLX keeps CC keys', async () => {
  const t = await startCore();
  for (const n of ['main', 'cc1', 'bcc1']) {
    t.vh.declareQueue(t.p, n, q(), false);
    t.vh.bind(t.p, { source: 'amq.direct', destinationKind: 'queue', destination: n, routingKey: n, arguments: {} });
  }
  const r = publish(t, 'amq.direct', 'main', 'm', { headers: { CC: ['cc1', 'main'], BCC: ['bcc1'] } });
  assert.equal(r.routed, 3);
  for (const n of ['main', 'cc1', 'bcc1']) {
    const d = t.vh.get(t.p, n, true);
    assert.equal(d?.message.body.toString(), 'm', n);
    assert.deepEqual(d?.message.properties.headers, { CC: ['cc1', 'main'] });
  }
  // Dead-lettering without x-dead-letter-routing-key routes by all keys (routing-keys lists them).
  t.vh.declareExchange(t.p, 'dlx', 'direct', { durable: false, autoDelete: false, internal: false, arguments: {} }, false);
  t.vh.declareQueue(t.p, 'dl-cc', q(), false);
  t.vh.bind(t.p, { source: 'dlx', destinationKind: 'queue', destination: 'dl-cc', routingKey: 'extra', arguments: {} });
  t.vh.declareQueue(t.p, 'src', q({ arguments: { 'x-dead-letter-exchange': 'dlx' } }), false);
  publish(t, '', 'src', 'x', { headers: { CC: ['extra'] } });
  const d = t.vh.get(t.p, 'src', false);
  assert.ok(d);
  t.vh.settle('src', d.tag, { kind: 'reject', requeue: false });
  const dl = t.vh.get(t.p, 'dl-cc', true);
  assert.equal(dl?.message.body.toString(), 'x');
  assert.deepEqual(((dl?.message.properties.headers?.['x-death'] as FieldTable[])[0] as FieldTable)['routing-keys'], ['src', 'extra']);
  await t.broker.close();
});

test('default exchange write permission is checked as amq.default', async () => {
  const t = await startCore();
  t.broker.addUser('w', 'pw', []);
  t.broker.setPermissions('w', '/', { configure: '.*', write: '^amq\\.default$', read: '.*' });
  const p: Principal = { user: t.broker.authenticate('w', 'pw', '127.0.0.1') as User, connectionId: conn() };
  t.vh.declareQueue(t.p, 'dq', q(), false);
  assert.equal(t.vh.publish(p, '', 'dq', {}, Buffer.from('ok'), { mandatory: false }).routed, 1);
  assert.throws(
    () => t.vh.publish(p, 'amq.direct', 'dq', {}, Buffer.from('no'), { mandatory: false }),
    (e: unknown) => (e as BrokerError).code === ErrorCode.AccessRefused,
  );
  assert.deepEqual(drain(t, 'dq'), ['ok']);
  await t.broker.close();
});

test('a sink that throws does not corrupt the queue or stop other consumers', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'boom', q(), false);
  const got: string[] = [];
  t.vh.consume(t.p, 'boom', { hasCredit: () => true, deliver: () => { throw new Error('bug'); }, cancelledByBroker() {} }, { tag: 'bad', noAck: true, exclusive: false, priority: 0, arguments: {} });
  t.vh.consume(t.p, 'boom', { hasCredit: () => true, deliver: (d) => void got.push(d.message.body.toString()), cancelledByBroker() {} }, { tag: 'good', noAck: true, exclusive: false, priority: 0, arguments: {} });
  publish(t, '', 'boom', 'a');
  publish(t, '', 'boom', 'b');
  assert.deepEqual(got, ['b']);
  assert.equal(t.vh.getQueue('boom')?.messageCount, 0);
  await t.broker.close();
});
