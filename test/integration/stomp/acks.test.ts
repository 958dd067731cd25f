/** Ack modes, NACK, prefetch and transactions, through raw frames (exact ids and headers). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSharedBroker } from '../../helpers/broker.js';
import { frame, rawConnected, sleep } from './helpers.js';
import type { RawClient } from './helpers.js';
import type { StompFrame } from '../../../src/codecs/stomp/index.js';

const broker = useSharedBroker();
const dlxBroker = useSharedBroker({ config: { limits: { stomp: { nackRequeue: false } } } });

async function send(c: RawClient, destination: string, bodies: string[], extra: Record<string, string> = {}): Promise<void> {
  for (const b of bodies) c.write(frame('SEND', { destination, ...extra }, b));
  c.write(frame('SEND', { destination: '/queue/ack-sync-dummy', receipt: 'sent' }, ''));
  await c.receipt('sent');
}

async function messages(c: RawClient, n: number): Promise<StompFrame[]> {
  const out: StompFrame[] = [];
  for (let i = 0; i < n; i++) out.push(await c.expect('MESSAGE'));
  return out;
}

/** Nothing more arrives within a short window (used after the expected frames, never as a timing claim). */
async function quiet(c: RawClient): Promise<void> {
  await sleep(150);
  assert.deepEqual(c.frames.map((f) => f.command), []);
}

/** Close `c`, then check from a fresh connection that nothing is left in queue `q`. */
async function closeAndExpectEmpty(c: RawClient, q: string): Promise<void> {
  c.close();
  await c.waitClosed();
  const d = await rawConnected(broker.ports.stomp);
  d.write(frame('SUBSCRIBE', { id: 's', destination: q }));
  await quiet(d);
  d.close();
}

/**
 * SUBSCRIBE as 'dl' to /queue/`dlq`, and as 's' to /queue/`src`, which dead-letters into
 * `dlq` (both declared through the STOMP x- headers); waits for the receipt.
 */
async function subscribeWithDeadLetter(c: RawClient, src: string, dlq: string, ack: string): Promise<void> {
  c.write(frame('SUBSCRIBE', { id: 'dl', destination: `/queue/${dlq}` }));
  c.write(frame('SUBSCRIBE', { id: 's', destination: `/queue/${src}`, ack, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq, receipt: 'ok' }));
  await c.expect('RECEIPT');
}

test('client ack is cumulative: ACK of the 2nd settles the 1st too; the 3rd is redelivered', async () => {
  const q = '/queue/ack-client';
  const p = await rawConnected(broker.ports.stomp);
  await send(p, q, ['m1', 'm2', 'm3']);
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('SUBSCRIBE', { id: 's', destination: q, ack: 'client' }));
  const got = await messages(c, 3);
  assert.deepEqual(got.map((m) => m.body.toString()), ['m1', 'm2', 'm3']);
  assert.equal(got[1]!.headers['ack'], got[1]!.headers['message-id'], '1.2 MESSAGE carries ack = message-id');
  c.write(frame('ACK', { id: got[1]!.headers['ack']!, receipt: 'a' }));
  await c.expect('RECEIPT');
  c.close();
  await c.waitClosed();
  const d = await rawConnected(broker.ports.stomp);
  d.write(frame('SUBSCRIBE', { id: 's', destination: q, ack: 'client-individual' }));
  const [m] = await messages(d, 1);
  assert.equal(m!.body.toString(), 'm3');
  assert.equal(m!.headers['redelivered'], 'true');
  d.write(frame('ACK', { id: m!.headers['ack']! }));
  await quiet(d);
  d.close();
  p.close();
});

test('client-individual ack settles only that message', async () => {
  const q = '/queue/ack-individual';
  const c = await rawConnected(broker.ports.stomp);
  await send(c, q, ['a', 'b', 'c']);
  c.write(frame('SUBSCRIBE', { id: 's', destination: q, ack: 'client-individual' }));
  const got = await messages(c, 3);
  c.write(frame('ACK', { id: got[1]!.headers['ack']!, receipt: 'r' }));
  await c.expect('RECEIPT');
  c.write(frame('UNSUBSCRIBE', { id: 's', receipt: 'u' }));
  await c.expect('RECEIPT');
  // Unacked a and c went back to the queue on UNSUBSCRIBE.
  c.write(frame('SUBSCRIBE', { id: 't', destination: q, ack: 'auto' }));
  const again = await messages(c, 2);
  assert.deepEqual(again.map((m) => m.body.toString()), ['a', 'c']);
  await quiet(c);
  c.close();
});

test('STOMP 1.1 ACK with message-id + subscription; 1.0 ACK with message-id', async () => {
  for (const version of ['1.1', '1.0']) {
    const q = `/queue/ack-v${version}`;
    const c = await rawConnected(broker.ports.stomp, version === '1.0' ? {} : { 'accept-version': version, host: '/' });
    c.write(frame('SUBSCRIBE', { id: 'sub', destination: q, ack: 'client' }));
    await send(c, q, ['x']);
    const [m] = await messages(c, 1);
    assert.equal(m!.headers['ack'], undefined, `no ack header before 1.2 (${version})`);
    const ack: Record<string, string> = { 'message-id': m!.headers['message-id']!, receipt: 'k' };
    if (version === '1.1') ack['subscription'] = 'sub';
    c.write(frame('ACK', ack));
    await c.expect('RECEIPT');
    // Acked: nothing comes back.
    await closeAndExpectEmpty(c, q);
  }
});

test('NACK requeues by default (RabbitMQ); requeue:false dead-letters', async () => {
  const c = await rawConnected(broker.ports.stomp);
  await subscribeWithDeadLetter(c, 'nack-src', 'nack-dead', 'client-individual');
  await send(c, '/queue/nack-src', ['n1']);
  const [m] = await messages(c, 1);
  c.write(frame('NACK', { id: m!.headers['ack']! }));
  const [again] = await messages(c, 1);
  assert.equal(again!.headers['subscription'], 's');
  assert.equal(again!.headers['redelivered'], 'true');
  c.write(frame('NACK', { id: again!.headers['ack']!, requeue: 'false' }));
  const [dead] = await messages(c, 1);
  assert.equal(dead!.headers['subscription'], 'dl');
  assert.equal(dead!.body.toString(), 'n1');
  c.close();
});

test('nackRequeue:false setting (ActiveMQ behaviour): NACK dead-letters', async () => {
  const c = await rawConnected(dlxBroker.ports.stomp);
  await subscribeWithDeadLetter(c, 'work', 'dlq', 'client');
  await send(c, '/queue/work', ['w1']);
  const [m] = await messages(c, 1);
  c.write(frame('NACK', { id: m!.headers['ack']! }));
  const [dead] = await messages(c, 1);
  assert.equal(dead!.headers['subscription'], 'dl');
  assert.equal(dead!.body.toString(), 'w1');
  c.close();
});

test('prefetch: activemq.prefetchSize and prefetch-count bound unacked deliveries', async () => {
  for (const header of ['activemq.prefetchSize', 'prefetch-count']) {
    const q = `/queue/prefetch-${header}`;
    const c = await rawConnected(broker.ports.stomp);
    await send(c, q, ['1', '2', '3', '4']);
    c.write(frame('SUBSCRIBE', { id: 's', destination: q, ack: 'client-individual', [header]: '2' }));
    const first = await messages(c, 2);
    await quiet(c);
    c.write(frame('ACK', { id: first[0]!.headers['ack']! }));
    const [third] = await messages(c, 1);
    assert.equal(third!.body.toString(), '3');
    await quiet(c);
    c.close();
  }
});

test('transactions: SEND held until COMMIT, dropped on ABORT; ACK applied at COMMIT', async () => {
  const q = '/queue/tx';
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('SUBSCRIBE', { id: 's', destination: q, ack: 'client-individual', receipt: 'sub' }));
  await c.expect('RECEIPT');
  c.write(frame('BEGIN', { transaction: 't1', receipt: 'b1' }));
  assert.equal((await c.expect('RECEIPT')).headers['receipt-id'], 'b1');
  c.write(frame('SEND', { destination: q, transaction: 't1', receipt: 's1' }, 'in-tx'));
  await c.expect('RECEIPT');
  await quiet(c);
  c.write(frame('COMMIT', { transaction: 't1', receipt: 'c1' }));
  const after = [await c.next(), await c.next()];
  const m = after.find((f) => f.command === 'MESSAGE');
  assert.ok(m && after.some((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'c1'));
  assert.equal(m.body.toString(), 'in-tx');

  c.write(frame('BEGIN', { transaction: 't2' }));
  c.write(frame('SEND', { destination: q, transaction: 't2' }, 'aborted'));
  c.write(frame('ACK', { id: m.headers['ack']!, transaction: 't2' }));
  c.write(frame('ABORT', { transaction: 't2', receipt: 'a2' }));
  assert.equal((await c.expect('RECEIPT')).headers['receipt-id'], 'a2');
  await quiet(c);

  // The ACK was aborted: the message is still unacked; ack it in a committed transaction.
  c.write(frame('BEGIN', { transaction: 't3' }));
  c.write(frame('ACK', { id: m.headers['ack']!, transaction: 't3' }));
  c.write(frame('COMMIT', { transaction: 't3', receipt: 'c3' }));
  await c.expect('RECEIPT');
  await closeAndExpectEmpty(c, q);
});

test('disconnect requeues unacked messages for the next consumer', async () => {
  const q = '/queue/requeue-on-close';
  const c = await rawConnected(broker.ports.stomp);
  await send(c, q, ['u1', 'u2']);
  c.write(frame('SUBSCRIBE', { id: 's', destination: q, ack: 'client' }));
  await messages(c, 2);
  c.write(frame('DISCONNECT', { receipt: 'bye' }));
  await c.expect('RECEIPT');
  await c.waitClosed();
  const d = await rawConnected(broker.ports.stomp);
  d.write(frame('SUBSCRIBE', { id: 's', destination: q }));
  const got = await messages(d, 2);
  assert.deepEqual(got.map((m) => m.body.toString()), ['u1', 'u2']);
  assert.ok(got.every((m) => m.headers['redelivered'] === 'true'));
  d.close();
});

test('client mode NACK is cumulative too: NACK of the 2nd requeues the 1st and the 2nd, not the 3rd', async () => {
  const q = '/queue/nack-client-cumulative';
  const c = await rawConnected(broker.ports.stomp);
  await send(c, q, ['c1', 'c2', 'c3']);
  c.write(frame('SUBSCRIBE', { id: 's', destination: q, ack: 'client', 'prefetch-count': '3' }));
  const got = await messages(c, 3);
  c.write(frame('NACK', { id: got[1]!.headers['ack']!, receipt: 'n' }));
  await c.receipt('n');
  // Prefetch 3 with c3 still unacked: exactly two come back, redelivered, in order.
  const again = await messages(c, 2);
  assert.deepEqual(again.map((m) => m.body.toString()), ['c1', 'c2']);
  assert.ok(again.every((m) => m.headers['redelivered'] === 'true'));
  await quiet(c);
  // c3 is still outstanding: ACK it (no ERROR), then the redelivered ones.
  c.write(frame('ACK', { id: got[2]!.headers['ack']!, receipt: 'a3' }));
  await c.receipt('a3');
  c.write(frame('ACK', { id: again[1]!.headers['ack']!, receipt: 'a' }));
  await c.receipt('a');
  await closeAndExpectEmpty(c, q);
});

test('STOMP 1.1 NACK with message-id + subscription; the subscription must match', async () => {
  const q = '/queue/nack-v11';
  const c = await rawConnected(broker.ports.stomp, { 'accept-version': '1.1', host: '/' });
  c.write(frame('SUBSCRIBE', { id: 'sub', destination: q, ack: 'client-individual' }));
  await send(c, q, ['x']);
  const [m] = await messages(c, 1);
  c.write(frame('NACK', { 'message-id': m!.headers['message-id']!, subscription: 'sub', receipt: 'n' }));
  await c.receipt('n');
  const [again] = await messages(c, 1);
  assert.equal(again!.body.toString(), 'x');
  assert.equal(again!.headers['redelivered'], 'true');
  c.write(frame('NACK', { 'message-id': again!.headers['message-id']!, subscription: 'other', receipt: 'bad' }));
  const e = await c.expect('ERROR');
  assert.equal(e.headers['message'], 'Unknown subscription');
  assert.equal(e.headers['receipt-id'], 'bad');
  await c.waitClosed();
});

test('transactions cover NACK: applied at COMMIT, dropped on ABORT', async () => {
  const q = '/queue/tx-nack';
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('SUBSCRIBE', { id: 's', destination: q, ack: 'client-individual', receipt: 'sub' }));
  await c.receipt('sub');
  await send(c, q, ['t']);
  const [m] = await messages(c, 1);
  c.write(frame('BEGIN', { transaction: 'a' }));
  c.write(frame('NACK', { id: m!.headers['ack']!, transaction: 'a', receipt: 'held' }));
  await c.receipt('held');
  c.write(frame('ABORT', { transaction: 'a', receipt: 'aborted' }));
  await c.receipt('aborted');
  // Aborted: not requeued, still outstanding.
  await quiet(c);
  c.write(frame('BEGIN', { transaction: 'b' }));
  c.write(frame('NACK', { id: m!.headers['ack']!, transaction: 'b' }));
  await quiet(c);
  c.write(frame('COMMIT', { transaction: 'b', receipt: 'committed' }));
  const after = [await c.next(), await c.next()];
  const redelivered = after.find((f) => f.command === 'MESSAGE');
  assert.ok(after.some((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'committed'));
  assert.equal(redelivered?.body.toString(), 't');
  assert.equal(redelivered?.headers['redelivered'], 'true');
  c.close();
});
