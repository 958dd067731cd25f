/**
 * Loss and duplicate accounting. Every body carries (producer id, sequence number);
 * each delivery group (a queue's competing consumers, or one topic subscriber) keeps a
 * bitmap per producer of the sequence numbers it has seen. At the end, the expected
 * count of a group is what its producers sent, so:
 *   loss       = expected - distinct received   (never hidden, even for QoS 0)
 *   duplicates = received - distinct received
 */

class SeqSet {
  private bits = new Uint8Array(1024);
  /** True if `seq` was already present. */
  testAndSet(seq: number): boolean {
    const byte = seq >>> 3;
    if (byte >= this.bits.length) {
      let n = this.bits.length * 2;
      while (n <= byte) n *= 2;
      const grown = new Uint8Array(n);
      grown.set(this.bits);
      this.bits = grown;
    }
    const mask = 1 << (seq & 7);
    const had = (this.bits[byte]! & mask) !== 0;
    this.bits[byte]! |= mask;
    return had;
  }
}

export class GroupTracker {
  received = 0;
  distinct = 0;
  private perProducer: (SeqSet | undefined)[] = [];

  /** Record one delivery; returns true when it is a duplicate. */
  record(producer: number, seq: number): boolean {
    this.received++;
    let set = this.perProducer[producer];
    if (set === undefined) {
      set = new SeqSet();
      this.perProducer[producer] = set;
    }
    if (set.testAndSet(seq)) return true;
    this.distinct++;
    return false;
  }

  get duplicates(): number {
    return this.received - this.distinct;
  }
}

export interface DeliveryTotals {
  expected: number;
  received: number;
  distinct: number;
  duplicates: number;
  lost: number;
  /** Distinct deliveries beyond what was expected (messages from an earlier run, or a bug). */
  unexpected: number;
}

/** Sum over groups: `expectedOf(g)` is how many distinct messages group g should have seen. */
export function totals(groups: readonly GroupTracker[], expectedOf: (g: number) => number): DeliveryTotals {
  const t: DeliveryTotals = { expected: 0, received: 0, distinct: 0, duplicates: 0, lost: 0, unexpected: 0 };
  groups.forEach((g, i) => {
    const exp = expectedOf(i);
    t.expected += exp;
    t.received += g.received;
    t.distinct += g.distinct;
    t.duplicates += g.duplicates;
    if (g.distinct < exp) t.lost += exp - g.distinct;
    else t.unexpected += g.distinct - exp;
  });
  return t;
}
