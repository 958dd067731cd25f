/** persistent:true sends survive a restart once their receipt arrived; transient ones do not. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker } from '../../helpers/broker.js';
import { frame, rawConnected } from './helpers.js';

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
