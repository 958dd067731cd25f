/**
 * Bad input (issue 4 "Bad input"), over TCP and over WebSocket: each case closes only the
 * offending connection — MQTT 5 with DISCONNECT and the reason code, 3.1.1 by closing
 * [MQTT-4.8.0-1] — and bystanders on both transports keep working.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import {
  encodePublish,
  encodeSubscribe,
  type ConnackPacket,
  type DisconnectPacket,
  type MqttPacket,
  type SubackPacket,
} from '../../../src/codecs/mqtt/index.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { connectClient, connectPacket, endAll, Inbox, nextOf, rawConnect, RawClient, TRANSPORTS, type Transport } from './helpers.js';

let broker: TestBroker;
/** Connected through every bad-input test (one per transport); must be unaffected at the end. */
const bystanders: Array<{ client: MqttClient; inbox: Inbox; transport: Transport }> = [];

before(async () => {
  broker = await startTestBroker({
    config: { limits: { mqtt: { maxSubscriptionsPerClient: 10, maxTopicLevels: 64, maxTopicLength: 1000, maxPacketSize: 200_000 } } },
  });
  for (const transport of TRANSPORTS) {
    const client = await connectClient(broker, transport, { protocolVersion: 5, clientId: `bystander-${transport}` });
    const inbox = new Inbox(client);
    await client.subscribeAsync('bystander/t', { qos: 1 });
    bystanders.push({ client, inbox, transport });
  }
});
after(async () => {
  await endAll(...bystanders.map((b) => b.client));
  await broker.stop();
});

/** A whole PUBLISH (encodePublish leaves payloads over PUBLISH_INLINE_MAX for the caller to write). */
const publishBytes = (level: 4 | 5, topic: string, qos: 0 | 1, packetId: number, payload: Buffer): Buffer =>
  Buffer.concat([encodePublish(level, topic, qos, false, false, packetId, level === 5 ? {} : undefined, payload), payload]);

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const filters = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => ({ topicFilter: `${prefix}/${i}`, qos: 0 as const, noLocal: false, retainAsPublished: false, retainHandling: 0 as const }));

for (const transport of TRANSPORTS) {
  const T = transport;

  /** Connect a raw client, send `bad`, and return what the server sent before closing. */
  const afterConnect = async (level: 4 | 5, clientId: string, bad: Buffer): Promise<MqttPacket[]> => {
    const { raw, connack } = await rawConnect(broker, T, level, clientId);
    try {
      assert.equal(connack.reasonCode, 0);
      raw.write(bad);
      return await raw.untilClosed();
    } finally {
      raw.close();
    }
  };

  /** 5.0: exactly one DISCONNECT with `reason`; 3.1.1: closed without any packet. */
  const expectRefused = async (bad: Buffer | ((level: 4 | 5) => Buffer), reason: number, name: string): Promise<void> => {
    const bytes = (level: 4 | 5): Buffer => (typeof bad === 'function' ? bad(level) : bad);
    const v5 = await afterConnect(5, `${name}-5-${T}`, bytes(5));
    assert.equal(v5.length, 1, `${name}: one packet before close`);
    assert.equal(v5[0]?.type, 14, `${name}: DISCONNECT`);
    assert.equal((v5[0] as DisconnectPacket).reasonCode, reason, `${name}: reason code`);
    const v4 = await afterConnect(4, `${name}-4-${T}`, bytes(4));
    assert.deepEqual(v4, [], `${name}: 3.1.1 closes without a packet [MQTT-4.8.0-1]`);
  };

  describe(`bad input over ${T} closes only the offending connection`, () => {
    test('invalid remaining length (five bytes) -> 0x81', async () => {
      await expectRefused(hex('30 ff ff ff ff 7f'), 0x81, 'remlen');
    });

    test('first packet not CONNECT: closed without CONNACK', async () => {
      for (const first of [encodePublish(4, 'x', 0, false, false, 0, undefined, Buffer.from('y')), hex('c0 00'), hex('82 06 0001 0001 61 00')]) {
        const raw = await RawClient.openOn(broker, T);
        try {
          raw.write(first);
          assert.deepEqual(await raw.untilClosed(), []);
        } finally {
          raw.close();
        }
      }
    });

    test('a second CONNECT -> 0x82', async () => {
      await expectRefused((l) => connectPacket(l, `again-${l}-${T}`), 0x82, 'connect2');
    });

    test('reserved flag bits set -> 0x81', async () => {
      // SUBSCRIBE with flags 0000 instead of 0010 [MQTT-3.8.1-1].
      await expectRefused(hex('80 06 0001 0001 61 00'), 0x81, 'flags');
      // PUBREL with flags 0000 instead of 0010 [MQTT-3.6.1-1].
      await expectRefused(hex('60 02 0001'), 0x81, 'flags-pubrel');
      // PUBLISH with QoS 3 [MQTT-3.3.1-4].
      await expectRefused(hex('36 05 0001 61 0001'), 0x81, 'qos3');
    });

    test('invalid UTF-8 in a topic -> 0x81; U+0000 -> 0x81', async () => {
      await expectRefused(hex('30 05 0003 61 c3 28'), 0x81, 'utf8');
      await expectRefused(hex('30 05 0003 61 00 62'), 0x81, 'nul');
      // An encoded surrogate (U+D800) [MQTT-1.5.4-1].
      await expectRefused(hex('30 06 0003 ed a0 80 78'), 0x81, 'surrogate');
    });

    test('invalid UTF-8 in a CONNECT: closed without CONNACK', async () => {
      const raw = await RawClient.openOn(broker, T);
      try {
        // 3.1.1 CONNECT, client id "a\xff".
        raw.write(hex('10 0e 0004 4d515454 04 02 0000 0002 61 ff'));
        assert.deepEqual(await raw.untilClosed(), []);
      } finally {
        raw.close();
      }
    });

    test('wildcards in a PUBLISH topic -> 0x90', async () => {
      await expectRefused((l) => encodePublish(l, 'a/+/b', 0, false, false, 0, undefined, Buffer.from('x')), 0x90, 'wild+');
      await expectRefused((l) => encodePublish(l, 'a/#', 0, false, false, 0, undefined, Buffer.from('x')), 0x90, 'wild#');
    });

    test('a will topic with wildcards: 5.0 CONNACK 0x90, 3.1.1 closed without CONNACK', async () => {
      const will = { topic: 'dead/+', payload: Buffer.from('x'), qos: 0 as const, retain: false, properties: {} };
      const r5 = await RawClient.openOn(broker, T, 5);
      const r4 = await RawClient.openOn(broker, T, 4);
      try {
        r5.write(connectPacket(5, `badwill5-${T}`, { will }));
        const got5 = await r5.untilClosed();
        assert.equal(got5.length, 1);
        assert.equal((got5[0] as ConnackPacket).reasonCode, 0x90);
        r4.write(connectPacket(4, `badwill4-${T}`, { will }));
        assert.deepEqual(await r4.untilClosed(), [], '[MQTT-3.1.4-1]');
      } finally {
        r5.close();
        r4.close();
      }
    });

    test('a CONNECT larger than the unauthenticated maximum is refused before its body is read', async () => {
      const raw = await RawClient.openOn(broker, T);
      try {
        // Announce 10 MB and send only the header: the server must close at once.
        raw.write(hex('10 80 ad e2 04'));
        assert.deepEqual(await raw.untilClosed(), []);
      } finally {
        raw.close();
      }
    });

    test('a packet over the maximum packet size: 5.0 DISCONNECT 0x95, 3.1.1 closed, before the body arrives', async () => {
      // Announce 1 MB (over our 200 000) and send only the fixed header.
      await expectRefused(hex('30 80 80 40'), 0x95, 'toolarge');
    });

    test('topics with tens of thousands of levels: PUBLISH -> 0x90, SUBSCRIBE -> SUBACK 0x8F', async () => {
      const deep = 'a/'.repeat(30_000) + 'z';
      await expectRefused((l) => encodePublish(l, deep, 0, false, false, 0, undefined, Buffer.from('x')), 0x90, 'deep');
      const { raw } = await rawConnect(broker, T, 5, `deep-sub-${T}`);
      try {
        raw.write(encodeSubscribe(5, { packetId: 1, properties: {}, subscriptions: [{ topicFilter: deep, qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }));
        const suback = await nextOf<SubackPacket>(raw, 9);
        assert.deepEqual(suback.reasonCodes, [0x8f]);
      } finally {
        raw.close();
      }
    });

    test('topic levels are limited by configuration (64 here)', async () => {
      const ok = 'l/'.repeat(63) + 'z'; // 64 levels
      const { raw } = await rawConnect(broker, T, 5, `levels-${T}`);
      try {
        raw.write(encodePublish(5, ok, 1, false, false, 1, {}, Buffer.from('x')));
        assert.equal((await nextOf(raw, 4)).type, 4, '64 levels accepted (PUBACK)');
      } finally {
        raw.close();
      }
      await expectRefused((l) => encodePublish(l, 'l/' + ok, 0, false, false, 0, undefined, Buffer.from('x')), 0x90, 'levels65');
    });

    test('topic length is limited by configuration (1000 bytes here)', async () => {
      const ok = 'x'.repeat(1000);
      const { raw } = await rawConnect(broker, T, 5, `len-${T}`);
      try {
        raw.write(encodePublish(5, ok, 1, false, false, 1, {}, Buffer.from('x')));
        assert.equal((await nextOf(raw, 4)).type, 4, '1000 bytes accepted (PUBACK)');
        raw.write(encodeSubscribe(5, { packetId: 2, properties: {}, subscriptions: [{ topicFilter: 'é'.repeat(501), qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }));
        assert.deepEqual((await nextOf<SubackPacket>(raw, 9)).reasonCodes, [0x8f], '1002 bytes of filter refused');
      } finally {
        raw.close();
      }
      await expectRefused((l) => encodePublish(l, ok + 'y', 0, false, false, 0, undefined, Buffer.from('x')), 0x90, 'len1001');
    });

    test('subscription floods: over the per-client cap -> 0x97 per filter; over it in one packet -> DISCONNECT 0x97', async () => {
      const { raw } = await rawConnect(broker, T, 5, `flood-${T}`);
      try {
        raw.write(encodeSubscribe(5, { packetId: 1, properties: {}, subscriptions: filters(8, 'flood') }));
        assert.deepEqual((await nextOf<SubackPacket>(raw, 9)).reasonCodes, Array(8).fill(0));
        raw.write(encodeSubscribe(5, { packetId: 2, properties: {}, subscriptions: filters(4, 'flood2') }));
        assert.deepEqual((await nextOf<SubackPacket>(raw, 9)).reasonCodes, [0, 0, 0x97, 0x97]);
      } finally {
        raw.close();
      }
      // 3.1.1 has no quota code: SUBACK 0x80 per refused filter.
      const { raw: raw4 } = await rawConnect(broker, T, 4, `flood4-${T}`);
      try {
        raw4.write(encodeSubscribe(4, { packetId: 1, properties: {}, subscriptions: filters(8, 'flood4') }));
        assert.deepEqual((await nextOf<SubackPacket>(raw4, 9)).reasonCodes, Array(8).fill(0));
        raw4.write(encodeSubscribe(4, { packetId: 2, properties: {}, subscriptions: filters(4, 'flood4b') }));
        assert.deepEqual((await nextOf<SubackPacket>(raw4, 9)).reasonCodes, [0, 0, 0x80, 0x80]);
      } finally {
        raw4.close();
      }
      await expectRefused((l) => encodeSubscribe(l, { packetId: 1, properties: {}, subscriptions: filters(5000, 'f') }), 0x97, 'flood1');
    });
  });
}

describe("the broker's maxMessageSize applies to MQTT payloads", () => {
  let capped: TestBroker;
  before(async () => {
    capped = await startTestBroker({ config: { limits: { maxMessageSize: 10_000 } } });
  });
  after(async () => {
    await capped.stop();
  });

  for (const transport of TRANSPORTS) {
    test(`over ${transport}: announced in CONNACK; a larger payload gets 5.0 DISCONNECT 0x95, 3.1.1 a close`, async () => {
      const { raw, connack } = await rawConnect(capped, transport, 5, `cap5-${transport}`);
      try {
        assert.equal(connack.properties.maximumPacketSize, 10_000 + 128 * 1024, 'payload limit plus room for topic and properties');
        raw.write(publishBytes(5, 'cap/t', 1, 1, Buffer.alloc(10_000)));
        assert.equal((await nextOf(raw, 4)).type, 4, 'a payload of exactly the limit is accepted');
        raw.write(publishBytes(5, 'cap/t', 1, 2, Buffer.alloc(10_001)));
        const got = await raw.untilClosed();
        assert.equal(got.length, 1);
        assert.equal((got[0] as DisconnectPacket).reasonCode, 0x95);
      } finally {
        raw.close();
      }
      const { raw: raw4 } = await rawConnect(capped, transport, 4, `cap4-${transport}`);
      try {
        raw4.write(publishBytes(4, 'cap/t', 0, 0, Buffer.alloc(10_001)));
        assert.deepEqual(await raw4.untilClosed(), []);
      } finally {
        raw4.close();
      }
    });
  }
});

describe('after all the bad input', () => {
  test('the bystander connections and the broker are unaffected', async () => {
    for (const b of bystanders) assert.equal(b.client.connected, true, `bystander over ${b.transport}`);
    for (const transport of TRANSPORTS) {
      const pub = await connectClient(broker, transport, { clientId: `after-bad-${transport}` });
      try {
        await pub.publishAsync('bystander/t', `still here ${transport}`, { qos: 1 });
      } finally {
        await endAll(pub);
      }
    }
    for (const b of bystanders) {
      const got = await b.inbox.waitFor(2);
      assert.deepEqual(got.map((m) => m.payload.toString()).sort(), ['still here tcp', 'still here ws']);
    }
  });
});
