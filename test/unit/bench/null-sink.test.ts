import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runIdle } from '../../../src/bench/idle.js';
import { startNullSink } from '../../../src/bench/null-sink/index.js';
import { parseArgs, type Protocol } from '../../../src/bench/options.js';
import { runThroughput } from '../../../src/bench/run.js';

const quiet = { line: (): void => undefined };

// The bench's producers against its own null sink: every message published is
// received by the sink and every confirm (ack / PUBACK / RECEIPT) comes back.
for (const [protocol, extra] of [
  ['amqp', ['--confirm-window', '100']],
  ['amqp', []],
  ['mqtt', ['--qos', '1', '--confirm-window', '100']],
  ['mqtt', ['--qos', '2', '--mqtt-version', '5']],
  ['stomp', ['--confirm-window', '100', '--persistent']],
] as [Protocol, string[]][]) {
  test(`${protocol} ${extra.join(' ')}: 5000 messages from 2 producers reach the null sink`, async () => {
    const sink = await startNullSink(protocol, 0);
    try {
      const o = parseArgs(['--protocol', protocol, '--port', String(sink.port), '--producers', '2', '--consumers', '0', '--count', '5000', '--size', '200', '--quiet', ...extra]);
      const r = await runThroughput(o, quiet);
      assert.deepEqual(r.errors, []);
      assert.equal(r.sent.count, 5000);
      assert.equal(sink.stats.messages, 5000);
      const confirmed = extra.includes('--confirm-window') || extra.includes('--qos');
      assert.equal(r.confirmed, confirmed ? 5000 : 0);
      assert.equal(r.inflightAtEnd, 0);
      assert.equal(r.delivery.expected, 0, 'no consumer, nothing expected');
    } finally {
      await sink.close();
    }
  });
}

test('idle connections: every handshake completes against the null sink', async () => {
  for (const protocol of ['amqp', 'mqtt', 'stomp'] as Protocol[]) {
    const sink = await startNullSink(protocol, 0);
    try {
      const o = parseArgs(['--protocol', protocol, '--port', String(sink.port), '--idle-connections', '60', '--connect-concurrency', '20', '--hold', '0', '--quiet']);
      const r = await runIdle(o, quiet);
      assert.equal(r.connected, 60, `${protocol}: ${r.firstError}`);
      assert.equal(r.failed, 0);
      assert.equal(sink.stats.connections, 60);
    } finally {
      await sink.close();
    }
  }
});

test('a refused connection is reported as an error, not a hang', async () => {
  const sink = await startNullSink('amqp', 0);
  const port = sink.port;
  await sink.close();
  const o = parseArgs(['--port', String(port), '--count', '10', '--quiet']);
  const r = await runThroughput(o, quiet);
  assert.equal(r.errors.length > 0, true);
  assert.match(r.errors[0]!, /ECONNREFUSED/);
});
