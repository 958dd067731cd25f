import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, bucketOf, bucketRange, HISTOGRAM_MAX_VALUE } from '../../../src/bench/histogram.js';

test('every value falls inside the range of its bucket, and buckets are at most 1/64 wide', () => {
  const values = [0, 1, 2, 63, 64, 127, 128, 129, 255, 256, 1000, 1023, 1024, 4095, 4096, 65535, 65536, 1e6, 123456789, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32 + 7, 2 ** 40];
  for (let v = 0; v < 5000; v++) values.push(v);
  for (const v of values) {
    const i = bucketOf(v);
    const [lo, hi] = bucketRange(i);
    assert.ok(lo <= v && v <= hi, `${v} not in bucket ${i} [${lo}, ${hi}]`);
    if (v >= 128) assert.ok((hi - lo + 1) / lo <= 1 / 64 + 1e-12, `bucket of ${v} too wide`);
    else assert.equal(lo, hi, `small value ${v} must be exact`);
  }
});

test('bucket indexes are monotonic in the value', () => {
  let prev = -1;
  for (let v = 0; v < 200000; v += 7) {
    const i = bucketOf(v);
    assert.ok(i >= prev);
    prev = i;
  }
  // Adjacent buckets tile the number line without gaps.
  for (let i = 1; i < bucketOf(2 ** 33); i++) assert.equal(bucketRange(i)[0], bucketRange(i - 1)[1] + 1);
  assert.equal(bucketOf(2 ** 31), bucketOf(2 ** 31 - 1) + 1, "fast and slow paths meet without a gap");
});

test('values beyond the maximum are clamped, negative ones recorded as 0', () => {
  const h = new Histogram();
  h.record(-5);
  assert.equal(h.min, 0);
  assert.equal(bucketOf(HISTOGRAM_MAX_VALUE * 4), bucketOf(HISTOGRAM_MAX_VALUE));
});

test('percentiles of 1..10000 are within the bucket precision', () => {
  const h = new Histogram();
  for (let v = 10000; v >= 1; v--) h.record(v);
  assert.equal(h.count, 10000);
  assert.equal(h.min, 1);
  assert.equal(h.max, 10000);
  assert.equal(h.mean(), 5000.5);
  const near = (got: number, want: number): void => assert.ok(Math.abs(got - want) / want <= 1 / 64, `got ${got}, want ~${want}`);
  near(h.percentile(50), 5000);
  near(h.percentile(99), 9900);
  near(h.percentile(99.9), 9990);
  assert.equal(h.percentile(100), 10000);
  assert.equal(h.percentile(0.01), 1);
});

test('percentile picks the rank ceil(p * n): exact for small values', () => {
  const h = new Histogram();
  for (const v of [5, 1, 3, 2, 4]) h.record(v);
  assert.equal(h.percentile(20), 1);
  assert.equal(h.percentile(21), 2);
  assert.equal(h.percentile(50), 3);
  assert.equal(h.percentile(80), 4);
  assert.equal(h.percentile(99), 5);
});

test('a skewed distribution: p99 sees the tail, p50 does not', () => {
  const h = new Histogram();
  for (let i = 0; i < 980; i++) h.record(100);
  for (let i = 0; i < 20; i++) h.record(50000);
  assert.equal(h.percentile(50), 100);
  assert.equal(h.percentile(98), 100);
  assert.ok(h.percentile(99) >= 50000 * (1 - 1 / 64) && h.percentile(99) <= 50000);
});

test('empty histogram reports NaN; reset empties; add merges', () => {
  const a = new Histogram();
  assert.ok(Number.isNaN(a.percentile(50)));
  a.record(10);
  a.record(20);
  const b = new Histogram();
  b.record(30);
  a.add(b);
  assert.equal(a.count, 3);
  assert.equal(a.max, 30);
  assert.equal(a.percentile(100), 30);
  assert.equal(a.mean(), 20);
  a.reset();
  assert.equal(a.count, 0);
  assert.ok(Number.isNaN(a.percentile(99)));
});
