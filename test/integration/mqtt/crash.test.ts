/**
 * kill -9 while MQTT clients publish: every PUBACKed QoS 1 message queued for an offline
 * persistent session, and every acknowledged retained message, is there after restart
 * (DESIGN §3: a confirmation leaves only once the message is on disk).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { spawnBroker, tempDataDir, waitForPort, type SpawnedBroker } from '../../helpers/broker.js';
import mqtt, { type MqttClient } from 'mqtt';
import { connectUrlWithConnack, endAll, Inbox, sleep } from './helpers.js';

const url = (b: SpawnedBroker): string => `mqtt://127.0.0.1:${b.ports.mqtt}`;
const connect = (b: SpawnedBroker, opts: mqtt.IClientOptions): Promise<MqttClient> =>
  mqtt.connectAsync(url(b), { reconnectPeriod: 0, connectTimeout: 5000, ...opts }, false);

test('kill -9 during QoS 1 publishing loses no PUBACKed message nor acknowledged retained message', async () => {
  const dataDir = tempDataDir();
  let broker = await spawnBroker({ dataDir });
  try {
    await waitForPort(broker.ports.mqtt);
    const subOpts = { protocolVersion: 5 as const, clientId: 'crash-sub', clean: false, properties: { sessionExpiryInterval: 600 } };
    const sub = await connect(broker, subOpts);
    await sub.subscribeAsync('crash/t', { qos: 1 });
    await sub.endAsync();

    const confirmed = new Set<string>();
    const retainedConfirmed: string[] = [];
    for (let cycle = 0; cycle < 3; cycle++) {
      const pub = await connect(broker, { clientId: `crash-pub-${cycle}` });
      pub.on('error', () => undefined);
      let stop = false;
      const publishing = (async () => {
        for (let i = 0; !stop; i++) {
          const body = `${cycle}-${i}`;
          try {
            await pub.publishAsync('crash/t', body, { qos: 1 });
            confirmed.add(body);
            if (i % 10 === 0) {
              await pub.publishAsync(`crash/retained/${cycle}`, body, { qos: 1, retain: true });
              retainedConfirmed[cycle] = body;
            }
          } catch {
            return; // the broker died under us
          }
        }
      })();
      await sleep(150 + cycle * 50);
      await broker.kill();
      stop = true;
      // MQTT.js leaves a publish in flight unresolved when the socket dies: bounded wait.
      await Promise.race([publishing, sleep(1000)]);
      await endAll(pub);
      broker = await spawnBroker({ dataDir, ports: broker.ports });
      await waitForPort(broker.ports.mqtt);
    }
    assert.ok(confirmed.size > 0, 'some publishes were confirmed before the kills');

    // The Inbox must exist before CONNECT: the resumed session's messages follow CONNACK at once.
    const { client: after, inbox } = await connectUrlWithConnack(url(broker), subOpts);
    try {
      const deadline = Date.now() + 10_000;
      const seen = new Set<string>();
      while (Date.now() < deadline && [...confirmed].some((c) => !seen.has(c))) {
        await sleep(50);
        for (const m of inbox.messages) seen.add(m.payload.toString());
      }
      const missing = [...confirmed].filter((c) => !seen.has(c));
      assert.deepEqual(missing, [], `${missing.length} of ${confirmed.size} confirmed messages lost`);
    } finally {
      await endAll(after);
    }

    const watcher = await connect(broker, { clientId: 'crash-retained' });
    const rin = new Inbox(watcher);
    try {
      await watcher.subscribeAsync('crash/retained/+', { qos: 1 });
      const expected = retainedConfirmed.filter((x) => x !== undefined).length;
      await rin.waitFor(expected);
      for (let cycle = 0; cycle < retainedConfirmed.length; cycle++) {
        const want = retainedConfirmed[cycle];
        if (want === undefined) continue;
        const got = rin.messages.find((m) => m.topic === `crash/retained/${cycle}`)?.payload.toString();
        // The last acknowledged value, or a later one whose PUBACK was lost with the kill.
        assert.ok(got !== undefined, `retained message of cycle ${cycle} lost`);
        const [, gi] = got.split('-').map(Number);
        const [, wi] = want.split('-').map(Number);
        assert.ok(gi! >= wi!, `retained ${got} is older than the acknowledged ${want}`);
      }
    } finally {
      await endAll(watcher);
    }
  } finally {
    await broker.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
