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
import { encodeAck, encodeSubscribe, PacketType, type AckPacket, type PublishPacket, type SubackPacket } from '../../../src/codecs/mqtt/index.js';
import { connectPacket, connectUrlWithConnack, endAll, Inbox, nextOf, RawClient, sleep } from './helpers.js';

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

/**
 * A QoS 2 delivery whose PUBREC the broker has, but not the PUBCOMP, when the broker is
 * killed. MQTT.js and paho hand a QoS 2 message to the application only on PUBREL, and the
 * broker's "PUBREL owed" lives in memory: so the message must still be in its queue after
 * the restart, and come again (docs/mqtt.md, "QoS 2 and restarts").
 */
test('kill -9 between PUBREC and PUBCOMP: the QoS 2 message is delivered again after restart', async () => {
  const dataDir = tempDataDir();
  let broker = await spawnBroker({ dataDir });
  let raw: RawClient | undefined;
  try {
    await waitForPort(broker.ports.mqtt);
    // The subscriber is raw so that it can stop after PUBREC, as a client dying there would.
    raw = await RawClient.open(broker.ports.mqtt, 4);
    raw.write(connectPacket(4, 'q2-crash', { clean: false }));
    assert.equal((await nextOf(raw, PacketType.CONNACK)).type, PacketType.CONNACK);
    raw.write(encodeSubscribe(4, { packetId: 1, properties: {}, subscriptions: [{ topicFilter: 'q2/t', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }));
    assert.deepEqual((await nextOf<SubackPacket>(raw, PacketType.SUBACK)).reasonCodes, [2]);

    const pub = await connect(broker, { clientId: 'q2-crash-pub' });
    pub.on('error', () => undefined);
    await pub.publishAsync('q2/t', 'exactly-once', { qos: 2 });

    const publish = await nextOf<PublishPacket>(raw, PacketType.PUBLISH);
    assert.equal(publish.qos, 2);
    assert.equal(publish.payload.toString(), 'exactly-once');
    raw.write(encodeAck(4, PacketType.PUBREC, publish.packetId!));
    const pubrel = await nextOf<AckPacket>(raw, PacketType.PUBREL);
    assert.equal(pubrel.packetId, publish.packetId);
    // A barrier: a retained QoS 1 message is acknowledged only once it is on disk, and the
    // journal writes in order, so whatever the broker wrote on PUBREC (an ack, if it settled
    // the message then) is on disk too before the kill.
    await pub.publishAsync('q2/barrier', 'sync', { qos: 1, retain: true });
    await endAll(pub);
    // No PUBCOMP: the broker dies owing nothing but the PUBREL it already sent.
    await broker.kill();
    raw.close();
    raw = undefined;

    broker = await spawnBroker({ dataDir, ports: broker.ports });
    await waitForPort(broker.ports.mqtt);
    const { client: after, inbox } = await connectUrlWithConnack(url(broker), { clientId: 'q2-crash', clean: false });
    try {
      await inbox.waitFor(1);
      assert.equal(inbox.messages[0]!.payload.toString(), 'exactly-once');
      assert.equal(inbox.messages[0]!.packet.qos, 2);
      // Settled by the PUBCOMP MQTT.js sent this time: a second restart does not bring it back.
      await sleep(200);
      await broker.stop();
      broker = await spawnBroker({ dataDir, ports: broker.ports });
      await waitForPort(broker.ports.mqtt);
    } finally {
      await endAll(after);
    }
    const { client: again, inbox: inbox2 } = await connectUrlWithConnack(url(broker), { clientId: 'q2-crash', clean: false });
    try {
      const probe = await connect(broker, { clientId: 'q2-crash-probe' });
      await probe.publishAsync('q2/t', 'marker', { qos: 2 });
      await endAll(probe);
      await inbox2.waitFor(1);
      assert.deepEqual(inbox2.messages.map((m) => m.payload.toString()), ['marker']);
    } finally {
      await endAll(again);
    }
  } finally {
    raw?.close();
    await broker.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('QoS 2 past PUBREC: a dropped connection gets PUBREL again, not the message; a broker stop brings the message back', async () => {
  const dataDir = tempDataDir();
  let broker = await spawnBroker({ dataDir });
  const raws: RawClient[] = [];
  const resume = async (): Promise<RawClient> => {
    const raw = await RawClient.open(broker.ports.mqtt, 4);
    raws.push(raw);
    raw.write(connectPacket(4, 'q2-drop', { clean: false }));
    assert.equal((await nextOf(raw, PacketType.CONNACK)).type, PacketType.CONNACK);
    return raw;
  };
  const publish = async (body: string): Promise<void> => {
    const pub = await connect(broker, { clientId: 'q2-drop-pub' });
    try {
      await pub.publishAsync('q2d/t', body, { qos: 2 });
    } finally {
      await endAll(pub);
    }
  };
  /** Receive the next PUBLISH, PUBREC it, and wait for the broker's PUBREL. */
  const receiveUpToPubrel = async (raw: RawClient, body: string): Promise<number> => {
    const p = await nextOf<PublishPacket>(raw, PacketType.PUBLISH);
    assert.equal(p.payload.toString(), body);
    raw.write(encodeAck(4, PacketType.PUBREC, p.packetId!));
    assert.equal((await nextOf<AckPacket>(raw, PacketType.PUBREL)).packetId, p.packetId);
    return p.packetId!;
  };
  try {
    await waitForPort(broker.ports.mqtt);
    let raw = await resume();
    raw.write(encodeSubscribe(4, { packetId: 1, properties: {}, subscriptions: [{ topicFilter: 'q2d/t', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }));
    await nextOf(raw, PacketType.SUBACK);

    // 1. The connection drops after PUBREC: [MQTT-4.4.0-1] PUBREL again with the same id.
    await publish('first');
    const id = await receiveUpToPubrel(raw, 'first');
    raw.close();
    raw = await resume();
    const again = await raw.next();
    assert.ok(again !== 'closed' && again.type === PacketType.PUBREL, 'the resumed session starts with PUBREL');
    assert.equal((again as AckPacket).packetId, id);
    raw.write(encodeAck(4, PacketType.PUBCOMP, id));
    // The message itself is not sent again: the next PUBLISH is the next message.
    await publish('second');
    const id2 = await receiveUpToPubrel(raw, 'second');

    // 2. The broker stops (SIGTERM) before PUBCOMP: the PUBREL it owed dies with it, the message must not.
    assert.equal(await broker.stop(), 0);
    raw.close();
    broker = await spawnBroker({ dataDir, ports: broker.ports });
    await waitForPort(broker.ports.mqtt);
    raw = await resume();
    const back = await nextOf<PublishPacket>(raw, PacketType.PUBLISH);
    assert.equal(back.payload.toString(), 'second');
    assert.equal(back.dup, true);
    assert.ok(back.packetId !== undefined && back.packetId > 0 && id2 > 0);
  } finally {
    for (const r of raws) r.close();
    await broker.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
