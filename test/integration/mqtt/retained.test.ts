import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useSharedBroker } from '../../helpers/broker.js';
import { connectClient, endAll, Inbox, sleep, TRANSPORTS, withBroker } from './helpers.js';

const broker = useSharedBroker();

for (const transport of TRANSPORTS) {
  for (const protocolVersion of [4, 5] as const) {
    describe(`retained messages, MQTT ${protocolVersion} over ${transport}`, () => {
      const tag = `r${transport}${protocolVersion}`;

      test('a retained message reaches later subscribers, exact and wildcard, with retain set', async () => {
        const pub = await connectClient(broker, transport, { protocolVersion, clientId: `rp-${tag}` });
        await pub.publishAsync(`${tag}/dev/1/temp`, '21.5', { qos: 1, retain: true });
        await pub.publishAsync(`${tag}/dev/2/temp`, '19.0', { qos: 0, retain: true });
        const exact = await connectClient(broker, transport, { protocolVersion, clientId: `re-${tag}` });
        const wild = await connectClient(broker, transport, { protocolVersion, clientId: `rw-${tag}` });
        try {
          const ie = new Inbox(exact);
          const iw = new Inbox(wild);
          await exact.subscribeAsync(`${tag}/dev/1/temp`, { qos: 1 });
          await wild.subscribeAsync(`${tag}/dev/+/temp`, { qos: 1 });
          const [e] = await ie.waitFor(1);
          assert.equal(e?.payload.toString(), '21.5');
          assert.equal(e?.packet.retain, true);
          assert.equal(e?.packet.qos, 1);
          const w = await iw.waitFor(2);
          assert.deepEqual(w.map((m) => m.payload.toString()).sort(), ['19.0', '21.5']);
          assert.ok(w.every((m) => m.packet.retain));
          assert.equal(w.find((m) => m.topic.endsWith('2/temp'))?.packet.qos, 0, 'QoS is min(retained QoS, subscription QoS)');
          // A live publish with retain reaches existing subscribers with retain = 0 [MQTT-3.3.1-9].
          await pub.publishAsync(`${tag}/dev/1/temp`, '22.0', { qos: 1, retain: true });
          const [, live] = await ie.waitFor(2);
          assert.equal(live?.payload.toString(), '22.0');
          assert.equal(live?.packet.retain, false);
        } finally {
          await endAll(pub, exact, wild);
        }
      });

      test('an empty retained payload clears the topic', async () => {
        const pub = await connectClient(broker, transport, { protocolVersion, clientId: `cp-${tag}` });
        await pub.publishAsync(`${tag}/clear/me`, 'x', { qos: 1, retain: true });
        await pub.publishAsync(`${tag}/clear/me`, '', { qos: 1, retain: true });
        await pub.publishAsync(`${tag}/clear/other`, 'kept', { qos: 1, retain: true });
        const sub = await connectClient(broker, transport, { protocolVersion, clientId: `cs-${tag}` });
        try {
          const inbox = new Inbox(sub);
          await sub.subscribeAsync(`${tag}/clear/#`, { qos: 1 });
          await inbox.waitFor(1);
          await sleep(200);
          assert.deepEqual(
            inbox.messages.map((m) => [m.topic, m.payload.toString()]),
            [[`${tag}/clear/other`, 'kept']],
          );
        } finally {
          await endAll(pub, sub);
        }
      });
    });
  }
}

for (const transport of TRANSPORTS) {
  describe(`retained messages and $ topics over ${transport}`, () => {
    test('a leading wildcard does not receive $-topics (retained or live); an explicit $ filter does', async () => {
      const T = transport;
      const pub = await connectClient(broker, T, { clientId: `dollar-pub-${T}` });
      await pub.publishAsync(`$app${T}/status`, 'up', { qos: 1, retain: true });
      await pub.publishAsync(`plain${T}/status`, 'up', { qos: 1, retain: true });
      const sub = await connectClient(broker, T, { clientId: `dollar-sub-${T}` });
      try {
        const inbox = new Inbox(sub);
        await sub.subscribeAsync('#', { qos: 1 });
        await sub.subscribeAsync('+/status', { qos: 1 });
        await inbox.waitFor(2);
        await sleep(200);
        assert.ok(!inbox.messages.some((m) => m.topic.startsWith('$')), 'no $ topic on # or +/status');
        // Counted before SUBSCRIBE: the retained message may arrive before the SUBACK promise resolves.
        const before = inbox.messages.length;
        await sub.subscribeAsync(`$app${T}/+`, { qos: 1 });
        const got = await inbox.waitFor(before + 1);
        assert.equal(got.at(-1)?.topic, `$app${T}/status`);
        const n = got.length;
        await pub.publishAsync(`$app${T}/live`, 'x', { qos: 1 });
        const live = await inbox.waitFor(n + 1);
        assert.equal(live.at(-1)?.topic, `$app${T}/live`);
        await sleep(150);
        assert.equal(inbox.messages.filter((m) => m.topic === `$app${T}/live`).length, 1, '"#" must not also deliver it');
      } finally {
        await pub.publishAsync(`$app${T}/status`, '', { qos: 1, retain: true });
        await pub.publishAsync(`plain${T}/status`, '', { qos: 1, retain: true });
        await endAll(pub, sub);
      }
    });
  });

  describe(`retained messages are persisted (${transport})`, () => {
    test('they survive a broker restart; a cleared topic stays cleared', async () => {
      await withBroker(async (b) => {
        const pub = await connectClient(b, transport, { clientId: 'persist-pub' });
        await pub.publishAsync('keep/a', 'A1', { qos: 1, retain: true });
        await pub.publishAsync('keep/a', 'A2', { qos: 1, retain: true }); // replaces A1
        await pub.publishAsync('keep/b', 'B', { qos: 0, retain: true });
        await pub.publishAsync('keep/c', 'C', { qos: 1, retain: true });
        await pub.publishAsync('keep/c', '', { qos: 1, retain: true }); // clears C
        await pub.publishAsync('keep/d/deep', 'D', { qos: 2, retain: true });
        await pub.endAsync();
        await b.restart();
        const sub = await connectClient(b, transport, { clientId: 'persist-sub' });
        try {
          const inbox = new Inbox(sub);
          await sub.subscribeAsync('keep/#', { qos: 2 });
          await inbox.waitFor(3);
          await sleep(200);
          assert.deepEqual(inbox.messages.map((m) => `${m.topic}=${m.payload.toString()}@${m.packet.qos}`).sort(), ['keep/a=A2@1', 'keep/b=B@0', 'keep/d/deep=D@2']);
          assert.ok(inbox.messages.every((m) => m.packet.retain));
        } finally {
          await endAll(sub);
        }
      });
    });
  });
}
