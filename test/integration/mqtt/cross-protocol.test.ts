/**
 * MQTT <-> AMQP on the shared core (DESIGN §1, docs/message-mapping.md "MQTT").
 *
 * The first group drives the AMQP side through the core's VirtualHost API (the same
 * contract the AMQP 0-9-1 layer uses), so it checks the mapping independently of that
 * layer. The second group uses amqplib against the live AMQP 0-9-1 listener.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import amqplib from 'amqplib';
import type { Principal, User, ConnectionId, VirtualHost } from '../../../src/core/api.js';
import { useSharedBroker } from '../../helpers/broker.js';
import { connectClient, endAll, Inbox, sleep, TRANSPORTS } from './helpers.js';

const broker = useSharedBroker();

function core(): { vhost: VirtualHost; p: Principal } {
  const b = broker.server().broker;
  const user = b.authenticate('guest', 'guest', '127.0.0.1') as User;
  return { vhost: b.getVhost('/')!, p: { user, connectionId: 0x7fff_0001 as ConnectionId } };
}

describe('MQTT <-> core (the AMQP model)', () => {
  test('an MQTT 5 publish reaches a queue bound to amq.topic with the mapped key and properties', async () => {
    const { vhost, p } = core();
    vhost.declareQueue(p, 'xp-q1', { durable: false, exclusive: false, autoDelete: false, arguments: {} }, false);
    vhost.bind(p, { source: 'amq.topic', destinationKind: 'queue', destination: 'xp-q1', routingKey: 'sensors.*.temp', arguments: {} });
    const c = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'xp-pub' });
    try {
      await c.publishAsync('sensors/1/temp', Buffer.from([1, 2, 3]), {
        qos: 1,
        properties: {
          contentType: 'application/octet-stream',
          correlationData: Buffer.from('corr-1'),
          responseTopic: 'replies/dev.1',
          userProperties: { site: 'north' },
          messageExpiryInterval: 30,
          payloadFormatIndicator: false,
        },
      });
      const d = vhost.get(p, 'xp-q1', true);
      assert.ok(d, 'routed to the AMQP queue');
      assert.equal(d.message.routingKey, 'sensors.1.temp');
      assert.deepEqual(d.message.body, Buffer.from([1, 2, 3]));
      const props = d.message.properties;
      assert.equal(props.deliveryMode, 2, 'QoS 1 is persistent');
      assert.equal(props.contentType, 'application/octet-stream');
      assert.equal(props.correlationId, 'corr-1');
      assert.equal(props.replyTo, 'replies.dev/1', "'/' and '.' swapped like the topic");
      assert.equal(props.expiration, '30000');
      assert.equal(props.headers?.site, 'north');
      assert.equal(props.headers?.['x-mqtt-publish-qos'], 1);
      assert.equal(props.headers?.['x-mqtt-payload-format-indicator'], 0);
    } finally {
      await endAll(c);
      vhost.deleteQueue(p, 'xp-q1', false, false);
    }
  });

  test("a '.' inside an MQTT topic level becomes '/' in the routing key and back", async () => {
    const { vhost, p } = core();
    vhost.declareQueue(p, 'xp-q2', { durable: false, exclusive: false, autoDelete: false, arguments: {} }, false);
    vhost.bind(p, { source: 'amq.topic', destinationKind: 'queue', destination: 'xp-q2', routingKey: 'v1/2.#', arguments: {} });
    const c = await connectClient(broker, 'tcp', { clientId: 'xp-dot' });
    const inbox = new Inbox(c);
    try {
      await c.subscribeAsync('v1.2/+', { qos: 1 });
      await c.publishAsync('v1.2/x', 'dotted', { qos: 1 });
      assert.equal(vhost.get(p, 'xp-q2', true)?.message.routingKey, 'v1/2.x');
      assert.equal((await inbox.waitFor(1))[0]?.topic, 'v1.2/x');
    } finally {
      await endAll(c);
      vhost.deleteQueue(p, 'xp-q2', false, false);
    }
  });

  test('a publish to amq.topic reaches MQTT 3.1.1 and 5 subscribers with mapped properties', async () => {
    const { vhost, p } = core();
    const c5 = await connectClient(broker, 'ws', { protocolVersion: 5, clientId: 'xp-sub5' });
    const c4 = await connectClient(broker, 'tcp', { protocolVersion: 4, clientId: 'xp-sub4' });
    const i5 = new Inbox(c5);
    const i4 = new Inbox(c4);
    try {
      await c5.subscribeAsync('cmd/+', { qos: 1 });
      await c4.subscribeAsync('cmd/#', { qos: 1 });
      vhost.publish(p, 'amq.topic', 'cmd.dev1', { contentType: 'text/plain', correlationId: 'c-9', replyTo: 'resp.dev1', headers: { tenant: 'a', n: 5 }, deliveryMode: 2 }, Buffer.from('reboot'), { mandatory: false });
      const [m5] = await i5.waitFor(1);
      const [m4] = await i4.waitFor(1);
      assert.equal(m4?.topic, 'cmd/dev1');
      assert.equal(m4?.payload.toString(), 'reboot');
      assert.equal(m4?.packet.qos, 1, 'persistent AMQP messages are QoS 1');
      assert.equal(m5?.topic, 'cmd/dev1');
      const props = m5!.packet.properties!;
      assert.equal(props.contentType, 'text/plain');
      assert.deepEqual(props.correlationData, Buffer.from('c-9'));
      assert.equal(props.responseTopic, 'resp/dev1');
      assert.deepEqual({ ...props.userProperties }, { tenant: 'a', n: '5' });
    } finally {
      await endAll(c5, c4);
    }
  });
});

const amqp = (): Promise<amqplib.ChannelModel> =>
  amqplib.connect({ hostname: '127.0.0.1', port: broker.ports.amqp, username: 'guest', password: 'guest', heartbeat: 0 });

async function getOne(ch: amqplib.Channel, queue: string): Promise<amqplib.GetMessage> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (m !== false) return m;
    if (Date.now() > deadline) throw new Error('no message in the AMQP queue');
    await sleep(20);
  }
}

describe('MQTT <-> amqplib', () => {
  test('an MQTT publish reaches an AMQP queue bound to amq.topic with key a.b', async () => {
    const conn = await amqp();
    const mq = await connectClient(broker, 'tcp', { protocolVersion: 5, clientId: 'amqp-x1' });
    try {
      const ch = await conn.createChannel();
      const q = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(q.queue, 'amq.topic', 'a.b');
      await mq.publishAsync('a/b', 'to amqp', { qos: 1, properties: { contentType: 'text/plain', userProperties: { k: 'v' }, correlationData: Buffer.from('id-1') } });
      const m = await getOne(ch, q.queue);
      assert.equal(m.content.toString(), 'to amqp');
      assert.equal(m.fields.routingKey, 'a.b');
      assert.equal(m.fields.exchange, 'amq.topic');
      assert.equal(m.properties.contentType, 'text/plain');
      assert.equal(m.properties.correlationId, 'id-1');
      assert.equal(m.properties.deliveryMode, 2);
      assert.equal(m.properties.headers?.k, 'v');
    } finally {
      await endAll(mq);
      await conn.close();
    }
  });

  test('an AMQP publish to amq.topic reaches MQTT subscribers', async () => {
    const conn = await amqp();
    const mq = await connectClient(broker, 'ws', { protocolVersion: 5, clientId: 'amqp-x2' });
    try {
      const inbox = new Inbox(mq);
      await mq.subscribeAsync('a/+', { qos: 1 });
      const ch = await conn.createChannel();
      ch.publish('amq.topic', 'a.c', Buffer.from('from amqp'), { persistent: true, contentType: 'text/plain', replyTo: 'r.s', headers: { h: 'x' } });
      const [m] = await inbox.waitFor(1);
      assert.equal(m?.topic, 'a/c');
      assert.equal(m?.payload.toString(), 'from amqp');
      assert.equal(m?.packet.properties?.contentType, 'text/plain');
      assert.equal(m?.packet.properties?.responseTopic, 'r/s');
      assert.deepEqual({ ...m?.packet.properties?.userProperties }, { h: 'x' });
    } finally {
      await endAll(mq);
      await conn.close();
    }
  });
});

for (const transport of TRANSPORTS) {
  describe(`MQTT over ${transport} <-> amqplib: the mapping table`, () => {
    test('MQTT 5 properties arrive as AMQP properties; QoS 0 is transient, QoS 1 persistent; an AMQP binding x.*.# matches x/dev', async () => {
      const conn = await amqp();
      const mq = await connectClient(broker, transport, { protocolVersion: 5, clientId: `map-pub-${transport}` });
      try {
        const ch = await conn.createChannel();
        const q = await ch.assertQueue('', { exclusive: true });
        await ch.bindQueue(q.queue, 'amq.topic', `map${transport}.*.#`);
        await mq.publishAsync(`map${transport}/dev/t`, 'q1', {
          qos: 1,
          properties: { responseTopic: 'reply/to/me', messageExpiryInterval: 60, userProperties: { multi: ['1', '2'] }, payloadFormatIndicator: true },
        });
        await mq.publishAsync(`map${transport}/dev`, 'q0', { qos: 0 });
        await mq.publishAsync(`other${transport}/dev`, 'not bound', { qos: 0 });
        const m1 = await getOne(ch, q.queue);
        const m0 = await getOne(ch, q.queue);
        assert.equal(m1.content.toString(), 'q1');
        assert.equal(m1.fields.routingKey, `map${transport}.dev.t`);
        assert.equal(m1.properties.deliveryMode, 2);
        assert.equal(m1.properties.replyTo, 'reply.to.me');
        assert.equal(m1.properties.expiration, '60000');
        assert.equal(m1.properties.headers?.['x-mqtt-publish-qos'], 1);
        assert.equal(m1.properties.headers?.['x-mqtt-payload-format-indicator'], 1);
        assert.deepEqual(m1.properties.headers?.multi, ['1', '2']);
        assert.equal(m0.content.toString(), 'q0');
        assert.equal(m0.fields.routingKey, `map${transport}.dev`, "binding 'x.*.#' matches key 'x.dev' (# is zero or more words)");
        assert.notEqual(m0.properties.deliveryMode, 2, 'QoS 0 is transient');
        assert.equal(await ch.get(q.queue, { noAck: true }), false, 'nothing else was routed');
      } finally {
        await endAll(mq);
        await conn.close();
      }
    });

    test('MQTT filter a/+/# is the binding a.*.#; AMQP messages reach MQTT 3.1.1 at QoS 1 when persistent, else QoS 0; MQTT 5 gets correlation id and expiry', async () => {
      const conn = await amqp();
      const m4 = await connectClient(broker, transport, { protocolVersion: 4, clientId: `map-s4-${transport}` });
      const m5 = await connectClient(broker, transport, { protocolVersion: 5, clientId: `map-s5-${transport}` });
      try {
        const i4 = new Inbox(m4);
        const i5 = new Inbox(m5);
        await m4.subscribeAsync(`amqpin/${transport}/+/#`, { qos: 2 });
        const keys = broker.server().broker.getVhost('/')!.listBindings().filter((b) => b.source === 'amq.topic' && b.destination === `mqtt-subscription-map-s4-${transport}qos1`).map((b) => b.routingKey);
        assert.deepEqual(keys, [`amqpin.${transport}.*.#`]);
        await m5.subscribeAsync(`amqpin/${transport}/+/x`, { qos: 2 });
        const ch = await conn.createChannel();
        ch.publish('amq.topic', `amqpin.${transport}.p.x`, Buffer.from('persistent'), { persistent: true, correlationId: 'corr-7', expiration: '90000' });
        ch.publish('amq.topic', `amqpin.${transport}.t.x`, Buffer.from('transient'), { persistent: false });
        const got4 = await i4.waitFor(2);
        const byPayload = new Map(got4.map((m) => [m.payload.toString(), m]));
        assert.equal(byPayload.get('persistent')?.packet.qos, 1);
        assert.equal(byPayload.get('persistent')?.topic, `amqpin/${transport}/p/x`);
        assert.equal(byPayload.get('transient')?.packet.qos, 0);
        const got5 = await i5.waitFor(2);
        const p5 = got5.find((m) => m.payload.toString() === 'persistent')!;
        assert.deepEqual(p5.packet.properties?.correlationData, Buffer.from('corr-7'));
        const left = p5.packet.properties?.messageExpiryInterval ?? 0;
        assert.ok(left > 80 && left <= 90, `expiration 90000 ms -> Message Expiry Interval ${left}`);
        // An application timestamp an hour old says nothing about when the message arrived:
        // it must not make the message look expired to MQTT 5 subscribers.
        ch.publish('amq.topic', `amqpin.${transport}.old.x`, Buffer.from('old timestamp'), { persistent: true, expiration: '60000', timestamp: Math.floor(Date.now() / 1000) - 3600 });
        const got = await i5.waitFor(3);
        assert.equal(got[2]?.payload.toString(), 'old timestamp');
        const left2 = got[2]?.packet.properties?.messageExpiryInterval ?? 0;
        assert.ok(left2 > 50 && left2 <= 60, `expiration 60000 ms -> Message Expiry Interval ${left2}`);
      } finally {
        await endAll(m4, m5);
        await conn.close();
      }
    });
  });
}
