/** persistent:true sends survive a restart once their receipt arrived; transient ones do not. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker } from '../../helpers/broker.js';
import { frame, Inbox, rawConnected, receiptFrom, stompjs } from './helpers.js';
import type { Client } from '@stomp/stompjs';

/** SUBSCRIBE with a receipt, so the binding exists when this resolves. */
async function subscribeWithReceipt(c: Client, destination: string, inbox: Inbox, headers: Record<string, string>): Promise<void> {
  const receipt = `sub-${headers['id']}`;
  const done = receiptFrom(c, receipt);
  c.subscribe(destination, inbox.push, { ...headers, receipt });
  await done;
}

/** SEND with a receipt. */
async function sendWithReceipt(c: Client, destination: string, body: string, headers: Record<string, string>): Promise<void> {
  const receipt = `send-${body}`;
  const done = receiptFrom(c, receipt);
  c.publish({ destination, body, headers: { ...headers, receipt } });
  await done;
}

test('persistent:true + receipt: the message is on disk and survives a restart', async () => {
  const broker = await startTestBroker();
  try {
    const c = await rawConnected(broker.ports.stomp);
    c.write(frame('SEND', { destination: '/queue/durable-q', persistent: 'true', receipt: 'p1', 'content-type': 'text/plain', 'x-app': 'kept' }, 'survivor'));
    await c.receipt('p1');
    c.write(frame('SEND', { destination: '/queue/durable-q', receipt: 't1' }, 'transient'));
    await c.receipt('t1');
    c.close();
    await c.waitClosed();
    await broker.restart();
    const d = await rawConnected(broker.ports.stomp);
    d.write(frame('SUBSCRIBE', { id: '1', destination: '/queue/durable-q' }));
    const m = await d.expect('MESSAGE');
    assert.equal(m.body.toString(), 'survivor');
    assert.equal(m.headers['persistent'], 'true');
    assert.equal(m.headers['content-type'], 'text/plain');
    assert.equal(m.headers['x-app'], 'kept');
    // The transient message did not survive (RabbitMQ semantics for delivery mode 1).
    d.write(frame('SEND', { destination: '/queue/durable-q', receipt: 'marker' }, 'marker'));
    await d.receipt('marker');
    const next = await d.expect('MESSAGE');
    assert.equal(next.body.toString(), 'marker');
    d.close();
  } finally {
    await broker.stop();
  }
});

test('server shutdown: connected clients get an ERROR, then the close', async () => {
  const broker = await startTestBroker();
  const c = await rawConnected(broker.ports.stomp);
  await broker.stop();
  const e = await c.expect('ERROR');
  assert.equal(e.headers['message'], 'Server shutdown');
  await c.waitClosed();
});

test('the broker-wide limits.maxMessageSize also bounds STOMP bodies', async () => {
  const broker = await startTestBroker({ config: { limits: { maxMessageSize: 1000 } } });
  try {
    const ok = await rawConnected(broker.ports.stomp);
    ok.write(frame('SEND', { destination: '/queue/size', receipt: 'r' }, 'x'.repeat(1000)));
    await ok.receipt('r');
    ok.close();
    const c = await rawConnected(broker.ports.stomp);
    c.write(frame('SEND', { destination: '/queue/size', receipt: 'big' }, 'x'.repeat(1001)));
    const e = await c.expect('ERROR');
    assert.equal(e.headers['message'], 'Frame too large');
    assert.equal(e.headers['receipt-id'], 'big');
    await c.waitClosed();
  } finally {
    await broker.stop();
  }
});

test('a durable topic subscription keeps its selector through a restart (stompjs, ActiveMQ style)', async () => {
  const broker = await startTestBroker();
  const sub = { id: 'reds', 'activemq.subscriptionName': 'reds', selector: "colour = 'red'", ack: 'client-individual' };
  const connectAs = (clientId: string): Promise<Client> =>
    stompjs(broker.ports, 'tcp', { connectHeaders: { login: 'guest', passcode: 'guest', host: '/', 'client-id': clientId } });
  try {
    const first = await connectAs('sel-app');
    await subscribeWithReceipt(first, '/topic/paint', new Inbox(), sub);
    await first.deactivate();
    await broker.restart();

    // The subscriber is away; after the restart the selector must still decide what its queue keeps.
    const producer = await connectAs('sel-producer');
    for (const [body, colour] of [['red-1', 'red'], ['blue-1', 'blue'], ['red-2', 'red'], ['uncoloured', '']] as const) {
      await sendWithReceipt(producer, '/topic/paint', body, colour === '' ? { persistent: 'true' } : { persistent: 'true', colour });
    }
    await producer.deactivate();

    const back = await connectAs('sel-app');
    try {
      const inbox = new Inbox();
      await subscribeWithReceipt(back, '/topic/paint', inbox, sub);
      const got = await inbox.waitFor(2);
      assert.deepEqual(got.map((m) => m.body), ['red-1', 'red-2']);
      for (const m of got) m.ack();
      // Nothing else was kept: the next message it gets is one sent now that matches.
      const again = await connectAs('sel-producer-2');
      await sendWithReceipt(again, '/topic/paint', 'red-3', { colour: 'red' });
      await again.deactivate();
      const [third] = (await inbox.waitFor(3)).slice(2);
      assert.equal(third!.body, 'red-3');
    } finally {
      await back.deactivate();
    }
  } finally {
    await broker.stop();
  }
});
