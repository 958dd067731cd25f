/**
 * Fuzz against the live listener: garbage and mutated frames on many connections.
 * The server must answer each bad connection with ERROR frames only (well-formed, with
 * a message header) or keep it open, never crash, and keep serving good clients.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSharedBroker } from '../../helpers/broker.js';
import { frame, rawConnected, RawClient, sleep } from './helpers.js';
import { seededRandom } from '../../helpers/random.js';

const broker = useSharedBroker({ config: { limits: { stomp: { maxBodySize: 65536, connectTimeoutMs: 2000 } } } });


const CORPUS: Buffer[] = [
  frame('SEND', { destination: '/queue/fz', receipt: 'r' }, 'body'),
  frame('SEND', { destination: '/topic/fz.a', 'content-length': '3' }, 'abc'),
  frame('SUBSCRIBE', { id: '1', destination: '/queue/fz', ack: 'client' }),
  frame('SUBSCRIBE', { id: '2', destination: '/topic/fz.#', selector: "a = 'b'" }),
  frame('UNSUBSCRIBE', { id: '1' }),
  frame('ACK', { id: '1-1' }),
  frame('NACK', { id: '1-1', requeue: 'false' }),
  frame('BEGIN', { transaction: 't' }),
  frame('SEND', { destination: '/queue/fz', transaction: 't' }, 'tx'),
  frame('COMMIT', { transaction: 't' }),
  frame('ABORT', { transaction: 't' }),
  frame('SEND', { destination: '/exchange/amq.direct/k', 'reply-to': '/temp-queue/r' }, 'x'),
  Buffer.from('\n\r\n'),
];

function mutate(r: () => number, b: Buffer): Buffer {
  const out = Buffer.from(b);
  const kind = Math.floor(r() * 6);
  switch (kind) {
    case 0: // flip bytes
      for (let i = 0; i < 1 + r() * 4; i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
      return out;
    case 1: // truncate
      return out.subarray(0, Math.floor(r() * out.length));
    case 2: // insert special characters
      return Buffer.concat([out.subarray(0, Math.floor(r() * out.length)), Buffer.from([[0, 10, 13, 58, 92][Math.floor(r() * 5)]!]), out.subarray(Math.floor(r() * out.length))]);
    case 3: // wrong content-length
      return Buffer.from(out.toString('latin1').replace('content-length:3', `content-length:${Math.floor(r() * 100)}`), 'latin1');
    case 4: // random garbage
      return Buffer.from(Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256)));
    default:
      return out;
  }
}

async function fuzzOne(seed: number, connectFirst: boolean): Promise<void> {
  const r = seededRandom(seed);
  const c = connectFirst ? await rawConnected(broker.ports.stomp) : await RawClient.connect(broker.ports.stomp);
  const n = 1 + Math.floor(r() * 12);
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const base = CORPUS[Math.floor(r() * CORPUS.length)]!;
    parts.push(r() < 0.6 ? mutate(r, base) : base);
  }
  const all = Buffer.concat(parts);
  for (let p = 0; p < all.length && !c.closed; ) {
    const q = Math.min(all.length, p + 1 + Math.floor(r() * 40));
    c.write(all.subarray(p, q));
    p = q;
  }
  await sleep(50);
  // Whatever came back decoded cleanly (RawClient destroys the socket on a bad frame,
  // which would show up as a missing ERROR below) and every ERROR is well-formed.
  for (const f of c.frames) {
    assert.ok(['CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR'].includes(f.command), `seed ${seed}: ${f.command}`);
    if (f.command === 'ERROR') {
      assert.ok(f.headers['message'], `seed ${seed}: ERROR without message`);
    }
  }
  c.close();
}

test('fuzzed frames on 200 connections: the listener survives and keeps serving', async () => {
  for (let batch = 0; batch < 20; batch++) {
    await Promise.all(Array.from({ length: 10 }, (_, i) => fuzzOne(batch * 10 + i + 1, (batch * 10 + i) % 4 !== 0)));
  }
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('SUBSCRIBE', { id: 'ok', destination: '/queue/after-fuzz' }));
  c.write(frame('SEND', { destination: '/queue/after-fuzz' }, 'still here'));
  assert.equal((await c.expect('MESSAGE')).body.toString(), 'still here');
  c.close();
});

const BAD: Buffer[] = [
  Buffer.from('SEND\ndestination:/queue/fz\ncontent-length:3\n\nabcdef\0'),
  Buffer.from('BOGUS\n\n\0'),
  Buffer.from('SEND\n\nno destination\0'),
  Buffer.from('SEND\ndestination:/queue/fz\nx:a\\qb\n\n\0'),
  Buffer.from('SEND\ndestination:/queue/fz\ncontent-length:zz\n\n\0'),
  Buffer.from('SUBSCRIBE\ndestination:/nowhere\nid:1\n\n\0'),
  Buffer.from('SEND\nno-colon-here\n\n\0'),
  Buffer.from('CONNECTED\n\n\0'),
];

test('bad frames split at random points: always ERROR, then the close of that connection', async () => {
  for (let seed = 1000; seed < 1080; seed++) {
    const r = seededRandom(seed);
    const c = await rawConnected(broker.ports.stomp);
    const good = CORPUS[Math.floor(r() * 3)]!;
    const bad = BAD[seed % BAD.length]!;
    const all = Buffer.concat([good, bad]);
    for (let p = 0; p < all.length; ) {
      const q = Math.min(all.length, p + 1 + Math.floor(r() * 16));
      c.write(all.subarray(p, q));
      p = q;
    }
    const f = await c.take((x) => x.command === 'ERROR', 5000, `ERROR (seed ${seed})`);
    assert.ok(f.headers['message'] && f.body.length > 0);
    await c.waitClosed();
  }
});
