/**
 * Queues larger than memory (docs/store.md "Paging"): persistent bodies leave the heap
 * once the journal holds them and are read back on delivery; transient bodies page to
 * the page file once the memory budget is spent; order, flags, TTL, priorities, purge,
 * delete and recovery behave exactly as without paging.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Principal, QueueOptions, User, VirtualHost } from '../../../src/core/api.js';
import { BrokerImpl } from '../../../src/core/broker.js';
import { PERSISTENT_HEAD_WINDOW } from '../../../src/core/memory-budget.js';
import type { Queue } from '../../../src/core/queue.js';
import type { VirtualHostImpl } from '../../../src/core/vhost.js';
import type { MessageStore } from '../../../src/store/api.js';
import { FileDefinitionStore, JournalMessageStore, PageFile } from '../../../src/store/journal/index.js';
import { MemoryDefinitionStore, MemoryMessageStore } from '../../../src/store/memory/index.js';
import { FakeSink, eventually, silentLog } from './helpers.js';

interface Setup {
  b: BrokerImpl;
  vh: VirtualHost;
  p: Principal;
  pages: PageFile | undefined;
  queue(name: string): Queue;
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-paging-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function open(dir: string, opts: { maxBodyMemory?: number; pager?: boolean; journal?: boolean } = {}): Promise<Setup> {
  const pages = opts.pager === false ? undefined : new PageFile({ dir: join(dir, 'paging'), segmentSize: 256 * 1024 });
  pages?.open();
  const messageStore: MessageStore = opts.journal === false ? new MemoryMessageStore() : new JournalMessageStore({ dir: join(dir, 'journal'), checkpointIntervalMs: 0, segmentSize: 1024 * 1024 });
  const b = await BrokerImpl.create({
    messageStore,
    definitionStore: opts.journal === false ? new MemoryDefinitionStore() : new FileDefinitionStore(join(dir, 'definitions.json')),
    initialUsers: [{ name: 'guest', password: 'guest', tags: ['administrator'] }],
    loopbackUsers: [],
    limits: { maxQueues: 0, maxMessageSize: 1 << 20 },
    log: silentLog,
    ...(pages ? { pageStore: pages } : {}),
    ...(opts.maxBodyMemory !== undefined ? { maxBodyMemory: opts.maxBodyMemory } : {}),
  });
  const vh = b.getVhost('/') as VirtualHost;
  const user = b.authenticate('guest', 'guest', '127.0.0.1') as User;
  return { b, vh, p: { user, connectionId: 1 as never }, pages, queue: (name) => (vh as VirtualHostImpl).queues.get(name) as Queue };
}

const durable = (args: QueueOptions['arguments'] = {}): QueueOptions => ({ durable: true, exclusive: false, autoDelete: false, arguments: args });
const transient = (args: QueueOptions['arguments'] = {}): QueueOptions => ({ durable: false, exclusive: false, autoDelete: false, arguments: args });

function payload(i: number, size = 100): Buffer {
  const b = Buffer.alloc(size, i & 0xff);
  b.write(`m${i}:`, 0);
  return b;
}

const idOf = (body: Buffer): number => Number(body.toString('latin1', 1, body.indexOf(':')));

const synced = (b: BrokerImpl): Promise<void> => new Promise((r) => b.afterSync(r));

test('persistent messages past the head window leave the heap and come back in order with their properties', async (t) => {
  const s = await open(tempDir(t));
  s.vh.declareQueue(s.p, 'big', durable(), false);
  const n = PERSISTENT_HEAD_WINDOW * 3 + 17;
  for (let i = 0; i < n; i++) {
    s.vh.publish(s.p, '', 'big', { deliveryMode: 2, messageId: `id-${i}`, headers: { i } }, payload(i), { mandatory: false });
  }
  await synced(s.b);
  const q = s.queue('big');
  assert.equal(q.messageCount, n);
  assert.equal(q.pagedCount, n - PERSISTENT_HEAD_WINDOW, 'everything past the window is paged');
  assert.equal(s.vh.getQueue('big')?.messageBytes, n * 100, 'x-max-length-bytes accounting counts paged bodies too');
  // Drain with acks, through a consumer with a small prefetch.
  const sink = new FakeSink(50);
  const consumer = s.vh.consume(s.p, 'big', sink, { tag: 'c', noAck: false, exclusive: false, priority: 0, arguments: {} });
  let next = 0;
  while (next < n) {
    assert.ok(sink.got.length > 0, `stalled at ${next}`);
    for (const d of sink.got.splice(0)) {
      assert.equal(idOf(d.message.body), next);
      assert.equal(d.message.properties.messageId, `id-${next}`);
      assert.equal(d.message.properties.headers?.['i'], next);
      assert.equal(d.message.body.length, 100);
      assert.equal(d.redelivered, false);
      s.vh.settle('big', d.tag, { kind: 'ack' });
      sink.inFlight--;
      next++;
    }
    consumer.resume(); // what a protocol calls when the sink has credit again
  }
  assert.equal(q.messageCount, 0);
  assert.equal(q.pagedCount, 0);
  await s.b.close();
});

test('transient messages page out once the memory budget is spent, to the page file, and the file empties as they drain', async (t) => {
  const dir = tempDir(t);
  // 64 KiB budget: about 150 entries of 100 bytes fit in memory.
  const s = await open(dir, { maxBodyMemory: 64 * 1024 });
  s.vh.declareQueue(s.p, 'tq', transient(), false);
  const n = 5000;
  for (let i = 0; i < n; i++) s.vh.publish(s.p, '', 'tq', {}, payload(i), { mandatory: false });
  const q = s.queue('tq');
  assert.ok(q.pagedCount > n - 400, `most messages paged (${q.pagedCount})`);
  assert.ok(s.b['env'].budget.used <= 64 * 1024 + 1024, `budget respected (${s.b['env'].budget.used})`);
  const st = s.pages!.stats();
  assert.equal(st.liveRecords, q.pagedCount);
  assert.equal(st.written, q.pagedCount);
  // Let the page file write (reads then come from disk, not from the pending batch).
  await new Promise((r) => setTimeout(r, 20));
  for (let i = 0; i < n; i++) {
    const d = s.vh.get(s.p, 'tq', true);
    assert.ok(d, `message ${i}`);
    assert.equal(idOf(d.message.body), i);
    assert.equal(d.remaining, n - i - 1);
  }
  assert.equal(s.vh.get(s.p, 'tq', true), undefined);
  assert.equal(s.pages!.stats().liveRecords, 0);
  await eventually(() => s.pages!.stats().segments <= 1);
  assert.ok(s.b['env'].budget.used === 0, `budget back to zero (${s.b['env'].budget.used})`);
  await s.b.close();
  assert.deepEqual(readdirSync(join(dir, 'paging')).filter((f) => f.endsWith('.wjl')), [], 'page files are removed at close');
});

test('a transient message routed to several paged queues is written to the page file once', async (t) => {
  const s = await open(tempDir(t), { maxBodyMemory: 1 });
  for (const name of ['f1', 'f2', 'f3']) {
    s.vh.declareQueue(s.p, name, transient(), false);
    s.vh.bind(s.p, { source: 'amq.fanout', destinationKind: 'queue', destination: name, routingKey: '', arguments: {} });
  }
  for (let i = 0; i < 100; i++) s.vh.publish(s.p, 'amq.fanout', '', {}, payload(i), { mandatory: false });
  // Each queue keeps one message in its (otherwise empty) head; the rest is paged, once.
  assert.equal(s.pages!.stats().written, 99);
  assert.equal(s.queue('f1').pagedCount, 99);
  // Purge one, delete another: references drop, records stay for the third queue.
  assert.equal(s.vh.purgeQueue(s.p, 'f1'), 100);
  s.vh.deleteQueue(s.p, 'f2', false, false);
  assert.equal(s.pages!.stats().liveRecords, 99);
  const got: number[] = [];
  for (let d = s.vh.get(s.p, 'f3', true); d; d = s.vh.get(s.p, 'f3', true)) got.push(idOf(d.message.body));
  assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => i));
  assert.equal(s.pages!.stats().liveRecords, 0);
  await s.b.close();
});

test('requeued and rejected deliveries of a paged queue keep their place and flags', async (t) => {
  const s = await open(tempDir(t), { maxBodyMemory: 1 });
  s.vh.declareQueue(s.p, 'rq', transient(), false);
  for (let i = 0; i < 600; i++) s.vh.publish(s.p, '', 'rq', {}, payload(i), { mandatory: false });
  const a = s.vh.get(s.p, 'rq', false)!;
  const b = s.vh.get(s.p, 'rq', false)!;
  s.vh.requeue('rq', [b.tag, a.tag]);
  const again = [s.vh.get(s.p, 'rq', true)!, s.vh.get(s.p, 'rq', true)!, s.vh.get(s.p, 'rq', true)!];
  assert.deepEqual(
    again.map((d) => [idOf(d.message.body), d.redelivered]),
    [
      [0, true],
      [1, true],
      [2, false],
    ],
  );
  let n = 3;
  for (let d = s.vh.get(s.p, 'rq', true); d; d = s.vh.get(s.p, 'rq', true)) assert.equal(idOf(d.message.body), n++);
  assert.equal(n, 600);
  await s.b.close();
});

test('priority levels page independently and still deliver highest priority first', async (t) => {
  const s = await open(tempDir(t), { maxBodyMemory: 1 });
  s.vh.declareQueue(s.p, 'pq', transient({ 'x-max-priority': 3 }), false);
  for (let i = 0; i < 400; i++) s.vh.publish(s.p, '', 'pq', { priority: i % 4 }, payload(i), { mandatory: false });
  assert.equal(s.queue('pq').pagedCount, 396, 'one head entry per level, the rest paged');
  const got: Array<[number, number]> = [];
  for (let d = s.vh.get(s.p, 'pq', true); d; d = s.vh.get(s.p, 'pq', true)) got.push([d.message.properties.priority ?? 0, idOf(d.message.body)]);
  const expected: Array<[number, number]> = [];
  for (let p = 3; p >= 0; p--) for (let i = p; i < 400; i += 4) expected.push([p, i]);
  assert.deepEqual(got, expected);
  await s.b.close();
});

test('paged messages expire at the head and are dead-lettered with their bodies', async (t) => {
  const s = await open(tempDir(t), { maxBodyMemory: 1 });
  s.vh.declareQueue(s.p, 'dlq', transient(), false);
  s.vh.declareQueue(s.p, 'ttlq', transient({ 'x-message-ttl': 1000, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq' }), false);
  for (let i = 0; i < 300; i++) s.vh.publish(s.p, '', 'ttlq', {}, payload(i), { mandatory: false });
  // The head is read back at once (its expiry must be watched); the rest stays paged.
  // (Loose: on a loaded machine some may expire while the loop above still runs.)
  assert.ok(s.queue('ttlq').pagedCount > 100, `paged: ${s.queue('ttlq').pagedCount}`);
  await eventually(() => s.vh.getQueue('ttlq')?.messageCount === 0 && s.vh.getQueue('dlq')?.messageCount === 300, 5000);
  const got: number[] = [];
  for (let d = s.vh.get(s.p, 'dlq', true); d; d = s.vh.get(s.p, 'dlq', true)) {
    got.push(idOf(d.message.body));
    assert.equal((d.message.properties.headers?.['x-death'] as Array<Record<string, unknown>>)[0]!['reason'], 'expired');
  }
  assert.deepEqual(got, Array.from({ length: 300 }, (_, i) => i));
  await s.b.close();
});

test('a consumer filter sees paged messages too', async (t) => {
  const s = await open(tempDir(t), { maxBodyMemory: 1 });
  s.vh.declareQueue(s.p, 'sel', transient(), false);
  for (let i = 0; i < 500; i++) s.vh.publish(s.p, '', 'sel', { headers: { odd: i % 2 === 1 } }, payload(i), { mandatory: false });
  const sink = new FakeSink();
  s.vh.consume(s.p, 'sel', sink, { tag: 'c', noAck: true, exclusive: false, priority: 0, arguments: {}, filter: (m) => m.properties.headers?.['odd'] === true });
  assert.deepEqual(
    sink.got.map((d) => idOf(d.message.body)),
    Array.from({ length: 250 }, (_, i) => 2 * i + 1),
  );
  assert.equal(s.vh.getQueue('sel')?.messageCount, 250);
  await s.b.close();
});

test('without a page store, transient messages past the budget keep their order in memory', async (t) => {
  const s = await open(tempDir(t), { maxBodyMemory: 1, pager: false, journal: false });
  s.vh.declareQueue(s.p, 'h', transient(), false);
  for (let i = 0; i < 300; i++) s.vh.publish(s.p, '', 'h', {}, payload(i), { mandatory: false });
  assert.equal(s.queue('h').pagedCount, 299);
  const got: number[] = [];
  for (let d = s.vh.get(s.p, 'h', true); d; d = s.vh.get(s.p, 'h', true)) got.push(idOf(d.message.body));
  assert.deepEqual(got, Array.from({ length: 300 }, (_, i) => i));
  await s.b.close();
});

test('a mixed durable queue keeps order across journal-paged and page-file-paged messages, and purge releases both', async (t) => {
  const s = await open(tempDir(t), { maxBodyMemory: 1 });
  s.vh.declareQueue(s.p, 'mix', durable(), false);
  for (let i = 0; i < 400; i++) s.vh.publish(s.p, '', 'mix', { deliveryMode: i % 3 === 0 ? 1 : 2 }, payload(i), { mandatory: false });
  await synced(s.b);
  assert.equal(s.queue('mix').pagedCount, 399);
  const got: Array<[number, number | undefined]> = [];
  for (let i = 0; i < 200; i++) {
    const d = s.vh.get(s.p, 'mix', true)!;
    got.push([idOf(d.message.body), d.message.properties.deliveryMode]);
  }
  assert.deepEqual(
    got,
    Array.from({ length: 200 }, (_, i) => [i, i % 3 === 0 ? 1 : 2]),
  );
  assert.equal(s.vh.purgeQueue(s.p, 'mix'), 200);
  assert.equal(s.pages!.stats().liveRecords, 0);
  await s.b.close();
});

test('after a restart a large durable queue comes back paged, bodies read on delivery, delivered flags and message TTLs applied', async (t) => {
  const dir = tempDir(t);
  const a = await open(dir);
  a.vh.declareQueue(a.p, 'rq', durable(), false);
  const n = 3000;
  for (let i = 0; i < n; i++) {
    // Message 5 has its own TTL: after a restart it expires relative to the recovery.
    const props = i === 5 ? { deliveryMode: 2 as const, expiration: '50' } : { deliveryMode: 2 as const };
    a.vh.publish(a.p, '', 'rq', props, payload(i, 200), { mandatory: false });
  }
  // Deliver the first two without acking: they come back redelivered.
  a.vh.get(a.p, 'rq', false);
  a.vh.get(a.p, 'rq', false);
  await synced(a.b);
  await a.b.close();

  const b = await open(dir);
  const q = b.queue('rq');
  assert.equal(q.messageCount, n);
  assert.ok(q.pagedCount >= n - 256, `recovered entries stay paged (${q.pagedCount} of ${n})`);
  await new Promise((r) => setTimeout(r, 80));
  const got: Array<[number, boolean]> = [];
  for (let d = b.vh.get(b.p, 'rq', true); d; d = b.vh.get(b.p, 'rq', true)) got.push([idOf(d.message.body), d.redelivered]);
  const expected: Array<[number, boolean]> = [];
  for (let i = 0; i < n; i++) if (i !== 5) expected.push([i, i < 2]);
  assert.deepEqual(got, expected, 'message 5 expired at the head, the rest in order');
  await b.b.close();
});

test('under memory pressure a queue whose consumer keeps up still delivers from memory', async (t) => {
  const s = await open(tempDir(t), { maxBodyMemory: 1 });
  s.vh.declareQueue(s.p, 'idle', transient(), false);
  s.vh.declareQueue(s.p, 'busy', transient(), false);
  for (let i = 0; i < 50; i++) s.vh.publish(s.p, '', 'idle', {}, payload(i), { mandatory: false });
  const written = s.pages!.stats().written;
  assert.equal(written, 49, 'the idle queue pages');
  const sink = new FakeSink();
  s.vh.consume(s.p, 'busy', sink, { tag: 'c', noAck: true, exclusive: false, priority: 0, arguments: {} });
  for (let i = 0; i < 500; i++) s.vh.publish(s.p, '', 'busy', {}, payload(i), { mandatory: false });
  assert.equal(sink.got.length, 500);
  assert.deepEqual(
    sink.got.map((d) => idOf(d.message.body)),
    Array.from({ length: 500 }, (_, i) => i),
  );
  assert.equal(s.pages!.stats().written, written, 'nothing of the busy queue went to the page file');
  await s.b.close();
});
