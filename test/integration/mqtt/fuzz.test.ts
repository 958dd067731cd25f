/**
 * Fuzz the live MQTT listener: hundreds of connections send random bytes and mutated
 * valid packets (bit flips, truncations, length changes, duplications). The server must
 * close or answer each one and keep serving a well-behaved client throughout.
 * Deterministic (seeded PRNG), bounded in time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeConnect,
  encodePublish,
  encodeSubscribe,
  encodeUnsubscribe,
  encodeAck,
  encodeDisconnectOrAuth,
  type ProtocolLevel,
} from '../../../src/codecs/mqtt/index.js';
import { useSharedBroker } from '../../helpers/broker.js';
import { connectClient, endAll, Inbox, RawClient, TRANSPORTS } from './helpers.js';
import { seededRandom } from '../../helpers/random.js';

const broker = useSharedBroker({ config: { limits: { mqtt: { connectTimeoutMs: 1000 } } } });


function validSession(level: ProtocolLevel, id: string): Buffer[] {
  const props = level === 5 ? { userProperties: [['k', 'v']] as Array<[string, string]>, contentType: 'x' } : {};
  return [
    encodeConnect({ protocolName: level === 3 ? 'MQIsdp' : 'MQTT', protocolLevel: level, clean: true, keepAlive: 30, properties: level === 5 ? { receiveMaximum: 10 } : {}, clientId: id, will: { topic: 'fz/will', payload: Buffer.from('w'), qos: 1, retain: false, properties: {} }, username: undefined, password: undefined }),
    encodeSubscribe(level, { packetId: 1, properties: {}, subscriptions: [{ topicFilter: 'fz/#', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }),
    encodePublish(level, 'fz/a', 1, false, false, 2, props, Buffer.from('payload')),
    encodePublish(level, 'fz/b', 2, false, true, 3, props, Buffer.from('')),
    encodeAck(level, 6, 3),
    encodeUnsubscribe(level, { packetId: 4, properties: {}, topicFilters: ['fz/#'] }),
    Buffer.from([0xc0, 0x00]),
    encodeDisconnectOrAuth(level, 14, 0),
  ];
}

function mutate(rand: () => number, packets: Buffer[]): Buffer {
  const bytes = Buffer.concat(packets);
  const out = Buffer.from(bytes);
  const kind = Math.floor(rand() * 5);
  const n = 1 + Math.floor(rand() * 4);
  switch (kind) {
    case 0: // bit flips anywhere, CONNECT included
      for (let i = 0; i < n; i++) {
        const at = Math.floor(rand() * out.length);
        out[at] = out[at]! ^ (1 << Math.floor(rand() * 8));
      }
      return out;
    case 1: // random byte values after the CONNECT
      for (let i = 0; i < n; i++) {
        const at = packets[0]!.length + Math.floor(rand() * (out.length - packets[0]!.length));
        out[at] = Math.floor(rand() * 256);
      }
      return out;
    case 2: // truncated
      return out.subarray(0, Math.floor(rand() * out.length));
    case 3: // a random chunk inserted after the CONNECT
      return Buffer.concat([packets[0]!, Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256))), out.subarray(packets[0]!.length)]);
    default: // packets reordered (e.g. PUBREL before anything, CONNECT twice)
      return Buffer.concat([packets[0]!, ...packets.slice(1).sort(() => rand() - 0.5), packets[0]!]);
  }
}

for (const transport of TRANSPORTS) {
  test(`the ${transport} listener survives random and mutated input and keeps serving`, async () => {
    const rand = seededRandom(transport === 'tcp' ? 0x5eed : 0x5eed + 1);
    const watcher = await connectClient(broker, transport, { clientId: `fuzz-watcher-${transport}` });
    const inbox = new Inbox(watcher);
    await watcher.subscribeAsync('watch/t', { qos: 1 });
    const total = transport === 'tcp' ? 300 : 150;
    const parallel = 25;
    let answered = 0;
    const one = async (i: number): Promise<void> => {
      const raw = await RawClient.openOn(broker, transport, 5);
      try {
        const level = ([3, 4, 5] as const)[i % 3]!;
        const input =
          i % 10 === 0
            ? Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 512) }, () => Math.floor(rand() * 256)))
            : mutate(rand, validSession(level, `fz-${transport}-${i}`));
        // Split the input at random points to exercise reassembly (over WebSocket: one message each).
        let off = 0;
        while (off < input.length) {
          const n = 1 + Math.floor(rand() * 200);
          raw.write(input.subarray(off, off + n));
          off += n;
        }
        // Either the server closes, or it keeps the connection and answers a ping later; both fine.
        await raw.next(300).then(
          () => answered++,
          () => undefined,
        );
      } finally {
        raw.close();
      }
    };
    for (let i = 0; i < total; i += parallel) {
      await Promise.all(Array.from({ length: Math.min(parallel, total - i) }, (_, k) => one(i + k)));
      // Between rounds: the well-behaved client still gets its messages.
      const pub = await connectClient(broker, transport, { clientId: `fuzz-pub-${transport}-${i}` });
      await pub.publishAsync('watch/t', `round ${i}`, { qos: 1 });
      await endAll(pub);
    }
    const rounds = Math.ceil(total / parallel);
    const got = await inbox.waitFor(rounds);
    assert.deepEqual(
      got.map((m) => m.payload.toString()),
      Array.from({ length: rounds }, (_, k) => `round ${k * parallel}`),
    );
    assert.equal(watcher.connected, true);
    assert.ok(answered > 0, 'some fuzz connections got answers (the inputs were not all rejected at byte 1)');
    await endAll(watcher);
  });
}
