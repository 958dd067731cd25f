/**
 * Issue 3 "Paging", at CI size: 300 000 persistent 1 KiB messages into one durable
 * queue through amqplib with confirms, a restart, a full drain checked for count and
 * order, and the broker's peak RSS (VmHWM of the broker process) under a generous bound.
 * The 5-million run is scripts/large-queue.mjs (docs/store.md "Measurements").
 * WHARF_LARGE_COUNT overrides the size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tempDataDir } from '../../helpers/broker.js';
import { mib, runLargeQueue } from './large-queue-run.js';

const COUNT = Number(process.env.WHARF_LARGE_COUNT ?? 300_000);
/**
 * A memory bound, not a timing one: measured ~250 MiB peak at 300k. Without paging the
 * bodies alone would be 300 MiB (plus ~300 bytes of objects per message); the bound
 * fails if bodies stayed on the heap.
 */
const RSS_LIMIT = 150 * 1024 * 1024 + COUNT * 1024;

test(`${COUNT.toLocaleString('en')} persistent 1 KiB messages: publish, restart, drain in order, broker RSS bounded`, { timeout: 600_000 }, async (t) => {
  const dataDir = tempDataDir('wharf-large-');
  try {
    const r = await runLargeQueue({ dataDir, count: COUNT, size: 1024 });
    t.diagnostic(
      `published ${r.publishRate.toLocaleString('en')} msg/s; restart served ${r.recoveredCount.toLocaleString('en')} after ${r.restartToServeMs} ms; ` +
        `drained ${r.drainRate.toLocaleString('en')} msg/s; broker peak RSS ${mib(r.afterPublish.peakRss)} (publish), ${mib(r.afterDrain.peakRss)} (restart + drain)`,
    );
    assert.equal(r.recoveredCount, COUNT, 'every confirmed message is there after the restart');
    assert.equal(r.drained, COUNT);
    assert.equal(r.outOfOrder, 0, 'drained in publish order');
    assert.equal(r.redelivered, 0, 'nothing was delivered before the restart');
    assert.ok(r.peakRss < RSS_LIMIT, `broker peak RSS ${mib(r.peakRss)} under ${mib(RSS_LIMIT)}`);
    assert.doesNotMatch(r.brokerLog, /"level":(50|60)/, 'no error logged');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
