/**
 * Fuzz: random and mutated frames thrown at the live listener, before and after the
 * handshake (bounded count and time). The process must survive and a well-behaved
 * amqplib client must still work afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameEncoder, PROTOCOL_HEADER, type MethodName } from '../../../src/codecs/amqp091/index.js';
import { useSharedBroker } from '../../helpers/broker.js';
import { channel, connect, rawConnect, sleep, stillServes, waitFor } from './helpers.js';
import { RawAmqp } from './raw-amqp.js';

const b = useSharedBroker();

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Valid frames to mutate: a plausible session on channel 1. */
function corpus(): Buffer[] {
  const out: Buffer[] = [];
  const e = new FrameEncoder((buf) => out.push(Buffer.from(buf)), 256);
  e.frameMax = 4096;
  const m = <N extends MethodName>(n: N, a: Parameters<FrameEncoder['method']>[2]): void => {
    e.method(1, n, a as never);
    e.flush();
  };
  m('queue.declare', { queue: 'fz', arguments: { 'x-max-length': 5, 'x-message-ttl': 1000 } });
  m('exchange.declare', { exchange: 'fzx', type: 'topic', arguments: { a: [1, 'b', { c: true }] } });
  m('queue.bind', { queue: 'fz', exchange: 'fzx', routingKey: 'a.#' });
  m('basic.qos', { prefetchCount: 3 });
  m('basic.consume', { queue: 'fz', consumerTag: 't', arguments: { 'x-priority': 3 } });
  m('confirm.select', {});
  e.content(1, 'basic.publish', { exchange: 'fzx', routingKey: 'a.b', mandatory: true }, { headers: { h: 'v' }, deliveryMode: 2, expiration: '100' }, Buffer.alloc(300, 7));
  e.flush();
  m('basic.ack', { deliveryTag: 1, multiple: true });
  m('basic.nack', { deliveryTag: 2, multiple: false, requeue: true });
  m('basic.get', { queue: 'fz', noAck: true });
  m('tx.select', {});
  m('basic.recover', { requeue: true });
  m('queue.purge', { queue: 'fz' });
  m('basic.cancel', { consumerTag: 't' });
  m('exchange.bind', { destination: 'fzx', source: 'amq.topic', routingKey: '#' });
  m('channel.flow', { active: true });
  m('queue.delete', { queue: 'fz' });
  return out;
}

function mutate(r: () => number, f: Buffer): Buffer {
  const out = Buffer.from(f);
  const kind = Math.floor(r() * 5);
  if (kind === 0) {
    // flip a few bytes anywhere (header, ids, lengths, frame-end)
    for (let i = 0; i < 1 + Math.floor(r() * 4); i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
    return out;
  }
  if (kind === 1 && out.length > 12) {
    // corrupt a byte in the payload only, keep the framing
    out[7 + Math.floor(r() * (out.length - 8))] = Math.floor(r() * 256);
    return out;
  }
  if (kind === 2) {
    // random channel
    out.writeUInt16BE(Math.floor(r() * 12), 1);
    return out;
  }
  if (kind === 3) {
    // truncate, keep the declared size: the next frame's octets fill it
    return out.subarray(0, Math.max(1, Math.floor(r() * out.length)));
  }
  // entirely random frame with a plausible header
  const size = Math.floor(r() * 64);
  const rnd = Buffer.alloc(8 + size);
  rnd[0] = [1, 2, 3, 8, Math.floor(r() * 256)][Math.floor(r() * 5)]!;
  rnd.writeUInt16BE(Math.floor(r() * 4), 1);
  rnd.writeUInt32BE(size, 3);
  for (let i = 7; i < 7 + size; i++) rnd[i] = Math.floor(r() * 256);
  rnd[7 + size] = r() < 0.9 ? 0xce : Math.floor(r() * 256);
  return rnd;
}

test('random and mutated frames after the handshake never take the broker down', async () => {
  // A well-behaved client connected through the whole fuzz run must not notice it.
  const bystander = await connect(b);
  const bch = await channel(bystander);
  const bq = await bch.assertQueue('', { exclusive: true });
  const got: string[] = [];
  await bch.consume(bq.queue, (m) => m && got.push(m.content.toString()), { noAck: true });
  bch.sendToQueue(bq.queue, Buffer.from('before'));
  const frames = corpus();
  const deadline = Date.now() + 20000;
  let sessions = 0;
  const internal: string[] = [];
  const codes = new Set<number>();
  for (let seed = 1; seed <= 150 && Date.now() < deadline; seed++) {
    const r = rng(seed);
    const c = await RawAmqp.handshake(b.ports.amqp);
    c.method(1, 'channel.open', {});
    const n = 1 + Math.floor(r() * 12);
    for (let i = 0; i < n && !c.closed; i++) {
      const f = frames[Math.floor(r() * frames.length)]!;
      c.write(r() < 0.5 ? f : mutate(r, f));
    }
    await sleep(5);
    for (const x of c.closeCodes()) {
      codes.add(x.code);
      if (x.code === 541) internal.push(`seed ${seed}: ${x.text}`);
    }
    c.destroy();
    await c.done;
    sessions++;
  }
  assert.ok(sessions >= 20, `ran ${sessions} sessions`);
  // 541 would mean an exception escaped a handler: a broker bug, not a client error.
  assert.deepEqual(internal, []);
  assert.ok(codes.size >= 3, `the fuzz reached several error paths: ${[...codes].join(',')}`);
  await stillServes(b);
  bch.sendToQueue(bq.queue, Buffer.from('after'));
  await waitFor(() => got.length === 2, 5000, 'bystander deliveries');
  assert.deepEqual(got, ['before', 'after']);
  assert.deepEqual(bystander.errors, []);
  assert.equal(bch.closeError, undefined);
  await bystander.close();
});

test('random bytes before and during the handshake never take the broker down', async () => {
  const deadline = Date.now() + 10000;
  for (let seed = 1000; seed < 1150 && Date.now() < deadline; seed++) {
    const r = rng(seed);
    const c = await rawConnect(b.ports.amqp);
    const junk = Buffer.alloc(Math.floor(r() * 200));
    for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(r() * 256);
    c.send(r() < 0.7 ? Buffer.concat([PROTOCOL_HEADER, junk]) : junk);
    await sleep(2);
    c.socket.destroy();
    await c.closed;
  }
  await stillServes(b);
});
