import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupTracker, totals } from '../../../src/bench/tracker.js';

test('duplicates and distinct counts per group', () => {
  const g = new GroupTracker();
  assert.equal(g.record(0, 0), false);
  assert.equal(g.record(0, 1), false);
  assert.equal(g.record(0, 1), true);
  assert.equal(g.record(1, 1), false, 'same sequence from another producer is not a duplicate');
  assert.equal(g.record(0, 100000), false, 'bitmap grows');
  assert.equal(g.record(0, 100000), true);
  assert.equal(g.received, 6);
  assert.equal(g.distinct, 4);
  assert.equal(g.duplicates, 2);
});

test('totals: loss is expected minus distinct, never hidden by duplicates', () => {
  const a = new GroupTracker();
  for (let s = 0; s < 10; s++) a.record(0, s);
  a.record(0, 3); // duplicate
  const b = new GroupTracker();
  for (let s = 0; s < 7; s++) b.record(0, s);
  b.record(0, 6);
  b.record(0, 6);
  const t = totals([a, b], (g) => (g === 0 ? 10 : 10));
  assert.equal(t.expected, 20);
  assert.equal(t.received, 11 + 9);
  assert.equal(t.distinct, 17);
  assert.equal(t.duplicates, 3);
  assert.equal(t.lost, 3);
  assert.equal(t.unexpected, 0);
});

test('totals: more distinct than expected is reported as unexpected, not as negative loss', () => {
  const a = new GroupTracker();
  for (let s = 0; s < 5; s++) a.record(2, s);
  const t = totals([a], () => 3);
  assert.equal(t.lost, 0);
  assert.equal(t.unexpected, 2);
});
