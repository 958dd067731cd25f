/**
 * The MQTT listeners (issue 4 "Listeners"): plain TCP on 1883 by default, MQTT over
 * WebSocket with subprotocol `mqtt` on paths `/` and `/mqtt` on the WebSocket port
 * (61618 by default), both configurable like every listener.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { defaultConfig, mergeConfig, type WharfConfig } from '../../../src/server/config.js';
import { createLogger } from '../../../src/server/logger.js';
import { WharfServer } from '../../../src/server/server.js';
import type { ConnackPacket, PublishPacket } from '../../../src/codecs/mqtt/index.js';
import { encodePublish, encodeSubscribe } from '../../../src/codecs/mqtt/index.js';
import { freePort, startTestBroker, tempDataDir, type TestBroker } from '../../helpers/broker.js';
import { connectPacket, connectUrlWithConnack, endAll, nextOf, RawClient } from './helpers.js';

test('defaults: MQTT on 1883, MQTT over WebSocket on 61618', () => {
  assert.equal(defaultConfig.listeners.mqtt.port, 1883);
  assert.equal(defaultConfig.listeners.ws.port, 61618);
});

test('the MQTT and WebSocket ports are taken from the configuration', async () => {
  const [mqttPort, wsPort] = [await freePort(), await freePort()];
  const dataDir = tempDataDir();
  // AMQP and STOMP off (port 0) so nothing else competes for a fixed port.
  const config: WharfConfig = mergeConfig(defaultConfig, {
    dataDir,
    log: { level: 'silent' },
    shutdownTimeout: 1,
    listeners: { amqp: { port: 0 }, stomp: { port: 0 }, mqtt: { port: mqttPort }, ws: { port: wsPort } },
  });
  const server = await WharfServer.start(config, createLogger('silent'));
  try {
    const tcp = await connectUrlWithConnack(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'cfg-tcp' });
    const ws = await connectUrlWithConnack(`ws://127.0.0.1:${wsPort}/mqtt`, { clientId: 'cfg-ws' });
    try {
      assert.equal(tcp.connack.returnCode, 0);
      assert.equal(ws.connack.returnCode, 0);
      await ws.client.subscribeAsync('cfg/t', { qos: 1 });
      await tcp.client.publishAsync('cfg/t', 'configured', { qos: 1 });
      assert.equal((await ws.inbox.waitFor(1))[0]?.payload.toString(), 'configured');
    } finally {
      await endAll(tcp.client, ws.client);
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

describe('MQTT over WebSocket', () => {
  let broker: TestBroker;
  before(async () => {
    broker = await startTestBroker();
  });
  after(async () => {
    await broker.stop();
  });

  for (const path of ['/', '/mqtt']) {
    for (const protocolVersion of [4, 5] as const) {
      test(`MQTT.js ${protocolVersion === 4 ? '3.1.1' : '5.0'} on path ${path} (subprotocol mqtt) publishes and receives`, async () => {
        const url = `ws://127.0.0.1:${broker.ports.ws}${path}`;
        const id = `wsp${path.length}${protocolVersion}`;
        const { client, connack, inbox } = await connectUrlWithConnack(url, { protocolVersion, clientId: id });
        try {
          assert.equal(protocolVersion === 5 ? connack.reasonCode : connack.returnCode, 0);
          await client.subscribeAsync(`wsp/${id}`, { qos: 1 });
          await client.publishAsync(`wsp/${id}`, `via ${path}`, { qos: 1 });
          assert.equal((await inbox.waitFor(1))[0]?.payload.toString(), `via ${path}`);
        } finally {
          await endAll(client);
        }
      });
    }
  }

  test('a raw client offering only subprotocol "mqtt" on path / speaks MQTT (not STOMP)', async () => {
    const raw = await RawClient.openWs(broker.ports.ws, 4, '/', 'mqtt');
    try {
      raw.write(connectPacket(4, 'ws-root-raw'));
      const ack = (await raw.next()) as ConnackPacket;
      assert.equal(ack.type, 2, 'CONNACK');
      assert.equal(ack.reasonCode, 0);
      raw.write(encodeSubscribe(4, { packetId: 1, properties: {}, subscriptions: [{ topicFilter: 'ws/root', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }));
      await nextOf(raw, 9);
      raw.write(encodePublish(4, 'ws/root', 0, false, false, 0, undefined, Buffer.from('binary \u0000 ok')));
      const p = await nextOf<PublishPacket>(raw, 3);
      assert.equal(p.payload.toString(), 'binary \u0000 ok');
    } finally {
      raw.close();
    }
  });

  test('a TCP and a WebSocket client exchange messages', async () => {
    const tcp = await connectUrlWithConnack(`mqtt://127.0.0.1:${broker.ports.mqtt}`, { protocolVersion: 5, clientId: 'mix-tcp' });
    const ws = await connectUrlWithConnack(`ws://127.0.0.1:${broker.ports.ws}/`, { protocolVersion: 4, clientId: 'mix-ws' });
    try {
      const fromWs = tcp.inbox;
      await tcp.client.subscribeAsync('mix/to-tcp', { qos: 2 });
      await ws.client.subscribeAsync('mix/to-ws', { qos: 2 });
      await ws.client.publishAsync('mix/to-tcp', 'ws->tcp', { qos: 2 });
      await tcp.client.publishAsync('mix/to-ws', 'tcp->ws', { qos: 2 });
      assert.equal((await fromWs.waitFor(1))[0]?.payload.toString(), 'ws->tcp');
      assert.equal((await ws.inbox.waitFor(1))[0]?.payload.toString(), 'tcp->ws');
    } finally {
      await endAll(tcp.client, ws.client);
    }
  });
});
