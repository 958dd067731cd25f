import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePublish, encodeSubscribe, encodeAck, type AckPacket, type ConnackPacket, type PublishPacket, type SubackPacket } from '../../../src/codecs/mqtt/index.js';
import { useSharedBroker, type TestBroker } from '../../helpers/broker.js';
import { connectClient, connectPacket, connectWithConnack, endAll, Inbox, nextOf, rawConnect, RawClient, sleep, TRANSPORTS, withBroker, type Transport } from './helpers.js';

const broker = useSharedBroker();

const subscribeBytes = (level: 4 | 5, packetId: number, topicFilter: string, qos: 0 | 1 | 2): Buffer =>
  encodeSubscribe(level, { packetId, properties: {}, subscriptions: [{ topicFilter, qos, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });

/** CONNECT options of a persistent session at each level (3.1.1 clean session 0; 5.0 expiry > 0). */
const persistentRaw = (level: 4 | 5) => (level === 5 ? { clean: false, properties: { sessionExpiryInterval: 300 } } : { clean: false });


for (const transport of TRANSPORTS) {
  for (const protocolVersion of [4, 5] as const) {
    describe(`sessions, MQTT ${protocolVersion} over ${transport}`, () => {
      const tag = `s${transport}${protocolVersion}`;
      const persistent = protocolVersion === 5 ? { clean: false, properties: { sessionExpiryInterval: 60 } } : { clean: false };

      test('a persistent session keeps subscriptions and queues QoS 1/2 messages while offline', async () => {
        const id = `keep-${tag}`;
        const a = await connectClient(broker, transport, { protocolVersion, clientId: id, ...persistent });
        await a.subscribeAsync(`${tag}/offline`, { qos: 2 });
        await a.endAsync();
        const pub = await connectClient(broker, transport, { protocolVersion, clientId: `pub-${tag}` });
        await pub.publishAsync(`${tag}/offline`, 'q1', { qos: 1 });
        await pub.publishAsync(`${tag}/offline`, 'q2', { qos: 2 });
        const { client: b, connack, inbox } = await connectWithConnack(broker, transport, { protocolVersion, clientId: id, ...persistent });
        try {
          assert.equal(connack.sessionPresent, true);
          const got = await inbox.waitFor(2);
          assert.deepEqual(got.map((m) => m.payload.toString()), ['q1', 'q2']);
          assert.deepEqual(got.map((m) => m.packet.qos), [1, 2]);
        } finally {
          await endAll(b, pub);
        }
      });

      test('clean session / clean start discards the previous session', async () => {
        const id = `clean-${tag}`;
        const a = await connectClient(broker, transport, { protocolVersion, clientId: id, ...persistent });
        await a.subscribeAsync(`${tag}/gone`, { qos: 1 });
        await a.endAsync();
        const { client: b, connack, inbox } = await connectWithConnack(broker, transport, { protocolVersion, clientId: id, clean: true });
        const pub = await connectClient(broker, transport, { protocolVersion, clientId: `cpub-${tag}` });
        try {
          assert.equal(connack.sessionPresent, false);
          await pub.publishAsync(`${tag}/gone`, 'x', { qos: 1 });
          await sleep(200);
          assert.equal(inbox.messages.length, 0, 'the old subscription must be gone');
        } finally {
          await endAll(b, pub);
        }
      });

      test('a takeover with a persistent session hands over its subscriptions and unacknowledged messages', async () => {
        const id = `take-keep-${tag}`;
        const topic = `${tag}/take-keep`;
        const { raw } = await rawConnect(broker, transport, protocolVersion, id, persistentRaw(protocolVersion));
        raw.write(subscribeBytes(protocolVersion, 1, topic, 1));
        await nextOf<SubackPacket>(raw, 9);
        const pub = await connectClient(broker, transport, { clientId: `take-keep-pub-${tag}` });
        await pub.publishAsync(topic, 'in flight', { qos: 1 });
        const first = await nextOf<PublishPacket>(raw, 3); // not acknowledged
        const { client: second, connack, inbox } = await connectWithConnack(broker, transport, { protocolVersion, clientId: id, ...persistent });
        try {
          assert.equal(connack.sessionPresent, true, 'the session is taken over, not replaced');
          const rest = await raw.untilClosed();
          if (protocolVersion === 5) assert.equal((rest[0] as { reasonCode?: number }).reasonCode, 0x8e);
          else assert.deepEqual(rest, []);
          const [again] = await inbox.waitFor(1);
          assert.equal(again?.payload.toString(), 'in flight');
          assert.equal(again?.packet.dup, true);
          assert.equal(again?.packet.messageId, first.packetId);
          await pub.publishAsync(topic, 'after', { qos: 1 });
          assert.equal((await inbox.waitFor(2))[1]?.payload.toString(), 'after', 'the subscription came along');
        } finally {
          raw.close();
          await endAll(second, pub);
        }
      });

      test('a second connection with the same client id takes over; the first is closed', async () => {
        const id = `take-${tag}`;
        const first = await connectClient(broker, transport, { protocolVersion, clientId: id });
        const closed = new Promise<void>((resolve) => first.once('close', () => resolve()));
        const disconnectPacket = new Promise<number | undefined>((resolve) => first.once('disconnect', (p) => resolve(p.reasonCode)));
        const second = await connectClient(broker, transport, { protocolVersion, clientId: id });
        try {
          await closed;
          if (protocolVersion === 5) assert.equal(await disconnectPacket, 0x8e, 'DISCONNECT Session taken over');
          assert.equal(second.connected, true);
          const inbox = new Inbox(second);
          await second.subscribeAsync(`${tag}/after-takeover`, { qos: 1 });
          await second.publishAsync(`${tag}/after-takeover`, 'ok', { qos: 1 });
          assert.equal((await inbox.waitFor(1))[0]?.payload.toString(), 'ok');
        } finally {
          await endAll(first, second);
        }
      });
    });
  }
}


for (const transport of TRANSPORTS) {
  describe(`client identifiers over ${transport}`, () => {
    test('3.1.1: empty id with clean session is accepted; without clean session CONNACK 2', async () => {
      const ok = await connectClient(broker, transport, { protocolVersion: 4, clientId: '', clean: true });
      assert.equal(ok.connected, true);
      await ok.endAsync();
      // MQTT.js refuses to send this itself, so the raw client does [MQTT-3.1.3-8].
      const raw = await RawClient.openOn(broker, transport);
      raw.write(connectPacket(4, '', { clean: false }));
      const got = await raw.untilClosed();
      assert.equal(got.length, 1);
      assert.equal(got[0]?.type, 2);
      assert.equal((got[0] as ConnackPacket).reasonCode, 2, 'identifier rejected');
    });

    test('3.1: an empty id gets CONNACK 2; ids longer than 23 characters are accepted', async () => {
      const raw = await RawClient.openOn(broker, transport, 3);
      raw.write(connectPacket(3, '', { clean: true }));
      const got = await raw.untilClosed();
      assert.equal(got.length, 1);
      assert.equal((got[0] as ConnackPacket).reasonCode, 2, 'identifier rejected');
      const { raw: long, connack } = await rawConnect(broker, transport, 3, `a-3.1-client-id-longer-than-23-${transport}`);
      long.close();
      assert.equal(connack.reasonCode, 0);
    });

    test('MQTT 5: an empty id gets an Assigned Client Identifier that names the session', async () => {
      const persistent = { protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 60 } };
      // Clean Start 1 (MQTT.js insists on it for an empty id); the expiry still keeps the session.
      const first = await connectWithConnack(broker, transport, { ...persistent, clean: true, clientId: '' });
      const id = first.connack.properties?.assignedClientIdentifier;
      assert.equal(typeof id, 'string');
      assert.ok((id as string).length > 0);
      await first.client.subscribeAsync(`assigned/${transport}`, { qos: 1 });
      await first.client.endAsync();
      const again = await connectWithConnack(broker, transport, { ...persistent, clientId: id as string });
      try {
        assert.equal(again.connack.sessionPresent, true, 'the assigned id resumes the session');
        assert.equal(again.connack.properties?.assignedClientIdentifier, undefined, 'only assigned for an empty id');
      } finally {
        await endAll(again.client);
      }
    });
  });

  describe(`session expiry (MQTT 5) over ${transport}`, () => {
    test('a session with expiry 1 s is gone after it elapsed; one with 60 s is still there', async () => {
      const idShort = `exp-short-${transport}`;
      const idLong = `exp-long-${transport}`;
      const short = await connectClient(broker, transport, { protocolVersion: 5, clientId: idShort, clean: false, properties: { sessionExpiryInterval: 1 } });
      await short.subscribeAsync('exp/short', { qos: 1 });
      await short.endAsync();
      const long = await connectClient(broker, transport, { protocolVersion: 5, clientId: idLong, clean: false, properties: { sessionExpiryInterval: 60 } });
      await long.subscribeAsync('exp/long', { qos: 1 });
      await long.endAsync();
      await sleep(1600);
      for (const [id, present] of [
        [idShort, false],
        [idLong, true],
      ] as const) {
        const { client: c, connack } = await connectWithConnack(broker, transport, { protocolVersion: 5, clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } });
        try {
          assert.equal(connack.sessionPresent, present, id);
        } finally {
          await endAll(c);
        }
      }
    });

    test('an expiry above our maximum (86400 s) is lowered and CONNACK says so; an accepted one is not echoed', async () => {
      const high = await connectWithConnack(broker, transport, { protocolVersion: 5, clientId: `exp-max-${transport}`, properties: { sessionExpiryInterval: 0xffffffff } });
      const ok = await connectWithConnack(broker, transport, { protocolVersion: 5, clientId: `exp-ok-${transport}`, properties: { sessionExpiryInterval: 600 } });
      try {
        assert.equal(high.connack.properties?.sessionExpiryInterval, 86400);
        assert.equal(ok.connack.properties?.sessionExpiryInterval, undefined);
      } finally {
        await endAll(high.client, ok.client);
      }
    });

    test('expiry 0 ends the session with the connection', async () => {
      const id = `exp-zero-${transport}`;
      const a = await connectClient(broker, transport, { protocolVersion: 5, clientId: id, clean: false });
      await a.subscribeAsync('exp/zero', { qos: 1 });
      await a.endAsync();
      const { client: b, connack } = await connectWithConnack(broker, transport, { protocolVersion: 5, clientId: id, clean: false });
      try {
        assert.equal(connack.sessionPresent, false);
      } finally {
        await endAll(b);
      }
    });

    test('an expiry set to 0 on DISCONNECT ends a session that had one', async () => {
      const id = `exp-disc-${transport}`;
      const a = await connectClient(broker, transport, { protocolVersion: 5, clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } });
      await a.subscribeAsync('exp/disc', { qos: 1 });
      await a.endAsync(false, { reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
      const { client: b, connack } = await connectWithConnack(broker, transport, { protocolVersion: 5, clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } });
      try {
        assert.equal(connack.sessionPresent, false);
      } finally {
        await endAll(b);
      }
    });
  });

  for (const level of [4, 5] as const) {
    describe(`redelivery, MQTT ${level} over ${transport}`, () => {
      for (const qos of [1, 2] as const) {
        test(`an unacknowledged QoS ${qos} message is resent with DUP and the same packet id on reconnect`, async () => {
          const id = `dup-${transport}-${level}-${qos}`;
          const topic = `dup/${transport}/${level}/${qos}`;
          const { raw } = await rawConnect(broker, transport, level, id, persistentRaw(level));
          raw.write(subscribeBytes(level, 1, topic, 2));
          await nextOf<SubackPacket>(raw, 9);
          const pub = await connectClient(broker, transport, { clientId: `${id}-pub` });
          await pub.publishAsync(topic, 'again', { qos });
          const first = await nextOf<PublishPacket>(raw, 3);
          assert.equal(first.qos, qos);
          assert.equal(first.dup, false);
          raw.close(); // no PUBACK / PUBREC
          await sleep(100);
          const { raw: raw2, connack } = await rawConnect(broker, transport, level, id, persistentRaw(level));
          try {
            assert.equal(connack.sessionPresent, true);
            const again = await nextOf<PublishPacket>(raw2, 3);
            assert.equal(again.payload.toString(), 'again');
            assert.equal(again.qos, qos);
            assert.equal(again.dup, true, 'DUP on redelivery [MQTT-3.3.1-1]');
            assert.equal(again.packetId, first.packetId, 'original packet id [MQTT-4.4.0-1]');
            if (qos === 1) {
              raw2.write(encodeAck(level, 4, again.packetId));
            } else {
              raw2.write(encodeAck(level, 5, again.packetId)); // PUBREC
              assert.equal((await nextOf<AckPacket>(raw2, 6)).packetId, again.packetId, 'PUBREL');
              raw2.write(encodeAck(level, 7, again.packetId)); // PUBCOMP
            }
            // Settled: neither a third copy now nor on the next reconnect.
            await assert.rejects(raw2.next(300), /timed out/);
          } finally {
            raw2.close();
            await endAll(pub);
          }
          await sleep(100);
          const { raw: raw3 } = await rawConnect(broker, transport, level, id, { clean: true });
          raw3.close();
        });
      }
    });

    describe(`QoS 2 exactly once, MQTT ${level} over ${transport}`, () => {
      test('inbound: a resent QoS 2 PUBLISH (same id, DUP) before PUBREL is routed once', async () => {
        const tag = `${transport}${level}`;
        const watcher = await connectClient(broker, transport, { clientId: `eo-watch-${tag}` });
        const inbox = new Inbox(watcher);
        await watcher.subscribeAsync(`eo/in/${tag}`, { qos: 2 });
        const { raw } = await rawConnect(broker, transport, level, `eo-pub-${tag}`);
        try {
          raw.write(encodePublish(level, `eo/in/${tag}`, 2, false, false, 5, level === 5 ? {} : undefined, Buffer.from('once')));
          assert.equal(((await raw.next()) as AckPacket).type, 5, 'PUBREC');
          raw.write(encodePublish(level, `eo/in/${tag}`, 2, true, false, 5, level === 5 ? {} : undefined, Buffer.from('once')));
          assert.equal(((await raw.next()) as AckPacket).type, 5, 'PUBREC again for the resend');
          raw.write(encodeAck(level, 6, 5)); // PUBREL
          const comp = (await raw.next()) as AckPacket;
          assert.equal(comp.type, 7, 'PUBCOMP');
          assert.equal(comp.packetId, 5);
          assert.equal(comp.reasonCode, 0);
          await inbox.waitFor(1);
          // After PUBCOMP the id is free: the same id now carries a new message [MQTT-4.3.3-9].
          raw.write(encodePublish(level, `eo/in/${tag}`, 2, false, false, 5, level === 5 ? {} : undefined, Buffer.from('next')));
          assert.equal(((await raw.next()) as AckPacket).type, 5);
          raw.write(encodeAck(level, 6, 5));
          assert.equal(((await raw.next()) as AckPacket).type, 7);
          await inbox.waitFor(2);
          await sleep(200);
          assert.deepEqual(inbox.messages.map((m) => m.payload.toString()), ['once', 'next']);
        } finally {
          raw.close();
          await endAll(watcher);
        }
      });

      test('outbound: after PUBREC a reconnecting session gets PUBREL again, not the message', async () => {
        const tag = `${transport}${level}`;
        const id = `eo-sub-${tag}`;
        const { raw } = await rawConnect(broker, transport, level, id, persistentRaw(level));
        raw.write(subscribeBytes(level, 1, `eo/out/${tag}`, 2));
        await nextOf<SubackPacket>(raw, 9);
        const pub = await connectClient(broker, transport, { clientId: `eo-pub2-${tag}` });
        await pub.publishAsync(`eo/out/${tag}`, 'exactly', { qos: 2 });
        const p = await nextOf<PublishPacket>(raw, 3);
        assert.equal(p.qos, 2);
        raw.write(encodeAck(level, 5, p.packetId)); // PUBREC
        const rel = (await raw.next()) as AckPacket;
        assert.equal(rel.type, 6, 'PUBREL');
        raw.close(); // no PUBCOMP
        await sleep(100);
        const { raw: raw2, connack } = await rawConnect(broker, transport, level, id, persistentRaw(level));
        try {
          assert.equal(connack.sessionPresent, true);
          const again = (await raw2.next()) as AckPacket;
          assert.equal(again.type, 6, 'PUBREL resent [MQTT-4.4.0-1]');
          assert.equal(again.packetId, p.packetId);
          raw2.write(encodeAck(level, 7, p.packetId)); // PUBCOMP
          await assert.rejects(raw2.next(300), /timed out/, 'the message itself is not sent again');
        } finally {
          raw2.close();
          await endAll(pub);
        }
      });
    });
  }
}

/** Both levels' persistent sessions, QoS 1 and 2 queued while offline, one broker restart. */
async function restartScenario(b: TestBroker, transport: Transport): Promise<void> {
  const opts5 = { protocolVersion: 5 as const, clientId: `restart5-${transport}`, clean: false, properties: { sessionExpiryInterval: 300 } };
  const opts4 = { protocolVersion: 4 as const, clientId: `restart4-${transport}`, clean: false };
  for (const opts of [opts5, opts4]) {
    const a = await connectClient(b, transport, opts);
    await a.subscribeAsync(`restart/${opts.protocolVersion}/+`, { qos: 2 });
    await a.endAsync();
  }
  const pub = await connectClient(b, transport, { clientId: `restart-pub-${transport}` });
  for (const v of [5, 4]) {
    await pub.publishAsync(`restart/${v}/a`, `q1-${v}`, { qos: 1 });
    await pub.publishAsync(`restart/${v}/b`, `q2-${v}`, { qos: 2 });
  }
  await pub.endAsync();
  await b.restart();
  for (const opts of [opts5, opts4]) {
    const v = opts.protocolVersion;
    const { client: c, connack, inbox } = await connectWithConnack(b, transport, opts);
    try {
      assert.equal(connack.sessionPresent, true, `MQTT ${v}: session present after restart`);
      const got = await inbox.waitFor(2);
      assert.deepEqual(got.map((m) => [m.payload.toString(), m.packet.qos]), [[`q1-${v}`, 1], [`q2-${v}`, 2]]);
      // The subscription itself was restored from the binding: new messages arrive too.
      const pub2 = await connectClient(b, transport, { clientId: `restart-pub2-${transport}-${v}` });
      await pub2.publishAsync(`restart/${v}/c`, 'new', { qos: 1 });
      await pub2.endAsync();
      assert.equal((await inbox.waitFor(3))[2]?.payload.toString(), 'new');
    } finally {
      await endAll(c);
    }
  }
}

for (const transport of TRANSPORTS) {
  describe(`broker restart over ${transport}`, () => {
    test('3.1.1 and 5.0 persistent sessions keep subscriptions and queued QoS 1 and 2 messages across a restart', async () => {
      await withBroker((b) => restartScenario(b, transport));
    });
  });
}

describe('broker restart with shared subscriptions', () => {
  test('a persistent member keeps its shared subscription and the group queue across a restart', async () => {
    await withBroker(async (b) => {
      const opts = { protocolVersion: 5 as const, clientId: 'shared-restart', clean: false, properties: { sessionExpiryInterval: 300 } };
      const a = await connectClient(b, 'tcp', opts);
      await a.subscribeAsync('$share/grp/sr/+', { qos: 1 });
      await a.endAsync();
      const pub = await connectClient(b, 'tcp', { clientId: 'sr-pub' });
      await pub.publishAsync('sr/1', 'queued for the group', { qos: 1 });
      await pub.endAsync();
      await b.restart();
      const { client, connack, inbox } = await connectWithConnack(b, 'tcp', opts);
      try {
        assert.equal(connack.sessionPresent, true);
        assert.equal((await inbox.waitFor(1))[0]?.payload.toString(), 'queued for the group');
        const pub2 = await connectClient(b, 'tcp', { clientId: 'sr-pub2' });
        await pub2.publishAsync('sr/2', 'after restart', { qos: 1 });
        await pub2.endAsync();
        assert.equal((await inbox.waitFor(2))[1]?.payload.toString(), 'after restart');
      } finally {
        await endAll(client);
      }
    });
  });
});

describe('broker restart keeps subscription rules', () => {
  test('after a restart, before the client is back, a `#` subscription of a persistent session still does not take `$` topics [MQTT-4.7.2-1]', async () => {
    await withBroker(async (b) => {
      const opts = { protocolVersion: 4 as const, clientId: 'dollar-restart', clean: false };
      const a = await connectClient(b, 'tcp', opts);
      await a.subscribeAsync('#', { qos: 1 });
      await a.endAsync();
      await b.restart();
      // The client is away: the bindings the broker restored decide what its queue keeps.
      const pub = await connectClient(b, 'tcp', { clientId: 'dollar-pub' });
      await pub.publishAsync('$app/status', 'reserved', { qos: 1 });
      await pub.publishAsync('plain/status', 'ordinary', { qos: 1 });
      await pub.endAsync();
      const { client, connack, inbox } = await connectWithConnack(b, 'tcp', opts);
      try {
        assert.equal(connack.sessionPresent, true);
        assert.deepEqual((await inbox.waitFor(1)).map((m) => m.topic), ['plain/status']);
        // And nothing else was queued: the next message is one published now.
        const pub2 = await connectClient(b, 'tcp', { clientId: 'dollar-pub2' });
        await pub2.publishAsync('plain/next', 'next', { qos: 1 });
        await pub2.endAsync();
        assert.deepEqual((await inbox.waitFor(2)).map((m) => m.topic), ['plain/status', 'plain/next']);
      } finally {
        await endAll(client);
      }
    });
  });
});
