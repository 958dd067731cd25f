/**
 * The AMQP 0-9-1 connection over a fake ByteStream and the real core (memory stores):
 * checks that need control over the peer address or over Broker.afterSync.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameEncoder, FrameParser, PROTOCOL_HEADER, type Frame, type MethodInput, type MethodName } from '../../../src/codecs/amqp091/index.js';
import { createBroker } from '../../../src/core/index.js';
import type { BrokerHandle, Logger } from '../../../src/core/api.js';
import { acceptAmqp091, defaultAmqp091Limits } from '../../../src/protocols/amqp091/index.js';
import { MemoryDefinitionStore, MemoryMessageStore } from '../../../src/store/memory/index.js';
import type { ByteStream } from '../../../src/transport/byte-stream.js';
import { holdingAfterSync } from '../../helpers/held-sync.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

class FakeStream implements ByteStream {
  remotePort = 40000;
  kind = 'tcp' as const;
  writableNeedDrain = false;
  ended = false;
  destroyed = false;
  private readonly parser = new FrameParser(0);
  private data?: (c: Buffer) => void;
  private close?: (e: boolean) => void;
  private readonly enc = new FrameEncoder((b) => this.data!(Buffer.from(b)), 4096);
  constructor(readonly remoteAddress: string) {}
  write(c: Buffer): boolean {
    if (c.length >= 8 && c.subarray(0, 4).toString() === 'AMQP') return true;
    this.parser.push(Buffer.from(c));
    return true;
  }
  cork(): void {}
  uncork(): void {}
  pause(): void {}
  resume(): void {}
  end(): void {
    this.ended = true;
    this.close?.(false);
  }
  destroy(): void {
    this.destroyed = true;
    this.close?.(true);
  }
  onData(l: (c: Buffer) => void): void {
    this.data = l;
  }
  onDrain(): void {}
  onClose(l: (e: boolean) => void): void {
    this.close = l;
  }
  header(): void {
    this.data!(PROTOCOL_HEADER);
  }
  send<N extends MethodName>(channel: number, name: N, args: MethodInput<N>): void {
    this.enc.method(channel, name, args);
    this.enc.flush();
  }
  publish(channel: number, routingKey: string, body: string, deliveryMode: number): void {
    this.enc.content(channel, 'basic.publish', { exchange: '', routingKey }, { deliveryMode }, Buffer.from(body));
    this.enc.flush();
  }
  /** Method names (with reply code for closes) written so far, consumed once. */
  methods(): string[] {
    const out: string[] = [];
    for (let f: Frame | null = this.parser.next(); f !== null; f = this.parser.next()) {
      if (f.type !== 1) continue;
      const m = f.method;
      out.push(m.name === 'connection.close' || m.name === 'channel.close' ? `${m.name} ${m.replyCode} ${m.replyText}` : m.name === 'basic.ack' ? `basic.ack ${String(m.deliveryTag)} ${m.multiple}` : m.name);
    }
    return out;
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function setup(): Promise<{ broker: BrokerHandle; held: Array<() => void>; open(peer: string): FakeStream }> {
  const broker = await createBroker({
    messageStore: new MemoryMessageStore(),
    definitionStore: new MemoryDefinitionStore(),
    initialUsers: [
      { name: 'guest', password: 'guest', tags: ['administrator'] },
      { name: 'app', password: 's3cret', tags: [] },
    ],
    loopbackUsers: ['guest'],
    limits: { maxQueues: 0, maxMessageSize: 1 << 20 },
    log: silent,
  });
  const { wrapped, held } = holdingAfterSync(broker);
  const ctx = { broker: wrapped, log: silent, limits: defaultAmqp091Limits, onShutdown: () => () => {} };
  return {
    broker,
    held,
    open(peer: string) {
      const s = new FakeStream(peer);
      acceptAmqp091(s, Buffer.alloc(0), ctx);
      return s;
    },
  };
}

async function login(s: FakeStream, user: string, password: string, failureClose: boolean): Promise<string[]> {
  s.header();
  await tick();
  assert.deepEqual(s.methods(), ['connection.start']);
  s.send(0, 'connection.start-ok', {
    clientProperties: failureClose ? { capabilities: { authentication_failure_close: true } } : {},
    mechanism: 'PLAIN',
    response: Buffer.from(`\0${user}\0${password}`),
    locale: 'en_US',
  });
  await tick();
  return s.methods();
}

async function open(s: FakeStream): Promise<void> {
  s.send(0, 'connection.tune-ok', { channelMax: 10, frameMax: 131072, heartbeat: 0 });
  s.send(0, 'connection.open', { virtualHost: '/' });
  await tick();
  assert.deepEqual(s.methods(), ['connection.open-ok']);
}

test('guest is refused from a non-loopback peer address (403 with authentication_failure_close, silent close without)', async () => {
  const { broker, open: accept } = await setup();
  try {
    let s = accept('10.1.2.3');
    assert.deepEqual(await login(s, 'guest', 'guest', true), [
      'connection.close 403 ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.',
    ]);
    assert.ok(s.ended || s.destroyed);
    s = accept('192.168.0.9');
    assert.deepEqual(await login(s, 'guest', 'guest', false), []);
    assert.equal(s.destroyed, true);
  } finally {
    await broker.close();
  }
});

test('guest is accepted from loopback peers (IPv4, IPv6, IPv4-mapped); other users from anywhere', async () => {
  const { broker, open: accept } = await setup();
  try {
    for (const peer of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
      const s = accept(peer);
      assert.deepEqual(await login(s, 'guest', 'guest', true), ['connection.tune'], peer);
      await open(s);
      s.destroy();
    }
    const s = accept('10.1.2.3');
    assert.deepEqual(await login(s, 'app', 's3cret', true), ['connection.tune']);
    await open(s);
    s.destroy();
  } finally {
    await broker.close();
  }
});

test('publisher confirms of persistent messages in a durable queue wait for Broker.afterSync', async () => {
  const { broker, held, open: accept } = await setup();
  try {
    const s = accept('127.0.0.1');
    await login(s, 'guest', 'guest', true);
    await open(s);
    s.send(1, 'channel.open', {});
    s.send(1, 'queue.declare', { queue: 'd', durable: true });
    s.send(1, 'queue.declare', { queue: 't', durable: false });
    s.send(1, 'confirm.select', { nowait: false });
    await tick();
    assert.deepEqual(s.methods(), ['channel.open-ok', 'queue.declare-ok', 'queue.declare-ok', 'confirm.select-ok']);
    const before = held.length;
    s.publish(1, 't', 'transient queue', 2); // 1: nothing stored, acked at once
    await tick();
    assert.deepEqual(s.methods(), ['basic.ack 1 false']);
    s.publish(1, 'd', 'stored', 2); // 2: written to the store
    s.publish(1, 'd', 'not persistent', 1); // 3: may not overtake 2
    await tick();
    assert.deepEqual(s.methods(), [], 'no confirm before the store synced');
    assert.ok(held.length > before, 'a sync was requested');
    for (const done of held.splice(0)) done();
    await tick();
    assert.deepEqual(s.methods(), ['basic.ack 3 true']);
    s.destroy();
  } finally {
    await broker.close();
  }
});
