/** Destination conventions of ActiveMQ and RabbitMQ, subscription options, reply-to handling. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSharedBroker } from '../../helpers/broker.js';
import { eventually, frame, rawConnected, sleep } from './helpers.js';
import type { RawClient } from './helpers.js';

const broker = useSharedBroker();

const vhost = () => broker.server().broker.getVhost('/')!;

async function subscribed(c: RawClient, headers: Record<string, string>): Promise<void> {
  const r = `sub-${headers['id']}`;
  c.write(frame('SUBSCRIBE', { ...headers, receipt: r }));
  await c.receipt(r);
}

async function quiet(c: RawClient): Promise<void> {
  await sleep(150);
  assert.deepEqual(c.frames.map((f) => f.command), []);
}

test('/queue/x is declared durable on first SEND and on SUBSCRIBE', async () => {
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('SEND', { destination: '/queue/declared-on-send', receipt: 'r' }, 'x'));
  await c.receipt('r');
  const q = vhost().getQueue('declared-on-send');
  assert.ok(q);
  assert.equal(q.durable, true);
  assert.equal(q.messageCount, 1);
  await subscribed(c, { id: '1', destination: '/queue/declared-on-sub', durable: 'false', 'auto-delete': 'false' });
  assert.equal(vhost().getQueue('declared-on-sub')?.durable, false, 'durable header honoured');
  c.close();
});

test('/topic/x: a private queue per subscription, removed on UNSUBSCRIBE; ActiveMQ > wildcard', async () => {
  const before = vhost().listQueues().length;
  const a = await rawConnected(broker.ports.stomp);
  await subscribed(a, { id: 'w', destination: '/topic/t1.>' });
  await subscribed(a, { id: 'x', destination: '/topic/t1.a.b' });
  assert.equal(vhost().listQueues().length, before + 2);
  const p = await rawConnected(broker.ports.stomp);
  p.write(frame('SEND', { destination: '/topic/t1.a.b' }, 'to-both'));
  const m1 = await a.expect('MESSAGE');
  const m2 = await a.expect('MESSAGE');
  assert.deepEqual([m1.headers['subscription'], m2.headers['subscription']].sort(), ['w', 'x']);
  assert.equal(m1.headers['destination'], '/topic/t1.a.b');
  a.write(frame('UNSUBSCRIBE', { id: 'w', receipt: 'u' }));
  await a.receipt('u');
  a.write(frame('UNSUBSCRIBE', { id: 'x', receipt: 'u2' }));
  await a.receipt('u2');
  await eventually(() => vhost().listQueues().length === before, 'topic subscription queues removed');
  a.close();
  p.close();
});

test('ActiveMQ durable subscription: client-id + activemq.subscriptionName keeps messages while away', async () => {
  const sub = { id: 'd', destination: '/topic/news.sport', 'activemq.subscriptionName': 'sport' };
  const a = await rawConnected(broker.ports.stomp, { 'accept-version': '1.2', host: '/', 'client-id': 'app1' });
  await subscribed(a, sub);
  a.write(frame('DISCONNECT', { receipt: 'bye' }));
  await a.receipt('bye');
  await a.waitClosed();
  assert.ok(vhost().getQueue('app1.sport')?.durable, 'queue <client-id>.<name>');
  const p = await rawConnected(broker.ports.stomp);
  p.write(frame('SEND', { destination: '/topic/news.sport', receipt: 'p' }, 'goal'));
  await p.receipt('p');
  const b = await rawConnected(broker.ports.stomp, { 'accept-version': '1.2', host: '/', 'client-id': 'app1' });
  await subscribed(b, sub);
  const m = await b.expect('MESSAGE');
  assert.equal(m.body.toString(), 'goal');
  // UNSUBSCRIBE naming the subscription removes it (ActiveMQ).
  b.write(frame('UNSUBSCRIBE', { id: 'd', 'activemq.subscriptionName': 'sport', receipt: 'u' }));
  await b.receipt('u');
  assert.equal(vhost().getQueue('app1.sport'), undefined);
  b.close();
  p.close();
});

test('ActiveMQ durable subscription re-subscribed with another selector is replaced: what was queued for the old one is dropped (JMS 1.1 §6.11.1, ActiveMQ 5.17 checked)', async () => {
  const connect = { 'accept-version': '1.2', host: '/', 'client-id': 'app-sel' };
  const sub = (selector: string) => ({ id: 'd', destination: '/topic/sel.change', 'activemq.subscriptionName': 'picky', selector });
  const away = async (c: Awaited<ReturnType<typeof rawConnected>>): Promise<void> => {
    c.write(frame('DISCONNECT', { receipt: 'bye' }));
    await c.receipt('bye');
    await c.waitClosed();
  };
  const a = await rawConnected(broker.ports.stomp, connect);
  await subscribed(a, sub("size = 'big'"));
  await away(a);
  const p = await rawConnected(broker.ports.stomp);
  p.write(frame('SEND', { destination: '/topic/sel.change', size: 'big', receipt: 'old' }, 'big-1'));
  await p.receipt('old');
  assert.equal(vhost().getQueue('app-sel.picky')?.messageCount, 1);
  // The same selector again keeps what was queued.
  const b = await rawConnected(broker.ports.stomp, connect);
  await subscribed(b, sub("size = 'big'"));
  assert.equal((await b.expect('MESSAGE')).body.toString(), 'big-1');
  await away(b);
  p.write(frame('SEND', { destination: '/topic/sel.change', size: 'big', receipt: 'old2' }, 'big-2'));
  await p.receipt('old2');
  // Another selector: a new subscription; big-2 goes, and only small messages come now.
  const c = await rawConnected(broker.ports.stomp, connect);
  await subscribed(c, sub("size = 'small'"));
  p.write(frame('SEND', { destination: '/topic/sel.change', size: 'big' }, 'big-3'));
  p.write(frame('SEND', { destination: '/topic/sel.change', size: 'small' }, 'small-1'));
  assert.equal((await c.expect('MESSAGE')).body.toString(), 'small-1');
  await quiet(c);
  c.write(frame('UNSUBSCRIBE', { id: 'd', 'activemq.subscriptionName': 'picky', receipt: 'u' }));
  await c.receipt('u');
  c.close();
  p.close();
});

test('RabbitMQ durable subscription: durable:true + auto-delete:false + id', async () => {
  const sub = { id: 'rd', destination: '/topic/rabbit.durable', durable: 'true', 'auto-delete': 'false' };
  const a = await rawConnected(broker.ports.stomp);
  await subscribed(a, sub);
  a.close();
  await a.waitClosed();
  const p = await rawConnected(broker.ports.stomp);
  p.write(frame('SEND', { destination: '/topic/rabbit.durable', receipt: 'p' }, 'kept'));
  await p.receipt('p');
  const b = await rawConnected(broker.ports.stomp);
  await subscribed(b, sub);
  assert.equal((await b.expect('MESSAGE')).body.toString(), 'kept');
  b.write(frame('UNSUBSCRIBE', { id: 'rd', durable: 'true', receipt: 'u' }));
  await b.receipt('u');
  b.close();
  p.close();
});

test('/exchange/e/rk: send to and subscribe on a named exchange', async () => {
  const c = await rawConnected(broker.ports.stomp);
  await subscribed(c, { id: 'e', destination: '/exchange/amq.direct/route-1' });
  c.write(frame('SEND', { destination: '/exchange/amq.direct/route-1' }, 'direct'));
  c.write(frame('SEND', { destination: '/exchange/amq.direct/route-2' }, 'elsewhere'));
  const m = await c.expect('MESSAGE');
  assert.equal(m.body.toString(), 'direct');
  assert.equal(m.headers['destination'], '/exchange/amq.direct/route-1');
  await quiet(c);
  c.close();
});

test('/amq/queue/q uses an existing queue and never declares one', async () => {
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('SEND', { destination: '/queue/amq-existing', receipt: 'd' }, 'first'));
  await c.receipt('d');
  await subscribed(c, { id: 'q', destination: '/amq/queue/amq-existing' });
  assert.equal((await c.expect('MESSAGE')).body.toString(), 'first');
  c.write(frame('SEND', { destination: '/amq/queue/amq-existing' }, 'second'));
  assert.equal((await c.expect('MESSAGE')).body.toString(), 'second');
  c.close();
});

test('/temp-queue/ in reply-to: rewritten to /reply-queue/, replies reach the requester', async () => {
  const server = await rawConnected(broker.ports.stomp);
  await subscribed(server, { id: 'svc', destination: '/queue/rpc-service' });
  const client = await rawConnected(broker.ports.stomp);
  client.write(frame('SEND', { destination: '/queue/rpc-service', 'reply-to': '/temp-queue/answers', 'correlation-id': 'c-1' }, 'question'));
  const req = await server.expect('MESSAGE');
  const replyTo = req.headers['reply-to']!;
  assert.match(replyTo, /^\/reply-queue\/.+/);
  assert.equal(req.headers['correlation-id'], 'c-1');
  server.write(frame('SEND', { destination: replyTo, 'correlation-id': 'c-1' }, 'answer'));
  const reply = await client.expect('MESSAGE');
  assert.equal(reply.body.toString(), 'answer');
  assert.equal(reply.headers['subscription'], '/temp-queue/answers');
  assert.equal(reply.headers['destination'], '/temp-queue/answers');
  // The temp queue is exclusive to the requester and goes away with it.
  const realQueue = replyTo.slice('/reply-queue/'.length);
  assert.ok(vhost().getQueue(realQueue));
  client.close();
  await client.waitClosed();
  await eventually(() => vhost().getQueue(realQueue) === undefined, 'temp queue deleted with its connection');
  server.close();
});

test('/temp-topic/: private topic usable as reply-to', async () => {
  const requester = await rawConnected(broker.ports.stomp);
  await subscribed(requester, { id: 'tt', destination: '/temp-topic/events' });
  const service = await rawConnected(broker.ports.stomp);
  await subscribed(service, { id: 's', destination: '/queue/tt-service' });
  requester.write(frame('SEND', { destination: '/queue/tt-service', 'reply-to': '/temp-topic/events' }, 'ping'));
  const req = await service.expect('MESSAGE');
  assert.match(req.headers['reply-to']!, /^\/topic\/amq\.tmp\./);
  service.write(frame('SEND', { destination: req.headers['reply-to']! }, 'pong'));
  const m = await requester.expect('MESSAGE');
  assert.equal(m.body.toString(), 'pong');
  assert.equal(m.headers['destination'], '/temp-topic/events');
  requester.close();
  service.close();
});

test('selector on a queue subscription (consumer filter) and on a topic subscription (binding filter)', async () => {
  const c = await rawConnected(broker.ports.stomp);
  await subscribed(c, { id: 'red', destination: '/queue/sel-q', selector: "color = 'red' AND size > 5" });
  await subscribed(c, { id: 'tr', destination: '/topic/sel.t', selector: "JMSType = 'car'" });
  c.write(frame('SEND', { destination: '/queue/sel-q', color: 'blue', size: '10' }, 'blue'));
  c.write(frame('SEND', { destination: '/queue/sel-q', color: 'red', size: '10' }, 'red'));
  c.write(frame('SEND', { destination: '/topic/sel.t', type: 'bike' }, 'bike'));
  c.write(frame('SEND', { destination: '/topic/sel.t', type: 'car' }, 'car'));
  const got = [await c.expect('MESSAGE'), await c.expect('MESSAGE')];
  assert.deepEqual(got.map((m) => m.body.toString()).sort(), ['car', 'red']);
  await quiet(c);
  // The blue one stays in the queue for others.
  assert.equal(vhost().getQueue('sel-q')?.messageCount, 1);
  c.close();
});

async function bodies(c: RawClient, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await c.expect('MESSAGE')).body.toString());
  return out;
}

test('activemq.exclusive: a second exclusive subscriber waits as a standby and takes over, unacked messages included (ActiveMQ)', async () => {
  const q = '/queue/excl-standby';
  const a = await rawConnected(broker.ports.stomp);
  const b = await rawConnected(broker.ports.stomp);
  const p = await rawConnected(broker.ports.stomp);
  await subscribed(a, { id: 'a', destination: q, ack: 'client-individual', 'activemq.exclusive': 'true' });
  // Not refused: ActiveMQ keeps it as a standby (a RECEIPT, no ERROR).
  await subscribed(b, { id: 'b', destination: q, ack: 'client-individual', 'activemq.exclusive': 'true' });
  for (const m of ['m0', 'm1', 'm2']) p.write(frame('SEND', { destination: q }, m));
  const first = [await a.expect('MESSAGE'), await a.expect('MESSAGE'), await a.expect('MESSAGE')];
  assert.deepEqual(first.map((m) => m.body.toString()), ['m0', 'm1', 'm2']);
  await quiet(b);
  // a acks only m0 and goes away: m1 and m2 come back to b, the new exclusive consumer.
  a.write(frame('ACK', { id: first[0]!.headers['ack']!, receipt: 'acked' }));
  await a.receipt('acked');
  a.close();
  await a.waitClosed();
  const taken = [await b.expect('MESSAGE'), await b.expect('MESSAGE')];
  assert.deepEqual(taken.map((m) => m.body.toString()), ['m1', 'm2']);
  assert.ok(taken.every((m) => m.headers['redelivered'] === 'true'));
  p.write(frame('SEND', { destination: q }, 'm3'));
  assert.deepEqual(await bodies(b, 1), ['m3']);
  b.close();
  p.close();
});

test('activemq.exclusive: an exclusive subscriber takes the queue over from non-exclusive ones until it leaves (ActiveMQ)', async () => {
  const q = '/queue/excl-takeover';
  const plain = await rawConnected(broker.ports.stomp);
  const excl = await rawConnected(broker.ports.stomp);
  const p = await rawConnected(broker.ports.stomp);
  await subscribed(plain, { id: 'n', destination: q });
  await subscribed(excl, { id: 'x', destination: q, 'activemq.exclusive': 'true' });
  for (const m of ['e0', 'e1', 'e2', 'e3']) p.write(frame('SEND', { destination: q }, m));
  assert.deepEqual(await bodies(excl, 4), ['e0', 'e1', 'e2', 'e3']);
  await quiet(plain);
  excl.write(frame('UNSUBSCRIBE', { id: 'x', receipt: 'u' }));
  await excl.receipt('u');
  p.write(frame('SEND', { destination: q }, 'after'));
  assert.deepEqual(await bodies(plain, 1), ['after']);
  await quiet(excl);
  plain.close();
  excl.close();
  p.close();
});

test('activemq.exclusive standby on a queue deleted by someone else: ERROR, then close', async () => {
  const a = await rawConnected(broker.ports.stomp);
  const b = await rawConnected(broker.ports.stomp);
  await subscribed(a, { id: 'a', destination: '/queue/excl-deleted', 'activemq.exclusive': 'true' });
  await subscribed(b, { id: 'b', destination: '/queue/excl-deleted', 'activemq.exclusive': 'true' });
  const core = broker.server().broker;
  const admin = { user: core.authenticate('guest', 'guest', '127.0.0.1')!, connectionId: 0x7fff0001 as never };
  vhost().deleteQueue(admin, 'excl-deleted', false, false);
  assert.equal((await a.expect('ERROR')).headers['message'], 'Subscription cancelled');
  assert.equal((await b.expect('ERROR')).headers['message'], 'Subscription cancelled');
  await a.waitClosed();
  await b.waitClosed();
});

test('consumer priority (x-priority / activemq.priority): the higher one gets the messages', async () => {
  const c = await rawConnected(broker.ports.stomp);
  await subscribed(c, { id: 'low', destination: '/queue/prio-consumers', 'activemq.priority': '1' });
  await subscribed(c, { id: 'high', destination: '/queue/prio-consumers', 'x-priority': '10' });
  for (let i = 0; i < 3; i++) c.write(frame('SEND', { destination: '/queue/prio-consumers' }, String(i)));
  const got = [await c.expect('MESSAGE'), await c.expect('MESSAGE'), await c.expect('MESSAGE')];
  assert.deepEqual(got.map((m) => m.headers['subscription']), ['high', 'high', 'high']);
  c.close();
});

test('x- headers become queue arguments (x-max-length, x-queue-type)', async () => {
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('SEND', { destination: '/queue/capped', 'x-max-length': '2', receipt: 'r' }, 'a'));
  await c.receipt('r');
  assert.equal(vhost().getQueue('capped')?.arguments['x-max-length'], 2);
  for (const b of ['b', 'c', 'd']) c.write(frame('SEND', { destination: '/queue/capped' }, b));
  c.write(frame('SEND', { destination: '/queue/capped', receipt: 'r2' }, 'e'));
  await c.receipt('r2');
  assert.equal(vhost().getQueue('capped')?.messageCount, 2);
  await subscribed(c, { id: 'q', destination: '/queue/typed', 'x-queue-type': 'classic' });
  assert.equal(vhost().getQueue('typed')?.arguments['x-queue-type'], 'classic');
  c.close();
});

test('host header: a vhost name or anything else (server hostname) maps to the default vhost', async () => {
  for (const host of ['/', 'localhost', 'broker.example.com']) {
    const c = await rawConnected(broker.ports.stomp, { 'accept-version': '1.2', host });
    c.write(frame('SEND', { destination: '/queue/host-check', receipt: 'h' }, host));
    await c.receipt('h');
    c.close();
  }
  assert.equal(vhost().getQueue('host-check')?.messageCount, 3);
});

test('queue deleted under a subscription (e.g. by an AMQP client): ERROR, then close', async () => {
  const c = await rawConnected(broker.ports.stomp);
  await subscribed(c, { id: 'gone', destination: '/queue/to-be-deleted' });
  const core = broker.server().broker;
  const admin = { user: core.authenticate('guest', 'guest', '127.0.0.1')!, connectionId: 0x7fff0000 as never };
  vhost().deleteQueue(admin, 'to-be-deleted', false, false);
  const e = await c.expect('ERROR');
  assert.equal(e.headers['message'], 'Subscription cancelled');
  assert.match(e.body.toString(), /gone/);
  await c.waitClosed();
});

test('RabbitMQ durable:true without auto-delete:false: durable queue, gone when the subscriber leaves', async () => {
  const a = await rawConnected(broker.ports.stomp);
  await subscribed(a, { id: 'ad', destination: '/topic/rabbit.autodel', persistent: 'true', 'x-queue-name': 'rabbit-autodel-sub' });
  assert.equal(vhost().getQueue('rabbit-autodel-sub')?.durable, true);
  assert.equal(vhost().getQueue('rabbit-autodel-sub')?.autoDelete, true);
  a.close();
  await a.waitClosed();
  await eventually(() => vhost().getQueue('rabbit-autodel-sub') === undefined, 'auto-delete durable subscription queue removed');
});

test('/temp-queue/x as a destination: private to its connection, same name elsewhere is another queue', async () => {
  const a = await rawConnected(broker.ports.stomp);
  const b = await rawConnected(broker.ports.stomp);
  await subscribed(a, { id: 'ta', destination: '/temp-queue/inbox' });
  await subscribed(b, { id: 'tb', destination: '/temp-queue/inbox' });
  a.write(frame('SEND', { destination: '/temp-queue/inbox' }, 'for-a'));
  b.write(frame('SEND', { destination: '/temp-queue/inbox' }, 'for-b'));
  const ma = await a.expect('MESSAGE');
  const mb = await b.expect('MESSAGE');
  assert.equal(ma.body.toString(), 'for-a');
  assert.equal(mb.body.toString(), 'for-b');
  assert.equal(ma.headers['destination'], '/temp-queue/inbox');
  await quiet(a);
  await quiet(b);
  a.close();
  b.close();
});

test('x-queue-type: quorum is declared durable; an unsupported type is an ERROR precondition_failed', async () => {
  const c = await rawConnected(broker.ports.stomp);
  await subscribed(c, { id: 'qq', destination: '/queue/stomp-quorum', 'x-queue-type': 'quorum', 'x-delivery-limit': '5' });
  const q = vhost().getQueue('stomp-quorum');
  assert.equal(q?.arguments['x-queue-type'], 'quorum');
  assert.equal(q?.arguments['x-delivery-limit'], 5);
  assert.equal(q?.durable, true);
  c.write(frame('SUBSCRIBE', { id: 'st', destination: '/queue/stomp-stream', 'x-queue-type': 'stream', receipt: 'st' }));
  const e = await c.expect('ERROR');
  assert.equal(e.headers['message'], 'precondition_failed');
  assert.equal(e.headers['receipt-id'], 'st');
  await c.waitClosed();
});

test('/queue/ with auto-delete:true (RabbitMQ): the queue goes when its last subscriber does', async () => {
  const c = await rawConnected(broker.ports.stomp);
  await subscribed(c, { id: 'ad', destination: '/queue/stomp-autodel', 'auto-delete': 'true', durable: 'false' });
  const q = vhost().getQueue('stomp-autodel');
  assert.equal(q?.autoDelete, true);
  assert.equal(q?.durable, false);
  c.write(frame('UNSUBSCRIBE', { id: 'ad', receipt: 'u' }));
  await c.receipt('u');
  await eventually(() => vhost().getQueue('stomp-autodel') === undefined, 'auto-delete queue removed');
  c.close();
});

test('per-message TTL: RabbitMQ expiration (ms) and ActiveMQ expires (absolute ms) expire messages in the queue', async () => {
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('SEND', { destination: '/queue/stomp-ttl', expiration: '1' }, 'rabbit-ttl'));
  c.write(frame('SEND', { destination: '/queue/stomp-ttl', expires: String(Date.now() - 1000) }, 'activemq-past'));
  c.write(frame('SEND', { destination: '/queue/stomp-ttl', expires: String(Date.now() + 60_000) }, 'activemq-future'));
  c.write(frame('SEND', { destination: '/queue/stomp-ttl', receipt: 'r' }, 'no-ttl'));
  await c.receipt('r');
  await sleep(50);
  await subscribed(c, { id: 'ttl', destination: '/queue/stomp-ttl' });
  const got = [await c.expect('MESSAGE'), await c.expect('MESSAGE')];
  assert.deepEqual(got.map((m) => m.body.toString()), ['activemq-future', 'no-ttl']);
  const ttl = Number(got[0]!.headers['expiration']);
  assert.ok(ttl > 50_000 && ttl <= 60_000, `expires became a TTL: ${ttl}`);
  await quiet(c);
  c.close();
});

test('ActiveMQ durable subscription re-subscribed to another topic is replaced: old messages and old topic dropped (ActiveMQ 5.17)', async () => {
  const connect = { 'accept-version': '1.2', host: '/', 'client-id': 'app-move' };
  const a = await rawConnected(broker.ports.stomp, connect);
  await subscribed(a, { id: 'd', destination: '/topic/move.a', 'activemq.subscriptionName': 'mover' });
  a.write(frame('DISCONNECT', { receipt: 'bye' }));
  await a.receipt('bye');
  await a.waitClosed();
  const p = await rawConnected(broker.ports.stomp);
  p.write(frame('SEND', { destination: '/topic/move.a', receipt: 'old' }, 'old-a'));
  await p.receipt('old');
  assert.equal(vhost().getQueue('app-move.mover')?.messageCount, 1);
  const b = await rawConnected(broker.ports.stomp, connect);
  await subscribed(b, { id: 'd', destination: '/topic/move.b', 'activemq.subscriptionName': 'mover' });
  p.write(frame('SEND', { destination: '/topic/move.a' }, 'new-a'));
  p.write(frame('SEND', { destination: '/topic/move.b' }, 'new-b'));
  assert.equal((await b.expect('MESSAGE')).body.toString(), 'new-b');
  await quiet(b);
  // Same topic again: nothing is dropped.
  b.write(frame('DISCONNECT', { receipt: 'bye2' }));
  await b.receipt('bye2');
  await b.waitClosed();
  p.write(frame('SEND', { destination: '/topic/move.b', receipt: 'kept' }, 'kept-b'));
  await p.receipt('kept');
  const c = await rawConnected(broker.ports.stomp, connect);
  await subscribed(c, { id: 'd', destination: '/topic/move.b', 'activemq.subscriptionName': 'mover' });
  assert.equal((await c.expect('MESSAGE')).body.toString(), 'kept-b');
  c.write(frame('UNSUBSCRIBE', { id: 'd', 'activemq.subscriptionName': 'mover', receipt: 'u' }));
  await c.receipt('u');
  c.close();
  p.close();
});
