/** RabbitMQ's six tutorials with pika 1.2 (/usr/bin/python3) against Wharf. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPy, spawnPy, withBroker } from './helpers.js';

const H = '127.0.0.1';

test('pika tutorial 1: the unchanged hello-world sender, and a consumer proving arrival', async () => {
  await withBroker(async (b) => {
    const port = String(b.ports.amqp);
    const sent = await runPy('hello_send.py', [H, port]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, / \[x\] Sent 'Hello World!'/);
    const got = await runPy('hello_receive.py', [H, port]);
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, / \[x\] Received 'Hello World!'/);
  });
});

test('pika tutorial 2: work queues, prefetch=1 and manual ack, persistent tasks', async () => {
  await withBroker(async (b) => {
    const port = String(b.ports.amqp);
    const w1 = spawnPy('work_queues.py', [H, port, 'worker', '3']);
    const w2 = spawnPy('work_queues.py', [H, port, 'worker', '3']);
    await w1.waitFor('READY');
    await w2.waitFor('READY');
    const tasks = ['t1.', 't2..', 't3.', 't4...', 't5.', 't6..'];
    const sent = await runPy('work_queues.py', [H, port, 'task', ...tasks]);
    assert.equal(sent.code, 0, sent.stderr);
    const [r1, r2] = await Promise.all([w1.done, w2.done]);
    const done1 = r1.stdout.split('\n').filter((l) => l.startsWith('DONE ')).map((l) => l.slice(5));
    const done2 = r2.stdout.split('\n').filter((l) => l.startsWith('DONE ')).map((l) => l.slice(5));
    // prefetch=1 round-robin: each worker takes three, together all six exactly once
    assert.equal(done1.length, 3, r1.stderr);
    assert.equal(done2.length, 3, r2.stderr);
    assert.deepEqual([...done1, ...done2].sort(), [...tasks].sort());
  });
});

async function exchangeTutorial(port: string, kind: string, receivers: Array<{ keys: string[]; expect: string[] }>, emits: Array<[string, string]>): Promise<void> {
  const procs = receivers.map((r) => spawnPy('exchanges.py', [H, port, 'receive', kind, String(r.expect.length), ...r.keys]));
  for (const p of procs) await p.waitFor('READY');
  for (const [key, msg] of emits) {
    const e = await runPy('exchanges.py', [H, port, 'emit', kind, key, msg]);
    assert.equal(e.code, 0, e.stderr);
  }
  const results = await Promise.all(procs.map((p) => p.done));
  results.forEach((r, i) => {
    const got = r.stdout.split('\n').filter((l) => l.startsWith('GOT ')).map((l) => l.slice(4));
    assert.deepEqual(got.sort(), [...receivers[i]!.expect].sort(), `receiver ${i}: ${r.stderr}`);
  });
}

test('pika tutorial 3: publish/subscribe over a fanout exchange', async () => {
  await withBroker(async (b) => {
    await exchangeTutorial(
      String(b.ports.amqp),
      'fanout',
      [
        { keys: [''], expect: [' info: one', ' info: two'] },
        { keys: [''], expect: [' info: one', ' info: two'] },
      ],
      [['', 'info: one'], ['', 'info: two']],
    );
  });
});

test('pika tutorial 4: routing over a direct exchange', async () => {
  await withBroker(async (b) => {
    await exchangeTutorial(
      String(b.ports.amqp),
      'direct',
      [
        { keys: ['error'], expect: ['error disk full'] },
        { keys: ['info', 'warning', 'error'], expect: ['info started', 'warning slow', 'error disk full'] },
      ],
      [['info', 'started'], ['warning', 'slow'], ['error', 'disk full'], ['debug', 'nobody listens']],
    );
  });
});

test('pika tutorial 5: topics', async () => {
  await withBroker(async (b) => {
    await exchangeTutorial(
      String(b.ports.amqp),
      'topic',
      [
        { keys: ['*.orange.*'], expect: ['quick.orange.rabbit a', 'lazy.orange.elephant b'] },
        { keys: ['*.*.rabbit', 'lazy.#'], expect: ['quick.orange.rabbit a', 'lazy.orange.elephant b', 'lazy.brown.fox d', 'lazy.orange.male.rabbit e'] },
      ],
      [['quick.orange.rabbit', 'a'], ['lazy.orange.elephant', 'b'], ['quick.orange.fox', 'c'], ['lazy.brown.fox', 'd'], ['lazy.orange.male.rabbit', 'e'], ['quick.brown.fox', 'f']],
    );
  });
});

test('pika tutorial 6: RPC with reply_to and correlation_id', async () => {
  await withBroker(async (b) => {
    const port = String(b.ports.amqp);
    const server = spawnPy('rpc.py', [H, port, 'server', '3']);
    await server.waitFor('READY');
    const client = await runPy('rpc.py', [H, port, 'client', '10', '20', '30']);
    assert.equal(client.code, 0, client.stderr);
    assert.match(client.stdout, /fib\(10\) = 55/);
    assert.match(client.stdout, /fib\(20\) = 6765/);
    assert.match(client.stdout, /fib\(30\) = 832040/);
    const s = await server.done;
    assert.equal(s.code, 0, s.stderr);
  });
});

test('pika: confirms, mandatory returns, get/nack/reject, tx, qos, e2e bindings, channel errors', async () => {
  await withBroker(async (b) => {
    const r = await runPy('features.py', [H, String(b.ports.amqp)]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const oks = r.stdout.split('\n').filter((l) => l.startsWith('OK ')).map((l) => l.slice(3));
    assert.deepEqual(oks, ['confirms', 'mandatory-return', 'get-nack-reject', 'tx', 'qos', 'exchange-bind', '404', '406', 'closed']);
  });
});

test('pika: x-death as pika decodes it, consumer cancel notification, direct reply-to, exclusive queues', async () => {
  await withBroker(async (b) => {
    const r = await runPy('extensions.py', [H, String(b.ports.amqp)]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const oks = r.stdout.split('\n').filter((l) => l.startsWith('OK ')).map((l) => l.slice(3));
    assert.deepEqual(oks, ['x-death-rejected', 'x-death-expired', 'consumer-cancel-notify', 'direct-reply-to', 'exclusive', 'closed']);
  });
});
