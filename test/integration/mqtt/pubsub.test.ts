import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { connectClient, endAll, Inbox, TRANSPORTS } from './helpers.js';

let broker: TestBroker;
before(async () => {
  broker = await startTestBroker();
});
after(async () => {
  await broker.stop();
});

for (const transport of TRANSPORTS) {
  for (const protocolVersion of [4, 5] as const) {
    describe(`MQTT ${protocolVersion === 4 ? '3.1.1' : '5.0'} over ${transport}`, () => {
      test('QoS 0, 1 and 2 in both directions reach a subscriber with the QoS min(pub, sub)', async () => {
        const tag = `${transport}${protocolVersion}`;
        const sub = await connectClient(broker, transport, { protocolVersion, clientId: `sub-${tag}` });
        const pub = await connectClient(broker, transport, { protocolVersion, clientId: `pub-${tag}` });
        try {
          const inbox = new Inbox(sub);
          const granted = await sub.subscribeAsync(`qos/${tag}/+`, { qos: 2 });
          assert.equal(granted[0]?.qos, 2);
          await pub.publishAsync(`qos/${tag}/0`, 'zero', { qos: 0 });
          await pub.publishAsync(`qos/${tag}/1`, 'one', { qos: 1 });
          await pub.publishAsync(`qos/${tag}/2`, 'two', { qos: 2 });
          const got = await inbox.waitFor(3);
          const byTopic = new Map(got.map((m) => [m.topic, m]));
          assert.equal(byTopic.get(`qos/${tag}/0`)?.payload.toString(), 'zero');
          assert.equal(byTopic.get(`qos/${tag}/0`)?.packet.qos, 0);
          assert.equal(byTopic.get(`qos/${tag}/1`)?.payload.toString(), 'one');
          assert.equal(byTopic.get(`qos/${tag}/1`)?.packet.qos, 1);
          assert.equal(byTopic.get(`qos/${tag}/2`)?.payload.toString(), 'two');
          assert.equal(byTopic.get(`qos/${tag}/2`)?.packet.qos, 2);
        } finally {
          await endAll(sub, pub);
        }
      });

      test('subscription QoS caps delivery QoS; wildcards + and # match', async () => {
        const tag = `w${transport}${protocolVersion}`;
        const sub = await connectClient(broker, transport, { protocolVersion, clientId: `sub-${tag}` });
        const pub = await connectClient(broker, transport, { protocolVersion, clientId: `pub-${tag}` });
        try {
          const inbox = new Inbox(sub);
          await sub.subscribeAsync({ [`${tag}/a/#`]: { qos: 0 }, [`${tag}/+/c`]: { qos: 1 } });
          await pub.publishAsync(`${tag}/a/b/d`, 'deep', { qos: 2 });
          await pub.publishAsync(`${tag}/x/c`, 'plus', { qos: 2 });
          await pub.publishAsync(`${tag}/x/d`, 'nope', { qos: 1 });
          await pub.publishAsync(`${tag}/a`, 'parent', { qos: 1 }); // "a/#" matches "a" [MQTT-4.7.1-2]
          const got = await inbox.waitFor(3);
          const m = new Map(got.map((r) => [r.topic, r]));
          assert.equal(m.get(`${tag}/a/b/d`)?.packet.qos, 0);
          assert.equal(m.get(`${tag}/x/c`)?.packet.qos, 1);
          assert.equal(m.get(`${tag}/a`)?.payload.toString(), 'parent');
          assert.equal(m.has(`${tag}/x/d`), false);
        } finally {
          await endAll(sub, pub);
        }
      });
    });
  }
}

describe('MQTT 3.1 (MQIsdp)', () => {
  for (const transport of TRANSPORTS) {
    test(`MQTT.js with protocol level 3 over ${transport} publishes and subscribes`, async () => {
      const opts = { protocolId: 'MQIsdp' as const, protocolVersion: 3 as const };
      const sub = await connectClient(broker, transport, { ...opts, clientId: `v31sub${transport}` });
      const pub = await connectClient(broker, transport, { ...opts, clientId: `v31pub${transport}` });
      try {
        const inbox = new Inbox(sub);
        await sub.subscribeAsync(`v31/${transport}`, { qos: 1 });
        await pub.publishAsync(`v31/${transport}`, 'old but gold', { qos: 1 });
        const [m] = await inbox.waitFor(1);
        assert.equal(m?.payload.toString(), 'old but gold');
        assert.equal(m?.packet.qos, 1);
      } finally {
        await endAll(sub, pub);
      }
    });
  }
});

describe('server shutdown', () => {
  test('MQTT 5 clients get DISCONNECT 0x8B when the broker stops', async () => {
    const b = await startTestBroker();
    const c = await connectClient(b, 'tcp', { protocolVersion: 5, clientId: 'bye' });
    const reason = new Promise<number | undefined>((resolve) => c.once('disconnect', (p) => resolve(p.reasonCode)));
    await b.stop();
    assert.equal(await reason, 0x8b, 'Server shutting down');
    await endAll(c);
  });
});
