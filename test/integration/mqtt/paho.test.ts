import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { useSharedBroker } from '../../helpers/broker.js';
import { connectClient, endAll, Inbox, sleep } from './helpers.js';

// Debian's python3-paho-mqtt 1.6.1 lives with /usr/bin/python3 only (see docs/mqtt.md).
const PYTHON = '/usr/bin/python3';
const script = (name: string): string => join(process.cwd(), 'test', 'integration', 'mqtt', 'py', name);

function runPython(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PYTHON, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const broker = useSharedBroker();

test("the issue's paho program receives what a second client publishes to test/topic", async () => {
  const run = runPython([script('subscriber.py'), '127.0.0.1', String(broker.ports.mqtt), '3'], 15_000);
  const pub = await connectClient(broker, 'tcp', { clientId: 'paho-feeder' });
  let stop = false;
  // The program prints nothing until a message arrives; publish until it exits.
  const feeding = (async () => {
    for (let i = 0; !stop && i < 25; i++) {
      await pub.publishAsync('test/topic', 'hello from MQTT.js', { qos: 0 });
      await sleep(100);
    }
  })();
  const res = await run;
  stop = true;
  await feeding;
  await endAll(pub);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /^Received message: hello from MQTT\.js$/m);
});

for (const version of ['31', '311', '5'] as const) {
  test(`paho publishes with MQTT ${version} at QoS 2; MQTT.js receives it`, async () => {
    const sub = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: `paho-sub-${version}` });
    try {
      const inbox = new Inbox(sub);
      await sub.subscribeAsync(`paho/${version}`, { qos: 2 });
      const res = await runPython([script('publisher.py'), '127.0.0.1', String(broker.ports.mqtt), version, `paho/${version}`, `v${version}`, '2'], 15_000);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /^published$/m);
      const [m] = await inbox.waitFor(1);
      assert.equal(m?.payload.toString(), `v${version}`);
      assert.equal(m?.packet.qos, 2);
    } finally {
      await endAll(sub);
    }
  });
}

for (const transport of ['tcp', 'websockets'] as const) {
  for (const version of ['31', '311', '5'] as const) {
    test(`paho MQTT ${version} over ${transport}: subscribes, publishes and receives its own QoS 2 message`, async () => {
      const port = transport === 'tcp' ? broker.ports.mqtt : broker.ports.ws;
      const topic = `paho/rt/${transport}/${version}`;
      const res = await runPython([script('roundtrip.py'), '127.0.0.1', String(port), version, transport, topic, `hi ${version}`], 20_000);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /^granted \[2\]$/m);
      assert.match(res.stdout, /^published$/m);
      assert.match(res.stdout, new RegExp(`^received ${topic} hi ${version} qos=2$`, 'm'));
    });
  }
}
