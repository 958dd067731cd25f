/** RabbitMQ's six tutorials with amqplib against Wharf. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel, connect, waitFor, withBroker } from './helpers.js';

test('tutorial 1: hello world', async () => {
  await withBroker(async (b) => {
    const c = await connect(b);
    const ch = await channel(c);
    await ch.assertQueue('hello', { durable: false });
    ch.sendToQueue('hello', Buffer.from('Hello World!'));
    const got: string[] = [];
    await ch.consume('hello', (m) => {
      if (m) got.push(m.content.toString());
    }, { noAck: true });
    await waitFor(() => got.length === 1, 5000, 'message');
    assert.deepEqual(got, ['Hello World!']);
    await c.close();
  });
});
