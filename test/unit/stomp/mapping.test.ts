import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDestination, destinationOf, topicKey } from '../../../src/protocols/stomp/destination.js';
import { appendPropertyHeaders, propertiesFromSend, replyToHeader } from '../../../src/protocols/stomp/message-adapter.js';
import { negotiateHeartbeat } from '../../../src/protocols/stomp/heartbeat.js';
import { negotiateVersion } from '../../../src/protocols/stomp/handlers/connect.js';
import { queueArguments } from '../../../src/protocols/stomp/queue-options.js';
import { StompError } from '../../../src/protocols/stomp/errors.js';
import { newHeaders } from '../../../src/codecs/stomp/frame.js';
import { Timestamp } from '../../../src/core/message.js';

const hdrs = (o: Record<string, string>) => Object.assign(newHeaders(), o);

test('destinations of both conventions', () => {
  assert.deepEqual(parseDestination('/queue/a.b'), { kind: 'queue', name: 'a.b' });
  assert.deepEqual(parseDestination('/topic/a.>'), { kind: 'topic', key: 'a.#' });
  assert.deepEqual(parseDestination('/topic/a.*.c'), { kind: 'topic', key: 'a.*.c' });
  assert.deepEqual(parseDestination('/exchange/amq.direct/rk'), { kind: 'exchange', exchange: 'amq.direct', key: 'rk' });
  assert.deepEqual(parseDestination('/exchange/ex'), { kind: 'exchange', exchange: 'ex', key: '' });
  assert.deepEqual(parseDestination('/exchange/a%2Fb/k/l'), { kind: 'exchange', exchange: 'a/b', key: 'k/l' });
  assert.deepEqual(parseDestination('/amq/queue/q1'), { kind: 'amq-queue', name: 'q1' });
  assert.deepEqual(parseDestination('/temp-queue/r'), { kind: 'temp-queue', name: 'r' });
  assert.deepEqual(parseDestination('/reply-queue/amq.gen-x'), { kind: 'reply-queue', name: 'amq.gen-x' });
  assert.deepEqual(parseDestination('/temp-topic/t'), { kind: 'temp-topic', name: 't' });
  for (const bad of ['queue/a', '/queue/', '/topic/', '/exchange/', '/foo/bar', '', '/exchange//k']) {
    assert.throws(() => parseDestination(bad), StompError, bad);
  }
  assert.equal(topicKey('a>.>'), 'a>.#');
});

test('destination shown on MESSAGE from exchange + routing key', () => {
  assert.equal(destinationOf('', 'q'), '/queue/q');
  assert.equal(destinationOf('amq.topic', 'a.b'), '/topic/a.b');
  assert.equal(destinationOf('amq.direct', 'k'), '/exchange/amq.direct/k');
  assert.equal(destinationOf('a/b', 'k'), '/exchange/a%2Fb/k');
});

test('SEND headers -> properties (RabbitMQ names, ActiveMQ expires)', () => {
  const p = propertiesFromSend(
    hdrs({
      destination: '/queue/a',
      receipt: 'r',
      'content-type': 'text/plain',
      'content-length': '3',
      persistent: 'true',
      priority: '7',
      'correlation-id': 'c1',
      expiration: '5000',
      'amqp-message-id': 'm1',
      type: 't',
      'app-id': 'app',
      timestamp: '1700000000000',
      custom: 'v',
    }),
    '/reply-queue/x',
    0,
  );
  assert.equal(p.contentType, 'text/plain');
  assert.equal(p.deliveryMode, 2);
  assert.equal(p.priority, 7);
  assert.equal(p.correlationId, 'c1');
  assert.equal(p.replyTo, '/reply-queue/x');
  assert.equal(p.expiration, '5000');
  assert.equal(p.messageId, 'm1');
  assert.equal(p.type, 't');
  assert.equal(p.appId, 'app');
  assert.equal(p.timestamp?.seconds, 1700000000);
  assert.deepEqual(p.headers, { custom: 'v' });
  const q = propertiesFromSend(hdrs({ expires: '10500', priority: '999' }), undefined, 10000);
  assert.equal(q.deliveryMode, 1);
  assert.equal(q.expiration, '500');
  assert.equal(q.priority, undefined);
});

test('properties -> MESSAGE headers; protocol header names never shadowed', () => {
  const out: string[] = [];
  appendPropertyHeaders(out, {
    contentType: 'application/json',
    deliveryMode: 2,
    priority: 3,
    replyTo: 'r',
    messageId: 'id1',
    timestamp: new Timestamp(12),
    headers: { a: 'x', n: 5, b: true, big: 7n, bin: Buffer.from('z'), subscription: 'evil', 'message-id': 'evil', arr: ['q'] },
  });
  const pairs: Record<string, string> = {};
  for (let i = 0; i < out.length; i += 2) pairs[out[i]!] = out[i + 1]!;
  assert.deepEqual(pairs, {
    'content-type': 'application/json',
    persistent: 'true',
    priority: '3',
    'reply-to': '/reply-queue/r',
    'amqp-message-id': 'id1',
    timestamp: '12',
    a: 'x',
    n: '5',
    b: 'true',
    big: '7',
  });
});

test('heart-beat negotiation per STOMP 1.2', () => {
  assert.deepEqual(negotiateHeartbeat('0,0', 1000, 1000), { sendMs: 0, receiveMs: 0, header: '1000,1000' });
  assert.deepEqual(negotiateHeartbeat('500,10000', 1000, 1000), { sendMs: 10000, receiveMs: 1000, header: '1000,1000' });
  assert.deepEqual(negotiateHeartbeat('4000,200', 1000, 0), { sendMs: 1000, receiveMs: 0, header: '1000,0' });
  assert.deepEqual(negotiateHeartbeat(undefined, 1000, 1000), { sendMs: 0, receiveMs: 0, header: '1000,1000' });
  assert.equal(negotiateHeartbeat('x,y', 1000, 1000), undefined);
});

test('version negotiation picks the highest common version', () => {
  assert.equal(negotiateVersion(undefined), '1.0');
  assert.equal(negotiateVersion('1.0,1.1,1.2'), '1.2');
  assert.equal(negotiateVersion('1.1'), '1.1');
  assert.equal(negotiateVersion('1.0, 1.1'), '1.1');
  assert.equal(negotiateVersion('2.0'), undefined);
});

test('x- headers become typed queue arguments', () => {
  assert.deepEqual(queueArguments(hdrs({ 'x-queue-type': 'quorum', 'x-max-length': '10', 'x-single-active-consumer': 'true', 'x-priority': '5', other: 'z' })), {
    'x-queue-type': 'quorum',
    'x-max-length': 10,
    'x-single-active-consumer': true,
  });
  assert.throws(() => queueArguments(hdrs({ 'x-message-ttl': 'soon' })), StompError);
});

test('reply-to shown on MESSAGE: destinations as they are, queue names as /reply-queue/, MQTT response topics as /topic/', () => {
  assert.equal(replyToHeader('/queue/replies', undefined), '/queue/replies');
  assert.equal(replyToHeader('/temp-queue/x', { 'x-mqtt-publish-qos': 1 }), '/temp-queue/x');
  assert.equal(replyToHeader('amq.gen-abc', undefined), '/reply-queue/amq.gen-abc');
  assert.equal(replyToHeader('amq.gen-abc', { other: 'x' }), '/reply-queue/amq.gen-abc');
  assert.equal(replyToHeader('resp.dev1', { 'x-mqtt-publish-qos': 0 }), '/topic/resp.dev1');
});
