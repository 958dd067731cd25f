import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeConnect, encodePublish, MqttCodecError, MqttDecoder } from '../../../src/codecs/mqtt/index.js';

/** mulberry32 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('random and mutated input only ever yields packets or MqttCodecError, never other exceptions', () => {
  const rand = prng(42);
  const base = Buffer.concat([
    encodeConnect({ protocolName: 'MQTT', protocolLevel: 5, clean: true, keepAlive: 5, properties: { sessionExpiryInterval: 9 }, clientId: 'c', will: undefined, username: 'u', password: Buffer.from('p') }),
    encodePublish(5, 'a/b', 1, false, false, 1, { contentType: 't', userProperties: [['a', 'b']] }, Buffer.from('x')),
  ]);
  let packets = 0;
  let errors = 0;
  for (let i = 0; i < 20_000; i++) {
    const input = Buffer.from(base);
    for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) input[Math.floor(rand() * input.length)] = Math.floor(rand() * 256);
    const dec = new MqttDecoder({ maxPacketSize: 4096, maxFiltersPerPacket: 8 });
    try {
      let off = 0;
      while (off < input.length) {
        const n = 1 + Math.floor(rand() * 16);
        dec.push(input.subarray(off, off + n));
        off += n;
        while (dec.next() !== undefined) packets++;
      }
    } catch (e) {
      assert.ok(e instanceof MqttCodecError, `unexpected ${String(e)}`);
      assert.ok(e.reasonCode >= 0x80, 'an error reason code');
      errors++;
    }
  }
  assert.ok(packets > 0 && errors > 0);
});
