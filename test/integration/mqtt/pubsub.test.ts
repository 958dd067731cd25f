import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useSharedBroker, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { encodeAck, encodeSubscribe, type PublishPacket } from '../../../src/codecs/mqtt/index.js';
import { connectClient, endAll, Inbox, nextOf, rawConnect, TRANSPORTS } from './helpers.js';

const broker = useSharedBroker();

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

describe('payloads', () => {
  for (const transport of TRANSPORTS) {
    test(`empty, 4 KiB + 1 and 1 MiB payloads arrive intact over ${transport}`, async () => {
      const sub = await connectClient(broker, transport, { protocolVersion: 5, clientId: `big-sub-${transport}` });
      const pub = await connectClient(broker, transport, { protocolVersion: 4, clientId: `big-pub-${transport}` });
      try {
        const inbox = new Inbox(sub);
        await sub.subscribeAsync(`big/${transport}`, { qos: 1 });
        const bodies = [Buffer.alloc(0), Buffer.alloc(4097, 7), Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 31) & 0xff))];
        for (const b of bodies) await pub.publishAsync(`big/${transport}`, b, { qos: 1 });
        const got = await inbox.waitFor(3, 10_000);
        assert.deepEqual(got.map((m) => m.payload.length), bodies.map((b) => b.length));
        for (let i = 0; i < bodies.length; i++) assert.ok(got[i]!.payload.equals(bodies[i]!), `payload ${i} intact`);
      } finally {
        await endAll(sub, pub);
      }
    });
  }
});

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
  test('MQTT 5 clients get DISCONNECT 0x8B when the broker stops (TCP and WebSocket)', async () => {
    const b = await startTestBroker();
    const clients = await Promise.all(
      TRANSPORTS.map((t) => connectClient(b, t, { protocolVersion: 5, clientId: `bye-${t}` })),
    );
    const reasons = clients.map((c) => new Promise<number | undefined>((resolve) => c.once('disconnect', (p) => resolve(p.reasonCode))));
    await b.stop();
    assert.deepEqual(await Promise.all(reasons), [0x8b, 0x8b], 'Server shutting down');
    await endAll(...clients);
  });
});

describe('outbound in-flight window (maxInflightOutbound, the 3.1.1 window)', () => {
  let narrow: TestBroker;
  before(async () => {
    narrow = await startTestBroker({ config: { limits: { mqtt: { maxInflightOutbound: 2 } } } });
  });
  after(async () => {
    await narrow.stop();
  });

  for (const transport of TRANSPORTS) {
    test(`3.1.1 over ${transport}: at most 2 unacknowledged QoS 1/2 deliveries; a QoS 2 slot is freed by PUBCOMP, not PUBREC`, async () => {
      const { raw } = await rawConnect(narrow, transport, 4, `win-${transport}`);
      const pub = await connectClient(narrow, transport, { clientId: `win-pub-${transport}` });
      try {
        raw.write(encodeSubscribe(4, { packetId: 1, properties: {}, subscriptions: [{ topicFilter: `win/${transport}`, qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }));
        await nextOf(raw, 9);
        for (let i = 0; i < 5; i++) await pub.publishAsync(`win/${transport}`, String(i), { qos: 2 });
        const a = await nextOf<PublishPacket>(raw, 3);
        const b = await nextOf<PublishPacket>(raw, 3);
        await assert.rejects(raw.next(300), /timed out/, 'a third delivery waits');
        raw.write(encodeAck(4, 5, a.packetId)); // PUBREC
        assert.equal((await nextOf(raw, 6)).type, 6, 'PUBREL');
        await assert.rejects(raw.next(300), /timed out/, 'the PUBREL exchange still holds the slot');
        raw.write(encodeAck(4, 7, a.packetId)); // PUBCOMP
        const c = await nextOf<PublishPacket>(raw, 3);
        assert.deepEqual([a, b, c].map((p) => p.payload.toString()), ['0', '1', '2']);
        assert.equal(new Set([a.packetId, b.packetId, c.packetId]).size, 3, 'distinct packet ids while in flight');
      } finally {
        raw.close();
        await endAll(pub);
      }
    });
  }
});
