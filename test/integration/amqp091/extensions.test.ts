/** RabbitMQ extensions and basic-class features through amqplib. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsumeMessage, GetMessage, Message } from 'amqplib';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { channel, confirmChannel, connect, errorOf, sleep, waitFor } from './helpers.js';

let b: TestBroker;
before(async () => {
  b = await startTestBroker();
});
after(async () => {
  await b.stop();
});

test('alternate exchange takes what the exchange cannot route', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertExchange('ae', 'fanout');
  await ch.assertQueue('ae-q');
  await ch.bindQueue('ae-q', 'ae', '');
  await ch.assertExchange('main-x', 'direct', { alternateExchange: 'ae' });
  await ch.assertQueue('main-q');
  await ch.bindQueue('main-q', 'main-x', 'known');
  ch.publish('main-x', 'known', Buffer.from('routed'));
  ch.publish('main-x', 'unknown', Buffer.from('alternate'));
  await sleep(50);
  assert.equal(((await ch.get('main-q', { noAck: true })) as GetMessage).content.toString(), 'routed');
  assert.equal(((await ch.get('ae-q', { noAck: true })) as GetMessage).content.toString(), 'alternate');
  await c.close();
});

test('exchange-to-exchange bindings (exchange.bind / unbind)', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertExchange('e2e-src', 'topic');
  await ch.assertExchange('e2e-dst', 'fanout');
  await ch.assertQueue('e2e-q');
  await ch.bindQueue('e2e-q', 'e2e-dst', '');
  await ch.bindExchange('e2e-dst', 'e2e-src', 'a.*');
  ch.publish('e2e-src', 'a.b', Buffer.from('through'));
  ch.publish('e2e-src', 'x.y', Buffer.from('not matched'));
  await sleep(50);
  assert.equal(((await ch.get('e2e-q', { noAck: true })) as GetMessage).content.toString(), 'through');
  assert.equal(await ch.get('e2e-q', { noAck: true }), false);
  await ch.unbindExchange('e2e-dst', 'e2e-src', 'a.*');
  ch.publish('e2e-src', 'a.b', Buffer.from('after unbind'));
  await sleep(50);
  assert.equal(await ch.get('e2e-q', { noAck: true }), false);
  await c.close();
});

test('mandatory publish with no route comes back as basic.return 312 NO_ROUTE', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  const returned: Message[] = [];
  ch.on('return', (m: Message) => returned.push(m));
  ch.publish('amq.direct', 'nowhere', Buffer.from('lost'), { mandatory: true, messageId: 'm1' });
  await waitFor(() => returned.length === 1, 5000, 'basic.return');
  const r = returned[0]!;
  const fields = r.fields as unknown as { replyCode: number; replyText: string };
  assert.equal(fields.replyCode, 312);
  assert.equal(fields.replyText, 'NO_ROUTE');
  assert.equal(r.fields.exchange, 'amq.direct');
  assert.equal(r.fields.routingKey, 'nowhere');
  assert.equal(r.content.toString(), 'lost');
  assert.equal(r.properties.messageId, 'm1');
  await c.close();
});

test('publisher confirms: every publish acked, returns before their ack', async () => {
  const c = await connect(b);
  const ch = await confirmChannel(c);
  await ch.assertQueue('conf-q', { durable: true });
  const events: string[] = [];
  ch.on('return', () => events.push('return'));
  let acked = 0;
  for (let i = 0; i < 200; i++) {
    ch.sendToQueue('conf-q', Buffer.from(`m${i}`), { persistent: i % 2 === 0 }, (err) => {
      if (!err) acked++;
    });
  }
  ch.publish('amq.direct', 'nowhere', Buffer.from('x'), { mandatory: true }, (err) => {
    events.push(err ? 'nack' : 'ack');
  });
  await ch.waitForConfirms();
  assert.equal(acked, 200);
  assert.deepEqual(events, ['return', 'ack']);
  const q = await ch.checkQueue('conf-q');
  assert.equal(q.messageCount, 200);
  await ch.deleteQueue('conf-q');
  await c.close();
});

test('tx: publishes and acks take effect at commit, rollback discards', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('tx-q', { durable: true }); // durable + persistent: commit-ok waits for the fsync
  // amqplib has no tx API: drive tx.select/commit/rollback through its RPC primitive.
  const rpc = (name: string, ok: string): Promise<unknown> =>
    new Promise((res, rej) => {
      const chAny = ch as unknown as { _rpc(method: number, fields: object, expect: number, cb: (err: unknown, r: unknown) => void): void };
      const ids: Record<string, number> = { 'tx.select': 0x005a000a, 'tx.commit': 0x005a0014, 'tx.rollback': 0x005a001e, 'tx.select-ok': 0x005a000b, 'tx.commit-ok': 0x005a0015, 'tx.rollback-ok': 0x005a001f };
      chAny._rpc(ids[name]!, {}, ids[ok]!, (err, r) => (err ? rej(err) : res(r)));
    });
  await rpc('tx.select', 'tx.select-ok');
  ch.sendToQueue('tx-q', Buffer.from('committed'), { persistent: true });
  await sleep(30);
  assert.equal((await ch.checkQueue('tx-q')).messageCount, 0, 'not visible before commit');
  await rpc('tx.commit', 'tx.commit-ok');
  assert.equal((await ch.checkQueue('tx-q')).messageCount, 1);
  ch.sendToQueue('tx-q', Buffer.from('rolled back'));
  await rpc('tx.rollback', 'tx.rollback-ok');
  assert.equal((await ch.checkQueue('tx-q')).messageCount, 1);
  // ack inside a tx: the message stays unacked until commit
  const m = (await ch.get('tx-q')) as GetMessage;
  assert.equal(m.content.toString(), 'committed');
  ch.ack(m);
  await rpc('tx.rollback', 'tx.rollback-ok');
  // rolled back ack: still outstanding; ack again and commit
  ch.ack(m);
  await rpc('tx.commit', 'tx.commit-ok');
  assert.equal((await ch.checkQueue('tx-q')).messageCount, 0);
  // confirm.select on a tx channel is refused with 406
  const e = await errorOf(new Promise((res, rej) => {
    const chAny = ch as unknown as { _rpc(method: number, fields: object, expect: number, cb: (err: unknown, r: unknown) => void): void };
    chAny._rpc(0x0055000a, { nowait: false }, 0x0055000b, (err, r) => (err ? rej(err) : res(r)));
  }));
  assert.equal(e.code, 406);
  assert.match(e.message, /cannot switch from tx to confirm mode/);
  await c.close();
});

test('basic.get and get-empty', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('get-q');
  assert.equal(await ch.get('get-q'), false);
  ch.sendToQueue('get-q', Buffer.from('one'), { correlationId: 'c1', headers: { n: 1 } });
  ch.sendToQueue('get-q', Buffer.from('two'));
  await sleep(30);
  const m = (await ch.get('get-q')) as GetMessage;
  assert.equal(m.content.toString(), 'one');
  assert.equal(m.fields.messageCount, 1, 'message-count is what remains');
  assert.equal(m.properties.correlationId, 'c1');
  assert.equal(m.properties.headers?.['n'], 1);
  ch.ack(m);
  await c.close();
});

test('basic.recover redelivers unacked messages with redelivered=true', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('rec-q');
  const seen: ConsumeMessage[] = [];
  await ch.consume('rec-q', (m) => m && seen.push(m));
  ch.sendToQueue('rec-q', Buffer.from('x'));
  await waitFor(() => seen.length === 1, 5000, 'first delivery');
  assert.equal(seen[0]!.fields.redelivered, false);
  await ch.recover();
  await waitFor(() => seen.length === 2, 5000, 'redelivery');
  assert.equal(seen[1]!.fields.redelivered, true);
  assert.equal(seen[1]!.content.toString(), 'x');
  ch.ack(seen[1]!);
  await c.close();
});

test('nack multiple requeues, reject drops; channel close requeues the rest', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('nack-q');
  for (const s of ['1', '2', '3', '4']) ch.sendToQueue('nack-q', Buffer.from(s));
  const seen: ConsumeMessage[] = [];
  await ch.consume('nack-q', (m) => m && seen.push(m));
  await waitFor(() => seen.length === 4, 5000, 'four deliveries');
  ch.reject(seen[0]!, false); // dropped
  ch.nack(seen[2]!, true, true); // 2 and 3 requeued
  await waitFor(() => seen.length === 6, 5000, 'requeued redeliveries');
  assert.deepEqual(seen.slice(4).map((m) => [m.content.toString(), m.fields.redelivered]), [['2', true], ['3', true]]);
  // ack-all multiple with tag 0 is fine, an unknown tag is 406
  ch.ackAll();
  await ch.close();
  const ch2 = await channel(c);
  assert.equal((await ch2.checkQueue('nack-q')).messageCount, 0);
  ch2.sendToQueue('nack-q', Buffer.from('5'));
  const fives: ConsumeMessage[] = [];
  await ch2.consume('nack-q', (m) => m && fives.push(m));
  await waitFor(() => fives.length === 1, 5000, 'delivery on the second channel');
  assert.equal(fives[0]!.content.toString(), '5');
  // unacked on close: back in the queue
  await ch2.close();
  const ch3 = await channel(c);
  assert.equal((await ch3.checkQueue('nack-q')).messageCount, 1);
  ch3.ack({ fields: { deliveryTag: 99 } } as unknown as Message);
  await waitFor(() => ch3.closeError !== undefined, 5000, 'channel error');
  assert.match(String(ch3.closeError?.message), /406 \(PRECONDITION-FAILED\) with message "PRECONDITION_FAILED - unknown delivery tag 99"/);
  await c.close();
});

test('qos: per-consumer prefetch vs channel-global prefetch', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('qos-a');
  await ch.assertQueue('qos-b');
  for (let i = 0; i < 10; i++) {
    ch.sendToQueue('qos-a', Buffer.from(`a${i}`));
    ch.sendToQueue('qos-b', Buffer.from(`b${i}`));
  }
  await sleep(30);
  // global=false applies to each consumer created afterwards: 2 + 2 in flight
  await ch.prefetch(2, false);
  const a: ConsumeMessage[] = [];
  const bb: ConsumeMessage[] = [];
  await ch.consume('qos-a', (m) => m && a.push(m));
  await ch.consume('qos-b', (m) => m && bb.push(m));
  await waitFor(() => a.length === 2 && bb.length === 2, 5000, 'per-consumer prefetch');
  await sleep(50);
  assert.equal(a.length + bb.length, 4);
  await ch.close();

  // global=true: 3 in flight shared by both consumers of the channel
  const ch2 = await channel(c);
  await ch2.prefetch(3, true);
  const got: ConsumeMessage[] = [];
  await ch2.consume('qos-a', (m) => m && got.push(m));
  await ch2.consume('qos-b', (m) => m && got.push(m));
  await waitFor(() => got.length === 3, 5000, 'global prefetch');
  await sleep(50);
  assert.equal(got.length, 3);
  ch2.ack(got[0]!);
  await waitFor(() => got.length === 4, 5000, 'credit after ack');
  await sleep(50);
  assert.equal(got.length, 4);
  await c.close();
});

test('direct reply-to: request/response without a reply queue', async () => {
  const c = await connect(b);
  const server = await channel(c);
  await server.assertQueue('rpc-direct');
  await server.consume('rpc-direct', (m) => {
    if (!m) return;
    server.sendToQueue(m.properties.replyTo as string, Buffer.from(`re:${m.content.toString()}`), { correlationId: m.properties.correlationId });
    server.ack(m);
  });
  const client = await channel(c);
  const replies: ConsumeMessage[] = [];
  await client.consume('amq.rabbitmq.reply-to', (m) => m && replies.push(m), { noAck: true });
  client.sendToQueue('rpc-direct', Buffer.from('ping'), { replyTo: 'amq.rabbitmq.reply-to', correlationId: 'k1' });
  await waitFor(() => replies.length === 1, 5000, 'reply');
  assert.equal(replies[0]!.content.toString(), 're:ping');
  assert.equal(replies[0]!.properties.correlationId, 'k1');
  // publishing with the pseudo queue but no reply consumer: 406
  const other = await channel(c);
  other.sendToQueue('rpc-direct', Buffer.from('x'), { replyTo: 'amq.rabbitmq.reply-to' });
  await waitFor(() => other.closeError !== undefined, 5000, 'channel error');
  assert.match(String(other.closeError?.message), /fast reply consumer does not exist/);
  // the reply consumer must be no-ack
  const bad = await channel(c);
  const e = await errorOf(bad.consume('amq.rabbitmq.reply-to', () => {}, { noAck: false }));
  assert.equal(e.code, 406);
  await c.close();
});

test('consumer cancel notification when the queue is deleted', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('doomed');
  const got: Array<ConsumeMessage | null> = [];
  await ch.consume('doomed', (m) => got.push(m));
  const other = await channel(c);
  await other.deleteQueue('doomed');
  // amqplib calls the consumer with null on basic.cancel from the server
  await waitFor(() => got.includes(null), 5000, 'server-sent basic.cancel');
  await c.close();
});

test('heartbeats are negotiated (tune-ok value is used)', async () => {
  const c = await connect(b, '?heartbeat=1');
  const ch = await channel(c);
  // Stay idle past two heartbeat periods: both sides keep the connection alive.
  await sleep(2600);
  await ch.assertQueue('hb-q');
  assert.deepEqual(c.errors, []);
  await c.close();
});
