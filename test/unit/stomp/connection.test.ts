/**
 * The protocol layer over a fake ByteStream and the real core (memory stores): checks
 * that need control over the transport or over Broker.afterSync.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBroker } from '../../../src/core/index.js';
import type { Alarms } from '../../../src/core/alarms.js';
import { MemoryDefinitionStore, MemoryMessageStore } from '../../../src/store/memory/index.js';
import { acceptStomp, defaultStompLimits } from '../../../src/protocols/stomp/index.js';
import type { StompLimits } from '../../../src/protocols/stomp/index.js';
import type { Broker, BrokerHandle, Logger } from '../../../src/core/api.js';
import type { ByteStream } from '../../../src/transport/byte-stream.js';
import { holdingAfterSync } from '../../helpers/held-sync.js';
import { StompDecoder } from '../../../src/codecs/stomp/index.js';
import type { StompFrame } from '../../../src/codecs/stomp/index.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

class FakeStream implements ByteStream {
  remoteAddress = '127.0.0.1';
  remotePort = 40000;
  kind = 'tcp' as const;
  writableNeedDrain = false;
  paused = false;
  ended = false;
  destroyed = false;
  corks = 0;
  readonly written: Buffer[] = [];
  private data?: (c: Buffer) => void;
  private drain?: () => void;
  private close?: (e: boolean) => void;
  private readonly dec = new StompDecoder({ maxCommandLength: 1024, maxHeaders: 1000, maxHeaderLength: 100000, maxBodySize: 1 << 24 });
  write(c: Buffer): boolean {
    this.written.push(c);
    return !this.writableNeedDrain;
  }
  cork(): void {
    this.corks++;
  }
  uncork(): void {
    this.corks--;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  /** A real socket closes some time after end(); false keeps it half-open like that. */
  closeOnEnd = true;
  end(): void {
    this.ended = true;
    if (this.closeOnEnd) this.close?.(false);
  }
  destroy(): void {
    this.destroyed = true;
    this.close?.(true);
  }
  onData(l: (c: Buffer) => void): void {
    this.data = l;
  }
  onDrain(l: () => void): void {
    this.drain = l;
  }
  onClose(l: (e: boolean) => void): void {
    this.close = l;
  }
  feed(s: string): void {
    this.data!(Buffer.from(s));
  }
  fireDrain(): void {
    this.drain!();
  }
  /** Frames written so far (decoded once each). */
  frames(): StompFrame[] {
    const out: StompFrame[] = [];
    for (const c of this.written.splice(0)) {
      this.dec.push(c);
      for (let f = this.dec.next(); f; f = this.dec.next()) out.push(f);
    }
    return out;
  }
}

async function setup(over: Partial<StompLimits> = {}): Promise<{ broker: BrokerHandle; held: Array<() => void>; wrapped: Broker; open(): FakeStream }> {
  const broker = await createBroker({
    messageStore: new MemoryMessageStore(),
    definitionStore: new MemoryDefinitionStore(),
    initialUsers: [{ name: 'guest', password: 'guest', tags: ['administrator'] }],
    loopbackUsers: ['guest'],
    limits: { maxQueues: 0, maxMessageSize: 1 << 20 },
    log: silent,
  });
  const { wrapped, held } = holdingAfterSync(broker);
  const ctx = { broker: wrapped, log: silent, limits: { ...defaultStompLimits, ...over }, onShutdown: () => () => {} };
  return {
    broker,
    held,
    wrapped,
    open() {
      const s = new FakeStream();
      acceptStomp(s, Buffer.alloc(0), ctx);
      return s;
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('receipt of a persistent SEND waits for Broker.afterSync; later receipts keep their order', async () => {
  const { broker, held, open } = await setup();
  try {
    const s = open();
    s.feed('CONNECT\naccept-version:1.2\nhost:/\n\n\0');
    assert.equal(s.frames()[0]?.command, 'CONNECTED');
    s.feed('SEND\ndestination:/queue/sync\npersistent:true\nreceipt:p\n\nx\0');
    s.feed('SUBSCRIBE\nid:1\ndestination:/queue/other\nreceipt:after\n\n\0');
    await tick();
    // A persistent message in a durable queue needs a sync: nothing may leave before it.
    assert.equal(held.length, 1);
    assert.deepEqual(s.frames().map((f) => f.command), []);
    held[0]!();
    await tick();
    assert.deepEqual(s.frames().map((f) => f.headers['receipt-id']), ['p', 'after']);
  } finally {
    await broker.close();
  }
});

test('DISCONNECT: receipt only after afterSync, then the stream is ended; no frame after it is read', async () => {
  const { broker, held, open } = await setup();
  try {
    const s = open();
    s.feed('CONNECT\naccept-version:1.2\nhost:/\n\n\0');
    s.frames();
    s.feed('DISCONNECT\nreceipt:bye\n\n\0SEND\ndestination:/queue/late\n\nlate\0');
    await tick();
    assert.deepEqual(s.frames(), []);
    assert.equal(s.ended, false);
    assert.equal(held.length, 1);
    held[0]!();
    await tick();
    assert.deepEqual(s.frames().map((f) => [f.command, f.headers['receipt-id']]), [['RECEIPT', 'bye']]);
    assert.equal(s.ended, true);
    assert.equal(broker.getVhost('/')!.getQueue('late'), undefined, 'the frame after DISCONNECT was not processed');
  } finally {
    await broker.close();
  }
});

test('writes in one turn are corked once and uncorked on the next tick', async () => {
  const { broker, open } = await setup();
  try {
    const s = open();
    s.feed('CONNECT\naccept-version:1.2\nhost:/\n\n\0');
    assert.equal(s.corks, 1);
    await tick();
    assert.equal(s.corks, 0);
  } finally {
    await broker.close();
  }
});

test('socket backpressure withholds deliveries until drain', async () => {
  const { broker, open } = await setup();
  try {
    const s = open();
    s.feed('CONNECT\naccept-version:1.2\nhost:/\n\n\0SUBSCRIBE\nid:1\ndestination:/queue/bp\n\n\0');
    s.frames();
    s.writableNeedDrain = true;
    s.feed('SEND\ndestination:/queue/bp\n\none\0SEND\ndestination:/queue/bp\n\ntwo\0');
    await tick();
    assert.deepEqual(s.frames().filter((f) => f.command === 'MESSAGE'), []);
    s.writableNeedDrain = false;
    s.fireDrain();
    await tick();
    assert.deepEqual(s.frames().filter((f) => f.command === 'MESSAGE').map((f) => f.body.toString()), ['one', 'two']);
  } finally {
    await broker.close();
  }
});

test('resource alarm: a publishing connection stops being read until the alarm clears', async () => {
  const { broker, open } = await setup();
  try {
    const setAlarm = (on: boolean) => (broker.alarms as Alarms).setAlarm('memory', on);
    const s = open();
    s.feed('CONNECT\naccept-version:1.2\nhost:/\n\n\0');
    s.frames();
    setAlarm(true);
    assert.equal(broker.alarms.active, true);
    s.feed('SEND\ndestination:/queue/alarm\n\nfirst\0SEND\ndestination:/queue/alarm\n\nsecond\0');
    assert.equal(s.paused, true);
    assert.equal(broker.getVhost('/')!.getQueue('alarm')?.messageCount, 1, 'only the frame that found the alarm was processed');
    setAlarm(false);
    assert.equal(s.paused, false);
    assert.equal(broker.getVhost('/')!.getQueue('alarm')?.messageCount, 2);
  } finally {
    await broker.close();
  }
});

test('DISCONNECT without receipt waits for earlier receipts that wait for the store, then closes', async () => {
  const { broker, held, open } = await setup();
  try {
    const s = open();
    s.feed('CONNECT\naccept-version:1.2\nhost:/\n\n\0');
    s.frames();
    s.feed('SEND\ndestination:/queue/disc-sync\npersistent:true\nreceipt:p\n\nx\0DISCONNECT\n\n\0');
    await tick();
    assert.equal(s.ended, false, 'not closed while the SEND receipt is pending');
    assert.equal(held.length, 1);
    held[0]!();
    await tick();
    assert.deepEqual(s.frames().map((f) => [f.command, f.headers['receipt-id']]), [['RECEIPT', 'p']]);
    assert.equal(s.ended, true);
  } finally {
    await broker.close();
  }
});

test('nothing is written after the stream was ended by an ERROR (late receipts are dropped)', async () => {
  const { broker, held, open } = await setup();
  try {
    const s = open();
    s.closeOnEnd = false;
    s.feed('CONNECT\naccept-version:1.2\nhost:/\n\n\0');
    s.frames();
    s.feed('SEND\ndestination:/queue/late-receipt\npersistent:true\nreceipt:p\n\nx\0BOGUS\n\n\0');
    await tick();
    assert.equal(s.ended, true);
    const before = s.written.length;
    held[0]!();
    await tick();
    assert.equal(s.written.length, before, 'no write after end');
  } finally {
    await broker.close();
  }
});

test('heart-beat: a publisher blocked by a resource alarm is not timed out; the check resumes after', async () => {
  const { broker, open } = await setup({ heartbeatReceiveMs: 50, heartbeatSendMs: 0, heartbeatGrace: 2 });
  try {
    const setAlarm = (on: boolean) => (broker.alarms as Alarms).setAlarm('memory', on);
    const s = open();
    s.feed('CONNECT\naccept-version:1.2\nhost:/\nheart-beat:50,0\n\n\0');
    s.frames();
    setAlarm(true);
    s.feed('SEND\ndestination:/queue/hb-alarm\n\nx\0');
    assert.equal(s.paused, true);
    // Five receive intervals with nothing read: the client's beats would be in the unread socket.
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(s.destroyed, false, 'blocked publisher kept despite unread heart-beats');
    setAlarm(false);
    assert.equal(s.paused, false);
    // Reading again: silence now counts, and kills the connection.
    const end = Date.now() + 5000;
    while (!s.destroyed && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.equal(s.destroyed, true, 'the receive check resumed after the alarm');
  } finally {
    await broker.close();
  }
});
