import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeConnect, encodePublish, MqttCodecError, MqttDecoder } from '../../../src/codecs/mqtt/index.js';
import { seededRandom } from '../../helpers/random.js';


test('random and mutated input only ever yields packets or MqttCodecError, never other exceptions', () => {
  const rand = seededRandom(42);
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
