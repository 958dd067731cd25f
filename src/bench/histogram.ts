/**
 * Log-linear latency histogram over non-negative integers (microseconds).
 *
 * Values below 128 have their own bucket; above, each power of two is split into 64
 * linear sub-buckets, so a reported percentile is within 1/64 (1.6 %) of the true
 * value. Fixed memory (~14 KiB), O(1) record, no allocation per value: the same idea
 * as HdrHistogram with 2 significant digits.
 */

const LINEAR = 128; // values 0..127 exact
const SUB_BITS = 6; // 64 sub-buckets per power of two
const SUB = 1 << SUB_BITS;
const MAX_EXP = 40; // up to 2^41 us (~25 days): anything larger is clamped
const BUCKETS = LINEAR + (MAX_EXP - 7 + 1) * SUB;
export const HISTOGRAM_MAX_VALUE = 2 ** (MAX_EXP + 1) - 1;

export function bucketOf(v: number): number {
  if (v < LINEAR) return v < 0 ? 0 : Math.floor(v);
  if (v < 0x80000000) {
    // Fast path (every latency below ~35 minutes): integer bit tricks, no log2.
    const x = Math.floor(v);
    const exp = 31 - Math.clz32(x);
    return LINEAR + (exp - 7) * SUB + ((x >>> (exp - SUB_BITS)) - SUB);
  }
  if (v > HISTOGRAM_MAX_VALUE) v = HISTOGRAM_MAX_VALUE;
  const e = Math.floor(Math.log2(v)); // >= 31
  // Guard against log2 rounding at exact powers of two.
  const exp = 2 ** e > v ? e - 1 : 2 ** (e + 1) <= v ? e + 1 : e;
  const step = 2 ** (exp - SUB_BITS);
  const m = Math.floor(v / step); // 64..127
  return LINEAR + (exp - 7) * SUB + (m - SUB);
}

/** Smallest and largest value that fall in bucket `i`. */
export function bucketRange(i: number): [number, number] {
  if (i < LINEAR) return [i, i];
  const k = i - LINEAR;
  const exp = 7 + Math.floor(k / SUB);
  const m = SUB + (k % SUB);
  const step = 2 ** (exp - SUB_BITS);
  return [m * step, (m + 1) * step - 1];
}

export class Histogram {
  private counts = new Float64Array(BUCKETS);
  count = 0;
  min = Infinity;
  max = 0;
  private sum = 0;

  record(v: number): void {
    if (v < 0) v = 0;
    this.counts[bucketOf(v)]!++;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.min = Infinity;
    this.max = 0;
    this.sum = 0;
  }

  add(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /**
   * The value at percentile `p` (0 < p <= 100): the smallest recorded value v such that
   * at least p % of the values are <= v, reported as the upper end of its bucket (never
   * above the largest recorded value). NaN when empty.
   */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.max(this.min, Math.min(bucketRange(i)[1], this.max));
    }
    return this.max;
  }
}
