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

test('tutorial 2: work queues with prefetch=1 and manual ack', async () => {
  await withBroker(async (b) => {
    const producer = await connect(b);
    const pch = await channel(producer);
    await pch.assertQueue('task_queue', { durable: true });
    const workers = await Promise.all([connect(b), connect(b)]);
    const done: string[][] = [[], []];
    for (const [i, w] of workers.entries()) {
      const ch = await channel(w);
      await ch.assertQueue('task_queue', { durable: true });
      await ch.prefetch(1);
      await ch.consume('task_queue', (m) => {
        if (!m) return;
        const dots = m.content.toString().split('.').length - 1;
        setTimeout(() => {
          done[i]!.push(m.content.toString());
          ch.ack(m);
        }, dots * 20);
      }, { noAck: false });
    }
    const tasks = ['a.', 'b...', 'c.', 'd..', 'e.', 'f....'];
    for (const t of tasks) pch.sendToQueue('task_queue', Buffer.from(t), { persistent: true });
    await waitFor(() => done[0]!.length + done[1]!.length === tasks.length, 10000, 'all tasks');
    assert.deepEqual([...done[0]!, ...done[1]!].sort(), [...tasks].sort());
    assert.ok(done[0]!.length > 0 && done[1]!.length > 0, 'both workers got work');
    for (const w of workers) await w.close();
    await producer.close();
  });
});

test('tutorials 3-5: fanout, direct routing and topics', async () => {
  await withBroker(async (b) => {
    const c = await connect(b);
    const ch = await channel(c);
    const subscribe = async (exchange: string, type: string, keys: string[]): Promise<string[]> => {
      await ch.assertExchange(exchange, type, { durable: false });
      const q = await ch.assertQueue('', { exclusive: true });
      for (const k of keys) await ch.bindQueue(q.queue, exchange, k);
      const got: string[] = [];
      await ch.consume(q.queue, (m) => m && got.push(`${m.fields.routingKey}:${m.content.toString()}`), { noAck: true });
      return got;
    };
    const logs1 = await subscribe('logs', 'fanout', ['']);
    const logs2 = await subscribe('logs', 'fanout', ['']);
    const errors = await subscribe('direct_logs', 'direct', ['error']);
    const all = await subscribe('direct_logs', 'direct', ['info', 'warning', 'error']);
    const orange = await subscribe('topic_logs', 'topic', ['*.orange.*']);
    const lazy = await subscribe('topic_logs', 'topic', ['*.*.rabbit', 'lazy.#']);
    ch.publish('logs', '', Buffer.from('hello'));
    for (const s of ['info', 'warning', 'error', 'debug']) ch.publish('direct_logs', s, Buffer.from(s));
    for (const k of ['quick.orange.rabbit', 'lazy.orange.elephant', 'quick.orange.fox', 'lazy.brown.fox', 'lazy.pink.rabbit', 'quick.brown.fox', 'lazy.orange.male.rabbit']) {
      ch.publish('topic_logs', k, Buffer.from('x'));
    }
    await waitFor(() => lazy.length === 5 && orange.length === 3 && all.length === 3, 5000, 'routing');
    assert.deepEqual(logs1, [':hello']);
    assert.deepEqual(logs2, [':hello']);
    assert.deepEqual(errors, ['error:error']);
    assert.deepEqual(all, ['info:info', 'warning:warning', 'error:error']);
    assert.deepEqual(orange, ['quick.orange.rabbit:x', 'lazy.orange.elephant:x', 'quick.orange.fox:x']);
    // lazy.pink.rabbit matches both bindings and still arrives once
    assert.deepEqual(lazy, ['quick.orange.rabbit:x', 'lazy.orange.elephant:x', 'lazy.brown.fox:x', 'lazy.pink.rabbit:x', 'lazy.orange.male.rabbit:x']);
    await c.close();
  });
});

test('tutorial 6: RPC with reply_to and correlation_id', async () => {
  await withBroker(async (b) => {
    const server = await connect(b);
    const sch = await channel(server);
    await sch.assertQueue('rpc_queue', { durable: false });
    await sch.prefetch(1);
    const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));
    await sch.consume('rpc_queue', (m) => {
      if (!m) return;
      const n = parseInt(m.content.toString(), 10);
      sch.sendToQueue(m.properties.replyTo as string, Buffer.from(String(fib(n))), { correlationId: m.properties.correlationId });
      sch.ack(m);
    });
    const client = await connect(b);
    const cch = await channel(client);
    const q = await cch.assertQueue('', { exclusive: true });
    const answers = new Map<string, string>();
    await cch.consume(q.queue, (m) => m && answers.set(m.properties.correlationId as string, m.content.toString()), { noAck: true });
    for (const [id, n] of [['c1', 10], ['c2', 20], ['c3', 25]] as const) {
      cch.sendToQueue('rpc_queue', Buffer.from(String(n)), { correlationId: id, replyTo: q.queue });
    }
    await waitFor(() => answers.size === 3, 5000, 'rpc answers');
    assert.deepEqual(Object.fromEntries(answers), { c1: '55', c2: '6765', c3: '75025' });
    await client.close();
    await server.close();
  });
});
