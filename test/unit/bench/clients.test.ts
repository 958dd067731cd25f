import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AmqpClient } from '../../../src/bench/clients/amqp.js';
import { FRAME_BODY, FRAME_HEADER, FRAME_HEARTBEAT, M, Writer, frame, methodFrame } from '../../../src/bench/clients/amqp-wire.js';
import { MqttClient } from '../../../src/bench/clients/mqtt.js';
import { packet } from '../../../src/bench/clients/mqtt-wire.js';
import { StompClient } from '../../../src/bench/clients/stomp.js';
import type { DeliverySink } from '../../../src/bench/clients/types.js';
import type { Endpoint, Protocol } from '../../../src/bench/options.js';
import { BodyFields, makeBody, patchBody } from '../../../src/bench/payload.js';

const ep = (protocol: Protocol): Endpoint => ({ protocol, host: '127.0.0.1', port: 1, user: 'guest', password: 'guest', vhost: '/' });

class Recorder implements DeliverySink {
  got: [number, number, number][] = [];
  corrupted = 0;
  deliver(producer: number, seq: number, tsUs: number): void {
    this.got.push([producer, seq, tsUs]);
  }
  corrupt(): void {
    this.corrupted++;
  }
}

function body(producer: number, seq: number, size = 100): Buffer {
  const b = makeBody(size, producer);
  patchBody(b, 0, seq, 1_700_000_000_000_000 + seq);
  return b;
}

/** Feed `bytes` in chunks of `k` bytes. */
function feedChunks(feed: (b: Buffer) => void, bytes: Buffer, k: number): void {
  for (let off = 0; off < bytes.length; off += k) feed(Buffer.from(bytes.subarray(off, off + k)));
}

class TestAmqp extends AmqpClient {
  written: Buffer[] = [];
  constructor() {
    super(ep('amqp'));
  }
  protected override write(b: Buffer): boolean {
    this.written.push(Buffer.from(b));
    return true;
  }
  start(sink: DeliverySink, autoAck: boolean, multiAck: boolean): void {
    this.attach(sink, autoAck, multiAck);
  }
  feed(b: Buffer): void {
    this.onData(b);
  }
}

function amqpDeliveries(n: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const b = body(3, i);
    parts.push(methodFrame(1, M.basicDeliver, (w) => w.shortstr('ctag').u64(i + 1).u8(0).shortstr('').shortstr('q')));
    parts.push(frame(FRAME_HEADER, 1, new Writer().u16(60).u16(0).u64(b.length).u16(0x1000).u8(1).done()));
    // Two body frames: the bench header is in the first one.
    parts.push(frame(FRAME_BODY, 1, b.subarray(0, 60)), frame(FRAME_BODY, 1, b.subarray(60)));
    if (i === 1) parts.push(frame(FRAME_HEARTBEAT, 0, Buffer.alloc(0)));
  }
  // A foreign message (not a bench body) counts as corrupt.
  parts.push(methodFrame(1, M.basicDeliver, (w) => w.shortstr('ctag').u64(n + 1).u8(0).shortstr('').shortstr('q')));
  parts.push(frame(FRAME_HEADER, 1, new Writer().u16(60).u16(0).u64(5).u16(0).done()), frame(FRAME_BODY, 1, Buffer.from('hello')));
  return Buffer.concat(parts);
}

test('AMQP client: deliveries across every chunk split, one basic.ack per delivery', () => {
  const stream = amqpDeliveries(4);
  for (const k of [1, 2, 3, 7, 13, 64, stream.length]) {
    const c = new TestAmqp();
    const r = new Recorder();
    c.start(r, false, false);
    feedChunks((b) => c.feed(b), stream, k);
    assert.equal(c.error, null);
    assert.deepEqual(r.got, [0, 1, 2, 3].map((s) => [3, s, 1_700_000_000_000_000 + s]), `chunk size ${k}`);
    assert.equal(r.corrupted, 1);
    const acks = Buffer.concat(c.written);
    assert.equal(acks.length, 5 * 21);
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(acks.subarray(i * 21, i * 21 + 21), methodFrame(1, M.basicAck, (w) => w.u64(i + 1).u8(0)));
    }
  }
});

test('AMQP client: --multi-ack sends one cumulative ack per read; auto-ack sends none', () => {
  const stream = amqpDeliveries(4);
  const c = new TestAmqp();
  c.start(new Recorder(), false, true);
  c.feed(stream);
  assert.deepEqual(Buffer.concat(c.written), methodFrame(1, M.basicAck, (w) => w.u64(5).u8(1)));
  const a = new TestAmqp();
  a.start(new Recorder(), true, false);
  a.feed(stream);
  assert.equal(a.written.length, 0);
});

test('AMQP client: channel.close and bad frames are fatal errors', () => {
  const c = new TestAmqp();
  c.feed(methodFrame(1, M.channelClose, (w) => w.u16(404).shortstr('NOT_FOUND - no queue').u16(60).u16(20)));
  assert.match(c.error?.message ?? '', /channel.close 404 NOT_FOUND/);
  const d = new TestAmqp();
  const f = methodFrame(1, M.basicQosOk);
  f[f.length - 1] = 0;
  d.feed(f);
  assert.match(d.error?.message ?? '', /frame end/);
});

class TestMqtt extends MqttClient {
  written: Buffer[] = [];
  constructor(version: 4 | 5) {
    super(ep('mqtt'), version, 'test');
  }
  protected override write(b: Buffer): boolean {
    this.written.push(Buffer.from(b));
    return true;
  }
  start(sink: DeliverySink): void {
    this.attach(sink);
  }
  feed(b: Buffer): void {
    this.onData(b);
  }
}

test('MQTT v5 client: QoS 0/1/2 deliveries with properties, acks and the QoS 2 handshake', () => {
  const topic = Buffer.from([0, 3, 0x61, 0x2f, 0x62]); // "a/b"
  const stream = Buffer.concat([
    packet(0x30, Buffer.concat([topic, Buffer.from([0]), body(1, 0)])), // QoS 0, no properties
    packet(0x32, Buffer.concat([topic, Buffer.from([0, 7, 2, 0x01, 0x00]), body(1, 1)])), // QoS 1, id 7, payload-format property
    packet(0x34, Buffer.concat([topic, Buffer.from([0, 8, 0]), body(1, 2)])), // QoS 2, id 8
    packet(0x62, Buffer.from([0, 8])), // PUBREL 8
  ]);
  for (const k of [1, 5, stream.length]) {
    const c = new TestMqtt(5);
    const r = new Recorder();
    c.start(r);
    feedChunks((b) => c.feed(b), stream, k);
    assert.equal(c.error, null);
    assert.deepEqual(r.got.map((g) => g[1]), [0, 1, 2]);
    // PUBACK 7, PUBREC 8, PUBCOMP 8
    assert.deepEqual(Buffer.concat(c.written), Buffer.from([0x40, 2, 0, 7, 0x50, 2, 0, 8, 0x70, 2, 0, 8]));
  }
});

test('MQTT client: publishes patched packet ids and counts PUBACKs, v5 failures as nacks', async () => {
  const c = new TestMqtt(5);
  await c.setupProducer({ producerId: 9, size: 40, persistent: false, confirmWindow: 10, qos: 1, destination: { kind: 'topic', segments: ['x', 'y'] } });
  c.publish(3);
  const out = Buffer.concat(c.written);
  const len = out.length / 3;
  const f = new BodyFields();
  for (let i = 0; i < 3; i++) {
    const p = out.subarray(i * len, (i + 1) * len);
    assert.equal(p[0], 0x32);
    assert.equal(p.toString('latin1', 4, 7), 'x/y');
    assert.equal(p.readUInt16BE(7), i + 1, 'packet id');
    assert.equal(f.read(p, 10, 40), true);
    assert.deepEqual([f.producer, f.seq], [9, i]);
  }
  assert.equal(c.inflight(), 3);
  c.feed(Buffer.from([0x40, 2, 0, 2])); // PUBACK 2 (out of order)
  assert.equal(c.stats.confirmed, 1);
  assert.equal(c.inflight(), 3);
  c.feed(Buffer.from([0x40, 2, 0, 1, 0x40, 3, 0, 3, 0x80])); // PUBACK 1, PUBACK 3 with reason 0x80
  assert.equal(c.stats.confirmed, 2);
  assert.equal(c.stats.nacked, 1);
  assert.equal(c.inflight(), 0);
});

test('MQTT client: server DISCONNECT and unknown packets are fatal', () => {
  const c = new TestMqtt(5);
  c.feed(Buffer.from([0xe0, 1, 0x97]));
  assert.match(c.error?.message ?? '', /DISCONNECT reason 0x97/);
});

class TestStomp extends StompClient {
  written: Buffer[] = [];
  constructor() {
    super(ep('stomp'));
  }
  protected override write(b: Buffer): boolean {
    this.written.push(Buffer.from(b));
    return true;
  }
  start(sink: DeliverySink, mode: 'auto' | 'client' | 'client-individual', v12: boolean): void {
    this.attach(sink, mode, v12);
  }
  feed(b: Buffer): void {
    this.onData(b);
  }
}

function stompMessages(): Buffer {
  const m = (ack: string, id: string, b: Buffer): Buffer =>
    Buffer.concat([Buffer.from(`MESSAGE\nsubscription:0\nmessage-id:${id}\ndestination:/queue/q\nack:${ack}\ncontent-length:${b.length}\n\n`), b, Buffer.from('\0\n')]);
  return Buffer.concat([m('a-1', 'm-1', body(2, 0)), m('a-2', 'm-2', body(2, 1))]);
}

test('STOMP client: MESSAGEs across chunk splits, client-individual ACKs copy the ack header (1.2)', () => {
  const s = stompMessages();
  for (const k of [1, 4, 50, s.length]) {
    const c = new TestStomp();
    const r = new Recorder();
    c.start(r, 'client-individual', true);
    feedChunks((b) => c.feed(b), s, k);
    assert.equal(c.error, null);
    assert.deepEqual(r.got.map((g) => [g[0], g[1]]), [[2, 0], [2, 1]]);
    assert.equal(Buffer.concat(c.written).toString(), 'ACK\nid:a-1\n\n\0ACK\nid:a-2\n\n\0');
  }
});

test('STOMP client: 1.1 acks by message-id; client mode acks only the last; ERROR is fatal', () => {
  const c11 = new TestStomp();
  c11.start(new Recorder(), 'client-individual', false);
  c11.feed(stompMessages());
  assert.equal(Buffer.concat(c11.written).toString(), 'ACK\nsubscription:0\nmessage-id:m-1\n\n\0ACK\nsubscription:0\nmessage-id:m-2\n\n\0');
  const cum = new TestStomp();
  cum.start(new Recorder(), 'client', true);
  cum.feed(stompMessages());
  assert.equal(Buffer.concat(cum.written).toString(), 'ACK\nid:a-2\n\n\0');
  const e = new TestStomp();
  e.feed(Buffer.from('ERROR\nmessage:access refused\n\nno such user\0'));
  assert.match(e.error?.message ?? '', /access refused \(no such user\)/);
});

test('STOMP client: receipts confirm publishes by their numeric id', async () => {
  const c = new TestStomp();
  await c.setupProducer({ producerId: 1, size: 32, persistent: true, confirmWindow: 5, qos: 0, destination: { kind: 'queue', segments: ['q'] } });
  c.publish(2);
  const sent = Buffer.concat(c.written).toString('latin1');
  assert.equal((sent.match(/receipt:000000000[12]\n/g) ?? []).length, 2);
  assert.equal((sent.match(/persistent:true\n/g) ?? []).length, 2);
  c.feed(Buffer.from('RECEIPT\nreceipt-id:0000000002\n\n\0RECEIPT\nreceipt-id:1\n\n\0'));
  assert.equal(c.stats.confirmed, 2);
  assert.equal(c.inflight(), 0);
});
