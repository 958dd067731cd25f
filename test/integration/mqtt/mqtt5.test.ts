import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeAck,
  encodeConnect,
  encodePublish,
  encodeSubscribe,
  encodeUnsubscribe,
  type AckPacket,
  type ConnackPacket,
  type DisconnectPacket,
  type MqttPacket,
  type MqttProperties,
  type PublishPacket,
  type SubackPacket,
  type UnsubackPacket,
} from '../../../src/codecs/mqtt/index.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { connectClient, connectWithConnack, endAll, Inbox, RawClient, sleep, TRANSPORTS } from './helpers.js';

let broker: TestBroker;
/** A broker with small MQTT limits for the "both ways" capability tests. */
let small: TestBroker;
before(async () => {
  broker = await startTestBroker();
  small = await startTestBroker({
    config: { limits: { mqtt: { receiveMaximum: 2, maxPacketSize: 2048, serverKeepAlive: 5, topicAliasMaximum: 4 } } },
  });
});
after(async () => {
  await broker.stop();
  await small.stop();
});

async function raw5(b: TestBroker, clientId: string, properties: MqttProperties = {}, clean = true): Promise<{ raw: RawClient; connack: ConnackPacket }> {
  const raw = await RawClient.open(b.ports.mqtt, 5);
  raw.write(encodeConnect({ protocolName: 'MQTT', protocolLevel: 5, clean, keepAlive: 0, properties, clientId, will: undefined, username: undefined, password: undefined }));
  const connack = (await raw.next()) as ConnackPacket;
  assert.equal(connack.type, 2);
  return { raw, connack };
}

const sub = (topicFilter: string, qos: 0 | 1 | 2, extra: Partial<{ noLocal: boolean; retainAsPublished: boolean; retainHandling: 0 | 1 | 2 }> = {}) => ({
  topicFilter,
  qos,
  noLocal: false,
  retainAsPublished: false,
  retainHandling: 0 as const,
  ...extra,
});

async function nextOf<T extends MqttPacket>(raw: RawClient, type: T['type']): Promise<T> {
  for (;;) {
    const p = await raw.next();
    assert.notEqual(p, 'closed', `connection closed while waiting for packet type ${type}`);
    if ((p as MqttPacket).type === type) return p as T;
  }
}

for (const transport of TRANSPORTS) {
  describe(`MQTT 5 properties over ${transport}`, () => {
    test('user properties, content type, payload format, response topic, correlation data and expiry reach the subscriber', async () => {
      const s = await connectClient(broker, transport, { protocolVersion: 5, clientId: `props-sub-${transport}` });
      const p = await connectClient(broker, transport, { protocolVersion: 5, clientId: `props-pub-${transport}` });
      try {
        const inbox = new Inbox(s);
        await s.subscribeAsync(`props/${transport}`, { qos: 1 });
        const correlation = Buffer.from([0xff, 0x00, 0xfe]); // not UTF-8: travels as binary
        await p.publishAsync(`props/${transport}`, 'héllo', {
          qos: 1,
          properties: {
            userProperties: { a: '1', b: ['x', 'y'] },
            contentType: 'text/plain',
            payloadFormatIndicator: true,
            responseTopic: 'reply/here',
            correlationData: correlation,
            messageExpiryInterval: 120,
          },
        });
        const [m] = await inbox.waitFor(1);
        const props = m!.packet.properties!;
        assert.deepEqual({ ...props.userProperties }, { a: '1', b: ['x', 'y'] });
        assert.equal(props.contentType, 'text/plain');
        assert.equal(props.payloadFormatIndicator, true);
        assert.equal(props.responseTopic, 'reply/here');
        assert.deepEqual(props.correlationData, correlation);
        assert.ok(props.messageExpiryInterval !== undefined && props.messageExpiryInterval <= 120 && props.messageExpiryInterval > 100);
        assert.equal(m!.payload.toString(), 'héllo');
      } finally {
        await endAll(s, p);
      }
    });
  });
}

describe('MQTT 5 reason codes and reason strings', () => {
  test('PUBACK 0x10 when nobody subscribed; SUBACK 0x8F for a bad filter; UNSUBACK 0x11 for an unknown one', async () => {
    const { raw } = await raw5(broker, 'rc-raw');
    try {
      raw.write(encodePublish(5, 'nobody/listens', 1, false, false, 7, {}, Buffer.from('x')));
      const puback = await nextOf<AckPacket>(raw, 4);
      assert.equal(puback.packetId, 7);
      assert.equal(puback.reasonCode, 0x10);
      raw.write(encodeSubscribe(5, { packetId: 8, properties: {}, subscriptions: [sub('ok/+', 1), sub('bad/#/x', 1), sub('$share/g', 1)] }));
      const suback = await nextOf<SubackPacket>(raw, 9);
      assert.deepEqual(suback.reasonCodes, [1, 0x8f, 0x8f]);
      raw.write(encodeUnsubscribe(5, { packetId: 9, properties: {}, topicFilters: ['ok/+', 'never/subscribed'] }));
      const unsuback = await nextOf<UnsubackPacket>(raw, 11);
      assert.deepEqual(unsuback.reasonCodes, [0, 0x11]);
    } finally {
      raw.close();
    }
  });

  test('a protocol violation gets DISCONNECT with reason code and reason string', async () => {
    const { raw } = await raw5(broker, 'rs-raw');
    try {
      raw.write(encodePublish(5, 'a/b', 0, false, false, 0, { topicAlias: 1000 }, Buffer.from('x')));
      const got = await raw.untilClosed();
      const d = got.find((p) => p.type === 14) as DisconnectPacket;
      assert.equal(d.reasonCode, 0x94, 'Topic Alias invalid');
      assert.match(d.properties.reasonString ?? '', /alias/);
    } finally {
      raw.close();
    }
  });

  test('enhanced AUTH: CONNACK 0x8C bad authentication method', async () => {
    const raw = await RawClient.open(broker.ports.mqtt, 5);
    try {
      raw.write(encodeConnect({ protocolName: 'MQTT', protocolLevel: 5, clean: true, keepAlive: 0, properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: Buffer.from('n,,n=user') }, clientId: 'auth-m', will: undefined, username: undefined, password: undefined }));
      const got = await raw.untilClosed();
      assert.equal(got.length, 1);
      assert.equal((got[0] as ConnackPacket).reasonCode, 0x8c);
    } finally {
      raw.close();
    }
  });
});

describe('MQTT 5 subscription options', () => {
  test('no local: own messages are not delivered, others are', async () => {
    const c = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'nl-self' });
    const other = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'nl-other' });
    try {
      const inbox = new Inbox(c);
      await c.subscribeAsync('nl/t', { qos: 1, nl: true });
      await c.publishAsync('nl/t', 'mine', { qos: 1 });
      await other.publishAsync('nl/t', 'theirs', { qos: 1 });
      await inbox.waitFor(1);
      await sleep(150);
      assert.deepEqual(inbox.messages.map((m) => m.payload.toString()), ['theirs']);
    } finally {
      await endAll(c, other);
    }
  });

  test('retain as published keeps the retain flag on live messages', async () => {
    const rap = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'rap-yes' });
    const plain = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'rap-no' });
    const pub = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'rap-pub' });
    try {
      const ir = new Inbox(rap);
      const ip = new Inbox(plain);
      await rap.subscribeAsync('rap/t', { qos: 1, rap: true });
      await plain.subscribeAsync('rap/t', { qos: 1 });
      await pub.publishAsync('rap/t', 'r', { qos: 1, retain: true });
      assert.equal((await ir.waitFor(1))[0]?.packet.retain, true);
      assert.equal((await ip.waitFor(1))[0]?.packet.retain, false);
    } finally {
      await pub.publishAsync('rap/t', '', { qos: 1, retain: true });
      await endAll(rap, plain, pub);
    }
  });

  test('retain handling 1 sends retained messages only for a new subscription, 2 never', async () => {
    const pub = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'rh-pub' });
    await pub.publishAsync('rh/t', 'kept', { qos: 1, retain: true });
    const c = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'rh-sub' });
    try {
      const inbox = new Inbox(c);
      await c.subscribeAsync('rh/t', { qos: 1, rh: 1 });
      await inbox.waitFor(1);
      await c.subscribeAsync('rh/t', { qos: 1, rh: 1 }); // existing subscription: not again
      await c.subscribeAsync('rh/+', { qos: 1, rh: 2 }); // never
      await sleep(200);
      assert.equal(inbox.messages.length, 1);
    } finally {
      await pub.publishAsync('rh/t', '', { qos: 1, retain: true });
      await endAll(pub, c);
    }
  });

  test('subscription identifiers: one copy carrying every matching identifier', async () => {
    const c = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'sid-sub' });
    try {
      const inbox = new Inbox(c);
      await c.subscribeAsync('sid/+', { qos: 1, properties: { subscriptionIdentifier: 11 } });
      await c.subscribeAsync('sid/#', { qos: 0, properties: { subscriptionIdentifier: 22 } });
      await c.publishAsync('sid/x', 'both', { qos: 1 });
      const [m] = await inbox.waitFor(1);
      await sleep(150);
      assert.equal(inbox.messages.length, 1, 'one copy');
      const ids = m!.packet.properties?.subscriptionIdentifier;
      assert.deepEqual([ids].flat().sort((a, b) => Number(a) - Number(b)), [11, 22]);
      assert.equal(m!.packet.qos, 1, 'the highest QoS of the matching subscriptions');
    } finally {
      await endAll(c);
    }
  });

  test('shared subscriptions: each message goes to exactly one member of the group', async () => {
    const a = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'share-a' });
    const b = await connectClient(broker, 'ws', { protocolVersion: 5, clientId: 'share-b' });
    const solo = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'share-solo' });
    const pub = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'share-pub' });
    try {
      const ia = new Inbox(a);
      const ib = new Inbox(b);
      const is = new Inbox(solo);
      await a.subscribeAsync('$share/grp/jobs/+', { qos: 1 });
      await b.subscribeAsync('$share/grp/jobs/+', { qos: 1 });
      await solo.subscribeAsync('jobs/+', { qos: 1 });
      const n = 20;
      for (let i = 0; i < n; i++) await pub.publishAsync(`jobs/${i}`, String(i), { qos: 1 });
      await is.waitFor(n);
      const deadline = Date.now() + 5000;
      while (ia.messages.length + ib.messages.length < n && Date.now() < deadline) await sleep(20);
      const all = [...ia.messages, ...ib.messages].map((m) => Number(m.payload.toString())).sort((x, y) => x - y);
      assert.deepEqual(all, [...Array(n).keys()], 'every message exactly once across the group');
      assert.ok(ia.messages.length > 0 && ib.messages.length > 0, 'both members got work');
      assert.ok(ia.messages.every((m) => m.topic.startsWith('jobs/')), 'topic is the original one');
    } finally {
      await endAll(a, b, solo, pub);
    }
  });
});

describe('MQTT 5 capabilities both ways', () => {
  test('CONNACK announces receive maximum, maximum packet size, topic alias maximum and server keep alive', async () => {
    const { client, connack } = await connectWithConnack(small, 'tcp', { protocolVersion: 5, clientId: 'caps', keepalive: 60 });
    try {
      assert.equal(connack.properties?.receiveMaximum, 2);
      assert.equal(connack.properties?.maximumPacketSize, 2048);
      assert.equal(connack.properties?.topicAliasMaximum, 4);
      assert.equal(connack.properties?.serverKeepAlive, 5);
    } finally {
      await endAll(client);
    }
  });

  test('inbound: a packet over our maximum size gets DISCONNECT 0x95', async () => {
    const { raw } = await raw5(small, 'too-big');
    try {
      raw.write(encodePublish(5, 'big', 0, false, false, 0, {}, Buffer.alloc(4096)));
      const got = await raw.untilClosed();
      assert.equal((got.find((p) => p.type === 14) as DisconnectPacket).reasonCode, 0x95);
    } finally {
      raw.close();
    }
  });

  test('inbound: more unacknowledged QoS 2 than our receive maximum gets DISCONNECT 0x93', async () => {
    const { raw } = await raw5(small, 'rm-in');
    try {
      for (let id = 1; id <= 2; id++) raw.write(encodePublish(5, 'rm/in', 2, false, false, id, {}, Buffer.from('x')));
      await nextOf<AckPacket>(raw, 5);
      await nextOf<AckPacket>(raw, 5);
      // Two QoS 2 messages await PUBREL: a third exceeds Receive Maximum 2 [MQTT-3.3.4-9].
      raw.write(encodePublish(5, 'rm/in', 2, false, false, 3, {}, Buffer.from('x')));
      const got = await raw.untilClosed();
      assert.equal((got.find((p) => p.type === 14) as DisconnectPacket).reasonCode, 0x93);
    } finally {
      raw.close();
    }
  });

  test('outbound: the client\'s receive maximum limits unacknowledged deliveries', async () => {
    const { raw } = await raw5(broker, 'rm-out', { receiveMaximum: 2 });
    const pub = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'rm-out-pub' });
    try {
      raw.write(encodeSubscribe(5, { packetId: 1, properties: {}, subscriptions: [sub('rm/out', 1)] }));
      await nextOf<SubackPacket>(raw, 9);
      for (let i = 0; i < 5; i++) await pub.publishAsync('rm/out', String(i), { qos: 1 });
      const first = [await nextOf<PublishPacket>(raw, 3), await nextOf<PublishPacket>(raw, 3)];
      await assert.rejects(raw.next(300), /timed out/, 'a third delivery must wait for an ack');
      raw.write(encodeAck(5, 4, first[0]!.packetId));
      const third = await nextOf<PublishPacket>(raw, 3);
      assert.deepEqual([...first, third].map((p) => p.payload.toString()), ['0', '1', '2']);
    } finally {
      raw.close();
      await endAll(pub);
    }
  });

  test('outbound: messages over the client\'s maximum packet size are skipped', async () => {
    const { raw } = await raw5(broker, 'mps-out', { maximumPacketSize: 200 });
    const pub = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'mps-pub' });
    try {
      raw.write(encodeSubscribe(5, { packetId: 1, properties: {}, subscriptions: [sub('mps/t', 1)] }));
      await nextOf<SubackPacket>(raw, 9);
      await pub.publishAsync('mps/t', Buffer.alloc(1000, 1), { qos: 1 });
      await pub.publishAsync('mps/t', 'small', { qos: 1 });
      const p = await nextOf<PublishPacket>(raw, 3);
      assert.equal(p.payload.toString(), 'small');
    } finally {
      raw.close();
      await endAll(pub);
    }
  });

  test('topic aliases both ways', async () => {
    const { raw } = await raw5(small, 'alias', { topicAliasMaximum: 3 });
    try {
      raw.write(encodeSubscribe(5, { packetId: 1, properties: {}, subscriptions: [sub('alias/t', 0)] }));
      await nextOf<SubackPacket>(raw, 9);
      // Inbound: set alias 2 with the topic, then use it with an empty topic.
      raw.write(encodePublish(5, 'alias/t', 0, false, false, 0, { topicAlias: 2 }, Buffer.from('one')));
      raw.write(encodePublish(5, '', 0, false, false, 0, { topicAlias: 2 }, Buffer.from('two')));
      const a = await nextOf<PublishPacket>(raw, 3);
      const b = await nextOf<PublishPacket>(raw, 3);
      // Outbound: first delivery carries topic + alias, the next only the alias.
      assert.equal(a.topic, 'alias/t');
      assert.ok(a.properties.topicAlias !== undefined && a.properties.topicAlias <= 3);
      assert.equal(b.topic, '');
      assert.equal(b.properties.topicAlias, a.properties.topicAlias);
      assert.deepEqual([a.payload.toString(), b.payload.toString()], ['one', 'two']);
    } finally {
      raw.close();
    }
  });
});

describe('MQTT 5 message expiry', () => {
  test('an expired message is not delivered to a session that was offline', async () => {
    const c = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'mexp', clean: false, properties: { sessionExpiryInterval: 60 } });
    await c.subscribeAsync('mexp/t', { qos: 1 });
    await c.endAsync();
    const pub = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'mexp-pub' });
    await pub.publishAsync('mexp/t', 'short', { qos: 1, properties: { messageExpiryInterval: 1 } });
    await pub.publishAsync('mexp/t', 'long', { qos: 1, properties: { messageExpiryInterval: 100 } });
    await sleep(1500);
    const { client, inbox } = await connectWithConnack(broker, 'tcp', { protocolVersion: 5, clientId: 'mexp', clean: false, properties: { sessionExpiryInterval: 60 } });
    try {
      await inbox.waitFor(1);
      await sleep(150);
      assert.deepEqual(inbox.messages.map((m) => m.payload.toString()), ['long']);
      const left = inbox.messages[0]!.packet.properties?.messageExpiryInterval ?? 0;
      assert.ok(left < 100 && left > 90, `remaining expiry ${left} must have been reduced [MQTT-3.3.2-6]`);
    } finally {
      await endAll(client, pub);
    }
  });
});
