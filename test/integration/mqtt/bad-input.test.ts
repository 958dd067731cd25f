import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import {
  encodeConnect,
  encodePublish,
  encodeSubscribe,
  type ConnackPacket,
  type DisconnectPacket,
  type MqttPacket,
  type SubackPacket,
} from '../../../src/codecs/mqtt/index.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { connectClient, endAll, Inbox, RawClient } from './helpers.js';

let broker: TestBroker;
/** Connected through every bad-input test; must be unaffected at the end. */
let bystander: MqttClient;
let bystanderInbox: Inbox;

before(async () => {
  broker = await startTestBroker({ config: { limits: { mqtt: { maxSubscriptionsPerClient: 10, maxTopicLevels: 64 } } } });
  bystander = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'bystander' });
  bystanderInbox = new Inbox(bystander);
  await bystander.subscribeAsync('bystander/t', { qos: 1 });
});
after(async () => {
  await endAll(bystander);
  await broker.stop();
});

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function connect(level: 4 | 5, clientId: string): Buffer {
  return encodeConnect({ protocolName: 'MQTT', protocolLevel: level, clean: true, keepAlive: 0, properties: {}, clientId, will: undefined, username: undefined, password: undefined });
}

/** Connect a raw client, send `bad`, and return what the server sent before closing. */
async function afterConnect(level: 4 | 5, clientId: string, bad: Buffer): Promise<MqttPacket[]> {
  const raw = await RawClient.open(broker.ports.mqtt, level);
  try {
    raw.write(connect(level, clientId));
    assert.equal(((await raw.next()) as ConnackPacket).reasonCode, 0);
    raw.write(bad);
    return await raw.untilClosed();
  } finally {
    raw.close();
  }
}

/** 5.0: exactly one DISCONNECT with `reason`; 3.1.1: closed without any packet. */
async function expectRefused(bad: Buffer | ((level: 4 | 5) => Buffer), reason: number, name: string): Promise<void> {
  const bytes = (level: 4 | 5): Buffer => (typeof bad === 'function' ? bad(level) : bad);
  const v5 = await afterConnect(5, `${name}-5`, bytes(5));
  assert.equal(v5.length, 1, `${name}: one packet before close`);
  assert.equal(v5[0]?.type, 14, `${name}: DISCONNECT`);
  assert.equal((v5[0] as DisconnectPacket).reasonCode, reason, `${name}: reason code`);
  const v4 = await afterConnect(4, `${name}-4`, bytes(4));
  assert.deepEqual(v4, [], `${name}: 3.1.1 closes without a packet [MQTT-4.8.0-1]`);
}

describe('bad input closes only the offending connection', () => {
  test('invalid remaining length (five bytes) -> 0x81', async () => {
    await expectRefused(hex('30 ff ff ff ff 7f'), 0x81, 'remlen');
  });

  test('first packet not CONNECT: closed without CONNACK', async () => {
    const raw = await RawClient.open(broker.ports.mqtt);
    try {
      raw.write(encodePublish(4, 'x', 0, false, false, 0, undefined, Buffer.from('y')));
      assert.deepEqual(await raw.untilClosed(), []);
    } finally {
      raw.close();
    }
  });

  test('reserved flag bits set -> 0x81', async () => {
    // SUBSCRIBE with flags 0000 instead of 0010 [MQTT-3.8.1-1].
    await expectRefused(hex('80 06 0001 0001 61 00'), 0x81, 'flags');
  });

  test('invalid UTF-8 in a topic -> 0x81', async () => {
    await expectRefused(hex('30 05 0003 61 c3 28'), 0x81, 'utf8');
  });

  test('wildcards in a PUBLISH topic -> 0x90', async () => {
    await expectRefused((l) => encodePublish(l, 'a/+/b', 0, false, false, 0, undefined, Buffer.from('x')), 0x90, 'wild+');
    await expectRefused((l) => encodePublish(l, 'a/#', 0, false, false, 0, undefined, Buffer.from('x')), 0x90, 'wild#');
  });

  test('a CONNECT larger than the unauthenticated maximum is refused before its body is read', async () => {
    const raw = await RawClient.open(broker.ports.mqtt);
    try {
      // Announce 10 MB and send only the header: the server must close at once.
      raw.write(hex('10 80 ad e2 04'));
      assert.deepEqual(await raw.untilClosed(), []);
    } finally {
      raw.close();
    }
  });

  test('topics with tens of thousands of levels: PUBLISH -> 0x90, SUBSCRIBE -> SUBACK 0x8F', async () => {
    const deep = 'a/'.repeat(30_000) + 'z';
    await expectRefused((l) => encodePublish(l, deep, 0, false, false, 0, undefined, Buffer.from('x')), 0x90, 'deep');
    const raw = await RawClient.open(broker.ports.mqtt, 5);
    try {
      raw.write(connect(5, 'deep-sub'));
      await raw.next();
      raw.write(encodeSubscribe(5, { packetId: 1, properties: {}, subscriptions: [{ topicFilter: deep, qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }));
      const suback = (await raw.next()) as SubackPacket;
      assert.deepEqual(suback.reasonCodes, [0x8f]);
    } finally {
      raw.close();
    }
  });

  test('subscription floods: over the per-client cap -> 0x97 per filter; over it in one packet -> DISCONNECT 0x97', async () => {
    const raw = await RawClient.open(broker.ports.mqtt, 5);
    try {
      raw.write(connect(5, 'flood'));
      await raw.next();
      const many = (n: number, from: number) =>
        Array.from({ length: n }, (_, i) => ({ topicFilter: `flood/${from + i}`, qos: 0 as const, noLocal: false, retainAsPublished: false, retainHandling: 0 as const }));
      raw.write(encodeSubscribe(5, { packetId: 1, properties: {}, subscriptions: many(8, 0) }));
      assert.deepEqual(((await raw.next()) as SubackPacket).reasonCodes, Array(8).fill(0));
      raw.write(encodeSubscribe(5, { packetId: 2, properties: {}, subscriptions: many(4, 8) }));
      assert.deepEqual(((await raw.next()) as SubackPacket).reasonCodes, [0, 0, 0x97, 0x97]);
    } finally {
      raw.close();
    }
    const flood = Array.from({ length: 5000 }, (_, i) => ({ topicFilter: `f/${i}`, qos: 0 as const, noLocal: false, retainAsPublished: false, retainHandling: 0 as const }));
    await expectRefused((l) => encodeSubscribe(l, { packetId: 1, properties: {}, subscriptions: flood }), 0x97, 'flood1');
  });

  test('over WebSocket too: first packet not CONNECT is closed; a wildcard PUBLISH gets DISCONNECT 0x90', async () => {
    const first = await RawClient.openWs(broker.ports.ws);
    try {
      first.write(encodePublish(4, 'x', 0, false, false, 0, undefined, Buffer.from('y')));
      assert.deepEqual(await first.untilClosed(), []);
    } finally {
      first.close();
    }
    const raw = await RawClient.openWs(broker.ports.ws, 5);
    try {
      raw.write(connect(5, 'ws-bad'));
      assert.equal(((await raw.next()) as ConnackPacket).reasonCode, 0);
      raw.write(encodePublish(5, 'a/+', 0, false, false, 0, {}, Buffer.from('x')));
      const got = await raw.untilClosed();
      assert.equal((got[0] as DisconnectPacket).reasonCode, 0x90);
    } finally {
      raw.close();
    }
  });

  test('topic levels are limited by configuration (64 here)', async () => {
    const ok = 'l/'.repeat(63) + 'z'; // 64 levels
    const raw = await RawClient.open(broker.ports.mqtt, 5);
    try {
      raw.write(connect(5, 'levels'));
      await raw.next();
      raw.write(encodePublish(5, ok, 1, false, false, 1, {}, Buffer.from('x')));
      assert.equal((await raw.next()) !== 'closed', true, '64 levels accepted (PUBACK)');
    } finally {
      raw.close();
    }
    await expectRefused((l) => encodePublish(l, 'l/' + ok, 0, false, false, 0, undefined, Buffer.from('x')), 0x90, 'levels65');
  });

  test('the bystander connection and the broker are unaffected', async () => {
    assert.equal(bystander.connected, true);
    const pub = await connectClient(broker, 'tcp', { clientId: 'after-bad' });
    try {
      await pub.publishAsync('bystander/t', 'still here', { qos: 1 });
      assert.equal((await bystanderInbox.waitFor(1))[0]?.payload.toString(), 'still here');
    } finally {
      await endAll(pub);
    }
  });
});
