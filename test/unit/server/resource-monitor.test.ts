import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryLimitBytes, ResourceMonitor } from '../../../src/server/resource-monitor.js';
import type { Logger } from '../../../src/core/api.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

test('memory watermark: a fraction of RAM or an absolute byte count', () => {
  assert.equal(memoryLimitBytes(0.4, 1000), 400);
  assert.equal(memoryLimitBytes(1, 1000), 1000);
  assert.equal(memoryLimitBytes(5_000_000, 1000), 5_000_000);
});

test('alarms are set when a threshold is crossed and cleared when it is not', () => {
  const calls: string[] = [];
  let rss = 100;
  let free = 10_000;
  const m = new ResourceMonitor(
    { memoryHighWatermark: 500, diskFreeLimit: 1000, checkIntervalMs: 1000, dataDir: '.' },
    { setAlarm: (s, a) => calls.push(`${s}:${a}`) },
    quiet,
    { rss: () => rss, diskFree: () => free },
  );
  m.check();
  assert.deepEqual(calls, [], 'nothing to report under the limits');
  rss = 600;
  m.check();
  m.check();
  assert.deepEqual(calls, ['memory:true'], 'set once, not on every sample');
  free = 999;
  m.check();
  rss = 100;
  m.check();
  free = 5000;
  m.check();
  assert.deepEqual(calls, ['memory:true', 'disk:true', 'memory:false', 'disk:false']);
});
