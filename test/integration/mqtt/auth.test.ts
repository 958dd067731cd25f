import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeConnect, encodePublish, type AckPacket, type ConnackPacket } from '../../../src/codecs/mqtt/index.js';
import { useSharedBroker } from '../../helpers/broker.js';
import { connectClient, endAll, Inbox, RawClient, sleep, TRANSPORTS, withBroker } from './helpers.js';

const broker = useSharedBroker({}, (b) => {
  const core = b.server().broker;
  core.addUser('alice', 'secret', []);
  core.setPermissions('alice', '/', { configure: '.*', write: '.*', read: '.*' });
  core.addVhost('iot');
  core.addUser('dev', 'pw', []);
  core.setPermissions('dev', 'iot', { configure: '.*', write: '.*', read: '.*' });
  // May subscribe but not publish (no write permission on amq.topic).
  core.addUser('reader', 'pw', []);
  core.setPermissions('reader', '/', { configure: '.*', write: '^mqtt-', read: '.*' });
});

const codeOf = (e: unknown): number | undefined => (e as { code?: number }).code;

for (const transport of TRANSPORTS) {
  describe(`authentication over ${transport}`, () => {
    test('a known user with the right password connects', async () => {
      const c = await connectClient(broker, transport, { username: 'alice', password: 'secret', clientId: `alice-${transport}` });
      assert.equal(c.connected, true);
      await endAll(c);
    });

    test('3.1.1: bad password and unknown user get CONNACK 4', async () => {
      await assert.rejects(connectClient(broker, transport, { protocolVersion: 4, username: 'alice', password: 'wrong' }), (e) => codeOf(e) === 4);
      await assert.rejects(connectClient(broker, transport, { protocolVersion: 4, username: 'nobody', password: 'x' }), (e) => codeOf(e) === 4);
    });

    test('5.0: bad password gets CONNACK 0x86', async () => {
      await assert.rejects(connectClient(broker, transport, { protocolVersion: 5, username: 'alice', password: 'wrong' }), (e) => codeOf(e) === 0x86);
      await assert.rejects(connectClient(broker, transport, { protocolVersion: 5, username: 'nobody', password: 'x' }), (e) => codeOf(e) === 0x86);
    });

    test('3.1: bad password gets CONNACK 4', async () => {
      await assert.rejects(connectClient(broker, transport, { protocolId: 'MQIsdp', protocolVersion: 3, username: 'alice', password: 'wrong', clientId: `a31-${transport}` }), (e) => codeOf(e) === 4);
    });

    test('no access to the virtual host: 3.1.1 CONNACK 5, 5.0 CONNACK 0x87', async () => {
      await assert.rejects(connectClient(broker, transport, { protocolVersion: 4, username: 'dev', password: 'pw' }), (e) => codeOf(e) === 5);
      await assert.rejects(connectClient(broker, transport, { protocolVersion: 5, username: 'dev', password: 'pw' }), (e) => codeOf(e) === 0x87);
    });
  });
}

describe('anonymous and virtual hosts', () => {
  test('no user name connects as the default user (guest) from loopback', async () => {
    const c = await connectClient(broker, 'tcp', { clientId: 'anon' });
    assert.equal(c.connected, true);
    await endAll(c);
  });

  test('with no default user configured, anonymous gets CONNACK 5 / 0x87', async () => {
    await withBroker(
      async (b) => {
        await assert.rejects(connectClient(b, 'tcp', { protocolVersion: 4 }), (e) => codeOf(e) === 5);
        await assert.rejects(connectClient(b, 'tcp', { protocolVersion: 5 }), (e) => codeOf(e) === 0x87);
      },
      { config: { limits: { mqtt: { defaultUser: null } } } },
    );
  });

  test('a user without access to the virtual host gets CONNACK 5; "vhost:user" selects a vhost', async () => {
    await assert.rejects(connectClient(broker, 'tcp', { protocolVersion: 4, username: 'dev', password: 'pw' }), (e) => codeOf(e) === 5);
    const iot = await connectClient(broker, 'tcp', { username: 'iot:dev', password: 'pw', clientId: 'iot-dev' });
    const iot2 = await connectClient(broker, 'tcp', { username: 'iot:dev', password: 'pw', clientId: 'iot-dev2' });
    const root = await connectClient(broker, 'tcp', { clientId: 'root-listener' });
    try {
      const inIot = new Inbox(iot2);
      const inRoot = new Inbox(root);
      await iot2.subscribeAsync('vh/t', { qos: 1 });
      await root.subscribeAsync('vh/t', { qos: 1 });
      await iot.publishAsync('vh/t', 'in iot', { qos: 1 });
      assert.equal((await inIot.waitFor(1))[0]?.payload.toString(), 'in iot');
      await sleep(150);
      assert.equal(inRoot.messages.length, 0, 'vhosts are separate');
    } finally {
      await endAll(iot, iot2, root);
    }
  });
});

describe('authorization', () => {
  test('5.0: a publish without write permission gets PUBACK 0x87; 3.1.1 is disconnected', async () => {
    const raw = await RawClient.open(broker.ports.mqtt, 5);
    try {
      raw.write(encodeConnect({ protocolName: 'MQTT', protocolLevel: 5, clean: true, keepAlive: 0, properties: {}, clientId: 'reader5', will: undefined, username: 'reader', password: Buffer.from('pw') }));
      assert.equal(((await raw.next()) as ConnackPacket).reasonCode, 0);
      raw.write(encodePublish(5, 'forbidden', 1, false, false, 3, {}, Buffer.from('x')));
      const ack = (await raw.next()) as AckPacket;
      assert.equal(ack.type, 4);
      assert.equal(ack.reasonCode, 0x87);
    } finally {
      raw.close();
    }
    const raw4 = await RawClient.open(broker.ports.mqtt, 4);
    try {
      raw4.write(encodeConnect({ protocolName: 'MQTT', protocolLevel: 4, clean: true, keepAlive: 0, properties: {}, clientId: 'reader4', will: undefined, username: 'reader', password: Buffer.from('pw') }));
      assert.equal(((await raw4.next()) as ConnackPacket).reasonCode, 0);
      raw4.write(encodePublish(4, 'forbidden', 1, false, false, 3, {}, Buffer.from('x')));
      assert.deepEqual(await raw4.untilClosed(), [], 'closed without PUBACK');
    } finally {
      raw4.close();
    }
  });
});
