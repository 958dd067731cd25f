/**
 * Malformed and out-of-order input over raw sockets. After each case the broker
 * must still serve a well-behaved amqplib client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import amqp from 'amqplib';
import { PROTOCOL_HEADER } from '../../../src/codecs/amqp091/index.js';
import { useSharedBroker } from '../../helpers/broker.js';
import { amqpUrl, channel, connect, errorOf, rawConnect, stillServes } from './helpers.js';
import { RawAmqp } from './raw-amqp.js';

const b = useSharedBroker({ config: { limits: { maxQueues: 20, amqp091: { channelMax: 8, frameMax: 8192 } } } });

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

async function expectConnectionClose(c: RawAmqp, code: number, text?: RegExp): Promise<void> {
  const m = await c.nextMethodArgs();
  assert.equal(m.name, 'connection.close', JSON.stringify(m));
  if (m.name !== 'connection.close') return;
  assert.equal(m.replyCode, code, m.replyText);
  if (text) assert.match(m.replyText, text);
}

test('wrong protocol header: the server answers AMQP 0-9-1 and closes', async () => {
  for (const header of ['AMQP\x01\x01\x00\x0a', 'GET / HTTP/1.1\r\n\r\n', 'AMQP\x00\x00\x08\x00', 'AMQP\x03\x01\x00\x00']) {
    const c = await rawConnect(b.ports.amqp);
    c.send(Buffer.from(header, 'latin1'));
    await c.closed;
    assert.deepEqual(c.received(), PROTOCOL_HEADER);
  }
  await stillServes(b);
});

test('bad frame-end octet: 501 FRAME_ERROR and the socket closes', async () => {
  const c = await RawAmqp.handshake(b.ports.amqp);
  // channel.open on channel 1 with frame-end 0x00 instead of 0xCE
  c.write(hex('01 0001 00000005 0014 000a 00 00'));
  await expectConnectionClose(c, 501, /FRAME_ERROR - type 1, .*invalid_frame_end_marker/);
  await c.waitClosed();
  await stillServes(b);
});

test('frame larger than the negotiated frame_max: 501 before the payload is read', async () => {
  const c = await RawAmqp.handshake(b.ports.amqp, { frameMax: 4096 });
  c.write(hex('03 0001 00100000')); // body frame announcing 1 MiB
  await expectConnectionClose(c, 501, /frame_too_large/);
  await c.waitClosed();
  await stillServes(b);
});

test('unknown class/method: 540 NOT_IMPLEMENTED', async () => {
  const c = await RawAmqp.handshake(b.ports.amqp);
  c.method(1, 'channel.open', {});
  await c.expectMethod('channel.open-ok');
  c.write(hex('01 0001 00000004 00c8 0001 ce')); // class 200 method 1
  await expectConnectionClose(c, 540, /unknown method/);
  await c.waitClosed();
  await stillServes(b);
});

test('content body before the header: 505 UNEXPECTED_FRAME', async () => {
  const c = await RawAmqp.handshake(b.ports.amqp);
  c.method(1, 'channel.open', {});
  await c.expectMethod('channel.open-ok');
  c.method(1, 'basic.publish', { exchange: '', routingKey: 'x' });
  c.encoder().body(1, Buffer.from('body first'));
  c.encoder().flush();
  await expectConnectionClose(c, 505, /expected content header for class 60, got non content header frame instead/);
  await stillServes(b);
});

test('a method where the content body belongs: 505 naming basic.publish', async () => {
  const c = await RawAmqp.handshake(b.ports.amqp);
  c.method(1, 'channel.open', {});
  await c.expectMethod('channel.open-ok');
  c.method(1, 'basic.publish', { exchange: '', routingKey: 'x' });
  c.encoder().header(1, 10, {});
  c.encoder().flush();
  c.method(1, 'basic.qos', { prefetchCount: 1 });
  const m = await c.nextMethodArgs();
  assert.ok(m.name === 'connection.close');
  assert.equal(m.replyCode, 505);
  assert.equal(m.replyText, 'UNEXPECTED_FRAME - expected content body, got non content body frame instead');
  // RabbitMQ names the method the content belongs to
  assert.deepEqual([m.classId, m.methodId], [60, 40]);
  await stillServes(b);
});

test('a content header with no method before it: 505', async () => {
  const c = await RawAmqp.handshake(b.ports.amqp);
  c.method(1, 'channel.open', {});
  await c.expectMethod('channel.open-ok');
  c.encoder().header(1, 3, {});
  c.encoder().flush();
  await expectConnectionClose(c, 505, /expected method frame, got non method frame instead/);
  await stillServes(b);
});

test('method on a channel never opened: 504 CHANNEL_ERROR', async () => {
  const c = await RawAmqp.handshake(b.ports.amqp);
  c.method(3, 'queue.declare', { queue: 'q' });
  await expectConnectionClose(c, 504, /expected 'channel.open'/);
  await stillServes(b);
});

test('method on a closed channel: 504 CHANNEL_ERROR', async () => {
  const c = await RawAmqp.handshake(b.ports.amqp);
  c.method(1, 'channel.open', {});
  await c.expectMethod('channel.open-ok');
  c.method(1, 'channel.close', { replyCode: 200, replyText: 'bye' });
  await c.expectMethod('channel.close-ok');
  c.method(1, 'basic.qos', { prefetchCount: 1 });
  await expectConnectionClose(c, 504, /expected 'channel.open'/);
  await stillServes(b);
});

test('second channel.open on an open channel: 503 COMMAND_INVALID', async () => {
  const c = await RawAmqp.handshake(b.ports.amqp);
  c.method(1, 'channel.open', {});
  await c.expectMethod('channel.open-ok');
  c.method(1, 'channel.open', {});
  await expectConnectionClose(c, 503, /second 'channel.open' seen/);
  await stillServes(b);
});

test('channel flood past channel_max: 530 NOT_ALLOWED', async () => {
  const c = await RawAmqp.handshake(b.ports.amqp);
  for (let i = 1; i <= 8; i++) {
    c.method(i, 'channel.open', {});
    await c.expectMethod('channel.open-ok');
  }
  c.method(9, 'channel.open', {});
  await expectConnectionClose(c, 530, /number of channels opened \(8\) has reached the negotiated channel_max \(8\)/);
  await stillServes(b);
});

test('queue flood past limits.maxQueues is refused on the channel and the broker survives', async () => {
  const c = await connect(b);
  let ch = await channel(c);
  const made: string[] = [];
  let refused: { code: number; message: string } | undefined;
  for (let i = 0; i < 40 && refused === undefined; i++) {
    try {
      await ch.assertQueue(`flood-${i}`);
      made.push(`flood-${i}`);
    } catch (e) {
      const err = e as { code: number; message: string };
      refused = { code: err.code, message: err.message };
    }
  }
  assert.ok(refused !== undefined, 'the limit was enforced');
  assert.ok(made.length <= 20);
  // RabbitMQ answers 406 PRECONDITION_FAILED, closing only the channel.
  assert.equal(refused.code, 406, refused.message);
  assert.match(refused.message, /queue limit in vhost '\/' \(20\) is reached/);
  ch = await channel(c);
  for (const q of made) await ch.deleteQueue(q);
  await c.close();
  await stillServes(b);
});

test('unknown field type in a table: 502 SYNTAX_ERROR', async () => {
  const c = await RawAmqp.handshake(b.ports.amqp);
  c.method(1, 'channel.open', {});
  await c.expectMethod('channel.open-ok');
  // queue.declare "q" with arguments { k: <type 'z'> }
  c.write(hex(`01 0001 00000011  0032 000a 0000 01 71 00 00000004 01 6b 7a 00 ce`));
  await expectConnectionClose(c, 502, /unknown field type/);
  await stillServes(b);
});

test('body bigger than announced: 501', async () => {
  const c = await RawAmqp.handshake(b.ports.amqp);
  c.method(1, 'channel.open', {});
  await c.expectMethod('channel.open-ok');
  c.method(1, 'basic.publish', { exchange: '', routingKey: 'x' });
  c.encoder().header(1, 2, {});
  c.encoder().body(1, Buffer.from('three'));
  c.encoder().flush();
  await expectConnectionClose(c, 501, /content body frame exceeds remaining content size/);
  await stillServes(b);
});

test('heartbeat on a non-zero channel: 505', async () => {
  const c = await RawAmqp.handshake(b.ports.amqp);
  c.write(hex('08 0001 00000000 ce'));
  await expectConnectionClose(c, 505);
  await stillServes(b);
});

test('tune-ok above the offered frame_max: 530', async () => {
  const c = await RawAmqp.open(b.ports.amqp);
  c.write(PROTOCOL_HEADER);
  await c.expectMethod('connection.start');
  c.method(0, 'connection.start-ok', { clientProperties: {}, mechanism: 'PLAIN', response: Buffer.from('\0guest\0guest'), locale: 'en_US' });
  await c.expectMethod('connection.tune');
  c.method(0, 'connection.tune-ok', { channelMax: 8, frameMax: 1 << 20, heartbeat: 0 });
  await expectConnectionClose(c, 530, /negotiated frame_max = 1048576 is higher than the maximum allowed value \(8192\)/);
  await c.waitClosed();
  await stillServes(b);
});

test('login refused: 403 with authentication_failure_close, silent close without', async () => {
  const e = await errorOf(amqp.connect(`amqp://guest:wrong@127.0.0.1:${b.ports.amqp}`));
  assert.match(e.message, /ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN\. For details see the broker logfile\./);
  const c = await RawAmqp.open(b.ports.amqp);
  c.write(PROTOCOL_HEADER);
  await c.expectMethod('connection.start');
  c.method(0, 'connection.start-ok', { clientProperties: {}, mechanism: 'PLAIN', response: Buffer.from('\0guest\0nope'), locale: 'en_US' });
  await c.waitClosed();
  const frames = c.received();
  // only connection.start was ever sent
  assert.equal(frames.readUInt32BE(3) + 8, frames.length);
  await stillServes(b);
});

test('AMQPLAIN login works', async () => {
  const c = await amqp.connect({ protocol: 'amqp', hostname: '127.0.0.1', port: b.ports.amqp, username: 'guest', password: 'guest' }, { credentials: amqp.credentials.amqplain('guest', 'guest') });
  const ch = await c.createChannel();
  await ch.checkExchange('amq.topic');
  await c.close();
});

test('vhost missing or refused: 530 NOT_ALLOWED with RabbitMQ texts', async () => {
  // amqplib fails the connect (it reports the unexpected connection.close generically)
  const e = await errorOf(amqp.connect(amqpUrl(b, 'nope')));
  assert.match(e.message, /ConnectionClose/);
  // the close itself, seen on the wire
  const openVhost = async (name: string): Promise<RawAmqp> => {
    const c = await RawAmqp.open(b.ports.amqp);
    c.write(PROTOCOL_HEADER);
    await c.expectMethod('connection.start');
    c.method(0, 'connection.start-ok', { clientProperties: {}, mechanism: 'PLAIN', response: Buffer.from('\0guest\0guest'), locale: 'en_US' });
    await c.expectMethod('connection.tune');
    c.method(0, 'connection.tune-ok', { channelMax: 8, frameMax: 8192, heartbeat: 0 });
    c.method(0, 'connection.open', { virtualHost: name });
    return c;
  };
  let c = await openVhost('nope');
  await expectConnectionClose(c, 530, /^NOT_ALLOWED - vhost nope not found$/);
  await c.waitClosed();
  // an existing vhost guest has no permissions on
  b.server().broker.addVhost('locked');
  c = await openVhost('locked');
  await expectConnectionClose(c, 530, /^NOT_ALLOWED - access to vhost 'locked' refused for user 'guest'$/);
  await c.waitClosed();
  await stillServes(b);
});

test('pre-authentication byte budget: a flood before login closes the socket', async () => {
  const c = await RawAmqp.open(b.ports.amqp);
  c.write(PROTOCOL_HEADER);
  await c.expectMethod('connection.start');
  const hb = hex('08 0000 00000000 ce');
  const flood = Buffer.concat(Array.from({ length: 10000 }, () => hb)); // 80 kB of heartbeats
  c.write(flood);
  await c.waitClosed();
  await stillServes(b);
});

test('heartbeats: the server sends them and drops a silent client after two intervals', async () => {
  const c = await RawAmqp.handshake(b.ports.amqp, { heartbeat: 1 });
  // Say nothing: the server keeps sending heartbeats, then gives up on us.
  await c.waitClosed(8000);
  assert.ok(c.heartbeatsReceived() >= 1, 'server heartbeats arrived');
  await stillServes(b);
});
