import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DisconnectPacket } from '../../../src/codecs/mqtt/index.js';
import { useSharedBroker } from '../../helpers/broker.js';
import { connectClient, endAll, Inbox, rawConnect, sleep, TRANSPORTS } from './helpers.js';

const broker = useSharedBroker();

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

for (const transport of TRANSPORTS) {
  describe(`keep alive over ${transport}`, () => {
    for (const level of [4, 5] as const) {
      test(`MQTT ${level}: 1.5 x keep alive of silence closes the connection and publishes the will`, async () => {
        const tag = `${transport}-${level}`;
        const watcher = await connectClient(broker, transport, { clientId: `ka-watch-${tag}` });
        const inbox = new Inbox(watcher);
        await watcher.subscribeAsync(`ka/${tag}`, { qos: 0 });
        const { raw, connack } = await rawConnect(broker, transport, level, `ka-raw-${tag}`, {
          keepAlive: 1,
          will: { topic: `ka/${tag}`, payload: Buffer.from('ka-will'), qos: 0, retain: false, properties: {} },
        });
        try {
          assert.equal(connack.reasonCode, 0);
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
      const c = await connectClient(broker, transport, { clientId: `pinger-${transport}`, keepalive: 1 });
      try {
        await sleep(2500);
        assert.equal(c.connected, true);
      } finally {
        await endAll(c);
      }
    });
  });

  describe(`DISCONNECT 0x04 (MQTT 5) over ${transport}`, () => {
    test('"Disconnect with Will Message" publishes the will', async () => {
      const watcher = await connectClient(broker, transport, { protocolVersion: 5, clientId: `dw-watch-${transport}` });
      const inbox = new Inbox(watcher);
      await watcher.subscribeAsync(`dw/${transport}`, { qos: 1 });
      const c = await connectClient(broker, transport, { protocolVersion: 5, clientId: `dw-${transport}`, will: { topic: `dw/${transport}`, payload: Buffer.from('asked for'), qos: 1, retain: false } });
      try {
        await c.endAsync(false, { reasonCode: 0x04 });
        assert.equal((await inbox.waitFor(1))[0]?.payload.toString(), 'asked for');
      } finally {
        await endAll(watcher, c);
      }
    });
  });

  describe(`will delay (MQTT 5) over ${transport}`, () => {
    const opts = (topic: string, willDelayInterval: number, sessionExpiryInterval: number) => ({
      protocolVersion: 5 as const,
      clean: false,
      properties: { sessionExpiryInterval },
      will: { topic, payload: Buffer.from(topic), qos: 1 as const, retain: false, properties: { willDelayInterval } },
    });

    test('the will waits for the delay, and a reconnect within it cancels the will', async () => {
      const watcher = await connectClient(broker, transport, { protocolVersion: 5, clientId: `wd-watch-${transport}` });
      const inbox = new Inbox(watcher);
      await watcher.subscribeAsync(`wd/${transport}/+`, { qos: 1 });
      const delayed = await connectClient(broker, transport, { clientId: `wd-delayed-${transport}`, ...opts(`wd/${transport}/delayed`, 1, 30) });
      const back = await connectClient(broker, transport, { clientId: `wd-back-${transport}`, ...opts(`wd/${transport}/back`, 1, 30) });
      try {
        delayed.stream.destroy();
        back.stream.destroy();
        await sleep(200);
        assert.equal(inbox.messages.length, 0, 'nothing before the delay');
        const again = await connectClient(broker, transport, { clientId: `wd-back-${transport}`, ...opts(`wd/${transport}/back`, 1, 30) });
        const got = await inbox.waitFor(1, 4000);
        assert.equal(got[0]?.topic, `wd/${transport}/delayed`);
        await sleep(1200);
        assert.deepEqual(inbox.messages.map((m) => m.topic), [`wd/${transport}/delayed`], "the reconnected client's will was cancelled");
        await again.endAsync();
      } finally {
        await endAll(watcher, delayed, back);
      }
    });

    test('a delay longer than the session expiry: the will goes when the session ends [MQTT-3.1.3-9]', async () => {
      const watcher = await connectClient(broker, transport, { protocolVersion: 5, clientId: `wx-watch-${transport}` });
      const inbox = new Inbox(watcher);
      await watcher.subscribeAsync(`wx/${transport}`, { qos: 1 });
      const c = await connectClient(broker, transport, { clientId: `wx-${transport}`, ...opts(`wx/${transport}`, 600, 1) });
      try {
        c.stream.destroy();
        await sleep(300);
        assert.equal(inbox.messages.length, 0, 'not before the session ended');
        // Session expiry 1 s, will delay 600 s: the will is published at about 1 s.
        const [m] = await inbox.waitFor(1, 4000);
        assert.equal(m?.payload.toString(), `wx/${transport}`);
      } finally {
        await endAll(watcher, c);
      }
    });
  });

  describe(`will options over ${transport}`, () => {
    test('a retained will is retained; will QoS 2 reaches a QoS 2 subscriber at QoS 2', async () => {
      const topic = `wr/${transport}`;
      const live = await connectClient(broker, transport, { protocolVersion: 5, clientId: `wr-live-${transport}` });
      const liveIn = new Inbox(live);
      await live.subscribeAsync(topic, { qos: 2 });
      const c = await connectClient(broker, transport, { protocolVersion: 4, clientId: `wr-${transport}`, will: { topic, payload: Buffer.from('last words'), qos: 2, retain: true } });
      c.stream.destroy();
      const late = await connectClient(broker, transport, { protocolVersion: 4, clientId: `wr-late-${transport}` });
      try {
        const [m] = await liveIn.waitFor(1);
        assert.equal(m?.payload.toString(), 'last words');
        assert.equal(m?.packet.qos, 2);
        const lateIn = new Inbox(late);
        await late.subscribeAsync(topic, { qos: 1 });
        const [r] = await lateIn.waitFor(1);
        assert.equal(r?.payload.toString(), 'last words');
        assert.equal(r?.packet.retain, true, 'the will was retained');
      } finally {
        await late.publishAsync(topic, '', { qos: 1, retain: true });
        await endAll(live, late, c);
      }
    });
  });
}
