/**
 * Delays past 2^31-1 ms: Node's setTimeout turns them into 1 ms, which deleted a queue
 * declared with a 30-day x-expires at once and spun the expiry timer of a message with a
 * 30-day TTL. The queue must wait in steps instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { q, startCore } from './helpers.js';

const THIRTY_DAYS = 30 * 24 * 3600 * 1000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('x-expires of 30 days keeps the queue (no 1 ms overflow)', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'long-expires', q({ arguments: { 'x-expires': THIRTY_DAYS } }), false);
  await sleep(60);
  assert.ok(t.vh.getQueue('long-expires'), 'queue still exists');
  await t.broker.close();
});

test('a 30-day message TTL keeps the message and leaves no hot timer', async () => {
  const t = await startCore();
  t.vh.declareQueue(t.p, 'long-ttl', q({ arguments: { 'x-message-ttl': THIRTY_DAYS } }), false);
  t.vh.publish(t.p, '', 'long-ttl', { expiration: String(THIRTY_DAYS) }, Buffer.from('x'), { mandatory: false });
  // Count expiry wake-ups: the overflowed timer fired every millisecond.
  const realSetTimeout = globalThis.setTimeout;
  let armed = 0;
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    armed++;
    return realSetTimeout(fn, ms);
  }) as typeof setTimeout;
  try {
    await sleep(60);
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  assert.equal(t.vh.getQueue('long-ttl')!.messageCount, 1);
  assert.ok(armed < 5, `expiry timer re-armed ${armed} times in 60 ms`);
  await t.broker.close();
});
