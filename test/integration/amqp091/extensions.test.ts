/** RabbitMQ extensions and basic-class features through amqplib. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsumeMessage, GetMessage, Message } from 'amqplib';
import { useSharedBroker } from '../../helpers/broker.js';
import { PROTOCOL_HEADER } from '../../../src/codecs/amqp091/index.js';
import amqp from 'amqplib';
import { amqpUrl, channel, confirmChannel, connect, errorOf, sleep, waitFor } from './helpers.js';
import { RawAmqp } from './raw-amqp.js';

const b = useSharedBroker();

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

test('connection.start advertises every RabbitMQ capability, PLAIN and AMQPLAIN, en_US', async () => {
  const c = await connect(b);
  const props = (c.connection as unknown as { serverProperties: Record<string, unknown> }).serverProperties;
  assert.deepEqual(props['capabilities'], {
    publisher_confirms: true,
    exchange_exchange_bindings: true,
    'basic.nack': true,
    consumer_cancel_notify: true,
    'connection.blocked': true,
    consumer_priorities: true,
    authentication_failure_close: true,
    per_consumer_qos: true,
    direct_reply_to: true,
  });
  for (const k of ['product', 'version', 'platform', 'copyright', 'information', 'cluster_name']) assert.equal(typeof props[k], 'string', k);
  await c.close();
  const raw = await RawAmqp.open(b.ports.amqp);
  raw.write(PROTOCOL_HEADER);
  const start = await raw.expectMethod('connection.start');
  assert.ok(start.name === 'connection.start');
  assert.equal(start.versionMajor, 0);
  assert.equal(start.versionMinor, 9);
  assert.equal(start.mechanisms.toString(), 'PLAIN AMQPLAIN');
  assert.equal(start.locales.toString(), 'en_US');
  raw.destroy();
});

test('the predeclared exchanges exist with their types; the default exchange routes by queue name', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  // an equivalent redeclare succeeds only with the right type and durable=true
  for (const [name, type] of [['amq.direct', 'direct'], ['amq.fanout', 'fanout'], ['amq.topic', 'topic'], ['amq.headers', 'headers'], ['amq.match', 'headers']] as const) {
    await ch.assertExchange(name, type, { durable: true });
  }
  const wrong = await channel(c);
  const e = await errorOf(wrong.assertExchange('amq.match', 'topic', { durable: true }));
  assert.equal(e.code, 406);
  assert.match(e.message, /inequivalent arg 'type' for exchange 'amq.match' in vhost '\/': received 'topic' but current is 'headers'/);
  await ch.assertQueue('by-name');
  ch.publish('', 'by-name', Buffer.from('default exchange'));
  await sleep(30);
  const m = (await ch.get('by-name', { noAck: true })) as GetMessage;
  assert.equal(m.content.toString(), 'default exchange');
  assert.equal(m.fields.exchange, '');
  assert.equal(m.fields.routingKey, 'by-name');
  await c.close();
});

test('internal exchange: publishing to it is 403, it still routes what other exchanges pass it', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertExchange('int-x', 'fanout', { internal: true });
  await ch.assertExchange('front-x', 'direct');
  await ch.bindExchange('int-x', 'front-x', 'k');
  await ch.assertQueue('int-q');
  await ch.bindQueue('int-q', 'int-x', '');
  ch.publish('front-x', 'k', Buffer.from('via front'));
  await sleep(30);
  assert.equal(((await ch.get('int-q', { noAck: true })) as GetMessage).content.toString(), 'via front');
  ch.publish('int-x', '', Buffer.from('direct to internal'));
  await waitFor(() => ch.closeError !== undefined, 5000, 'channel error');
  assert.match(String(ch.closeError?.message), /403 \(ACCESS-REFUSED\) with message "ACCESS_REFUSED - cannot publish to internal exchange 'int-x' in vhost '\/'"/);
  const ch2 = await channel(c);
  assert.equal((await ch2.checkQueue('int-q')).messageCount, 0);
  await c.close();
});

test('headers exchange: all-with-x / any-with-x match x- headers too, plain forms ignore them', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertExchange('hx2', 'headers');
  const binds: Record<string, Record<string, unknown>> = {
    'hx-all': { 'x-match': 'all', 'x-tenant': 'a', kind: 'k' },
    'hx-all-with-x': { 'x-match': 'all-with-x', 'x-tenant': 'a', kind: 'k' },
    'hx-any-with-x': { 'x-match': 'any-with-x', 'x-tenant': 'a' },
    'hx-any': { 'x-match': 'any', 'x-tenant': 'a' },
  };
  for (const [q, args] of Object.entries(binds)) {
    await ch.assertQueue(q);
    await ch.bindQueue(q, 'hx2', '', args);
  }
  ch.publish('hx2', '', Buffer.from('kind only'), { headers: { kind: 'k' } });
  ch.publish('hx2', '', Buffer.from('tenant b'), { headers: { kind: 'k', 'x-tenant': 'b' } });
  ch.publish('hx2', '', Buffer.from('tenant a'), { headers: { kind: 'k', 'x-tenant': 'a' } });
  await sleep(50);
  const bodies = async (q: string): Promise<string[]> => {
    const out: string[] = [];
    for (let m = await ch.get(q, { noAck: true }); m !== false; m = await ch.get(q, { noAck: true })) out.push(m.content.toString());
    return out;
  };
  assert.deepEqual(await bodies('hx-all'), ['kind only', 'tenant b', 'tenant a']);
  assert.deepEqual(await bodies('hx-all-with-x'), ['tenant a']);
  assert.deepEqual(await bodies('hx-any-with-x'), ['tenant a']);
  assert.deepEqual(await bodies('hx-any'), []);
  const bad = await channel(c);
  const e = await errorOf(bad.bindQueue('hx-any', 'hx2', '', { 'x-match': 'some' }));
  assert.equal(e.code, 406);
  assert.match(e.message, /Invalid x-match field value <<"some">>; expected all, any, all-with-x, or any-with-x/);
  await c.close();
});

test('direct reply-to: the pseudo-queue declares with consumer_count 1; a gone reply address is 404', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  const d = await ch.assertQueue('amq.rabbitmq.reply-to');
  assert.deepEqual({ ...d }, { queue: 'amq.rabbitmq.reply-to', messageCount: 0, consumerCount: 1 });
  // learn our reply address from a request the server side sees
  const server = await channel(c);
  await server.assertQueue('rpc-addr');
  const seen: string[] = [];
  await server.consume('rpc-addr', (m) => m && seen.push(m.properties.replyTo as string), { noAck: true });
  const requester = await channel(c);
  const { consumerTag } = await requester.consume('amq.rabbitmq.reply-to', () => {}, { noAck: true });
  requester.sendToQueue('rpc-addr', Buffer.from('?'), { replyTo: 'amq.rabbitmq.reply-to' });
  await waitFor(() => seen.length === 1, 5000, 'request');
  const address = seen[0]!;
  assert.match(address, /^amq\.rabbitmq\.reply-to\./);
  assert.equal((await ch.checkQueue(address)).consumerCount, 1);
  await requester.cancel(consumerTag);
  const e = await errorOf(ch.checkQueue(address));
  assert.equal(e.code, 404);
  assert.equal(e.message.includes(`NOT_FOUND - no queue '${address}' in vhost '/'`), true, e.message);
  await c.close();
});

test('publisher confirms coalesce runs with multiple=true, acks and nacks in sequence order', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('multi-conf', { arguments: { 'x-max-length': 3, 'x-overflow': 'reject-publish' } });
  await c.close();
  const raw = await RawAmqp.handshake(b.ports.amqp);
  raw.method(1, 'channel.open', {});
  await raw.expectMethod('channel.open-ok');
  raw.method(1, 'confirm.select', { nowait: false });
  await raw.expectMethod('confirm.select-ok');
  // six publishes in one write: the first three fit, the last three are refused
  const enc = raw.encoder();
  for (let i = 1; i <= 6; i++) enc.content(1, 'basic.publish', { exchange: '', routingKey: 'multi-conf' }, {}, Buffer.from(`m${i}`));
  enc.flush();
  const confirms: string[] = [];
  const covered = new Set<number>();
  let last = 0;
  while (covered.size < 6) {
    const m = await raw.nextMethodArgs();
    if (m.name !== 'basic.ack' && m.name !== 'basic.nack') throw new Error(`unexpected ${m.name}`);
    const tag = Number(m.deliveryTag);
    assert.ok(tag > last, 'confirms arrive in sequence order');
    for (let t = m.multiple ? last + 1 : tag; t <= tag; t++) covered.add(t);
    last = tag;
    confirms.push(`${m.name === 'basic.ack' ? 'ack' : 'nack'}:${tag}:${m.multiple}`);
  }
  assert.deepEqual(confirms, ['ack:3:true', 'nack:6:true']);
  raw.destroy();
});

test('virtual hosts: the default is /, another vhost has its own queues and exchanges', async () => {
  const broker = b.server().broker;
  broker.addVhost('tenant-a');
  broker.setPermissions('guest', 'tenant-a', { configure: '.*', write: '.*', read: '.*' });
  const root = await connect(b);
  const ta = (await amqp.connect(amqpUrl(b, 'tenant-a'))) as amqp.ChannelModel;
  const rch = await channel(root);
  const tch = await channel(ta);
  await rch.assertQueue('same-name');
  await tch.assertQueue('same-name');
  await tch.assertExchange('only-in-a', 'fanout');
  rch.sendToQueue('same-name', Buffer.from('in /'));
  tch.sendToQueue('same-name', Buffer.from('in tenant-a'));
  await sleep(30);
  assert.equal(((await rch.get('same-name', { noAck: true })) as GetMessage).content.toString(), 'in /');
  assert.equal(((await tch.get('same-name', { noAck: true })) as GetMessage).content.toString(), 'in tenant-a');
  const e = await errorOf(rch.checkExchange('only-in-a'));
  assert.equal(e.code, 404);
  assert.match(e.message, /no exchange 'only-in-a' in vhost '\/'/);
  const e2 = await errorOf(tch.checkQueue('not-here'));
  assert.match(e2.message, /no queue 'not-here' in vhost 'tenant-a'/);
  await ta.close();
  await root.close();
});

test('tx: a publish to a missing or internal exchange fails when it arrives, not at commit (as RabbitMQ)', async () => {
  const c = await connect(b);
  const setup = await channel(c);
  await setup.assertExchange('tx-internal', 'fanout', { internal: true });
  await c.close();
  for (const [exchange, code, text] of [
    ['tx-no-such-x', 404, "NOT_FOUND - no exchange 'tx-no-such-x' in vhost '/'"],
    ['tx-internal', 403, "ACCESS_REFUSED - cannot publish to internal exchange 'tx-internal' in vhost '/'"],
  ] as const) {
    const raw = await RawAmqp.handshake(b.ports.amqp);
    raw.method(1, 'channel.open', {});
    await raw.expectMethod('channel.open-ok');
    raw.method(1, 'tx.select', {});
    await raw.expectMethod('tx.select-ok');
    raw.encoder().content(1, 'basic.publish', { exchange, routingKey: 'k' }, {}, Buffer.from('x'));
    raw.encoder().flush();
    const m = await raw.nextMethodArgs();
    assert.ok(m.name === 'channel.close', m.name);
    assert.equal(m.replyCode, code);
    assert.equal(m.replyText, text);
    assert.deepEqual([m.classId, m.methodId], [60, 40]);
    raw.destroy();
  }
});
