import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, type BrokerError } from '../../../src/core/errors.js';
import type { ExchangeOptions, ExchangeType } from '../../../src/core/api.js';
import { TopicRouter } from '../../../src/core/routing/topic-router.js';
import type { Binding } from '../../../src/core/routing/binding.js';
import { drain, publish, q, startCore, type TestCore } from './helpers.js';

const code = (c: ErrorCode, text?: string) => (e: unknown) => {
  const be = e as BrokerError;
  assert.equal(be.code, c, be.message);
  if (text !== undefined) assert.equal(be.message, text);
  return true;
};
const xo = (over: Partial<ExchangeOptions> = {}): ExchangeOptions => ({ durable: false, autoDelete: false, internal: false, arguments: {}, ...over });
const bindQ = (t: TestCore, source: string, queue: string, routingKey: string, args = {}) =>
  t.vh.bind(t.p, { source, destinationKind: 'queue', destination: queue, routingKey, arguments: args });
const bindX = (t: TestCore, source: string, dest: string, routingKey: string, args = {}) =>
  t.vh.bind(t.p, { source, destinationKind: 'exchange', destination: dest, routingKey, arguments: args });
const decl = (t: TestCore, name: string, type: ExchangeType, over: Partial<ExchangeOptions> = {}) => t.vh.declareExchange(t.p, name, type, xo(over), false);

test('direct exchange: exact key, multiple bindings, one delivery per queue', async () => {
  const t = await startCore();
  decl(t, 'd', 'direct');
  t.vh.declareQueue(t.p, 'q1', q(), false);
  t.vh.declareQueue(t.p, 'q2', q(), false);
  bindQ(t, 'd', 'q1', 'info');
  bindQ(t, 'd', 'q1', 'warn');
  bindQ(t, 'd', 'q2', 'warn');
  assert.equal(publish(t, 'd', 'info', 'i').routed, 1);
  assert.equal(publish(t, 'd', 'warn', 'w').routed, 2);
  assert.equal(publish(t, 'd', 'error', 'e').routed, 0);
  assert.deepEqual(drain(t, 'q1'), ['i', 'w']);
  assert.deepEqual(drain(t, 'q2'), ['w']);
  await t.broker.close();
});

test('fanout exchange ignores the routing key', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'f1', q(), false);
  t.vh.declareQueue(t.p, 'f2', q(), false);
  bindQ(t, 'amq.fanout', 'f1', '');
  bindQ(t, 'amq.fanout', 'f2', 'whatever');
  assert.equal(publish(t, 'amq.fanout', 'any.key', 'x').routed, 2);
  await t.broker.close();
});

test('topic exchange: *, #, # in the middle, a.#.b, empty words', async () => {
  const t = await startCore();
  const patterns: Record<string, string> = {
    star: '*.orange.*',
    tail: 'lazy.#',
    mid: 'a.#.b',
    hash: '#',
    exact: 'a.b',
    emptyword: 'a..b',
    starstar: '*.*',
    hashstar: '#.*',
    empty: '',
    lead: '#.end',
  };
  for (const [name, key] of Object.entries(patterns)) {
    t.vh.declareQueue(t.p, name, q(), false);
    bindQ(t, 'amq.topic', name, key);
  }
  const targets = (rk: string): string[] => {
    publish(t, 'amq.topic', rk, rk);
    const hit: string[] = [];
    for (const name of Object.keys(patterns)) if (drain(t, name).length > 0) hit.push(name);
    return hit.sort();
  };
  assert.deepEqual(targets('quick.orange.rabbit'), ['hash', 'hashstar', 'star']);
  assert.deepEqual(targets('lazy'), ['hash', 'hashstar', 'tail']);
  assert.deepEqual(targets('lazy.pink.rabbit'), ['hash', 'hashstar', 'tail']);
  assert.deepEqual(targets('a.b'), ['exact', 'hash', 'hashstar', 'mid', 'starstar']);
  assert.deepEqual(targets('a.x.y.b'), ['hash', 'hashstar', 'mid']);
  assert.deepEqual(targets('a..b'), ['emptyword', 'hash', 'hashstar', 'mid']);
  assert.deepEqual(targets(''), ['empty', 'hash']);
  assert.deepEqual(targets('end'), ['hash', 'hashstar', 'lead']);
  assert.deepEqual(targets('x.y.end'), ['hash', 'hashstar', 'lead']);
  assert.deepEqual(targets('orange'), ['hash', 'hashstar']);
  await t.broker.close();
});

test('topic trie: duplicate-producing patterns match once; unbind prunes and invalidates cache', () => {
  const r = new TopicRouter<string>();
  const mk = (rk: string): Binding<string> => ({ source: 'x', destinationKind: 'queue', destinationName: rk, destination: rk, routingKey: rk, arguments: {}, key: rk, filter: undefined, filterSource: undefined });
  const b1 = mk('#.#.a.#');
  const b2 = mk('a.*.#');
  r.add(b1);
  r.add(b2);
  assert.deepEqual(r.match('a.a.a.a').map((b) => b.routingKey).sort(), ['#.#.a.#', 'a.*.#']);
  const msg = (rk: string) => ({ exchange: 'x', routingKey: rk, properties: {}, body: Buffer.alloc(0), id: 1 as never });
  assert.equal(r.route('a.b', msg('a.b')).length, 2);
  r.remove(b2);
  assert.deepEqual(r.route('a.b', msg('a.b')).map((b) => b.routingKey), ['#.#.a.#']);
  // A long key against many '#' stays fast enough to finish (memoised walk).
  r.add(mk('#.#.#.#.#.#.#.#.z'));
  const long = Array.from({ length: 200 }, () => 'a').join('.');
  assert.equal(r.match(long).length, 1);
});

test('headers exchange: all, any, void presence, x- keys ignored unless -with-x', async () => {
  const t = await startCore();
  const bindings: Record<string, Record<string, unknown>> = {
    all: { 'x-match': 'all', format: 'pdf', type: 'report' },
    any: { 'x-match': 'any', format: 'pdf', type: 'report' },
    dflt: { format: 'pdf' },
    presence: { 'x-match': 'all', format: null },
    xall: { 'x-match': 'all', 'x-tenant': 'a', format: 'pdf' },
    xallwith: { 'x-match': 'all-with-x', 'x-tenant': 'a', format: 'pdf' },
    xanywith: { 'x-match': 'any-with-x', 'x-tenant': 'a' },
  };
  for (const [name, args] of Object.entries(bindings)) {
    t.vh.declareQueue(t.p, name, q(), false);
    bindQ(t, 'amq.headers', name, '', args);
  }
  const targets = (headers: Record<string, unknown>): string[] => {
    t.vh.publish(t.p, 'amq.headers', '', { headers: headers as never }, Buffer.from('m'), { mandatory: false });
    const hit: string[] = [];
    for (const name of Object.keys(bindings)) if (drain(t, name).length > 0) hit.push(name);
    return hit.sort();
  };
  assert.deepEqual(targets({ format: 'pdf', type: 'report' }), ['all', 'any', 'dflt', 'presence', 'xall']);
  assert.deepEqual(targets({ format: 'pdf' }), ['any', 'dflt', 'presence', 'xall']);
  assert.deepEqual(targets({ format: 'zip', type: 'report' }), ['any', 'presence']);
  assert.deepEqual(targets({ format: 'pdf', 'x-tenant': 'a' }), ['any', 'dflt', 'presence', 'xall', 'xallwith', 'xanywith']);
  assert.deepEqual(targets({ 'x-tenant': 'a' }), ['xanywith']);
  assert.deepEqual(targets({}), []);
  // Texts as RabbitMQ 3.10 writes them.
  assert.throws(
    () => bindQ(t, 'amq.headers', 'all', '', { 'x-match': 'some' }),
    code(ErrorCode.PreconditionFailed, 'Invalid x-match field value <<"some">>; expected all, any, all-with-x, or any-with-x'),
  );
  assert.throws(
    () => bindQ(t, 'amq.headers', 'all', '', { 'x-match': true }),
    code(ErrorCode.PreconditionFailed, 'Invalid x-match field type bool (value true); expected longstr'),
  );
  await t.broker.close();
});

test('exchange-to-exchange bindings, cycle-safe, each queue at most once', async () => {
  const t = await startCore();
  decl(t, 'e1', 'fanout');
  decl(t, 'e2', 'fanout');
  decl(t, 'e3', 'topic');
  t.vh.declareQueue(t.p, 'dest', q(), false);
  bindX(t, 'e1', 'e2', '');
  bindX(t, 'e2', 'e1', ''); // cycle
  bindX(t, 'e1', 'e3', '');
  bindX(t, 'e2', 'e3', '');
  bindQ(t, 'e2', 'dest', '');
  bindQ(t, 'e3', 'dest', '#');
  bindQ(t, 'e3', 'dest', 'k');
  assert.equal(publish(t, 'e1', 'k', 'once').routed, 1);
  assert.deepEqual(drain(t, 'dest'), ['once']);
  // Deleting a destination exchange removes the bindings that point at it.
  t.vh.deleteExchange(t.p, 'e3', false);
  assert.ok(!t.vh.listBindings().some((b) => b.destination === 'e3'));
  await t.broker.close();
});

test('alternate exchange takes unroutable messages; AE cycles terminate', async () => {
  const t = await startCore();
  decl(t, 'ae', 'fanout');
  decl(t, 'main', 'direct', { arguments: { 'alternate-exchange': 'ae' } });
  t.vh.declareQueue(t.p, 'routed', q(), false);
  t.vh.declareQueue(t.p, 'unrouted', q(), false);
  bindQ(t, 'main', 'routed', 'ok');
  bindQ(t, 'ae', 'unrouted', '');
  assert.equal(publish(t, 'main', 'ok', 'a').routed, 1);
  assert.equal(publish(t, 'main', 'other', 'b').routed, 1);
  assert.deepEqual(drain(t, 'routed'), ['a']);
  assert.deepEqual(drain(t, 'unrouted'), ['b']);
  decl(t, 'x1', 'direct', { arguments: { 'alternate-exchange': 'x2' } });
  decl(t, 'x2', 'direct', { arguments: { 'alternate-exchange': 'x1' } });
  assert.equal(publish(t, 'x1', 'nothing', 'c').routed, 0);
  await t.broker.close();
});

test('internal exchanges refuse publishes but route from e2e bindings', async () => {
  const t = await startCore();
  decl(t, 'int', 'fanout', { internal: true });
  t.vh.declareQueue(t.p, 'iq', q(), false);
  bindQ(t, 'int', 'iq', '');
  bindX(t, 'amq.fanout', 'int', '');
  assert.throws(() => publish(t, 'int', '', 'x'), code(ErrorCode.AccessRefused, "cannot publish to internal exchange 'int' in vhost '/'"));
  assert.equal(publish(t, 'amq.fanout', '', 'y').routed, 1);
  await t.broker.close();
});

test('auto-delete exchange goes with its last binding; amq.* declare rules', async () => {
  const t = await startCore();
  decl(t, 'auto', 'fanout', { autoDelete: true });
  t.vh.declareQueue(t.p, 'aq', q(), false);
  bindQ(t, 'auto', 'aq', 'a');
  bindQ(t, 'auto', 'aq', 'b');
  t.vh.unbind(t.p, { source: 'auto', destinationKind: 'queue', destination: 'aq', routingKey: 'a', arguments: {} });
  assert.ok(t.vh.getExchange('auto'));
  t.vh.unbind(t.p, { source: 'auto', destinationKind: 'queue', destination: 'aq', routingKey: 'b', arguments: {} });
  assert.equal(t.vh.getExchange('auto'), undefined);
  // Also when the bound queue is deleted.
  decl(t, 'auto2', 'fanout', { autoDelete: true });
  bindQ(t, 'auto2', 'aq', '');
  t.vh.deleteQueue(t.p, 'aq', false, false);
  assert.equal(t.vh.getExchange('auto2'), undefined);

  assert.throws(() => decl(t, 'amq.custom', 'direct'), code(ErrorCode.AccessRefused, "exchange name 'amq.custom' contains reserved prefix 'amq.*'"));
  assert.equal(t.vh.declareExchange(t.p, 'amq.direct', 'direct', xo({ durable: true }), false).name, 'amq.direct');
  await t.broker.close();
});

test('reserved names, default exchange and amq.* deletion', async () => {
  const t = await startCore();
  assert.throws(() => t.vh.declareExchange(t.p, 'amq.nope', 'direct', xo(), true), code(ErrorCode.NotFound, "no exchange 'amq.nope' in vhost '/'"));
  assert.throws(() => t.vh.declareQueue(t.p, 'amq.q', q(), false), code(ErrorCode.AccessRefused, "queue name 'amq.q' contains reserved prefix 'amq.*'"));
  assert.throws(() => t.vh.deleteExchange(t.p, 'amq.topic', false), code(ErrorCode.AccessRefused, "deletion of system exchange 'amq.topic' in vhost '/' not allowed"));
  assert.throws(() => t.vh.deleteExchange(t.p, '', false), code(ErrorCode.AccessRefused));
  t.vh.declareQueue(t.p, 'dq', q(), false);
  assert.throws(() => bindQ(t, '', 'dq', 'dq'), code(ErrorCode.AccessRefused, 'operation not permitted on the default exchange'));
  assert.throws(() => bindX(t, 'amq.direct', '', 'k'), code(ErrorCode.AccessRefused));
  assert.throws(() => bindQ(t, 'missing', 'dq', ''), code(ErrorCode.NotFound, "no exchange 'missing' in vhost '/'"));
  assert.throws(() => bindQ(t, 'amq.direct', 'missing', ''), code(ErrorCode.NotFound, "no queue 'missing' in vhost '/'"));
  assert.throws(() => publish(t, 'missing', '', 'x'), code(ErrorCode.NotFound, "no exchange 'missing' in vhost '/'"));
  // Deleting a missing exchange or unbinding a missing binding is not an error.
  t.vh.deleteExchange(t.p, 'never-was', false);
  t.vh.unbind(t.p, { source: 'amq.direct', destinationKind: 'queue', destination: 'dq', routingKey: 'none', arguments: {} });
  decl(t, 'used', 'direct');
  bindQ(t, 'used', 'dq', 'k');
  assert.throws(() => t.vh.deleteExchange(t.p, 'used', true), code(ErrorCode.PreconditionFailed, "exchange 'used' in vhost '/' in use"));
  t.vh.deleteExchange(t.p, 'used', false);
  assert.equal(t.vh.getExchange('used'), undefined);
  await t.broker.close();
});

test('exchange redeclare equivalence', async () => {
  const t = await startCore();
  decl(t, 'eq', 'direct');
  decl(t, 'eq', 'direct');
  assert.throws(() => decl(t, 'eq', 'fanout'), code(ErrorCode.PreconditionFailed, "inequivalent arg 'type' for exchange 'eq' in vhost '/': received 'fanout' but current is 'direct'"));
  assert.throws(() => decl(t, 'eq', 'direct', { durable: true }), code(ErrorCode.PreconditionFailed, "inequivalent arg 'durable' for exchange 'eq' in vhost '/': received 'true' but current is 'false'"));
  assert.throws(() => decl(t, 'eq', 'direct', { arguments: { 'alternate-exchange': 'ae' } }), code(ErrorCode.PreconditionFailed));
  // Other arguments are not compared.
  decl(t, 'eq', 'direct', { arguments: { 'x-whatever': 1 } });
  assert.throws(
    () => decl(t, 'ae-bad', 'direct', { arguments: { 'alternate-exchange': true } }),
    code(ErrorCode.PreconditionFailed, "invalid type 'bool' for arg 'alternate-exchange' in exchange 'ae-bad' in vhost '/'"),
  );
  await t.broker.close();
});

test('binding filters apply per message; rebind replaces the filter', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'fq', q(), false);
  const spec = { source: 'amq.topic', destinationKind: 'queue' as const, destination: 'fq', routingKey: '#', arguments: {} };
  t.vh.bind(t.p, { ...spec, filter: (m) => m.body.toString().startsWith('yes') });
  publish(t, 'amq.topic', 'a', 'yes1');
  publish(t, 'amq.topic', 'a', 'no1');
  t.vh.bind(t.p, { ...spec, filter: (m) => m.body.toString().startsWith('no') });
  publish(t, 'amq.topic', 'a', 'yes2');
  publish(t, 'amq.topic', 'a', 'no2');
  assert.deepEqual(drain(t, 'fq'), ['yes1', 'no2']);
  assert.equal(t.vh.listBindings().filter((b) => b.destination === 'fq' && b.source === 'amq.topic').length, 1);
  await t.broker.close();
});
