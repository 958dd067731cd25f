/** Queue arguments and queue kinds as amqplib clients see them. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsumeMessage, GetMessage } from 'amqplib';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { channel, confirmChannel, connect, errorOf, sleep, waitFor } from './helpers.js';

let b: TestBroker;
before(async () => {
  b = await startTestBroker();
});
after(async () => {
  await b.stop();
});

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
