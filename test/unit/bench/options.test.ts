import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OptionError, parseArgs } from '../../../src/bench/options.js';

test('defaults: AMQP on 127.0.0.1:5672, 1 -> 1 queue -> 1, 1 KiB, auto-ack, 10 s', () => {
  const o = parseArgs([]);
  assert.equal(o.mode, 'run');
  assert.deepEqual(o.endpoint, { protocol: 'amqp', host: '127.0.0.1', port: 5672, user: 'guest', password: 'guest', vhost: '/' });
  assert.deepEqual(o.consumeEndpoint, o.endpoint);
  assert.equal(o.producers, 1);
  assert.equal(o.consumers, 1);
  assert.equal(o.semantics, 'queue');
  assert.equal(o.size, 1024);
  assert.equal(o.rate, 0);
  assert.equal(o.autoAck, true);
  assert.equal(o.prefetch, 0);
  assert.equal(o.duration, 10);
  assert.equal(o.confirmWindow, 0);
});

test('URLs: credentials, port, percent-encoded vhost; --port overrides', () => {
  const o = parseArgs(['--url', 'amqp://bob:s%40cret@10.0.0.2:5999/%2fprod']);
  assert.deepEqual(o.endpoint, { protocol: 'amqp', host: '10.0.0.2', port: 5999, user: 'bob', password: 's@cret', vhost: '/prod' });
  assert.equal(parseArgs(['--url', 'mqtt://h', '--port', '1']).endpoint.port, 1);
  assert.equal(parseArgs(['--url', 'stomp://h']).endpoint.port, 61613);
  assert.throws(() => parseArgs(['--url', 'amqp://h', '--protocol', 'mqtt']), OptionError);
  assert.throws(() => parseArgs(['--url', 'http://h']), OptionError);
});

test('MQTT is topics; MQTT QoS > 0 always has a packet-id window', () => {
  const o = parseArgs(['--protocol', 'mqtt', '--qos', '1']);
  assert.equal(o.semantics, 'topic');
  assert.equal(o.confirmWindow, 1000);
  assert.equal(o.endpoint.port, 1883);
  assert.throws(() => parseArgs(['--protocol', 'mqtt', '--queues', '2']), /MQTT has no queues/);
  assert.throws(() => parseArgs(['--protocol', 'mqtt', '--confirm-window', '5']), /--qos 1 or 2/);
  assert.throws(() => parseArgs(['--qos', '1']), /MQTT only/);
  assert.equal(parseArgs(['--protocol', 'mqtt', '--mqtt-version', '5']).mqttVersion, 5);
});

test('fan-out, topics and cross-protocol consumers', () => {
  const f = parseArgs(['--fanout', '--consumers', '16']);
  assert.equal(f.semantics, 'topic');
  assert.equal(f.destinations, 1);
  const x = parseArgs(['--protocol', 'mqtt', '--consumer-protocol', 'amqp', '--consumer-port', '5682']);
  assert.equal(x.endpoint.protocol, 'mqtt');
  assert.deepEqual([x.consumeEndpoint.protocol, x.consumeEndpoint.port], ['amqp', 5682]);
  assert.equal(x.semantics, 'topic');
  assert.throws(() => parseArgs(['--queues', '2', '--topics', '2']), OptionError);
});

test('count, duration and drain', () => {
  const c = parseArgs(['--count', '1000']);
  assert.equal(c.duration, 0, 'with --count and no --duration, run until the count is published');
  assert.equal(parseArgs(['--count', '1000', '--duration', '5']).duration, 5);
  assert.throws(() => parseArgs(['--duration', '0']), /needs --count/);
  assert.equal(parseArgs(['--drain', '--count', '10']).drain, true);
  assert.throws(() => parseArgs(['--drain']), /needs --count/);
  assert.throws(() => parseArgs(['--drain', '--count', '10', '--fanout']), /needs queues/);
});

test('manual ack defaults prefetch to 1000; value checks', () => {
  const m = parseArgs(['--manual-ack']);
  assert.equal(m.autoAck, false);
  assert.equal(m.prefetch, 1000);
  assert.throws(() => parseArgs(['--size', '31']), /between 32/);
  assert.throws(() => parseArgs(['--producers', 'x']), /whole number/);
  assert.throws(() => parseArgs(['--rate', '-1']), OptionError);
  assert.throws(() => parseArgs(['--bogus']), /unknown option/);
  assert.throws(() => parseArgs(['--persistent=yes']), /takes no value/);
  assert.throws(() => parseArgs(['--run-id', 'a/b']), OptionError);
  assert.throws(() => parseArgs(['--auto-ack', '--manual-ack']), OptionError);
  assert.equal(parseArgs(['--rate=1500.5']).rate, 1500.5);
  assert.equal(parseArgs([]).maxDrain, 120);
  assert.equal(parseArgs(['--max-drain', '30']).maxDrain, 30);
});

test('other modes', () => {
  assert.equal(parseArgs(['--help']).mode, 'help');
  assert.equal(parseArgs(['--null-sink', '--port', '0']).mode, 'null-sink');
  const i = parseArgs(['--idle-connections', '10000', '--protocol', 'stomp']);
  assert.equal(i.mode, 'idle');
  assert.equal(i.idleConnections, 10000);
});
