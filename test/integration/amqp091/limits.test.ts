/** Amqp091Limits: handshake timeout and consumers per channel. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOL_HEADER } from '../../../src/codecs/amqp091/index.js';
import { useSharedBroker } from '../../helpers/broker.js';
import { channel, connect, errorOf, rawConnect, within } from './helpers.js';

const b = useSharedBroker({ config: { limits: { amqp091: { handshakeTimeoutMs: 300, maxConsumersPerChannel: 2 } } } });

test('a client that never finishes the handshake is dropped after handshakeTimeoutMs', async () => {
  const c = await rawConnect(b.ports.amqp);
  c.send(PROTOCOL_HEADER);
  // we receive connection.start and then say nothing
  await within(c.closed, 5000, 'socket close by the server');
  assert.ok(c.received().length > 8, 'connection.start was sent');
});

test('consumers per channel are capped: 530 NOT_ALLOWED', async () => {
  const c = await connect(b);
  const ch = await channel(c);
  await ch.assertQueue('capped');
  await ch.consume('capped', () => {});
  await ch.consume('capped', () => {});
  const closed = new Promise<Error & { code?: number }>((r) => c.on('close', (e: Error) => r(e)));
  await errorOf(ch.consume('capped', () => {}));
  const e = await within(closed, 5000, 'connection close');
  assert.equal(e.code, 530);
  assert.match(e.message, /reached maximum \(2\) of consumers per channel/);
});
