/**
 * A growable ring buffer. Queues keep their ready messages here because
 * `Array.prototype.shift` on a large array is O(n) and the hot path pops from the
 * head once per delivery.
 */
export class Deque<T> {
  private buf: (T | undefined)[];
  private head = 0;
  private len = 0;
  private mask: number;

  constructor(initialCapacity = 16) {
    let cap = 16;
    while (cap < initialCapacity) cap <<= 1;
    this.buf = new Array<T | undefined>(cap);
    this.mask = cap - 1;
  }

  get length(): number {
    return this.len;
  }

  push(item: T): void {
    if (this.len === this.buf.length) this.grow();
    this.buf[(this.head + this.len) & this.mask] = item;
    this.len++;
  }

  unshift(item: T): void {
    if (this.len === this.buf.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = item;
    this.len++;
  }

  peek(): T | undefined {
    return this.len === 0 ? undefined : this.buf[this.head];
  }

  peekLast(): T | undefined {
    return this.len === 0 ? undefined : this.buf[(this.head + this.len - 1) & this.mask];
  }

  shift(): T | undefined {
    if (this.len === 0) return undefined;
    const item = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.len--;
    return item;
  }

  /** Item at position i from the head (0-based); undefined when out of range. */
  get(i: number): T | undefined {
    if (i < 0 || i >= this.len) return undefined;
    return this.buf[(this.head + i) & this.mask];
  }

  /** Insert so the item ends up at position i (0 = head). O(min(i, len - i)). */
  insertAt(i: number, item: T): void {
    if (i <= 0) return this.unshift(item);
    if (i >= this.len) return this.push(item);
    if (this.len === this.buf.length) this.grow();
    if (i < this.len / 2) {
      // Move the first i items one slot towards the front.
      this.head = (this.head - 1) & this.mask;
      for (let k = 0; k < i; k++) {
        this.buf[(this.head + k) & this.mask] = this.buf[(this.head + k + 1) & this.mask];
      }
    } else {
      for (let k = this.len; k > i; k--) {
        this.buf[(this.head + k) & this.mask] = this.buf[(this.head + k - 1) & this.mask];
      }
    }
    this.buf[(this.head + i) & this.mask] = item;
    this.len++;
  }

  /** Remove and return the item at position i. */
  removeAt(i: number): T | undefined {
    if (i < 0 || i >= this.len) return undefined;
    if (i === 0) return this.shift();
    const item = this.buf[(this.head + i) & this.mask];
    if (i < this.len / 2) {
      for (let k = i; k > 0; k--) {
        this.buf[(this.head + k) & this.mask] = this.buf[(this.head + k - 1) & this.mask];
      }
      this.buf[this.head] = undefined;
      this.head = (this.head + 1) & this.mask;
    } else {
      for (let k = i; k < this.len - 1; k++) {
        this.buf[(this.head + k) & this.mask] = this.buf[(this.head + k + 1) & this.mask];
      }
      this.buf[(this.head + this.len - 1) & this.mask] = undefined;
    }
    this.len--;
    return item;
  }

  /**
   * Insert keeping the deque sorted ascending by `key` (requeue restores a
   * message to its original position). Items equal to existing keys go after them.
   */
  insertSorted(item: T, key: (t: T) => number): void {
    const k = key(item);
    // Fast paths: requeue of the oldest message (head) or the newest (tail).
    if (this.len === 0 || k >= key(this.buf[(this.head + this.len - 1) & this.mask] as T)) return this.push(item);
    if (k < key(this.buf[this.head] as T)) return this.unshift(item);
    let lo = 0;
    let hi = this.len;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (key(this.buf[(this.head + mid) & this.mask] as T) <= k) lo = mid + 1;
      else hi = mid;
    }
    this.insertAt(lo, item);
  }

  clear(): void {
    this.buf = new Array<T | undefined>(16);
    this.mask = 15;
    this.head = 0;
    this.len = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.len; i++) yield this.buf[(this.head + i) & this.mask] as T;
  }

  private grow(): void {
    const cap = this.buf.length * 2;
    const next = new Array<T | undefined>(cap);
    for (let i = 0; i < this.len; i++) next[i] = this.buf[(this.head + i) & this.mask];
    this.buf = next;
    this.head = 0;
    this.mask = cap - 1;
  }
}
