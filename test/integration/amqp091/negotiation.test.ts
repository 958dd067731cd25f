/** connection.tune / tune-ok (AMQP 0-9-1 §1.4.2.5-6): RabbitMQ's defaults, what the client may lower, what it may not. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOL_HEADER } from '../../../src/codecs/amqp091/index.js';
import { useSharedBroker, startTestBroker } from '../../helpers/broker.js';
import { sleep, waitFor } from './helpers.js';
import { RawAmqp } from './raw-amqp.js';

const b = useSharedBroker();

/** Up to connection.tune; returns the client and the tune the server offered. */
async function untilTune(port: number): Promise<{ c: RawAmqp; tune: { channelMax: number; frameMax: number; heartbeat: number } }> {
  const c = await RawAmqp.open(port);
  c.write(PROTOCOL_HEADER);
  await c.expectMethod('connection.start');
  c.method(0, 'connection.start-ok', { clientProperties: {}, mechanism: 'PLAIN', response: Buffer.from('\0guest\0guest'), locale: 'en_US' });
  const t = await c.expectMethod('connection.tune');
  if (t.name !== 'connection.tune') throw new Error('expected connection.tune');
  return { c, tune: { channelMax: t.channelMax, frameMax: t.frameMax, heartbeat: t.heartbeat } };
}

test('connection.tune offers RabbitMQ defaults: channel_max 2047, frame_max 131072, heartbeat 60', async () => {
  const { c, tune } = await untilTune(b.ports.amqp);
  assert.deepEqual(tune, { channelMax: 2047, frameMax: 131072, heartbeat: 60 });
  c.destroy();
});

test('tune-ok may not raise limits, answer 0 for them, or go below frame_max 4096: 530', async () => {
  const cases: Array<[{ channelMax: number; frameMax: number }, string]> = [
    [{ channelMax: 0, frameMax: 131072 }, 'NOT_ALLOWED - negotiated channel_max = 0 is higher than the maximum allowed value (2047)'],
    [{ channelMax: 4000, frameMax: 131072 }, 'NOT_ALLOWED - negotiated channel_max = 4000 is higher than the maximum allowed value (2047)'],
    [{ channelMax: 10, frameMax: 0 }, 'NOT_ALLOWED - negotiated frame_max = 0 is higher than the maximum allowed value (131072)'],
    [{ channelMax: 10, frameMax: 1000 }, 'NOT_ALLOWED - negotiated frame_max = 1000 is lower than the minimum allowed value (4096)'],
  ];
  for (const [t, text] of cases) {
    const { c } = await untilTune(b.ports.amqp);
    c.method(0, 'connection.tune-ok', { ...t, heartbeat: 0 });
    const m = await c.nextMethodArgs();
    assert.ok(m.name === 'connection.close', m.name);
    assert.equal(m.replyCode, 530);
    assert.equal(m.replyText, text);
    await c.waitClosed();
  }
});

test('a channel_max lowered by the client is the limit', async () => {
  const c = await RawAmqp.handshake(b.ports.amqp, { channelMax: 2 });
  c.method(1, 'channel.open', {});
  await c.expectMethod('channel.open-ok');
  c.method(2, 'channel.open', {});
  await c.expectMethod('channel.open-ok');
  c.method(3, 'channel.open', {});
  const m = await c.nextMethodArgs();
  assert.ok(m.name === 'connection.close');
  assert.equal(m.replyCode, 530);
  assert.equal(m.replyText, 'NOT_ALLOWED - number of channels opened (2) has reached the negotiated channel_max (2)');
  c.destroy();
});

/** Walk raw frames: [type, channel, size] of each, from the octets after the handshake. */
function frames(buf: Buffer): Array<{ type: number; size: number; payload: Buffer }> {
  const out: Array<{ type: number; size: number; payload: Buffer }> = [];
  let o = 0;
  while (o + 8 <= buf.length) {
    const size = buf.readUInt32BE(o + 3);
    if (o + 8 + size > buf.length) break;
    out.push({ type: buf[o]!, size, payload: buf.subarray(o + 7, o + 7 + size) });
    o += 8 + size;
  }
  return out;
}

test('the server never sends a frame larger than the frame_max the client chose', async () => {
  const c = await RawAmqp.handshake(b.ports.amqp, { frameMax: 4096 });
  c.method(1, 'channel.open', {});
  await c.expectMethod('channel.open-ok');
  c.method(1, 'queue.declare', { queue: 'fm-q' });
  await c.expectMethod('queue.declare-ok');
  const body = Buffer.alloc(10000);
  for (let i = 0; i < body.length; i++) body[i] = i & 0xff;
  // our own frames are split at 4096 too
  c.encoder().frameMax = 4096;
  c.encoder().content(1, 'basic.publish', { exchange: '', routingKey: 'fm-q' }, {}, body);
  c.encoder().flush();
  const before = c.received().length;
  c.method(1, 'basic.get', { queue: 'fm-q', noAck: true });
  await c.expectMethod('basic.get-ok');
  await waitFor(() => frames(c.received().subarray(before)).filter((f) => f.type === 3).reduce((n, f) => n + f.size, 0) >= body.length, 5000, 'body frames');
  const fs = frames(c.received().subarray(before));
  for (const f of fs) assert.ok(f.size + 8 <= 4096, `frame of ${f.size + 8} octets`);
  const bodyFrames = fs.filter((f) => f.type === 3);
  assert.ok(bodyFrames.length >= 3, `${bodyFrames.length} body frames`);
  assert.ok(Buffer.concat(bodyFrames.map((f) => f.payload)).equals(body));
  c.destroy();
});

test('heartbeat 0 in tune-ok disables heartbeats even when the server offers them', async () => {
  const local = await startTestBroker({ config: { limits: { amqp091: { heartbeat: 1 } } } });
  try {
    const { c, tune } = await untilTune(local.ports.amqp);
    assert.equal(tune.heartbeat, 1);
    c.method(0, 'connection.tune-ok', { channelMax: tune.channelMax, frameMax: tune.frameMax, heartbeat: 0 });
    c.method(0, 'connection.open', { virtualHost: '/' });
    await c.expectMethod('connection.open-ok');
    // Two offered intervals and more of silence: no heartbeat sent, the connection is kept.
    await sleep(2500);
    assert.equal(c.heartbeatsReceived(), 0);
    assert.equal(c.closed, false);
    c.method(1, 'channel.open', {});
    await c.expectMethod('channel.open-ok');
    c.destroy();
  } finally {
    await local.stop();
  }
});
