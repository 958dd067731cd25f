import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Timestamp } from '../../../src/core/message.js';
import { hasExpired, messageQoS, toCoreProperties, toMqttProperties } from '../../../src/protocols/mqtt/message-adapter.js';

test('MQTT 5 properties -> core properties', () => {
  const now = 1_700_000_000_500;
  const p = toCoreProperties(2, true, {
    contentType: 'application/json',
    responseTopic: 'r/a.b',
    correlationData: Buffer.from('abc'),
    messageExpiryInterval: 10,
    payloadFormatIndicator: 1,
    userProperties: [
      ['k', '1'],
      ['k', '2'],
      ['x', 'y'],
    ],
  }, now);
  assert.equal(p.deliveryMode, 2);
  assert.equal(p.contentType, 'application/json');
  assert.equal(p.replyTo, 'r.a/b');
  assert.equal(p.correlationId, 'abc');
  assert.equal(p.expiration, '10000');
  assert.equal(p.timestamp?.seconds, 1_700_000_000);
  assert.deepEqual(p.headers, { k: ['1', '2'], x: 'y', 'x-mqtt-publish-qos': 2, 'x-mqtt-retain': true, 'x-mqtt-payload-format-indicator': 1 });
  assert.equal(messageQoS(p), 2);
});

test('binary or long correlation data travels as the x-correlation-id header', () => {
  const bin = toCoreProperties(1, false, { correlationData: Buffer.from([0xff, 0]) }, 0);
  assert.equal(bin.correlationId, undefined);
  assert.deepEqual(bin.headers?.['x-correlation-id'], Buffer.from([0xff, 0]));
  const long = toCoreProperties(1, false, { correlationData: Buffer.alloc(256, 0x61) }, 0);
  assert.equal(long.correlationId, undefined);
  assert.equal((long.headers?.['x-correlation-id'] as Buffer).length, 256);
  assert.deepEqual(toMqttProperties(bin, 0)?.correlationData, Buffer.from([0xff, 0]));
});

test('QoS 0 is transient; AMQP messages without the header: persistent -> 1, else 0', () => {
  assert.equal(toCoreProperties(0, false, {}, 0).deliveryMode, 1);
  assert.equal(messageQoS({ deliveryMode: 2 }), 1);
  assert.equal(messageQoS({}), 0);
});

test('core -> MQTT 5: remaining expiry, user properties from headers, internal headers hidden', () => {
  const nowMs = 1_000_000_000_000;
  const props = toMqttProperties(
    {
      contentType: 'text/plain',
      replyTo: 'a.b/c',
      correlationId: 'id',
      expiration: '60000',
      timestamp: new Timestamp(nowMs / 1000 - 15),
      headers: { s: 'v', n: 3, b: true, arr: ['p', 'q'], tbl: { x: 1 }, 'x-mqtt-publish-qos': 1, 'x-mqtt-payload-format-indicator': 1, nul: 'a\u0000b' },
    },
    nowMs,
  );
  assert.ok(props);
  assert.equal(props.contentType, 'text/plain');
  assert.equal(props.responseTopic, 'a/b.c');
  assert.deepEqual(props.correlationData, Buffer.from('id'));
  assert.equal(props.messageExpiryInterval, 45, '60 s minus 15 s waited [MQTT-3.3.2-6]');
  assert.equal(props.payloadFormatIndicator, 1);
  assert.deepEqual(props.userProperties, [
    ['s', 'v'],
    ['n', '3'],
    ['b', 'true'],
    ['arr', 'p'],
    ['arr', 'q'],
  ]);
  const mqtt = { 'x-mqtt-publish-qos': 1 };
  assert.equal(toMqttProperties({ expiration: '1000', timestamp: new Timestamp(nowMs / 1000 - 5), headers: mqtt }, nowMs), undefined, 'expired');
  assert.equal(hasExpired({ expiration: '1000', timestamp: new Timestamp(nowMs / 1000 - 5), headers: mqtt }, nowMs), true);
  assert.equal(hasExpired({ expiration: '10000', timestamp: new Timestamp(nowMs / 1000 - 5), headers: mqtt }, nowMs), false);
  // From AMQP/STOMP the timestamp is the application's, not the arrival time: not subtracted.
  assert.equal(toMqttProperties({ expiration: '1000', timestamp: new Timestamp(nowMs / 1000 - 3600) }, nowMs)?.messageExpiryInterval, 1);
  assert.equal(hasExpired({ expiration: '1000', timestamp: new Timestamp(nowMs / 1000 - 3600) }, nowMs), false);
});
