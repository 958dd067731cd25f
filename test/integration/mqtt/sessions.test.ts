import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeConnect, encodePublish, encodeSubscribe, encodeAck, type AckPacket, type ConnackPacket, type PublishPacket } from '../../../src/codecs/mqtt/index.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { connectClient, connectWithConnack, endAll, Inbox, RawClient, sleep, TRANSPORTS, withBroker } from './helpers.js';

let broker: TestBroker;
before(async () => {
  broker = await startTestBroker();
});
after(async () => {
  await broker.stop();
});


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

describe('client identifiers', () => {
  test('3.1.1: empty id with clean session is accepted; without clean session CONNACK 2', async () => {
    const ok = await connectClient(broker, 'tcp', { protocolVersion: 4, clientId: '', clean: true });
    assert.equal(ok.connected, true);
    await ok.endAsync();
    // MQTT.js refuses to send this itself, so the raw client does [MQTT-3.1.3-8].
    const raw = await RawClient.open(broker.ports.mqtt);
    raw.write(connectBytes('', false));
    const got = await raw.untilClosed();
    assert.equal(got.length, 1);
    assert.equal(got[0]?.type, 2);
    assert.equal((got[0] as ConnackPacket).reasonCode, 2, 'identifier rejected');
  });

  test('MQTT 5: empty id gets an Assigned Client Identifier', async () => {
    const { client: c, connack } = await connectWithConnack(broker, 'tcp', { protocolVersion: 5, clientId: '' });
    try {
      const id = connack.properties?.assignedClientIdentifier;
      assert.equal(typeof id, 'string');
      assert.ok((id as string).length > 0);
    } finally {
      await endAll(c);
    }
  });
});

describe('session expiry (MQTT 5)', () => {
  test('a session with expiry 1 s is gone after it elapsed; one with 60 s is still there', async () => {
    const short = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'exp-short', clean: false, properties: { sessionExpiryInterval: 1 } });
    await short.subscribeAsync('exp/short', { qos: 1 });
    await short.endAsync();
    const long = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'exp-long', clean: false, properties: { sessionExpiryInterval: 60 } });
    await long.subscribeAsync('exp/long', { qos: 1 });
    await long.endAsync();
    await sleep(1600);
    for (const [id, present] of [
      ['exp-short', false],
      ['exp-long', true],
    ] as const) {
      const { client: c, connack } = await connectWithConnack(broker, 'tcp', { protocolVersion: 5, clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } });
      try {
        assert.equal(connack.sessionPresent, present, id);
      } finally {
        await endAll(c);
      }
    }
  });

  test('expiry 0 ends the session with the connection', async () => {
    const a = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'exp-zero', clean: false });
    await a.subscribeAsync('exp/zero', { qos: 1 });
    await a.endAsync();
    const { client: b, connack } = await connectWithConnack(broker, 'tcp', { protocolVersion: 5, clientId: 'exp-zero', clean: false });
    try {
      assert.equal(connack.sessionPresent, false);
    } finally {
      await endAll(b);
    }
  });
});

function connectBytes(clientId: string, clean: boolean, level: 4 | 5 = 4, keepAlive = 0, properties = {}): Buffer {
  return encodeConnect({ protocolName: 'MQTT', protocolLevel: level, clean, keepAlive, properties, clientId, will: undefined, username: undefined, password: undefined });
}

describe('redelivery', () => {
  test('an unacknowledged QoS 1 message is resent with DUP and the same packet id on reconnect', async () => {
    const raw = await RawClient.open(broker.ports.mqtt);
    raw.write(connectBytes('dup-raw', false));
    assert.equal(((await raw.next()) as ConnackPacket).reasonCode, 0);
    raw.write(encodeSubscribe(4, { packetId: 1, properties: {}, subscriptions: [{ topicFilter: 'dup/t', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }));
    assert.equal((await raw.next()).valueOf() !== 'closed', true);
    const pub = await connectClient(broker, 'tcp', { clientId: 'dup-pub' });
    await pub.publishAsync('dup/t', 'again', { qos: 1 });
    const first = (await raw.next()) as PublishPacket;
    assert.equal(first.type, 3);
    assert.equal(first.dup, false);
    raw.close(); // no PUBACK
    await sleep(100);
    const raw2 = await RawClient.open(broker.ports.mqtt);
    try {
      raw2.write(connectBytes('dup-raw', false));
      const ack = (await raw2.next()) as ConnackPacket;
      assert.equal(ack.sessionPresent, true);
      const again = (await raw2.next()) as PublishPacket;
      assert.equal(again.type, 3);
      assert.equal(again.payload.toString(), 'again');
      assert.equal(again.dup, true, 'DUP on redelivery [MQTT-3.3.1-1]');
      assert.equal(again.packetId, first.packetId, 'original packet id [MQTT-4.4.0-1]');
      raw2.write(encodeAck(4, 4, again.packetId));
      await sleep(100);
    } finally {
      raw2.close();
      await endAll(pub);
    }
  });
});

describe('broker restart', () => {
  test('a persistent session and its queued QoS 1 message survive a broker restart', async () => {
    await withBroker(async (b) => {
      const a = await connectClient(b, 'tcp', { protocolVersion: 5, clientId: 'restart-me', clean: false, properties: { sessionExpiryInterval: 300 } });
      await a.subscribeAsync('restart/+', { qos: 1 });
      await a.endAsync();
      const pub = await connectClient(b, 'tcp', { clientId: 'restart-pub' });
      await pub.publishAsync('restart/x', 'kept', { qos: 1 });
      await pub.endAsync();
      await b.restart();
      const { client: c, connack, inbox } = await connectWithConnack(b, 'tcp', { protocolVersion: 5, clientId: 'restart-me', clean: false, properties: { sessionExpiryInterval: 300 } });
      try {
        assert.equal(connack.sessionPresent, true);
        assert.equal((await inbox.waitFor(1))[0]?.payload.toString(), 'kept');
        // The subscription itself was restored from the binding: new messages arrive too.
        const pub2 = await connectClient(b, 'tcp', { clientId: 'restart-pub2' });
        await pub2.publishAsync('restart/y', 'new', { qos: 1 });
        await pub2.endAsync();
        assert.equal((await inbox.waitFor(2))[1]?.payload.toString(), 'new');
      } finally {
        await endAll(c);
      }
    });
  });
});

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

describe('QoS 2 exactly once', () => {
  test('inbound: a resent QoS 2 PUBLISH (same id, DUP) before PUBREL is routed once', async () => {
    const watcher = await connectClient(broker, 'tcp', { clientId: 'eo-watch' });
    const inbox = new Inbox(watcher);
    await watcher.subscribeAsync('eo/in', { qos: 2 });
    const raw = await RawClient.open(broker.ports.mqtt);
    try {
      raw.write(connectBytes('eo-pub', true));
      await raw.next();
      raw.write(encodePublish(4, 'eo/in', 2, false, false, 5, undefined, Buffer.from('once')));
      assert.equal(((await raw.next()) as AckPacket).type, 5, 'PUBREC');
      raw.write(encodePublish(4, 'eo/in', 2, true, false, 5, undefined, Buffer.from('once')));
      assert.equal(((await raw.next()) as AckPacket).type, 5, 'PUBREC again for the resend');
      raw.write(encodeAck(4, 6, 5)); // PUBREL
      const comp = (await raw.next()) as AckPacket;
      assert.equal(comp.type, 7, 'PUBCOMP');
      assert.equal(comp.packetId, 5);
      await inbox.waitFor(1);
      await sleep(200);
      assert.equal(inbox.messages.length, 1);
    } finally {
      raw.close();
      await endAll(watcher);
    }
  });

  test('outbound: after PUBREC a reconnecting session gets PUBREL again, not the message', async () => {
    const raw = await RawClient.open(broker.ports.mqtt);
    raw.write(connectBytes('eo-sub', false));
    await raw.next();
    raw.write(encodeSubscribe(4, { packetId: 1, properties: {}, subscriptions: [{ topicFilter: 'eo/out', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }));
    await raw.next();
    const pub = await connectClient(broker, 'tcp', { clientId: 'eo-pub2' });
    await pub.publishAsync('eo/out', 'exactly', { qos: 2 });
    const p = (await raw.next()) as PublishPacket;
    assert.equal(p.qos, 2);
    raw.write(encodeAck(4, 5, p.packetId)); // PUBREC
    const rel = (await raw.next()) as AckPacket;
    assert.equal(rel.type, 6, 'PUBREL');
    raw.close(); // no PUBCOMP
    await sleep(100);
    const raw2 = await RawClient.open(broker.ports.mqtt);
    try {
      raw2.write(connectBytes('eo-sub', false));
      assert.equal(((await raw2.next()) as ConnackPacket).sessionPresent, true);
      const again = (await raw2.next()) as AckPacket;
      assert.equal(again.type, 6, 'PUBREL resent [MQTT-4.4.0-1]');
      assert.equal(again.packetId, p.packetId);
      raw2.write(encodeAck(4, 7, p.packetId)); // PUBCOMP
      await assert.rejects(raw2.next(300), /timed out/, 'the message itself is not sent again');
    } finally {
      raw2.close();
      await endAll(pub);
    }
  });
});
