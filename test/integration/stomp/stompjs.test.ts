import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSharedBroker } from '../../helpers/broker.js';
import WebSocket from 'ws';
import mqtt from 'mqtt';
import type { IFrame } from '@stomp/stompjs';
import { Inbox, receiptFrom, sleep, stompjs, withTimeout } from './helpers.js';
import type { Transport } from './helpers.js';

const broker = useSharedBroker();

for (const transport of ['ws', 'tcp'] as Transport[]) {
  test(`stompjs over ${transport}: queue round trip with headers and receipt`, async () => {
    const c = await stompjs(broker.ports, transport);
    try {
      const inbox = new Inbox();
      c.subscribe(`/queue/sj-${transport}`, inbox.push, { id: 'a' });
      const receipt = receiptFrom(c, 'r-1');
      c.publish({
        destination: `/queue/sj-${transport}`,
        body: 'héllo wörld',
        headers: { receipt: 'r-1', 'content-type': 'text/plain', 'x-custom': 'a:b\\d\nline2', 'correlation-id': 'corr' },
      });
      await receipt;
      const [m] = await inbox.waitFor(1);
      assert.equal(m!.body, 'héllo wörld');
      // Escaped on the wire as a\cb\\d\nline2 (STOMP 1.2 "Value Encoding"). (Values containing a
      // backslash followed by 'c' are avoided: stompjs 7 unescapes \c before \\.)
      assert.equal(m!.headers['x-custom'], 'a:b\\d\nline2');
      assert.equal(m!.headers['correlation-id'], 'corr');
      assert.equal(m!.headers['destination'], `/queue/sj-${transport}`);
    } finally {
      await c.deactivate();
    }
  });

  test(`stompjs over ${transport}: binary body with NUL octets survives`, async () => {
    const c = await stompjs(broker.ports, transport);
    try {
      const inbox = new Inbox();
      c.subscribe(`/queue/sj-bin-${transport}`, inbox.push);
      // Over WebSocket a frame that is not valid UTF-8 goes out as a binary message.
      const bytes = new Uint8Array([0, 1, 2, 0, 255, 0]);
      c.publish({ destination: `/queue/sj-bin-${transport}`, binaryBody: bytes, headers: { 'content-type': 'application/octet-stream' } });
      const [m] = await inbox.waitFor(1);
      assert.deepEqual([...m!.binaryBody], [...bytes]);
    } finally {
      await c.deactivate();
    }
  });

  test(`stompjs over ${transport}: topic fan-out to two subscribers, wildcard`, async () => {
    const a = await stompjs(broker.ports, transport);
    const b = await stompjs(broker.ports, transport);
    try {
      const ia = new Inbox();
      const ib = new Inbox();
      // Receipt on SUBSCRIBE so the bindings exist before the publish.
      const ra = receiptFrom(a, 'sa');
      const rb = receiptFrom(b, 'sb');
      a.subscribe(`/topic/prices.${transport}.eu`, ia.push, { receipt: 'sa' });
      b.subscribe(`/topic/prices.${transport}.*`, ib.push, { receipt: 'sb' });
      await Promise.all([ra, rb]);
      a.publish({ destination: `/topic/prices.${transport}.eu`, body: 'p1' });
      await ia.waitFor(1);
      await ib.waitFor(1);
      assert.equal(ia.messages[0]!.body, 'p1');
      assert.equal(ib.messages[0]!.headers['destination'], `/topic/prices.${transport}.eu`);
    } finally {
      await a.deactivate();
      await b.deactivate();
    }
  });

  test(`stompjs over ${transport}: client-individual ack, nack requeues (RabbitMQ default)`, async () => {
    const c = await stompjs(broker.ports, transport);
    try {
      const inbox = new Inbox();
      const q = `/queue/sj-ack-${transport}`;
      c.subscribe(q, inbox.push, { ack: 'client-individual' });
      c.publish({ destination: q, body: 'one' });
      c.publish({ destination: q, body: 'two' });
      await inbox.waitFor(2);
      inbox.messages[0]!.ack();
      inbox.messages[1]!.nack();
      // The NACKed one comes back, redelivered.
      await inbox.waitFor(3);
      assert.equal(inbox.messages[2]!.body, 'two');
      assert.equal(inbox.messages[2]!.headers['redelivered'], 'true');
      inbox.messages[2]!.ack();
      await sleep(100);
      assert.equal(inbox.messages.length, 3);
    } finally {
      await c.deactivate();
    }
  });

  test(`stompjs over ${transport}: heart-beats negotiated both ways keep the connection up`, async () => {
    let ticks = 0;
    const c = await stompjs(broker.ports, transport, {
      heartbeatIncoming: 1000,
      heartbeatOutgoing: 1000,
      debug: (s) => {
        if (s.includes('<<< PONG')) ticks++;
      },
    });
    try {
      await sleep(2600);
      assert.ok(c.connected, 'still connected after several heart-beat periods');
      assert.ok(ticks >= 1, `server heart-beats received (${ticks})`);
    } finally {
      await c.deactivate();
    }
  });
}

test('WebSocket subprotocols v10.stomp, v11.stomp, v12.stomp and stomp all reach the STOMP listener', async () => {
  for (const [proto, accept, expected] of [
    ['v10.stomp', '1.0', undefined],
    ['v11.stomp', '1.1', '1.1'],
    ['v12.stomp', '1.2', '1.2'],
    ['stomp', '1.2', '1.2'],
  ] as const) {
    const ws = new WebSocket(`ws://127.0.0.1:${broker.ports.ws}/stomp`, [proto]);
    try {
      await withTimeout(new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      }), 5000, 'ws open');
      assert.equal(ws.protocol, proto);
      const reply = new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString())));
      ws.send(`CONNECT\naccept-version:${accept}\nhost:/\n\n\0`);
      const text = await withTimeout(reply, 5000, 'CONNECTED');
      assert.match(text, /^CONNECTED\n/);
      if (expected === undefined) assert.doesNotMatch(text, /\nversion:/);
      else assert.match(text, new RegExp(`\\nversion:${expected.replace('.', '\\.')}\\n`));
    } finally {
      ws.close();
    }
  }
});

test('one WebSocket port, one path: Sec-WebSocket-Protocol picks MQTT (MQTT.js) or STOMP (stompjs), and they talk', async () => {
  const s = await stompjs(broker.ports, 'ws');
  const m = await mqtt.connectAsync(`ws://127.0.0.1:${broker.ports.ws}/ws`, { protocolVersion: 4, clientId: 'ws-shared', reconnectPeriod: 0, connectTimeout: 5000 });
  try {
    const inbox = new Inbox();
    const subscribed = receiptFrom(s, 'ws-sub');
    s.subscribe('/topic/shared.port.*', inbox.push, { receipt: 'ws-sub' });
    await subscribed;
    await m.subscribeAsync('shared/back', { qos: 1 });
    const back = new Promise<Buffer>((resolve) => m.once('message', (_t, payload) => resolve(payload)));
    await m.publishAsync('shared/port/one', 'from-mqtt-ws', { qos: 1 });
    const [got] = await inbox.waitFor(1);
    assert.equal(got!.body, 'from-mqtt-ws');
    assert.equal(got!.headers['destination'], '/topic/shared.port.one');
    s.publish({ destination: '/topic/shared.back', body: 'from-stomp-ws' });
    assert.equal((await withTimeout(back, 5000, 'MQTT delivery')).toString(), 'from-stomp-ws');
  } finally {
    await m.endAsync();
    await s.deactivate();
  }
});

for (const transport of ['ws', 'tcp'] as Transport[]) {
  test(`stompjs over ${transport}: an ERROR frame (message header and body) reaches onStompError, then the server closes`, async () => {
    const c = await stompjs(broker.ports, transport);
    try {
      const error = new Promise<IFrame>((resolve) => {
        c.onStompError = (f) => resolve(f);
      });
      const closed = new Promise<void>((resolve) => {
        c.onWebSocketClose = () => resolve();
      });
      c.publish({ destination: '/nowhere/x', body: 'lost' });
      const f = await withTimeout(error, 5000, 'ERROR frame');
      assert.equal(f.headers['message'], 'Unknown destination');
      assert.match(f.body, /not a valid destination/);
      await withTimeout(closed, 5000, 'the close after ERROR');
    } finally {
      await c.deactivate();
    }
  });
}
