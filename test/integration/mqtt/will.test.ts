import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeConnect, type ConnackPacket, type DisconnectPacket } from '../../../src/codecs/mqtt/index.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { connectClient, endAll, Inbox, RawClient, sleep, TRANSPORTS } from './helpers.js';

let broker: TestBroker;
before(async () => {
  broker = await startTestBroker();
});
after(async () => {
  await broker.stop();
});

for (const transport of TRANSPORTS) {
  for (const protocolVersion of [4, 5] as const) {
    describe(`last will, MQTT ${protocolVersion} over ${transport}`, () => {
      const tag = `w${transport}${protocolVersion}`;

      test('published when the connection drops without DISCONNECT', async () => {
        const watcher = await connectClient(broker, transport, { protocolVersion, clientId: `watch-${tag}` });
        const inbox = new Inbox(watcher);
        await watcher.subscribeAsync(`${tag}/will`, { qos: 1 });
        const dying = await connectClient(broker, transport, {
          protocolVersion,
          clientId: `dying-${tag}`,
          will: { topic: `${tag}/will`, payload: Buffer.from('gone'), qos: 1, retain: false },
        });
        try {
          dying.stream.destroy(); // abrupt: no DISCONNECT
          const [m] = await inbox.waitFor(1);
          assert.equal(m?.payload.toString(), 'gone');
          assert.equal(m?.packet.qos, 1);
        } finally {
          await endAll(watcher, dying);
        }
      });

      test('not published on a clean DISCONNECT', async () => {
        const watcher = await connectClient(broker, transport, { protocolVersion, clientId: `watch2-${tag}` });
        const inbox = new Inbox(watcher);
        await watcher.subscribeAsync(`${tag}/nowill`, { qos: 1 });
        const polite = await connectClient(broker, transport, {
          protocolVersion,
          clientId: `polite-${tag}`,
          will: { topic: `${tag}/nowill`, payload: Buffer.from('should not'), qos: 1, retain: false },
        });
        await polite.endAsync();
        // Prove the path works: a message published after the DISCONNECT does arrive.
        const pub = await connectClient(broker, transport, { protocolVersion, clientId: `pub2-${tag}` });
        await pub.publishAsync(`${tag}/nowill`, 'marker', { qos: 1 });
        try {
          await inbox.waitFor(1);
          await sleep(150);
          assert.deepEqual(inbox.messages.map((m) => m.payload.toString()), ['marker']);
        } finally {
          await endAll(watcher, pub);
        }
      });
    });
  }
}

function connectWithWill(clientId: string, level: 4 | 5, keepAlive: number, willTopic: string, properties = {}, willProps = {}): Buffer {
  return encodeConnect({
    protocolName: 'MQTT',
    protocolLevel: level,
    clean: true,
    keepAlive,
    properties,
    clientId,
    will: { topic: willTopic, payload: Buffer.from('ka-will'), qos: 0, retain: false, properties: willProps },
    username: undefined,
    password: undefined,
  });
}

describe('keep alive', () => {
  for (const level of [4, 5] as const) {
    test(`MQTT ${level}: 1.5 x keep alive of silence closes the connection and publishes the will`, async () => {
      const watcher = await connectClient(broker, 'tcp', { clientId: `ka-watch-${level}` });
      const inbox = new Inbox(watcher);
      await watcher.subscribeAsync(`ka/${level}`, { qos: 0 });
      const raw = await RawClient.open(broker.ports.mqtt, level);
      try {
        raw.write(connectWithWill(`ka-raw-${level}`, level, 1, `ka/${level}`));
        assert.equal(((await raw.next()) as ConnackPacket).reasonCode, 0);
        const started = Date.now();
        const rest = await raw.untilClosed(5000);
        const waited = Date.now() - started;
        // Not a timing assertion on speed, only that it did not close before the 1.5 s grace.
        assert.ok(waited >= 1400, `closed after ${waited} ms, before 1.5 x keep alive`);
        if (level === 5) {
          assert.equal(rest.length, 1);
          assert.equal((rest[0] as DisconnectPacket).reasonCode, 0x8d, 'Keep Alive timeout');
        } else {
          assert.equal(rest.length, 0, '3.1.1 closes without a packet');
        }
        assert.equal((await inbox.waitFor(1))[0]?.payload.toString(), 'ka-will');
      } finally {
        raw.close();
        await endAll(watcher);
      }
    });
  }

  test('PINGREQ keeps the connection alive past the keep alive', async () => {
    const c = await connectClient(broker, 'tcp', { clientId: 'pinger', keepalive: 1 });
    try {
      await sleep(2500);
      assert.equal(c.connected, true);
    } finally {
      await endAll(c);
    }
  });
});

describe('DISCONNECT 0x04 (MQTT 5)', () => {
  test('"Disconnect with Will Message" publishes the will', async () => {
    const watcher = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'dw-watch' });
    const inbox = new Inbox(watcher);
    await watcher.subscribeAsync('dw/t', { qos: 1 });
    const c = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'dw', will: { topic: 'dw/t', payload: Buffer.from('asked for'), qos: 1, retain: false } });
    try {
      await c.endAsync(false, { reasonCode: 0x04 });
      assert.equal((await inbox.waitFor(1))[0]?.payload.toString(), 'asked for');
    } finally {
      await endAll(watcher, c);
    }
  });
});

describe('will delay (MQTT 5)', () => {
  test('the will waits for the delay, and a reconnect within it cancels the will', async () => {
    const watcher = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'wd-watch' });
    const inbox = new Inbox(watcher);
    await watcher.subscribeAsync('wd/+', { qos: 1 });
    const opts = (topic: string) => ({
      protocolVersion: 5 as const,
      clean: false,
      properties: { sessionExpiryInterval: 30 },
      will: { topic, payload: Buffer.from(topic), qos: 1 as const, retain: false, properties: { willDelayInterval: 1 } },
    });
    const delayed = await connectClient(broker, 'tcp', { clientId: 'wd-delayed', ...opts('wd/delayed') });
    const back = await connectClient(broker, 'tcp', { clientId: 'wd-back', ...opts('wd/back') });
    try {
      delayed.stream.destroy();
      back.stream.destroy();
      await sleep(200);
      assert.equal(inbox.messages.length, 0, 'nothing before the delay');
      const again = await connectClient(broker, 'tcp', { clientId: 'wd-back', ...opts('wd/back') });
      const got = await inbox.waitFor(1, 4000);
      assert.equal(got[0]?.topic, 'wd/delayed');
      await sleep(1200);
      assert.deepEqual(inbox.messages.map((m) => m.topic), ['wd/delayed'], 'the reconnected client\'s will was cancelled');
      await again.endAsync();
    } finally {
      await endAll(watcher, delayed, back);
    }
  });
});
