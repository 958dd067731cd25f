/**
 * Byte fixtures for the AMQP 0-9-1 codec, one comment per field, checked in both
 * directions (decode the bytes, encode the values back to the same bytes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameEncoder, FrameParser, type Frame } from '../../../src/codecs/amqp091/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+|#.*$/gm, ''), 'hex');

function parseAll(bytes: Buffer, frameMax = 131072): Frame[] {
  const p = new FrameParser(frameMax);
  p.push(bytes);
  const out: Frame[] = [];
  for (let f = p.next(); f !== null; f = p.next()) out.push(f);
  return out;
}

function encodeWith(fn: (e: FrameEncoder) => void, frameMax = 131072): Buffer {
  const parts: Buffer[] = [];
  const e = new FrameEncoder((b) => parts.push(Buffer.from(b)), 64);
  e.frameMax = frameMax;
  fn(e);
  e.flush();
  return Buffer.concat(parts);
}

test('connection.start-ok fixture decodes field by field', () => {
  // connection.start-ok as a client sends it: PLAIN guest/guest, one client property.
  const fixed = hex(`
    01                  # frame type 1 = method
    0000                # channel 0
    00000038            # payload size 56
    000a 000b           # class 10 connection, method 11 start-ok
    00000014            # client-properties table, 20 octets:
      07 70726f64756374 #   key shortstr "product"
      53 00000007 616d71706c6962  #   'S' longstr "amqplib"
    05 504c41494e       # mechanism shortstr "PLAIN"
    0000000c 006775657374 006775657374 # response longstr NUL guest NUL guest (12 octets)
    05 656e5f5553       # locale shortstr "en_US"
    ce                  # frame end`);
  const frames = parseAll(fixed);
  assert.equal(frames.length, 1);
  const f = frames[0]!;
  assert.equal(f.type, 1);
  assert.equal(f.channel, 0);
  if (f.type !== 1 || f.method.name !== 'connection.start-ok') throw new Error('wrong frame');
  assert.deepEqual(f.method.clientProperties, { product: 'amqplib' });
  assert.equal(f.method.mechanism, 'PLAIN');
  assert.equal(f.method.response.toString('latin1'), '\0guest\0guest');
  assert.equal(f.method.locale, 'en_US');
  const again = encodeWith((e) =>
    e.method(0, 'connection.start-ok', {
      clientProperties: { product: 'amqplib' },
      mechanism: 'PLAIN',
      response: Buffer.from('\0guest\0guest', 'latin1'),
      locale: 'en_US',
    }),
  );
  assert.deepEqual(again, fixed);
  // Declared size one octet short: the frame-end check fails -> 501 FRAME_ERROR.
  const bad = Buffer.concat([fixed.subarray(0, 6), Buffer.from([0x37]), fixed.subarray(7)]);
  assert.throws(() => parseAll(Buffer.concat([bad, Buffer.from([0])])), (e: Error & { replyCode?: number }) => e.replyCode === 501);
});

// basic.publish on channel 1 to exchange "" with routing key "hello", then header and body.
const PUBLISH = hex(`
  01 0001 0000000e   # method frame, channel 1, size 14
  003c 0028          # class 60 basic, method 40 publish
  0000               # ticket (reserved-1)
  00                 # exchange shortstr "" (0)
  05 68656c6c6f      # routing-key shortstr "hello"
  00                 # bits: mandatory=0 immediate=0
  ce
  02 0001 0000001a   # header frame, channel 1, size 26
  003c               # class 60
  0000               # weight 0
  000000000000000c   # body size 12
  9000               # flags: content-type (bit 15) + delivery-mode (bit 12)
  0a 746578742f706c61696e  # content-type "text/plain"
  02                 # delivery-mode 2 (persistent)
  ce
  03 0001 0000000c   # body frame, channel 1, size 12
  48656c6c6f20576f726c6421  # "Hello World!"
  ce
`);

test('basic.publish + content header + body fixture', () => {
  const frames = parseAll(PUBLISH);
  assert.equal(frames.length, 3);
  const [m, h, b] = frames as [Frame, Frame, Frame];
  if (m.type !== 1 || m.method.name !== 'basic.publish') throw new Error('expected basic.publish');
  assert.equal(m.channel, 1);
  assert.equal(m.method.exchange, '');
  assert.equal(m.method.routingKey, 'hello');
  assert.equal(m.method.mandatory, false);
  assert.equal(m.method.immediate, false);
  if (h.type !== 2) throw new Error('expected header');
  assert.equal(h.header.classId, 60);
  assert.equal(h.header.bodySize, 12);
  assert.deepEqual(h.header.properties, { contentType: 'text/plain', deliveryMode: 2 });
  if (b.type !== 3) throw new Error('expected body');
  assert.equal(b.payload.toString(), 'Hello World!');
  const again = encodeWith((e) =>
    e.content(1, 'basic.publish', { exchange: '', routingKey: 'hello' }, { contentType: 'text/plain', deliveryMode: 2 }, Buffer.from('Hello World!')),
  );
  assert.deepEqual(again, PUBLISH);
});

test('bits pack least-significant first (queue.declare durable+auto-delete)', () => {
  const bytes = encodeWith((e) => e.method(1, 'queue.declare', { queue: 'q', durable: true, autoDelete: true }));
  assert.deepEqual(
    bytes,
    hex(`
    01 0001 0000000d  # method frame, channel 1, size 13
    0032 000a      # queue.declare
    0000           # ticket
    01 71          # queue "q"
    0a             # bits: passive=0 durable=1(bit1) exclusive=0 auto-delete=1(bit3) nowait=0
    00000000       # arguments: empty table
    ce`),
  );
});

test('basic.deliver hot-path encoder equals the table-driven encoding', () => {
  const props = { headers: { a: 1 }, priority: 3 };
  const body = Buffer.alloc(10000, 7);
  const fast = encodeWith((e) => e.deliver(5, 'amq.ctag-x', 2 ** 40 + 3, true, 'ex', 'rk', props, body), 4096);
  const slow = encodeWith(
    (e) => e.content(5, 'basic.deliver', { consumerTag: 'amq.ctag-x', deliveryTag: 2 ** 40 + 3, redelivered: true, exchange: 'ex', routingKey: 'rk' }, props, body),
    4096,
  );
  assert.deepEqual(fast, slow);
  const frames = parseAll(fast, 4096);
  // method, header, and 10000 bytes in 4088-octet pieces: 3 body frames
  assert.deepEqual(frames.map((f) => f.type), [1, 2, 3, 3, 3]);
  const f0 = frames[0]!;
  if (f0.type !== 1 || f0.method.name !== 'basic.deliver') throw new Error('expected deliver');
  assert.equal(f0.method.deliveryTag, 2 ** 40 + 3);
  assert.equal(f0.method.redelivered, true);
  const bodies = frames.filter((f) => f.type === 3).map((f) => (f.type === 3 ? f.payload : Buffer.alloc(0)));
  assert.deepEqual(bodies.map((b) => b.length), [4088, 4088, 1824]);
  assert.deepEqual(Buffer.concat(bodies), body);
});

test('heartbeat frame is 8 octets on channel 0', () => {
  assert.deepEqual(encodeWith((e) => e.heartbeat()), hex('08 0000 00000000 ce'));
  const [f] = parseAll(hex('08 0000 00000000 ce'));
  assert.deepEqual(f, { type: 8, channel: 0 });
});

test('exchange.unbind-ok uses RabbitMQ method id 51', () => {
  assert.deepEqual(encodeWith((e) => e.method(2, 'exchange.unbind-ok', {})), hex('01 0002 00000004 0028 0033 ce'));
});
