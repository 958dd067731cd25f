/**
 * Durability as amqplib sees it across a clean restart: durable exchanges, queues,
 * bindings (queue and exchange-to-exchange) and persistent messages in durable queues
 * come back; transient ones do not. And the real `wharf start` command stopped with
 * SIGINT / SIGTERM: connection.close 320 to clients, exit 0, nothing confirmed lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import amqp, { type GetMessage } from 'amqplib';
import { spawnBroker, startTestBroker, tempDataDir } from '../../helpers/broker.js';
import { channel, confirmChannel, connect, errorOf, sleep, within } from './helpers.js';

test('durable definitions and persistent messages survive a restart; transient ones do not', async () => {
  const b = await startTestBroker();
  try {
    let c = await connect(b);
    const ch = await confirmChannel(c);
    await ch.assertExchange('dur-x', 'topic', { durable: true });
    await ch.assertExchange('dur-x2', 'fanout', { durable: true });
    await ch.assertExchange('tmp-x', 'fanout', { durable: false });
    await ch.assertQueue('dur-q', { durable: true, arguments: { 'x-max-length': 100 } });
    await ch.assertQueue('dur-q2', { durable: true });
    await ch.assertQueue('dur-qq', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await ch.assertQueue('tmp-q', { durable: false });
    await ch.assertQueue('dur-excl', { durable: true, exclusive: true });
    await ch.bindQueue('dur-q', 'dur-x', 'a.#');
    await ch.bindExchange('dur-x2', 'dur-x', 'b.*');
    await ch.bindQueue('dur-q2', 'dur-x2', '');
    await ch.bindQueue('dur-q', 'tmp-x', ''); // not durable: its source is transient
    ch.sendToQueue('dur-q', Buffer.from('persistent'), { persistent: true, messageId: 'p1', headers: { h: 'v' } });
    ch.sendToQueue('dur-q', Buffer.from('transient'), { persistent: false });
    ch.sendToQueue('dur-qq', Buffer.from('in quorum'), { persistent: true });
    ch.sendToQueue('tmp-q', Buffer.from('persistent in transient queue'), { persistent: true });
    await ch.waitForConfirms();
    await c.close();

    await b.restart();

    c = await connect(b);
    let ch2 = await channel(c);
    await ch2.checkExchange('dur-x');
    await ch2.checkExchange('dur-x2');
    for (const gone of [() => ch2.checkExchange('tmp-x'), () => ch2.checkQueue('tmp-q'), () => ch2.checkQueue('dur-excl')]) {
      const e = await errorOf(gone());
      assert.equal(e.code, 404, e.message);
      ch2 = await channel(c);
    }
    assert.equal((await ch2.checkQueue('dur-q')).messageCount, 1);
    const m = (await ch2.get('dur-q', { noAck: true })) as GetMessage;
    assert.equal(m.content.toString(), 'persistent');
    assert.equal(m.properties.messageId, 'p1');
    assert.deepEqual(m.properties.headers, { h: 'v' });
    assert.equal(m.properties.deliveryMode, 2);
    const qq = (await ch2.get('dur-qq', { noAck: true })) as GetMessage;
    assert.equal(qq.content.toString(), 'in quorum');
    // the bindings came back: queue binding and exchange-to-exchange binding
    ch2.publish('dur-x', 'a.b', Buffer.from('via queue binding'));
    ch2.publish('dur-x', 'b.c', Buffer.from('via e2e binding'));
    await sleep(50);
    assert.equal(((await ch2.get('dur-q', { noAck: true })) as GetMessage).content.toString(), 'via queue binding');
    assert.equal(((await ch2.get('dur-q2', { noAck: true })) as GetMessage).content.toString(), 'via e2e binding');
    // the arguments came back too: a different x-max-length is inequivalent
    const e = await errorOf(ch2.assertQueue('dur-q', { durable: true, arguments: { 'x-max-length': 5 } }));
    assert.equal(e.code, 406);
    const ch3 = await channel(c);
    await ch3.assertQueue('dur-qq', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await c.close();
  } finally {
    await b.stop();
  }
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`the real wharf command on ${signal}: clients get connection.close 320, exit 0, confirmed messages kept`, async () => {
    const dataDir = tempDataDir();
    try {
      const broker = await spawnBroker({ dataDir });
      const url = `amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`;
      const c = await amqp.connect(url);
      c.on('error', () => {});
      const ch = await c.createConfirmChannel();
      await ch.assertQueue('sig-q', { durable: true });
      for (let i = 0; i < 20; i++) ch.sendToQueue('sig-q', Buffer.from(`m${i}`), { persistent: true });
      await ch.waitForConfirms();
      const closed = new Promise<Error & { code?: number }>((r) => c.on('close', (err: Error) => r(err)));
      const exited = new Promise<number | null>((r) => broker.child.once('exit', (code) => r(code)));
      broker.child.kill(signal);
      const err = await within(closed, 10000, 'connection close');
      assert.equal(err.code, 320);
      assert.match(err.message, /CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'/);
      assert.equal(await within(exited, 15000, 'process exit'), 0, broker.output());
      const log = broker.output().trim().split('\n').map((l) => JSON.parse(l) as { msg?: string });
      assert.ok(log.some((l) => l.msg === 'wharf stopped'), broker.output());

      const again = await spawnBroker({ dataDir, ports: broker.ports });
      try {
        const c2 = await amqp.connect(url);
        const ch2 = await c2.createChannel();
        assert.equal((await ch2.checkQueue('sig-q')).messageCount, 20);
        await c2.close();
      } finally {
        await again.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
