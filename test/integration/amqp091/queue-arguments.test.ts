/** Queue arguments and queue kinds as amqplib clients see them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsumeMessage, GetMessage, Options } from 'amqplib';
import { useSharedBroker } from '../../helpers/broker.js';
import { channel, confirmChannel, connect, errorOf, sleep, waitFor } from './helpers.js';

const b = useSharedBroker();

async function getAll(ch: { get(q: string, o?: { noAck?: boolean }): Promise<GetMessage | false> }, q: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const m = await ch.get(q, { noAck: true });
    if (m === false) return out;
    out.push(m.content.toString());
  }
}

test('x-message-ttl: expired messages are not delivered', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('ttl-q', { arguments: { 'x-message-ttl': 50 } });
  ch.sendToQueue('ttl-q', Buffer.from('old'));
  await sleep(150);
  ch.sendToQueue('ttl-q', Buffer.from('new'));
  assert.deepEqual(await getAll(ch, 'ttl-q'), ['new']);
  await c.close();
});

test('per-message expiration; an invalid expiration is 406', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('exp-q');
  ch.sendToQueue('exp-q', Buffer.from('short'), { expiration: '30' });
  ch.sendToQueue('exp-q', Buffer.from('long'), { expiration: '60000' });
  await sleep(120);
  assert.deepEqual(await getAll(ch, 'exp-q'), ['long']);
  ch.sendToQueue('exp-q', Buffer.from('bad'), { expiration: 'soon' });
  await waitFor(() => ch.closeError !== undefined, 5000, 'channel error');
  assert.match(String(ch.closeError?.message), /406 \(PRECONDITION-FAILED\).*invalid expiration 'soon'/);
  await c.close();
});

test('dead-lettering: rejected message reaches the DLX with x-death as the client sees it', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertExchange('dlx', 'fanout');
  await ch.assertQueue('dead');
  await ch.bindQueue('dead', 'dlx', '');
  await ch.assertQueue('work-dl', { arguments: { 'x-dead-letter-exchange': 'dlx' } });
  ch.sendToQueue('work-dl', Buffer.from('poison'), { headers: { app: 'x' } });
  const m = await waitGet(ch, 'work-dl');
  ch.reject(m, false);
  const d = await waitGet(ch, 'dead');
  assert.equal(d.content.toString(), 'poison');
  const deaths = d.properties.headers?.['x-death'] as unknown as Array<Record<string, unknown>>;
  assert.ok(Array.isArray(deaths), 'x-death is an array');
  assert.equal(deaths.length, 1);
  const x = deaths[0]!;
  assert.equal(x['count'], 1);
  assert.equal(x['reason'], 'rejected');
  assert.equal(x['queue'], 'work-dl');
  assert.equal(x['exchange'], '');
  assert.deepEqual(x['routing-keys'], ['work-dl']);
  assert.ok(x['time'] !== undefined, 'x-death time is present');
  assert.equal(d.properties.headers?.['app'], 'x');
  assert.equal(d.properties.headers?.['x-first-death-reason'], 'rejected');
  assert.equal(d.properties.headers?.['x-first-death-queue'], 'work-dl');
  ch.ack(d);
  await c.close();
});

async function waitGet(ch: { get(q: string, o?: { noAck?: boolean }): Promise<GetMessage | false> }, q: string): Promise<GetMessage> {
  for (let i = 0; i < 200; i++) {
    const m = await ch.get(q, { noAck: false });
    if (m !== false) return m;
    await sleep(10);
  }
  throw new Error(`nothing arrived in ${q}`);
}

test('x-max-length drop-head keeps the newest', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('ml-drop', { arguments: { 'x-max-length': 2 } });
  for (const s of ['1', '2', '3', '4']) ch.sendToQueue('ml-drop', Buffer.from(s));
  await sleep(50);
  assert.deepEqual(await getAll(ch, 'ml-drop'), ['3', '4']);
  await c.close();
});

test('x-overflow reject-publish: publisher confirms nack the overflow', async () => {
  const c = await connect(b);
  const ch = await confirmChannel(c);
  await ch.assertQueue('ml-reject', { arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
  const results: string[] = [];
  const pub = (s: string): Promise<void> =>
    new Promise((res) => ch.sendToQueue('ml-reject', Buffer.from(s), {}, (err) => {
      results.push(`${s}:${err ? 'nack' : 'ack'}`);
      res();
    }));
  await Promise.all([pub('a'), pub('b'), pub('c')]);
  assert.deepEqual(results, ['a:ack', 'b:nack', 'c:nack']);
  const chan = await channel(c);
  assert.deepEqual(await getAll(chan, 'ml-reject'), ['a']);
  await c.close();
});

test('x-overflow reject-publish-dlx dead-letters the refused message', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertExchange('dlx2', 'fanout');
  await ch.assertQueue('dead2');
  await ch.bindQueue('dead2', 'dlx2', '');
  await ch.assertQueue('ml-rdlx', { arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish-dlx', 'x-dead-letter-exchange': 'dlx2' } });
  ch.sendToQueue('ml-rdlx', Buffer.from('kept'));
  ch.sendToQueue('ml-rdlx', Buffer.from('refused'));
  await sleep(50);
  assert.deepEqual(await getAll(ch, 'ml-rdlx'), ['kept']);
  assert.deepEqual(await getAll(ch, 'dead2'), ['refused']);
  await c.close();
});

test('x-max-priority: higher priority first', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('prio', { arguments: { 'x-max-priority': 10 } });
  ch.sendToQueue('prio', Buffer.from('low'), { priority: 1 });
  ch.sendToQueue('prio', Buffer.from('high'), { priority: 9 });
  ch.sendToQueue('prio', Buffer.from('none'));
  ch.sendToQueue('prio', Buffer.from('mid'), { priority: 5 });
  await sleep(50);
  assert.deepEqual(await getAll(ch, 'prio'), ['high', 'mid', 'low', 'none']);
  await c.close();
});

test('x-single-active-consumer: one consumer at a time, the next takes over on cancel', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('sac', { arguments: { 'x-single-active-consumer': true } });
  const got1: string[] = [];
  const got2: string[] = [];
  const c1 = await ch.consume('sac', (m) => m && got1.push(m.content.toString()), { noAck: true });
  await ch.consume('sac', (m) => m && got2.push(m.content.toString()), { noAck: true });
  for (const s of ['a', 'b', 'c']) ch.sendToQueue('sac', Buffer.from(s));
  await waitFor(() => got1.length === 3, 5000, 'first consumer');
  assert.deepEqual(got2, []);
  await ch.cancel(c1.consumerTag);
  ch.sendToQueue('sac', Buffer.from('d'));
  await waitFor(() => got2.length === 1, 5000, 'second consumer');
  assert.deepEqual(got2, ['d']);
  await c.close();
});

test('consumer priorities (x-priority): the higher priority consumer gets the messages', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('cprio');
  const low: string[] = [];
  const high: string[] = [];
  await ch.consume('cprio', (m) => m && low.push(m.content.toString()), { noAck: true, priority: 1 });
  await ch.consume('cprio', (m) => m && high.push(m.content.toString()), { noAck: true, priority: 10 });
  for (const s of ['1', '2', '3']) ch.sendToQueue('cprio', Buffer.from(s));
  await waitFor(() => high.length === 3, 5000, 'high priority consumer');
  assert.deepEqual(low, []);
  await c.close();
});

test('exclusive queue: other connections get 405, it goes with its connection', async () => {
  const c1 = await connect(b);
  const c2 = await connect(b);
  const ch1 = await channel(c1);
  const q = await ch1.assertQueue('', { exclusive: true });
  assert.match(q.queue, /^amq\.gen-/);
  const ch2 = await channel(c2);
  const e = await errorOf(ch2.checkQueue(q.queue));
  assert.equal(e.code, 405);
  assert.match(e.message, /RESOURCE_LOCKED/);
  await c1.close();
  const ch3 = await channel(c2);
  const gone = await errorOf(ch3.checkQueue(q.queue));
  assert.equal(gone.code, 404);
  await c2.close();
});

test('auto-delete queue goes away when its last consumer cancels', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('autodel', { autoDelete: true });
  const { consumerTag } = await ch.consume('autodel', () => {}, { noAck: true });
  await ch.checkQueue('autodel');
  await ch.cancel(consumerTag);
  const e = await errorOf(ch.checkQueue('autodel'));
  assert.equal(e.code, 404);
  await c.close();
});

test('x-expires removes an unused queue', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('expiring', { arguments: { 'x-expires': 60 } });
  await sleep(200);
  const e = await errorOf(ch.checkQueue('expiring'));
  assert.equal(e.code, 404);
  await c.close();
});

test('x-max-length-bytes drops from the head', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('mlb', { arguments: { 'x-max-length-bytes': 10 } });
  for (const s of ['aaaa', 'bbbb', 'cccc']) ch.sendToQueue('mlb', Buffer.from(s));
  await sleep(50);
  assert.deepEqual(await getAll(ch, 'mlb'), ['bbbb', 'cccc']);
  await c.close();
});

export type { ConsumeMessage };

test('x-dead-letter-routing-key replaces the routing key; x-death keeps the original keys', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertExchange('dlx-direct', 'direct');
  await ch.assertQueue('dl-by-key');
  await ch.assertQueue('dl-by-old-key');
  await ch.bindQueue('dl-by-key', 'dlx-direct', 'new-key');
  await ch.bindQueue('dl-by-old-key', 'dlx-direct', 'src-rk');
  await ch.assertQueue('src-rk', { arguments: { 'x-dead-letter-exchange': 'dlx-direct', 'x-dead-letter-routing-key': 'new-key' } });
  ch.sendToQueue('src-rk', Buffer.from('m'));
  ch.reject(await waitGet(ch, 'src-rk'), false);
  const d = await waitGet(ch, 'dl-by-key');
  assert.equal(d.content.toString(), 'm');
  assert.equal(d.fields.routingKey, 'new-key');
  assert.equal(d.fields.exchange, 'dlx-direct');
  const x = (d.properties.headers?.['x-death'] as unknown as Array<Record<string, unknown>>)[0]!;
  assert.deepEqual(x['routing-keys'], ['src-rk']);
  assert.equal(x['reason'], 'rejected');
  ch.ack(d);
  assert.equal(await ch.get('dl-by-old-key'), false, 'the original key was not used');
  await c.close();
});

test('expired messages are dead-lettered with reason expired and original-expiration, as RabbitMQ writes it', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertExchange('dlx-exp', 'fanout');
  await ch.assertQueue('dead-exp');
  await ch.bindQueue('dead-exp', 'dlx-exp', '');
  await ch.assertQueue('src-exp', { arguments: { 'x-dead-letter-exchange': 'dlx-exp' } });
  await ch.assertQueue('src-qttl', { arguments: { 'x-dead-letter-exchange': 'dlx-exp', 'x-message-ttl': 10 } });
  ch.sendToQueue('src-exp', Buffer.from('per-message'), { expiration: '10', headers: { app: 1 } });
  await sleep(60);
  ch.sendToQueue('src-qttl', Buffer.from('per-queue'));
  const got = new Map<string, GetMessage>();
  for (let i = 0; i < 2; i++) {
    const m = await waitGet(ch, 'dead-exp');
    got.set(m.content.toString(), m);
  }
  const pm = got.get('per-message')!;
  // RabbitMQ removes the expiration property and keeps it in x-death.
  assert.equal(pm.properties.expiration, undefined);
  const x1 = (pm.properties.headers?.['x-death'] as unknown as Array<Record<string, unknown>>)[0]!;
  assert.deepEqual(
    { count: x1['count'], reason: x1['reason'], queue: x1['queue'], exchange: x1['exchange'], keys: x1['routing-keys'], orig: x1['original-expiration'] },
    { count: 1, reason: 'expired', queue: 'src-exp', exchange: '', keys: ['src-exp'], orig: '10' },
  );
  assert.equal(pm.properties.headers?.['app'], 1);
  assert.equal(pm.properties.headers?.['x-first-death-reason'], 'expired');
  const pq = got.get('per-queue')!;
  const x2 = (pq.properties.headers?.['x-death'] as unknown as Array<Record<string, unknown>>)[0]!;
  assert.equal(x2['reason'], 'expired');
  assert.equal(x2['queue'], 'src-qttl');
  assert.equal(x2['original-expiration'], undefined, 'queue TTL leaves no original-expiration');
  for (const m of got.values()) ch.ack(m);
  await c.close();
});

test('x-death: a message dead-lettered twice by the same queue counts 2, newest death first', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  // ping-pong: each queue dead-letters into the other by key
  await ch.assertQueue('pp-a', { arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'pp-b' } });
  await ch.assertQueue('pp-b', { arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'pp-a' } });
  ch.sendToQueue('pp-a', Buffer.from('ball'));
  ch.reject(await waitGet(ch, 'pp-a'), false);
  ch.reject(await waitGet(ch, 'pp-b'), false);
  ch.reject(await waitGet(ch, 'pp-a'), false);
  const m = await waitGet(ch, 'pp-b');
  const deaths = m.properties.headers?.['x-death'] as unknown as Array<Record<string, unknown>>;
  assert.deepEqual(deaths.map((d) => [d['queue'], d['reason'], d['count']]), [['pp-a', 'rejected', 2], ['pp-b', 'rejected', 1]]);
  assert.equal(m.properties.headers?.['x-first-death-queue'], 'pp-a');
  ch.ack(m);
  await c.close();
});

test('x-max-length drop-head dead-letters the dropped message with reason maxlen', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('dead-ml');
  await ch.assertQueue('src-ml', { arguments: { 'x-max-length': 1, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dead-ml' } });
  ch.sendToQueue('src-ml', Buffer.from('first'));
  ch.sendToQueue('src-ml', Buffer.from('second'));
  const d = await waitGet(ch, 'dead-ml');
  assert.equal(d.content.toString(), 'first');
  assert.equal((d.properties.headers?.['x-death'] as unknown as Array<Record<string, unknown>>)[0]!['reason'], 'maxlen');
  ch.ack(d);
  assert.deepEqual(await getAll(ch, 'src-ml'), ['second']);
  await c.close();
});

test('x-queue-type: quorum is a durable queue; its wrong properties, stream and unknown types are 406', async () => {
  const c = await connect(b);
  let ch = await channel(c);
  const qq = await ch.assertQueue('qq-1', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  assert.equal(qq.queue, 'qq-1');
  ch.sendToQueue('qq-1', Buffer.from('q'));
  assert.deepEqual(await getAll(ch, 'qq-1'), ['q']);
  // redeclaring it as classic is inequivalent (RabbitMQ's text)
  let e = await errorOf(ch.assertQueue('qq-1', { durable: true, arguments: { 'x-queue-type': 'classic' } }));
  assert.equal(e.code, 406);
  assert.match(e.message, /inequivalent arg 'x-queue-type' for queue 'qq-1' in vhost '\/': received the value 'classic' of type 'longstr' but current is the value 'quorum' of type 'longstr'/);
  // classic is the default: explicit 'classic' is equivalent to none
  ch = await channel(c);
  await ch.assertQueue('classic-1');
  await ch.assertQueue('classic-1', { arguments: { 'x-queue-type': 'classic' } });
  const cases: Array<[opts: Options.AssertQueue, text: RegExp]> = [
    [{ durable: false, arguments: { 'x-queue-type': 'quorum' } }, /invalid property 'non-durable' for queue 'qq-2'/],
    [{ durable: true, exclusive: true, arguments: { 'x-queue-type': 'quorum' } }, /invalid property 'exclusive-owner' for queue 'qq-2'/],
    [{ durable: true, autoDelete: true, arguments: { 'x-queue-type': 'quorum' } }, /invalid property 'auto-delete' for queue 'qq-2'/],
    [{ durable: true, arguments: { 'x-queue-type': 'stream' } }, /invalid arg 'x-queue-type' for queue 'qq-2' in vhost '\/': stream queues are not supported by this broker yet/],
    [{ durable: true, arguments: { 'x-queue-type': 'weird' } }, /invalid arg 'x-queue-type' for queue 'qq-2' in vhost '\/': "unsupported queue type 'weird'"/],
  ];
  for (const [opts, text] of cases) {
    ch = await channel(c);
    e = await errorOf(ch.assertQueue('qq-2', opts));
    assert.equal(e.code, 406, e.message);
    assert.match(e.message, text);
  }
  ch = await channel(c);
  await errorOf(ch.checkQueue('qq-2')); // none of them was created
  await c.close();
});

test('invalid queue arguments are 406 with RabbitMQ texts; the connection lives on', async () => {
  const c = await connect(b);
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ 'x-message-ttl': -1 }, "invalid arg 'x-message-ttl' for queue 'bad-arg' in vhost '/': {value_negative,-1}"],
    [{ 'x-message-ttl': 'abc' }, `invalid arg 'x-message-ttl' for queue 'bad-arg' in vhost '/': "expected integer, got longstr"`],
    [{ 'x-expires': 0 }, "invalid arg 'x-expires' for queue 'bad-arg' in vhost '/': {value_zero,0}"],
    [{ 'x-max-length': -1 }, "invalid arg 'x-max-length' for queue 'bad-arg' in vhost '/': {value_negative,-1}"],
    [{ 'x-max-priority': 300 }, "invalid arg 'x-max-priority' for queue 'bad-arg' in vhost '/': {max_value_exceeded,300}"],
    [{ 'x-overflow': 'nope' }, "invalid arg 'x-overflow' for queue 'bad-arg' in vhost '/': invalid_overflow"],
    [{ 'x-dead-letter-routing-key': 'k' }, "invalid arg 'x-dead-letter-routing-key' for queue 'bad-arg' in vhost '/': routing_key_but_no_dlx_defined"],
    [{ 'x-single-active-consumer': 'yes' }, "invalid arg 'x-single-active-consumer' for queue 'bad-arg' in vhost '/': {unacceptable_type,longstr}"],
  ];
  for (const [args, text] of cases) {
    const ch = await channel(c);
    const e = await errorOf(ch.assertQueue('bad-arg', { arguments: args }));
    assert.equal(e.code, 406, e.message);
    assert.ok(e.message.includes(`PRECONDITION_FAILED - ${text}`), `${e.message}\nexpected: ${text}`);
  }
  const ch = await channel(c);
  const e = await errorOf(ch.checkQueue('bad-arg'));
  assert.equal(e.code, 404);
  assert.deepEqual(c.errors, []);
  await c.close();
});

test('consumer x-priority must be an integer (406, RabbitMQ text)', async () => {
  const c = await connect(b);
  let ch = await channel(c);
  await ch.assertQueue('xprio-bad');
  const e = await errorOf(ch.consume('xprio-bad', () => {}, { arguments: { 'x-priority': 'high' } }));
  assert.equal(e.code, 406);
  assert.match(e.message, /PRECONDITION_FAILED - invalid arg 'x-priority' for queue 'xprio-bad' in vhost '\/': "expected integer, got longstr"/);
  ch = await channel(c);
  const e2 = await errorOf(ch.consume('xprio-bad', () => {}, { arguments: { 'x-priority': 1.5 } }));
  assert.match(e2.message, /"expected integer, got double"/);
  await c.close();
});
