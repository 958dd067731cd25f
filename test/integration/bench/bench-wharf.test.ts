/**
 * Short `wharf bench` runs against a real Wharf (startTestBroker): every protocol's
 * lean client, queues and topics, confirms/receipts/QoS 1, manual acks, fan-out and
 * MQTT -> AMQP. Each run is count-based (no timing involved) and must end with zero
 * loss, zero duplicates and nothing corrupt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSharedBroker, type TestBroker } from '../../helpers/broker.js';
import { runIdle } from '../../../src/bench/idle.js';
import { parseArgs } from '../../../src/bench/options.js';
import { runThroughput } from '../../../src/bench/run.js';

const broker = useSharedBroker();
const quiet = { line: (): void => undefined };

const cases: [string, (p: TestBroker['ports']) => string[], number][] = [
  ['AMQP queue, auto-ack', (p) => ['--protocol', 'amqp', '--port', String(p.amqp)], 1],
  ['AMQP persistent, confirms, manual ack, 2 -> 2 queues -> 4', (p) => ['--protocol', 'amqp', '--port', String(p.amqp), '--persistent', '--confirm-window', '100', '--manual-ack', '--prefetch', '50', '--producers', '2', '--queues', '2', '--consumers', '4'], 1],
  ['AMQP fan-out to 4 consumers, multi-ack', (p) => ['--protocol', 'amqp', '--port', String(p.amqp), '--fanout', '--consumers', '4', '--manual-ack', '--multi-ack'], 4],
  ['MQTT QoS 1, 2 -> 2 topics -> 2', (p) => ['--protocol', 'mqtt', '--port', String(p.mqtt), '--qos', '1', '--producers', '2', '--topics', '2', '--consumers', '2'], 1],
  ['MQTT 5 QoS 2', (p) => ['--protocol', 'mqtt', '--port', String(p.mqtt), '--qos', '2', '--mqtt-version', '5'], 1],
  ['STOMP persistent with receipts, client-individual acks', (p) => ['--protocol', 'stomp', '--port', String(p.stomp), '--persistent', '--confirm-window', '100', '--manual-ack'], 1],
  ['STOMP topic fan-out to 3', (p) => ['--protocol', 'stomp', '--port', String(p.stomp), '--fanout', '--consumers', '3'], 3],
  ['MQTT in, AMQP out', (p) => ['--protocol', 'mqtt', '--port', String(p.mqtt), '--consumer-protocol', 'amqp', '--consumer-port', String(p.amqp)], 1],
];

for (const [name, args, fan] of cases) {
  test(`bench against Wharf: ${name}: no loss, no duplicates`, async () => {
    const count = 3000;
    const o = parseArgs([...args(broker.ports), '--count', String(count), '--size', '256', '--quiet', '--drain-timeout', '10']);
    const r = await runThroughput(o, quiet);
    assert.deepEqual(r.errors, []);
    assert.equal(r.sent.count, count);
    assert.equal(r.delivery.expected, count * fan);
    assert.equal(r.delivery.lost, 0);
    assert.equal(r.delivery.duplicates, 0);
    assert.equal(r.delivery.unexpected, 0);
    assert.equal(r.corrupt, 0);
    assert.equal(r.received.count, count * fan);
    assert.equal(r.latencyMs.count, count * fan);
    if (o.confirmWindow > 0) {
      assert.equal(r.confirmed, count);
      assert.equal(r.nacked, 0);
    }
  });
}

test('bench against Wharf: publish then drain (AMQP)', async () => {
  const o = parseArgs(['--protocol', 'amqp', '--port', String(broker.ports.amqp), '--count', '5000', '--drain', '--size', '128', '--quiet']);
  const r = await runThroughput(o, quiet);
  assert.deepEqual(r.errors, []);
  assert.ok(r.drain !== null);
  assert.equal(r.drain.publish.count, 5000);
  assert.equal(r.drain.consume.count, 5000);
  assert.equal(r.delivery.lost, 0);
  assert.equal(r.delivery.duplicates, 0);
});

test('bench against Wharf: idle connections on every protocol', async () => {
  for (const [protocol, port] of [['amqp', broker.ports.amqp], ['mqtt', broker.ports.mqtt], ['stomp', broker.ports.stomp]] as const) {
    const o = parseArgs(['--protocol', protocol, '--port', String(port), '--idle-connections', '50', '--hold', '0', '--quiet']);
    const r = await runIdle(o, quiet);
    assert.equal(r.connected, 50, `${protocol}: ${r.firstError}`);
    assert.equal(r.failed, 0);
  }
});
