/**
 * Cross-protocol delivery through the shared core, with properties mapped per
 * docs/message-mapping.md: STOMP <-> AMQP 0-9-1 (amqplib) and STOMP <-> MQTT (MQTT.js).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { useSharedBroker } from '../../helpers/broker.js';
import { frame, rawConnected, withTimeout } from './helpers.js';

const broker = useSharedBroker();

test('STOMP SEND -> amqplib consumer: headers map to AMQP properties', async () => {
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
  try {
    const ch = await conn.createChannel();
    await ch.assertQueue('xp-to-amqp', { durable: true });
    const got = new Promise<amqp.ConsumeMessage>((resolve) => {
      void ch.consume('xp-to-amqp', (m) => m && resolve(m), { noAck: true });
    });
    const s = await rawConnected(broker.ports.stomp);
    s.write(
      frame(
        'SEND',
        {
          destination: '/queue/xp-to-amqp',
          'content-type': 'application/json',
          'content-encoding': 'utf-8',
          'correlation-id': 'corr-1',
          'reply-to': '/queue/replies',
          priority: '5',
          persistent: 'true',
          expiration: '60000',
          'amqp-message-id': 'mid-1',
          type: 'order.created',
          'app-id': 'shop',
          custom: 'value',
          receipt: 'r',
        },
        '{"a":1}',
      ),
    );
    await s.receipt('r');
    const m = await withTimeout(got, 5000, 'AMQP delivery');
    assert.equal(m.content.toString(), '{"a":1}');
    assert.equal(m.properties.contentType, 'application/json');
    assert.equal(m.properties.contentEncoding, 'utf-8');
    assert.equal(m.properties.correlationId, 'corr-1');
    assert.equal(m.properties.replyTo, '/queue/replies');
    assert.equal(m.properties.priority, 5);
    assert.equal(m.properties.deliveryMode, 2);
    assert.equal(m.properties.expiration, '60000');
    assert.equal(m.properties.messageId, 'mid-1');
    assert.equal(m.properties.type, 'order.created');
    assert.equal(m.properties.appId, 'shop');
    assert.equal(m.properties.headers?.['custom'], 'value');
    assert.equal(m.fields.exchange, '');
    assert.equal(m.fields.routingKey, 'xp-to-amqp');
    s.close();
  } finally {
    await conn.close();
  }
});

test('amqplib publish -> STOMP subscriber on /topic/: properties map to STOMP headers', async () => {
  const s = await rawConnected(broker.ports.stomp);
  s.write(frame('SUBSCRIBE', { id: 't', destination: '/topic/xp.amqp.*', receipt: 'sub' }));
  await s.receipt('sub');
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
  try {
    const ch = await conn.createConfirmChannel();
    ch.publish('amq.topic', 'xp.amqp.one', Buffer.from('from amqp'), {
      contentType: 'text/plain',
      correlationId: 'c-9',
      replyTo: 'amqp-replies',
      priority: 3,
      deliveryMode: 2,
      messageId: 'm-9',
      timestamp: 1_700_000_000,
      type: 'kind',
      headers: { n: 42, flag: true, s: 'str' },
    });
    await ch.waitForConfirms();
    const m = await s.expect('MESSAGE');
    assert.equal(m.body.toString(), 'from amqp');
    assert.equal(m.headers['destination'], '/topic/xp.amqp.one');
    assert.equal(m.headers['content-type'], 'text/plain');
    assert.equal(m.headers['correlation-id'], 'c-9');
    // A bare queue name is shown the way RabbitMQ shows it: a destination a STOMP client can SEND to.
    assert.equal(m.headers['reply-to'], '/reply-queue/amqp-replies');
    assert.equal(m.headers['priority'], '3');
    assert.equal(m.headers['persistent'], 'true');
    assert.equal(m.headers['amqp-message-id'], 'm-9');
    assert.equal(m.headers['timestamp'], '1700000000');
    assert.equal(m.headers['type'], 'kind');
    assert.equal(m.headers['n'], '42');
    assert.equal(m.headers['flag'], 'true');
    assert.equal(m.headers['s'], 'str');
  } finally {
    await conn.close();
    s.close();
  }
});

test('amqplib sendToQueue -> STOMP /amq/queue/ consumer with client ack', async () => {
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
  try {
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('xp-from-amqp', { durable: true });
    ch.sendToQueue('xp-from-amqp', Buffer.from([0, 1, 2, 3]));
    await ch.waitForConfirms();
    const s = await rawConnected(broker.ports.stomp);
    s.write(frame('SUBSCRIBE', { id: 'q', destination: '/amq/queue/xp-from-amqp', ack: 'client-individual' }));
    const m = await s.expect('MESSAGE');
    assert.deepEqual([...m.body], [0, 1, 2, 3]);
    assert.equal(m.headers['destination'], '/queue/xp-from-amqp');
    s.write(frame('ACK', { id: m.headers['ack']!, receipt: 'a' }));
    await s.receipt('a');
    const q = await ch.checkQueue('xp-from-amqp');
    assert.equal(q.messageCount, 0);
    s.close();
  } finally {
    await conn.close();
  }
});

test('MQTT.js publish sensors/1/temp -> STOMP /topic/sensors.1.temp', async () => {
  const s = await rawConnected(broker.ports.stomp);
  s.write(frame('SUBSCRIBE', { id: 'm', destination: '/topic/sensors.*.temp', receipt: 'sub' }));
  await s.receipt('sub');
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.mqtt}`, { protocolVersion: 5, clientId: 'xp-pub', reconnectPeriod: 0 });
  try {
    await client.publishAsync('sensors/1/temp', '21.5', { qos: 1, properties: { contentType: 'text/plain', userProperties: { unit: 'C' } } });
    const m = await s.expect('MESSAGE');
    assert.equal(m.body.toString(), '21.5');
    assert.equal(m.headers['destination'], '/topic/sensors.1.temp');
    assert.equal(m.headers['content-type'], 'text/plain');
    assert.equal(m.headers['unit'], 'C');
  } finally {
    await client.endAsync();
    s.close();
  }
});

test('STOMP SEND /topic/sensors.2.temp -> MQTT.js subscriber on sensors/+/temp', async () => {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.mqtt}`, { clientId: 'xp-sub', reconnectPeriod: 0 });
  try {
    await client.subscribeAsync('sensors/+/temp', { qos: 1 });
    const got = new Promise<{ topic: string; payload: Buffer }>((resolve) => client.once('message', (topic, payload) => resolve({ topic, payload })));
    const s = await rawConnected(broker.ports.stomp);
    s.write(frame('SEND', { destination: '/topic/sensors.2.temp', receipt: 'r' }, '19.0'));
    await s.receipt('r');
    const m = await withTimeout(got, 5000, 'MQTT delivery');
    assert.equal(m.topic, 'sensors/2/temp');
    assert.equal(m.payload.toString(), '19.0');
    s.close();
  } finally {
    await client.endAsync();
  }
});

test('RPC, STOMP requester -> amqplib responder: /temp-queue/ reply-to is a queue name AMQP can publish to', async () => {
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
  const requester = await rawConnected(broker.ports.stomp);
  try {
    const ch = await conn.createChannel();
    await ch.assertQueue('xp-rpc-amqp-service', { durable: false });
    // The AMQP service answers on the default exchange with routing key = reply_to (the usual RPC code).
    const seen = new Promise<string>((resolve) => {
      void ch.consume('xp-rpc-amqp-service', (m) => {
        if (m === null) return;
        resolve(m.properties.replyTo as string);
        ch.publish('', m.properties.replyTo as string, Buffer.from('answer:' + m.content.toString()), { correlationId: m.properties.correlationId as string });
      }, { noAck: true });
    });
    requester.write(frame('SEND', { destination: '/queue/xp-rpc-amqp-service', 'reply-to': '/temp-queue/rpc', 'correlation-id': 'q1' }, 'question'));
    const replyTo = await withTimeout(seen, 5000, 'the AMQP service to get the request');
    assert.match(replyTo, /^[^/]/, `AMQP sees a queue name, not a STOMP destination: ${replyTo}`);
    const reply = await requester.expect('MESSAGE');
    assert.equal(reply.body.toString(), 'answer:question');
    assert.equal(reply.headers['correlation-id'], 'q1');
    assert.equal(reply.headers['subscription'], '/temp-queue/rpc');
    assert.equal(reply.headers['destination'], '/temp-queue/rpc');
  } finally {
    requester.close();
    await conn.close();
  }
});

test('RPC, amqplib requester -> STOMP responder: reply_to shown as /reply-queue/<queue>, and the reply arrives', async () => {
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
  const service = await rawConnected(broker.ports.stomp);
  try {
    service.write(frame('SUBSCRIBE', { id: 'svc', destination: '/queue/xp-rpc-stomp-service', receipt: 'sub' }));
    await service.receipt('sub');
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    const reply = new Promise<amqp.ConsumeMessage>((resolve) => {
      void ch.consume(queue, (m) => m && resolve(m), { noAck: true });
    });
    ch.sendToQueue('xp-rpc-stomp-service', Buffer.from('ping'), { replyTo: queue, correlationId: 'k7' });
    const req = await service.expect('MESSAGE');
    assert.equal(req.headers['reply-to'], `/reply-queue/${queue}`);
    service.write(frame('SEND', { destination: req.headers['reply-to']!, 'correlation-id': req.headers['correlation-id']! }, 'pong'));
    const m = await withTimeout(reply, 5000, 'the reply on the AMQP reply queue');
    assert.equal(m.content.toString(), 'pong');
    assert.equal(m.properties.correlationId, 'k7');
  } finally {
    service.close();
    await conn.close();
  }
});

test('RPC, MQTT 5 requester -> STOMP responder: the Response Topic is shown as /topic/ and the reply reaches MQTT', async () => {
  const service = await rawConnected(broker.ports.stomp);
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.mqtt}`, { protocolVersion: 5, clientId: 'xp-rpc', reconnectPeriod: 0 });
  try {
    service.write(frame('SUBSCRIBE', { id: 'svc', destination: '/topic/rpc.requests', receipt: 'sub' }));
    await service.receipt('sub');
    await client.subscribeAsync('rpc/replies/xp', { qos: 1 });
    const got = new Promise<{ topic: string; payload: Buffer }>((resolve) => client.once('message', (topic, payload) => resolve({ topic, payload })));
    await client.publishAsync('rpc/requests', 'ask', { qos: 1, properties: { responseTopic: 'rpc/replies/xp' } });
    const req = await service.expect('MESSAGE');
    assert.equal(req.headers['reply-to'], '/topic/rpc.replies.xp');
    service.write(frame('SEND', { destination: req.headers['reply-to']! }, 'told'));
    const m = await withTimeout(got, 5000, 'the MQTT reply');
    assert.equal(m.topic, 'rpc/replies/xp');
    assert.equal(m.payload.toString(), 'told');
  } finally {
    await client.endAsync();
    service.close();
  }
});

test('STOMP SEND -> MQTT 5 subscriber: content-type, correlation-id, user headers and persistence map per docs/message-mapping.md', async () => {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.mqtt}`, { protocolVersion: 5, clientId: 'xp-props', reconnectPeriod: 0 });
  try {
    await client.subscribeAsync('props/+/x', { qos: 1 });
    const got = new Promise<{ topic: string; payload: Buffer; packet: mqtt.IPublishPacket }>((resolve) =>
      client.once('message', (topic, payload, packet) => resolve({ topic, payload, packet })),
    );
    const s = await rawConnected(broker.ports.stomp);
    s.write(frame('SEND', { destination: '/topic/props.1.x', 'content-type': 'application/json', 'correlation-id': 'corr-m', persistent: 'true', site: 'north', receipt: 'r' }, '{"v":1}'));
    await s.receipt('r');
    const m = await withTimeout(got, 5000, 'MQTT delivery');
    assert.equal(m.topic, 'props/1/x');
    assert.equal(m.payload.toString(), '{"v":1}');
    // persistent:true is delivery mode 2, which MQTT subscribers get at QoS 1 (min with the subscription's QoS).
    assert.equal(m.packet.qos, 1);
    assert.equal(m.packet.properties?.contentType, 'application/json');
    assert.equal(Buffer.from(m.packet.properties?.correlationData ?? []).toString(), 'corr-m');
    assert.deepEqual(m.packet.properties?.userProperties?.['site'], 'north');
    s.close();
  } finally {
    await client.endAsync();
  }
});
