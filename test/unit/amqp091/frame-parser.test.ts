/** Incremental parsing, frame errors, and property tests over every method in the table. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AmqpCodecError,
  FrameEncoder,
  FrameParser,
  METHOD_SPECS,
  checkProtocolHeader,
  type BasicProperties,
  type Frame,
  type MethodName,
} from '../../../src/codecs/amqp091/index.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const ascii = (r: () => number, max: number): string =>
  Array.from({ length: Math.floor(r() * max) }, () => String.fromCharCode(33 + Math.floor(r() * 90))).join('');

function randomArgs(r: () => number, spec: (typeof METHOD_SPECS)[number]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, type] of spec.args) {
    switch (type) {
      case 'bit': out[name] = r() < 0.5; break;
      case 'octet': out[name] = Math.floor(r() * 256); break;
      case 'short': out[name] = Math.floor(r() * 65536); break;
      case 'long': out[name] = Math.floor(r() * 4294967296); break;
      case 'longlong': out[name] = Math.floor(r() * 2 ** 53); break;
      case 'shortstr': out[name] = ascii(r, 256); break;
      case 'longstr': out[name] = Buffer.from(ascii(r, 300)); break;
      case 'table': out[name] = r() < 0.3 ? {} : { a: ascii(r, 10), n: Math.floor(r() * 1000), nested: { t: r() < 0.5 } }; break;
    }
  }
  return out;
}

function encodeAll(fn: (e: FrameEncoder) => void, frameMax = 131072, chunk = 256): Buffer {
  const parts: Buffer[] = [];
  const e = new FrameEncoder((b) => parts.push(b), chunk);
  e.frameMax = frameMax;
  fn(e);
  e.flush();
  return Buffer.concat(parts);
}

function parseChunks(chunks: Buffer[], frameMax = 131072): Frame[] {
  const p = new FrameParser(frameMax);
  const out: Frame[] = [];
  for (const c of chunks) {
    p.push(c);
    for (let f = p.next(); f !== null; f = p.next()) out.push(f);
  }
  return out;
}

test('every method in the table round-trips with random arguments (20 seeds each)', () => {
  for (const spec of METHOD_SPECS) {
    for (let seed = 1; seed <= 20; seed++) {
      const r = rng(seed * 7919 + spec.classId * 131 + spec.methodId);
      const args = randomArgs(r, spec);
      const bytes = encodeAll((e) => e.method(3, spec.name as MethodName, args));
      const frames = parseChunks([bytes]);
      assert.equal(frames.length, 1);
      const f = frames[0]!;
      assert.equal(f.type, 1);
      if (f.type !== 1) continue;
      assert.equal(f.channel, 3);
      assert.deepEqual(f.method, { name: spec.name, ...args }, `${spec.name} seed ${seed}`);
    }
  }
});

test('content headers with random property subsets round-trip', () => {
  const keys: Array<keyof BasicProperties> = ['contentType', 'contentEncoding', 'headers', 'deliveryMode', 'priority', 'correlationId', 'replyTo', 'expiration', 'messageId', 'timestamp', 'type', 'userId', 'appId', 'clusterId'];
  for (let seed = 1; seed <= 300; seed++) {
    const r = rng(seed);
    const p: Record<string, unknown> = {};
    for (const k of keys) {
      if (r() < 0.5) continue;
      if (k === 'headers') p[k] = { x: ascii(r, 5) };
      else if (k === 'deliveryMode' || k === 'priority') p[k] = Math.floor(r() * 256);
      else if (k === 'timestamp') p[k] = Math.floor(r() * 2 ** 40);
      else p[k] = ascii(r, 40);
    }
    const size = Math.floor(r() * 2 ** 40);
    const frames = parseChunks([encodeAll((e) => e.header(1, size, p as BasicProperties))]);
    const f = frames[0]!;
    if (f.type !== 2) throw new Error('expected header');
    assert.deepEqual(f.header, { classId: 60, bodySize: size, properties: p });
  }
});

test('a stream split at every offset yields the same frames', () => {
  const body = Buffer.from('x'.repeat(300));
  const stream = encodeAll((e) => {
    e.method(0, 'connection.tune-ok', { channelMax: 2047, frameMax: 4096, heartbeat: 60 });
    e.content(1, 'basic.publish', { exchange: 'amq.topic', routingKey: 'a.b' }, { headers: { h: 'v' } }, body);
    e.heartbeat();
    e.method(1, 'basic.ack', { deliveryTag: 9, multiple: true });
  }, 128);
  const whole = parseChunks([stream]);
  // tune-ok, publish, header, 3 body frames (frameMax 128 -> 120-octet pieces), heartbeat, ack
  assert.equal(whole.length, 8);
  for (let cut = 1; cut < stream.length; cut++) {
    assert.deepEqual(parseChunks([stream.subarray(0, cut), stream.subarray(cut)]), whole, `cut at ${cut}`);
  }
  // and one octet at a time
  const single: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) single.push(stream.subarray(i, i + 1));
  assert.deepEqual(parseChunks(single), whole);
});

test('body frames inside one chunk are zero-copy slices of it', () => {
  const stream = encodeAll((e) => e.body(1, Buffer.alloc(100, 1)));
  const p = new FrameParser(4096);
  p.push(stream);
  const f = p.next();
  if (f === null || f.type !== 3) throw new Error('expected body');
  assert.equal(f.payload.buffer, stream.buffer);
});

const codeOf = (fn: () => unknown): number => {
  try {
    fn();
  } catch (e) {
    if (e instanceof AmqpCodecError) return e.replyCode;
    throw e;
  }
  return 0;
};

test('frame errors carry the reply code', () => {
  // bad frame end
  assert.equal(codeOf(() => parseChunks([Buffer.from('0800000000000000', 'hex')])), 501);
  // unknown frame type 9
  assert.equal(codeOf(() => parseChunks([Buffer.from('09000000000000ce', 'hex')])), 501);
  // heartbeat with a payload
  assert.equal(codeOf(() => parseChunks([Buffer.from('080000000000010ace', 'hex')])), 501);
  // unknown class/method 99.1
  assert.equal(codeOf(() => parseChunks([Buffer.from('0100010000000400630001ce', 'hex')])), 540);
  // method with trailing garbage: channel.open-ok with an extra octet
  assert.equal(codeOf(() => parseChunks([Buffer.from('010001000000090014000b0000000000ce', 'hex')])), 501);
  // truncated method arguments (basic.ack without its bit octet)
  assert.equal(codeOf(() => parseChunks([Buffer.from('0100010000000c003c00500000000000000001ce', 'hex')])), 501);
});

test('oversize frame is refused from its header, before the payload arrives', () => {
  const p = new FrameParser(4096);
  // Announce a 1 GiB body frame; only the 7 header octets are given.
  p.push(Buffer.from('03000140000000', 'hex'));
  assert.throws(() => p.next(), (e: AmqpCodecError) => e.replyCode === 501 && /frame_too_large/.test(e.message));
  // exactly frame_max (payload = frameMax - 8) is fine, and RabbitMQ's 8-octet fudge too
  const ok = encodeAll((e) => e.body(1, Buffer.alloc(4096)), 0, 8192);
  assert.equal(parseChunks([ok], 4096).length, 1);
  const tooBig = encodeAll((e) => e.body(1, Buffer.alloc(4097)), 0, 8192);
  assert.equal(codeOf(() => parseChunks([tooBig], 4096)), 501);
});

test('encoder never overwrites a region already handed to the sink', () => {
  const handed: Array<{ slice: Buffer; copy: Buffer }> = [];
  const e = new FrameEncoder((b) => handed.push({ slice: b, copy: Buffer.from(b) }), 64);
  e.frameMax = 4096;
  for (let i = 0; i < 200; i++) {
    e.method(1, 'basic.ack', { deliveryTag: i, multiple: false });
    if (i % 7 === 0) e.flush();
    if (i % 13 === 0) e.content(1, 'basic.publish', { exchange: 'e', routingKey: 'k'.repeat(i % 50) }, { headers: { i } }, Buffer.alloc(5000 + i, i));
  }
  e.flush();
  for (const h of handed) assert.deepEqual(h.slice, h.copy);
  const frames = parseChunks(handed.map((h) => h.copy), 4096);
  const acks = frames.filter((f) => f.type === 1 && f.method.name === 'basic.ack');
  assert.equal(acks.length, 200);
});

test('encoder chunks follow the traffic: full size while busy, let go when quiet, frames intact', () => {
  const handed: Array<{ slice: Buffer; copy: Buffer }> = [];
  const e = new FrameEncoder((b) => handed.push({ slice: b, copy: Buffer.from(b) }), 64 * 1024);
  e.frameMax = 131072;
  assert.ok(e.buf.length <= 1024, 'a new encoder starts small');
  let sent = 0;
  const ack = (): void => {
    e.method(1, 'basic.ack', { deliveryTag: ++sent, multiple: false });
  };
  // Busy turns: ~60 KiB each (21-byte ack frames) grow the chunk to the full 64 KiB.
  for (let turn = 0; turn < 3; turn++) {
    for (let i = 0; i < 3000; i++) ack();
    e.flush();
  }
  ack();
  assert.equal(e.buf.length, 64 * 1024, 'busy: full-size chunk');
  // Quiet turns: one frame each. The big chunk is let go once the remembered peak decays.
  for (let turn = 0; turn < 12; turn++) {
    ack();
    e.flush();
  }
  ack();
  assert.ok(e.buf.length <= 4096, `quiet: small chunk, got ${e.buf.length}`);
  e.flush();
  for (const h of handed) assert.deepEqual(h.slice, h.copy, 'a handed region was overwritten');
  const acks = parseChunks(handed.map((h) => h.copy)).filter((f) => f.type === 1 && f.method.name === 'basic.ack');
  assert.equal(acks.length, sent);
  assert.deepEqual(
    acks.map((f) => (f.type === 1 && f.method.name === 'basic.ack' ? Number(f.method.deliveryTag) : 0)),
    Array.from({ length: sent }, (_, i) => i + 1),
  );
});

test('protocol header check', () => {
  assert.equal(checkProtocolHeader(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1')), 'ok');
  assert.equal(checkProtocolHeader(Buffer.from('AMQ', 'latin1')), 'need-more');
  assert.equal(checkProtocolHeader(Buffer.from('AMQP\x01\x01\x00\x09', 'latin1')), 'ok'); // 0-9, served as 0-9-1 like RabbitMQ
  assert.equal(checkProtocolHeader(Buffer.from('AMQP\x01', 'latin1')), 'need-more');
  assert.equal(checkProtocolHeader(Buffer.from('AMQP\x00\x01\x00\x00', 'latin1')), 'bad');
  assert.equal(checkProtocolHeader(Buffer.from('GET / HTTP/1.1', 'latin1')), 'bad');
});

test('a failed encode leaves no partial frame behind', () => {
  const out: Buffer[] = [];
  const e = new FrameEncoder((b) => out.push(Buffer.from(b)), 4096);
  e.frameMax = 4096;
  e.method(1, 'basic.qos', { prefetchCount: 1 });
  // a header field name longer than a short string cannot be encoded
  const badHeaders = { ['k'.repeat(300)]: 1 };
  assert.throws(() => e.deliver(1, 'tag', 1, false, 'x', 'rk', { headers: badHeaders }, Buffer.from('body')), RangeError);
  assert.throws(() => e.content(1, 'basic.get-ok', { deliveryTag: 1 }, { headers: badHeaders }, Buffer.from('b')), RangeError);
  assert.throws(() => e.method(1, 'basic.cancel', { consumerTag: 'c'.repeat(256) }), RangeError);
  assert.equal(e.broken, false);
  e.method(1, 'basic.ack', { deliveryTag: 7, multiple: false });
  e.flush();
  const frames = parseChunks(out);
  assert.deepEqual(frames.map((f) => (f.type === 1 ? f.method.name : f.type)), ['basic.qos', 'basic.ack']);
});
