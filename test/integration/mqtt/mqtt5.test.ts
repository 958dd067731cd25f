/**
 * MQTT 5 features (issue 4 "MQTT 5"), each over TCP and over WebSocket: properties, reason
 * codes and reason strings, subscription options, subscription identifiers, shared
 * subscriptions, topic aliases, Receive Maximum and Maximum Packet Size both ways, server
 * keep alive, message expiry, enhanced authentication.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeAck,
  encodeDisconnectOrAuth,
  encodePublish,
  encodeSubscribe,
  encodeUnsubscribe,
  type AckPacket,
  type ConnackPacket,
  type DisconnectPacket,
  type MqttProperties,
  type PublishPacket,
  type SubackPacket,
  type UnsubackPacket,
} from '../../../src/codecs/mqtt/index.js';
import type { ConnectionId } from '../../../src/core/api.js';
import { useSharedBroker, type TestBroker } from '../../helpers/broker.js';
import { connectClient, connectPacket, connectWithConnack, endAll, Inbox, nextOf, rawConnect, RawClient, sleep, TRANSPORTS, type Transport } from './helpers.js';

const broker = useSharedBroker();
/** A broker with small MQTT limits for the "both ways" capability tests. */
const small = useSharedBroker({
  config: { limits: { mqtt: { receiveMaximum: 2, maxPacketSize: 2048, serverKeepAlive: 5, topicAliasMaximum: 4 } } },
});
/** A broker that imposes a 2 s keep alive. */
const strict = useSharedBroker({ config: { limits: { mqtt: { serverKeepAlive: 2 } } } });

async function raw5(b: TestBroker, t: Transport, clientId: string, properties: MqttProperties = {}): Promise<{ raw: RawClient; connack: ConnackPacket }> {
  const r = await rawConnect(b, t, 5, clientId, { properties });
  assert.equal(r.connack.reasonCode, 0);
  return r;
}

const sub = (topicFilter: string, qos: 0 | 1 | 2, extra: Partial<{ noLocal: boolean; retainAsPublished: boolean; retainHandling: 0 | 1 | 2 }> = {}) => ({
  topicFilter,
  qos,
  noLocal: false,
  retainAsPublished: false,
  retainHandling: 0 as const,
  ...extra,
});

const codeOf = (e: unknown): number | undefined => (e as { code?: number }).code;

for (const transport of TRANSPORTS) {
  const T = transport;
  describe(`MQTT 5 properties over ${T}`, () => {
    test('user properties, content type, payload format, response topic, correlation data and expiry reach the subscriber', async () => {
      const s = await connectClient(broker, T, { protocolVersion: 5, clientId: `props-sub-${T}` });
      const p = await connectClient(broker, T, { protocolVersion: 5, clientId: `props-pub-${T}` });
      try {
        const inbox = new Inbox(s);
        await s.subscribeAsync(`props/${T}`, { qos: 1 });
        const correlation = Buffer.from([0xff, 0x00, 0xfe]); // not UTF-8: travels as binary
        await p.publishAsync(`props/${T}`, 'héllo', {
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

    test('payload format indicator 1 with a payload that is not UTF-8: PUBACK 0x99, not delivered', async () => {
      const { raw } = await raw5(broker, T, `pfi-${T}`);
      const watcher = await connectClient(broker, T, { protocolVersion: 5, clientId: `pfi-watch-${T}` });
      try {
        const inbox = new Inbox(watcher);
        await watcher.subscribeAsync(`pfi/${T}`, { qos: 1 });
        raw.write(encodePublish(5, `pfi/${T}`, 1, false, false, 1, { payloadFormatIndicator: 1 }, Buffer.from([0xc3, 0x28])));
        const ack = await nextOf<AckPacket>(raw, 4);
        assert.equal(ack.reasonCode, 0x99, 'Payload format invalid');
        assert.ok((ack.properties.reasonString ?? '').length > 0, 'with a reason string');
        await sleep(150);
        assert.equal(inbox.messages.length, 0);
      } finally {
        raw.close();
        await endAll(watcher);
      }
    });
  });

  describe(`MQTT 5 reason codes and reason strings over ${T}`, () => {
    test('PUBACK/PUBREC 0x10, SUBACK 0x8F, UNSUBACK 0x11 and PUBCOMP 0x92 carry reason codes and reason strings', async () => {
      const { raw } = await raw5(broker, T, `rc-raw-${T}`);
      try {
        raw.write(encodePublish(5, 'nobody/listens', 1, false, false, 7, {}, Buffer.from('x')));
        const puback = await nextOf<AckPacket>(raw, 4);
        assert.equal(puback.packetId, 7);
        assert.equal(puback.reasonCode, 0x10, 'No matching subscribers');
        assert.match(puback.properties.reasonString ?? '', /no matching subscribers/);
        raw.write(encodePublish(5, 'nobody/listens', 2, false, false, 8, {}, Buffer.from('x')));
        const pubrec = await nextOf<AckPacket>(raw, 5);
        assert.equal(pubrec.reasonCode, 0x10);
        assert.match(pubrec.properties.reasonString ?? '', /no matching subscribers/);
        raw.write(encodeAck(5, 6, 8));
        assert.equal((await nextOf<AckPacket>(raw, 7)).reasonCode, 0, 'PUBCOMP success for a known id');
        raw.write(encodeSubscribe(5, { packetId: 8, properties: {}, subscriptions: [sub('ok/+', 1), sub('bad/#/x', 1), sub('$share/g', 1)] }));
        const suback = await nextOf<SubackPacket>(raw, 9);
        assert.deepEqual(suback.reasonCodes, [1, 0x8f, 0x8f]);
        assert.match(suback.properties.reasonString ?? '', /bad\/#\/x: invalid topic filter/);
        assert.match(suback.properties.reasonString ?? '', /\$share\/g: invalid shared subscription/);
        raw.write(encodeUnsubscribe(5, { packetId: 9, properties: {}, topicFilters: ['ok/+', 'never/subscribed'] }));
        const unsuback = await nextOf<UnsubackPacket>(raw, 11);
        assert.deepEqual(unsuback.reasonCodes, [0, 0x11]);
        assert.match(unsuback.properties.reasonString ?? '', /never\/subscribed: no such subscription/);
        raw.write(encodeAck(5, 6, 77)); // PUBREL for an id we never saw
        const pubcomp = await nextOf<AckPacket>(raw, 7);
        assert.equal(pubcomp.reasonCode, 0x92, 'Packet Identifier not found');
        assert.match(pubcomp.properties.reasonString ?? '', /unknown packet identifier/);
        // A success leaves out reason code and properties (§3.4.2.1).
        raw.write(encodeSubscribe(5, { packetId: 10, properties: {}, subscriptions: [sub('ok/y', 0)] }));
        assert.deepEqual((await nextOf<SubackPacket>(raw, 9)).properties, {});
      } finally {
        raw.close();
      }
    });

    test('a queue that refuses the message (x-overflow reject-publish): PUBACK and PUBREC 0x97 with a reason string', async () => {
      const core = broker.server().broker;
      const user = core.authenticate('guest', 'guest', '127.0.0.1')!;
      const vhost = core.getVhost('/')!;
      const p = { user, connectionId: 0x7fff_0101 as ConnectionId };
      const q = `full-${T}`;
      vhost.declareQueue(p, q, { durable: false, exclusive: false, autoDelete: false, arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } }, false);
      vhost.bind(p, { source: 'amq.topic', destinationKind: 'queue', destination: q, routingKey: `full.${T}`, arguments: {} });
      const { raw } = await raw5(broker, T, `full-${T}`);
      try {
        raw.write(encodePublish(5, `full/${T}`, 1, false, false, 1, {}, Buffer.from('fits')));
        assert.equal((await nextOf<AckPacket>(raw, 4)).reasonCode, 0);
        raw.write(encodePublish(5, `full/${T}`, 1, false, false, 2, {}, Buffer.from('over')));
        const puback = await nextOf<AckPacket>(raw, 4);
        assert.equal(puback.reasonCode, 0x97, 'Quota exceeded');
        assert.match(puback.properties.reasonString ?? '', /full/);
        raw.write(encodePublish(5, `full/${T}`, 2, false, false, 3, {}, Buffer.from('over')));
        const pubrec = await nextOf<AckPacket>(raw, 5);
        assert.equal(pubrec.reasonCode, 0x97);
        // A failed PUBREC ends the exchange: the id is not held [MQTT-4.3.3-4].
        raw.write(encodeAck(5, 6, 3));
        assert.equal((await nextOf<AckPacket>(raw, 7)).reasonCode, 0x92);
      } finally {
        raw.close();
        vhost.deleteQueue(p, q, false, false);
      }
    });

    test('Request Problem Information 0: acks carry no reason string, DISCONNECT still does', async () => {
      const { raw } = await raw5(broker, T, `rpi-${T}`, { requestProblemInformation: 0 });
      try {
        raw.write(encodePublish(5, 'nobody/listens', 1, false, false, 1, {}, Buffer.from('x')));
        const puback = await nextOf<AckPacket>(raw, 4);
        assert.equal(puback.reasonCode, 0x10);
        assert.equal(puback.properties.reasonString, undefined);
        raw.write(encodeSubscribe(5, { packetId: 2, properties: {}, subscriptions: [sub('bad/#/x', 1)] }));
        const suback = await nextOf<SubackPacket>(raw, 9);
        assert.deepEqual(suback.reasonCodes, [0x8f]);
        assert.equal(suback.properties.reasonString, undefined);
        raw.write(encodePublish(5, 'a/+', 0, false, false, 0, {}, Buffer.from('x')));
        const d = (await raw.untilClosed()).find((p) => p.type === 14) as DisconnectPacket;
        assert.equal(d.reasonCode, 0x90);
        assert.match(d.properties.reasonString ?? '', /topic/);
      } finally {
        raw.close();
      }
    });

    test("reason strings are left out when they would exceed the client's Maximum Packet Size", async () => {
      const { raw } = await raw5(broker, T, `rs-small-${T}`, { maximumPacketSize: 24 });
      try {
        raw.write(encodeSubscribe(5, { packetId: 1, properties: {}, subscriptions: [sub('bad/#/x', 1)] }));
        const suback = await nextOf<SubackPacket>(raw, 9);
        assert.deepEqual(suback.reasonCodes, [0x8f]);
        assert.equal(suback.properties.reasonString, undefined, '[MQTT-3.9.2-1]');
        raw.write(encodePublish(5, 'nobody/listens', 1, false, false, 2, {}, Buffer.from('x')));
        const puback = await nextOf<AckPacket>(raw, 4);
        assert.equal(puback.reasonCode, 0x10);
        assert.equal(puback.properties.reasonString, undefined, '[MQTT-3.4.2-2]');
        raw.write(encodePublish(5, 'a/+', 0, false, false, 0, {}, Buffer.from('x')));
        const d = (await raw.untilClosed()).find((p) => p.type === 14) as DisconnectPacket;
        assert.equal(d.reasonCode, 0x90);
        assert.equal(d.properties.reasonString, undefined, '[MQTT-3.14.2-3]');
      } finally {
        raw.close();
      }
    });

    test('a protocol violation gets DISCONNECT with reason code and reason string', async () => {
      const { raw } = await raw5(broker, T, `rs-raw-${T}`);
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
  });

  describe(`MQTT 5 enhanced authentication over ${T}`, () => {
    test('MQTT.js with an Authentication Method gets CONNACK 0x8C (bad authentication method)', async () => {
      await assert.rejects(
        connectClient(broker, T, { protocolVersion: 5, clientId: `auth-m-${T}`, properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: Buffer.from('n,,n=user') } }),
        (e) => codeOf(e) === 0x8c,
      );
    });

    test('the raw CONNACK is 0x8C with a reason string, then the connection closes', async () => {
      const raw = await RawClient.openOn(broker, T, 5);
      try {
        raw.write(connectPacket(5, `auth-raw-${T}`, { properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: Buffer.from('n,,n=user') } }));
        const got = await raw.untilClosed();
        assert.equal(got.length, 1);
        assert.equal((got[0] as ConnackPacket).reasonCode, 0x8c);
        assert.ok(((got[0] as ConnackPacket).properties.reasonString ?? '').length > 0);
      } finally {
        raw.close();
      }
    });

    test('an AUTH packet on a connection without an authentication method: DISCONNECT 0x82', async () => {
      const { raw } = await raw5(broker, T, `auth-late-${T}`);
      try {
        raw.write(encodeDisconnectOrAuth(5, 15, 0x19, { authenticationMethod: 'SCRAM-SHA-256' }));
        const got = await raw.untilClosed();
        assert.equal(got.length, 1);
        assert.equal((got[0] as DisconnectPacket).reasonCode, 0x82, 'Protocol Error [MQTT-4.12.0-1]');
      } finally {
        raw.close();
      }
    });
  });

  describe(`MQTT 5 subscription options over ${T}`, () => {
    test('no local: own messages are not delivered, others are', async () => {
      const c = await connectClient(broker, T, { protocolVersion: 5, clientId: `nl-self-${T}` });
      const other = await connectClient(broker, T, { protocolVersion: 5, clientId: `nl-other-${T}` });
      try {
        const inbox = new Inbox(c);
        await c.subscribeAsync(`nl/${T}`, { qos: 1, nl: true });
        await c.publishAsync(`nl/${T}`, 'mine', { qos: 1 });
        await other.publishAsync(`nl/${T}`, 'theirs', { qos: 1 });
        await inbox.waitFor(1);
        await sleep(150);
        assert.deepEqual(inbox.messages.map((m) => m.payload.toString()), ['theirs']);
      } finally {
        await endAll(c, other);
      }
    });

    test('retain as published keeps the retain flag on live messages', async () => {
      const rap = await connectClient(broker, T, { protocolVersion: 5, clientId: `rap-yes-${T}` });
      const plain = await connectClient(broker, T, { protocolVersion: 5, clientId: `rap-no-${T}` });
      const pub = await connectClient(broker, T, { protocolVersion: 5, clientId: `rap-pub-${T}` });
      try {
        const ir = new Inbox(rap);
        const ip = new Inbox(plain);
        await rap.subscribeAsync(`rap/${T}`, { qos: 1, rap: true });
        await plain.subscribeAsync(`rap/${T}`, { qos: 1 });
        await pub.publishAsync(`rap/${T}`, 'r', { qos: 1, retain: true });
        assert.equal((await ir.waitFor(1))[0]?.packet.retain, true);
        assert.equal((await ip.waitFor(1))[0]?.packet.retain, false);
      } finally {
        await pub.publishAsync(`rap/${T}`, '', { qos: 1, retain: true });
        await endAll(rap, plain, pub);
      }
    });

    test('retain handling 0 sends retained messages on every subscribe, 1 only for a new subscription, 2 never', async () => {
      const pub = await connectClient(broker, T, { protocolVersion: 5, clientId: `rh-pub-${T}` });
      await pub.publishAsync(`rh/${T}`, 'kept', { qos: 1, retain: true });
      const c = await connectClient(broker, T, { protocolVersion: 5, clientId: `rh-sub-${T}` });
      try {
        const inbox = new Inbox(c);
        await c.subscribeAsync(`rh/${T}`, { qos: 1, rh: 1 });
        await inbox.waitFor(1);
        await c.subscribeAsync(`rh/${T}`, { qos: 1, rh: 1 }); // existing subscription: not again
        await c.subscribeAsync(`rh/+`, { qos: 1, rh: 2 }); // never
        await sleep(200);
        assert.equal(inbox.messages.length, 1);
        await c.subscribeAsync(`rh/${T}`, { qos: 1, rh: 0 }); // always, also for an existing one
        await inbox.waitFor(2);
        assert.equal(inbox.messages[1]?.packet.retain, true);
      } finally {
        await pub.publishAsync(`rh/${T}`, '', { qos: 1, retain: true });
        await endAll(pub, c);
      }
    });

    test('subscription identifiers: one copy carrying every matching identifier', async () => {
      const c = await connectClient(broker, T, { protocolVersion: 5, clientId: `sid-sub-${T}` });
      try {
        const inbox = new Inbox(c);
        await c.subscribeAsync(`sid/${T}/+`, { qos: 1, properties: { subscriptionIdentifier: 11 } });
        await c.subscribeAsync(`sid/${T}/#`, { qos: 0, properties: { subscriptionIdentifier: 22 } });
        await c.subscribeAsync(`sid/${T}/y`, { qos: 0 }); // no identifier
        await c.publishAsync(`sid/${T}/x`, 'both', { qos: 1 });
        const [m] = await inbox.waitFor(1);
        await sleep(150);
        assert.equal(inbox.messages.length, 1, 'one copy');
        const ids = m!.packet.properties?.subscriptionIdentifier;
        assert.deepEqual([ids].flat().sort((a, b) => Number(a) - Number(b)), [11, 22]);
        assert.equal(m!.packet.qos, 1, 'the highest QoS of the matching subscriptions');
        await c.publishAsync(`sid/${T}/y`, 'three', { qos: 0 });
        const [, m2] = await inbox.waitFor(2);
        assert.deepEqual([m2!.packet.properties?.subscriptionIdentifier].flat().sort((a, b) => Number(a) - Number(b)), [11, 22], 'the subscription without an id adds none');
      } finally {
        await endAll(c);
      }
    });

    test('shared subscriptions: each message goes to exactly one member of the group', async () => {
      const a = await connectClient(broker, T, { protocolVersion: 5, clientId: `share-a-${T}` });
      const b = await connectClient(broker, T === 'tcp' ? 'ws' : 'tcp', { protocolVersion: 5, clientId: `share-b-${T}` });
      const solo = await connectClient(broker, T, { protocolVersion: 5, clientId: `share-solo-${T}` });
      const pub = await connectClient(broker, T, { protocolVersion: 5, clientId: `share-pub-${T}` });
      try {
        const ia = new Inbox(a);
        const ib = new Inbox(b);
        const is = new Inbox(solo);
        await a.subscribeAsync(`$share/grp/jobs/${T}/+`, { qos: 1 });
        await b.subscribeAsync(`$share/grp/jobs/${T}/+`, { qos: 1 });
        await solo.subscribeAsync(`jobs/${T}/+`, { qos: 1 });
        const n = 20;
        for (let i = 0; i < n; i++) await pub.publishAsync(`jobs/${T}/${i}`, String(i), { qos: 1 });
        await is.waitFor(n);
        const deadline = Date.now() + 5000;
        while (ia.messages.length + ib.messages.length < n && Date.now() < deadline) await sleep(20);
        await sleep(100);
        const all = [...ia.messages, ...ib.messages].map((m) => Number(m.payload.toString())).sort((x, y) => x - y);
        assert.deepEqual(all, [...Array(n).keys()], 'every message exactly once across the group');
        assert.ok(ia.messages.length > 0 && ib.messages.length > 0, 'both members got work');
        assert.ok(ia.messages.every((m) => m.topic.startsWith(`jobs/${T}/`)), 'topic is the original one');
        // A member leaving: the other gets everything.
        await a.unsubscribeAsync(`$share/grp/jobs/${T}/+`);
        const before = ib.messages.length;
        for (let i = 0; i < 5; i++) await pub.publishAsync(`jobs/${T}/late`, `late${i}`, { qos: 1 });
        await ib.waitFor(before + 5);
        await sleep(100);
        assert.ok(!ia.messages.some((m) => m.payload.toString().startsWith('late')), 'the member that left gets nothing more');
      } finally {
        await endAll(a, b, solo, pub);
      }
    });

    test('No Local on a shared subscription is a protocol error (DISCONNECT 0x82)', async () => {
      const { raw } = await raw5(broker, T, `share-nl-${T}`);
      try {
        raw.write(encodeSubscribe(5, { packetId: 1, properties: {}, subscriptions: [sub('$share/g/x', 0, { noLocal: true })] }));
        const got = await raw.untilClosed();
        assert.equal((got.find((p) => p.type === 14) as DisconnectPacket).reasonCode, 0x82, '[MQTT-3.8.3-4]');
      } finally {
        raw.close();
      }
    });
  });

  describe(`MQTT 5 capabilities both ways over ${T}`, () => {
    test('CONNACK announces receive maximum, maximum packet size, topic alias maximum and server keep alive', async () => {
      const { client, connack } = await connectWithConnack(small, T, { protocolVersion: 5, clientId: `caps-${T}`, keepalive: 60 });
      try {
        assert.equal(connack.properties?.receiveMaximum, 2);
        assert.equal(connack.properties?.maximumPacketSize, 2048);
        assert.equal(connack.properties?.topicAliasMaximum, 4);
        assert.equal(connack.properties?.serverKeepAlive, 5);
      } finally {
        await endAll(client);
      }
    });

    test('server keep alive: a client asking for none is held to ours (DISCONNECT 0x8D); MQTT.js adopts it and stays', async () => {
      const { raw, connack } = await rawConnect(strict, T, 5, `ska-raw-${T}`, { keepAlive: 0 });
      const mqttjs = await connectWithConnack(strict, T, { protocolVersion: 5, clientId: `ska-js-${T}`, keepalive: 60 });
      try {
        assert.equal(connack.properties.serverKeepAlive, 2);
        assert.equal(mqttjs.connack.properties?.serverKeepAlive, 2);
        const got = await raw.untilClosed(8000);
        assert.equal((got[0] as DisconnectPacket).reasonCode, 0x8d, 'Keep Alive timeout after 1.5 x the server keep alive');
        // By now MQTT.js has been connected for more than 1.5 x 2 s: only its pings at the
        // server keep alive (not its own 60 s) can have kept it connected.
        await sleep(1000);
        assert.equal(mqttjs.client.connected, true, 'MQTT.js pings at the server keep alive');
      } finally {
        raw.close();
        await endAll(mqttjs.client);
      }
    });

    test('inbound: a packet over our maximum size gets DISCONNECT 0x95', async () => {
      const { raw } = await raw5(small, T, `too-big-${T}`);
      try {
        raw.write(encodePublish(5, 'big', 0, false, false, 0, {}, Buffer.alloc(4096)));
        const got = await raw.untilClosed();
        assert.equal((got.find((p) => p.type === 14) as DisconnectPacket).reasonCode, 0x95);
      } finally {
        raw.close();
      }
    });

    test('inbound: more unacknowledged QoS 2 than our receive maximum gets DISCONNECT 0x93', async () => {
      const { raw } = await raw5(small, T, `rm-in-${T}`);
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

    test('inbound: PUBREL frees a slot of our receive maximum', async () => {
      const { raw } = await raw5(small, T, `rm-free-${T}`);
      try {
        for (let id = 1; id <= 10; id++) {
          raw.write(encodePublish(5, 'rm/free', 2, false, false, id, {}, Buffer.from('x')));
          await nextOf<AckPacket>(raw, 5);
          raw.write(encodeAck(5, 6, id));
          await nextOf<AckPacket>(raw, 7);
        }
        raw.write(encodeAck(5, 4, 999)); // an unknown PUBACK is ignored
        raw.write(encodePublish(5, 'rm/free', 1, false, false, 11, {}, Buffer.from('x')));
        assert.equal((await nextOf<AckPacket>(raw, 4)).packetId, 11);
      } finally {
        raw.close();
      }
    });

    test("outbound: the client's receive maximum limits unacknowledged deliveries", async () => {
      const { raw } = await raw5(broker, T, `rm-out-${T}`, { receiveMaximum: 2 });
      const pub = await connectClient(broker, T, { protocolVersion: 5, clientId: `rm-out-pub-${T}` });
      try {
        raw.write(encodeSubscribe(5, { packetId: 1, properties: {}, subscriptions: [sub(`rm/out/${T}`, 1)] }));
        await nextOf<SubackPacket>(raw, 9);
        for (let i = 0; i < 5; i++) await pub.publishAsync(`rm/out/${T}`, String(i), { qos: 1 });
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

    test("outbound: messages over the client's maximum packet size are skipped", async () => {
      const { raw } = await raw5(broker, T, `mps-out-${T}`, { maximumPacketSize: 200 });
      const pub = await connectClient(broker, T, { protocolVersion: 5, clientId: `mps-pub-${T}` });
      try {
        raw.write(encodeSubscribe(5, { packetId: 1, properties: {}, subscriptions: [sub(`mps/${T}`, 1)] }));
        await nextOf<SubackPacket>(raw, 9);
        await pub.publishAsync(`mps/${T}`, Buffer.alloc(1000, 1), { qos: 1 });
        await pub.publishAsync(`mps/${T}`, 'small', { qos: 1 });
        const p = await nextOf<PublishPacket>(raw, 3);
        assert.equal(p.payload.toString(), 'small');
      } finally {
        raw.close();
        await endAll(pub);
      }
    });

    test('topic aliases both ways (raw packets)', async () => {
      const { raw } = await raw5(small, T, `alias-${T}`, { topicAliasMaximum: 3 });
      try {
        raw.write(encodeSubscribe(5, { packetId: 1, properties: {}, subscriptions: [sub(`alias/${T}`, 0)] }));
        await nextOf<SubackPacket>(raw, 9);
        // Inbound: set alias 2 with the topic, then use it with an empty topic.
        raw.write(encodePublish(5, `alias/${T}`, 0, false, false, 0, { topicAlias: 2 }, Buffer.from('one')));
        raw.write(encodePublish(5, '', 0, false, false, 0, { topicAlias: 2 }, Buffer.from('two')));
        const a = await nextOf<PublishPacket>(raw, 3);
        const b = await nextOf<PublishPacket>(raw, 3);
        // Outbound: first delivery carries topic + alias, the next only the alias.
        assert.equal(a.topic, `alias/${T}`);
        assert.ok(a.properties.topicAlias !== undefined && a.properties.topicAlias <= 3);
        assert.equal(b.topic, '');
        assert.equal(b.properties.topicAlias, a.properties.topicAlias);
        assert.deepEqual([a.payload.toString(), b.payload.toString()], ['one', 'two']);
        // An alias never set: Protocol Error.
        raw.write(encodePublish(5, '', 0, false, false, 0, { topicAlias: 3 }, Buffer.from('three')));
        const got = await raw.untilClosed();
        assert.equal((got.find((p) => p.type === 14) as DisconnectPacket).reasonCode, 0x82);
      } finally {
        raw.close();
      }
    });

    test('topic aliases both ways with MQTT.js (autoAssignTopicAlias, topicAliasMaximum)', async () => {
      const s = await connectClient(broker, T, { protocolVersion: 5, clientId: `alias-js-sub-${T}`, properties: { topicAliasMaximum: 5 } });
      const p = await connectClient(broker, T, { protocolVersion: 5, clientId: `alias-js-pub-${T}`, autoAssignTopicAlias: true });
      try {
        const inbox = new Inbox(s);
        await s.subscribeAsync(`aliasjs/${T}/+`, { qos: 1 });
        for (const n of [1, 2, 3]) await p.publishAsync(`aliasjs/${T}/a`, `a${n}`, { qos: 1 });
        await p.publishAsync(`aliasjs/${T}/b`, 'b1', { qos: 1 });
        const got = await inbox.waitFor(4);
        assert.deepEqual(got.map((m) => `${m.topic}=${m.payload.toString()}`), [`aliasjs/${T}/a=a1`, `aliasjs/${T}/a=a2`, `aliasjs/${T}/a=a3`, `aliasjs/${T}/b=b1`]);
        assert.ok(got.every((m) => m.packet.properties?.topicAlias !== undefined), 'we used aliases towards the subscriber');
      } finally {
        await endAll(s, p);
      }
    });
  });

  describe(`MQTT 5 message expiry over ${T}`, () => {
    test('an expired message is not delivered to a session that was offline; the rest has its expiry reduced', async () => {
      const id = `mexp-${T}`;
      const c = await connectClient(broker, T, { protocolVersion: 5, clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } });
      await c.subscribeAsync(`mexp/${T}`, { qos: 1 });
      await c.endAsync();
      const pub = await connectClient(broker, T, { protocolVersion: 5, clientId: `mexp-pub-${T}` });
      await pub.publishAsync(`mexp/${T}`, 'short', { qos: 1, properties: { messageExpiryInterval: 1 } });
      await pub.publishAsync(`mexp/${T}`, 'long', { qos: 1, properties: { messageExpiryInterval: 100 } });
      await sleep(1500);
      const { client, inbox } = await connectWithConnack(broker, T, { protocolVersion: 5, clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } });
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

    test('an expired retained message is not sent to new subscribers', async () => {
      const pub = await connectClient(broker, T, { protocolVersion: 5, clientId: `rexp-pub-${T}` });
      await pub.publishAsync(`rexp/${T}/short`, 'gone', { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } });
      await pub.publishAsync(`rexp/${T}/long`, 'kept', { qos: 1, retain: true, properties: { messageExpiryInterval: 100 } });
      await sleep(1500);
      const c = await connectClient(broker, T, { protocolVersion: 5, clientId: `rexp-sub-${T}` });
      try {
        const inbox = new Inbox(c);
        await c.subscribeAsync(`rexp/${T}/+`, { qos: 1 });
        await inbox.waitFor(1);
        await sleep(150);
        assert.deepEqual(inbox.messages.map((m) => m.payload.toString()), ['kept']);
      } finally {
        await pub.publishAsync(`rexp/${T}/short`, '', { qos: 1, retain: true });
        await pub.publishAsync(`rexp/${T}/long`, '', { qos: 1, retain: true });
        await endAll(c, pub);
      }
    });
  });
}
