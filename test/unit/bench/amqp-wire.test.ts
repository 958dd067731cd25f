import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK_FRAME_SIZE, M, frame, methodFrame, publishTemplate, readU64, writeAck, writeU64, Writer } from '../../../src/bench/clients/amqp-wire.js';
import { ConfirmWindow } from '../../../src/bench/clients/base.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('publish template: basic.publish + content header + one body frame (AMQP 0-9-1 §4.2.3, §4.2.6)', () => {
  const body = Buffer.from('0123456789abcdef0123456789abcdef');
  const t = publishTemplate(1, '', 'q', body, true, 131072);
  const want = Buffer.concat([
    hex(`01 0001 0000000a`), // method frame, channel 1, payload 10 bytes
    hex(`003c 0028`), // class 60 basic, method 40 publish
    hex(`0000`), // reserved-1 (ticket)
    hex(`00`), // exchange '' (shortstr)
    hex(`01 71`), // routing key 'q'
    hex(`00`), // mandatory=0 immediate=0
    hex(`ce`),
    hex(`02 0001 0000000f`), // content header frame, 15 bytes
    hex(`003c 0000`), // class 60, weight 0
    hex(`0000000000000020`), // body size 32
    hex(`1000`), // property flags: delivery-mode only (bit 12)
    hex(`02`), // delivery-mode 2 = persistent
    hex(`ce`),
    hex(`03 0001 00000020`), // body frame, 32 bytes
    body,
    hex(`ce`),
  ]);
  assert.deepEqual(t.bytes, want);
  assert.equal(t.bodyOffset, 48); // 8 + 10 (method) + 8 + 15 (header) + 7 (body frame header)
  assert.deepEqual(t.bytes.subarray(t.bodyOffset, t.bodyOffset + 32), body);
});

test('publish template splits the body into frames of at most frame-max - 8 bytes', () => {
  const body = Buffer.alloc(10000, 0x61);
  const t = publishTemplate(3, 'amq.topic', 'a.b', body, false, 4096);
  const sizes: number[] = [];
  let off = 0;
  while (off < t.bytes.length) {
    const type = t.bytes[off]!;
    const size = t.bytes.readUInt32BE(off + 3);
    assert.equal(t.bytes.readUInt16BE(off + 1), 3, 'channel');
    assert.equal(t.bytes[off + 7 + size], 0xce, 'frame end');
    if (type === 3) sizes.push(size);
    if (type === 2) assert.equal(t.bytes[off + 7 + 14], 1, 'delivery-mode 1 = transient');
    off += size + 8;
  }
  assert.equal(off, t.bytes.length);
  assert.deepEqual(sizes, [4088, 4088, 1824]);
});

test('basic.ack frame layout', () => {
  const b = Buffer.alloc(ACK_FRAME_SIZE);
  writeAck(b, 0, 7, 2 ** 40 + 5, true);
  assert.deepEqual(b, hex(`01 0007 0000000d 003c 0050 0000010000000005 01 ce`));
  assert.deepEqual(b, methodFrame(7, M.basicAck, (w) => w.u64(2 ** 40 + 5).u8(1)));
});

test('u64 helpers and field tables', () => {
  const b = Buffer.alloc(8);
  writeU64(b, 0, 2 ** 53 - 1);
  assert.equal(readU64(b, 0), 2 ** 53 - 1);
  const t = new Writer().table({ a: 'x', b: true, c: { d: 1 } }).done();
  // u32 size, then: 01 'a' 'S' u32 1 'x' | 01 'b' 't' 01 | 01 'c' 'F' u32 size (01 'd' 'I' 00000001)
  assert.deepEqual(t, hex(`0000001a 0161 53 00000001 78 0162 74 01 0163 46 00000007 0164 49 00000001`));
  assert.deepEqual(frame(8, 0, Buffer.alloc(0)), hex(`08 0000 00000000 ce`));
});

test('confirm window: in-order, out-of-order, multiple, duplicates and strays', () => {
  const w = new ConfirmWindow(4);
  assert.equal(w.room(), 4);
  assert.equal(w.take(3), 1);
  assert.equal(w.inflight, 3);
  assert.equal(w.confirm(2, false), 1); // out of order: low stays at 1
  assert.equal(w.inflight, 3);
  assert.equal(w.confirm(2, false), 0, 'duplicate confirm counts once');
  assert.equal(w.confirm(1, false), 1);
  assert.equal(w.inflight, 1, 'low advanced past 1 and 2');
  assert.equal(w.confirm(99, false), 0, 'never issued');
  assert.equal(w.take(3), 4);
  assert.equal(w.room(), 0);
  assert.equal(w.confirm(5, true), 3, 'multiple confirms 3, 4, 5');
  assert.equal(w.inflight, 1);
  assert.equal(w.confirm(6, false), 1);
  assert.equal(w.inflight, 0);
  // Wraps around its ring many times.
  for (let i = 0; i < 1000; i++) {
    const first = w.take(4);
    for (let t = first + 3; t >= first; t--) w.confirm(t, false);
  }
  assert.equal(w.inflight, 0);
  assert.equal(w.room(), 4);
});
