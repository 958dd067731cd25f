/**
 * The journal's in-memory index structures against plain reference models, under long
 * random operation sequences: the message table's hash (insert, move, delete with
 * backward shift, growth and shrinking) and the queue index (order, delivered flags,
 * fan-out to several queues, re-enqueue, head-chunk dropping and packing).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageTable } from '../../../src/store/journal/message-table.js';
import { QueueIndex } from '../../../src/store/journal/queue-index.js';
import { rng } from './helpers.js';

test('message table agrees with a Map under random puts, moves and deletes (including ids past 2^32, slot packing)', () => {
  const rand = rng(0x7ab1e);
  const t = new MessageTable();
  const ref = new Map<number, [number, number, number]>();
  const ids: number[] = [];
  let nextId = 1;
  for (let step = 0; step < 200_000; step++) {
    const r = rand();
    if (r < 0.5 || ids.length === 0) {
      // New ids: mostly sequential, some huge, some reused after deletion.
      const id = rand() < 0.05 ? 2 ** 40 + Math.floor(rand() * 1e6) : nextId++;
      if (ref.has(id)) continue;
      const loc: [number, number, number] = [Math.floor(rand() * 100), Math.floor(rand() * 1e6), 1 + Math.floor(rand() * 5000)];
      t.put(id, ...loc);
      ref.set(id, loc);
      ids.push(id);
    } else if (r < 0.6) {
      const id = ids[Math.floor(rand() * ids.length)]!;
      const loc: [number, number, number] = [Math.floor(rand() * 100), Math.floor(rand() * 1e6), 1 + Math.floor(rand() * 5000)];
      t.put(id, ...loc); // a compaction copy: the location moves
      ref.set(id, loc);
    } else {
      const k = Math.floor(rand() * ids.length);
      const id = ids[k]!;
      ids[k] = ids[ids.length - 1]!;
      ids.pop();
      t.delete(id);
      ref.delete(id);
    }
    if (step % 20_000 === 0 || step === 199_999) {
      assert.equal(t.size, ref.size);
      for (const [id, loc] of ref) {
        const slot = t.slotOf(id);
        assert.ok(slot !== undefined, `id ${id} present`);
        assert.deepEqual([t.segmentAt(slot), t.offsetAt(slot), t.lengthAt(slot)], loc);
      }
      let n = 0;
      t.forEach((id) => {
        assert.ok(ref.has(id));
        n++;
      });
      assert.equal(n, ref.size);
      // Iteration is in insertion order (what checkpoints rely on), like the Map's.
      assert.deepEqual(
        [...t.entries()].map(([id]) => id),
        [...ref.keys()],
      );
    }
  }
  // Drain to empty and refill: the table starts over cleanly.
  for (const id of [...ref.keys()]) t.delete(id);
  assert.equal(t.size, 0);
  assert.equal(t.has(1), false);
  t.put(5, 1, 2, 3);
  assert.equal(t.lengthAt(t.slotOf(5)!), 3);
});

test('queue index agrees with a reference model: order, flags, fan-out, re-enqueue, packing', () => {
  const rand = rng(0x9e7e);
  const table = new MessageTable();
  const qs = [new QueueIndex(table, 1), new QueueIndex(table, 2), new QueueIndex(table, 3)];
  const model: Array<Array<[number, boolean]>> = [[], [], []];
  const refs = new Map<number, number>();
  let nextId = 1;
  const check = (label: string): void => {
    for (let q = 0; q < qs.length; q++) {
      const got: Array<[number, boolean]> = [];
      qs[q]!.forEach((id, d) => got.push([id, d]));
      assert.deepEqual(got, model[q], `${label}: queue ${q}`);
      assert.equal(qs[q]!.size, model[q]!.length);
    }
  };
  for (let step = 0; step < 150_000; step++) {
    const r = rand();
    const q = Math.floor(rand() * 3);
    if (r < 0.45) {
      const id = nextId++;
      table.put(id, 1, id * 10, 100);
      const targets = rand() < 0.15 ? [q, (q + 1) % 3] : [q];
      for (const t of targets) {
        assert.equal(qs[t]!.add(id, false), true);
        assert.equal(qs[t]!.add(id, false), false, 'never twice in one queue');
        model[t]!.push([id, false]);
        refs.set(id, (refs.get(id) ?? 0) + 1);
      }
    } else if (r < 0.85 && model[q]!.length > 0) {
      // Mostly from the head (FIFO consumers), sometimes from anywhere.
      const at = rand() < 0.8 ? 0 : Math.floor(rand() * model[q]!.length);
      const [id] = model[q]!.splice(at, 1)[0]!;
      assert.equal(qs[q]!.remove(id), true);
      assert.equal(qs[q]!.remove(id), false);
      const n = refs.get(id)! - 1;
      if (n === 0) {
        refs.delete(id);
        // Sometimes the message comes back to the same queue (re-enqueue after a drop).
        if (rand() < 0.1) {
          assert.equal(qs[q]!.add(id, true), true);
          model[q]!.push([id, true]);
          refs.set(id, 1);
        } else table.delete(id);
      } else refs.set(id, n);
    } else if (model[q]!.length > 0) {
      const k = Math.floor(rand() * model[q]!.length);
      const e = model[q]![k]!;
      assert.equal(qs[q]!.markDelivered(e[0]), !e[1]);
      e[1] = true;
      assert.equal(qs[q]!.isDelivered(e[0]), true);
    }
    if (step % 10_000 === 0) check(`step ${step}`);
  }
  check('end');
  for (let q = 0; q < 3; q++) for (const [id] of model[q]!) assert.equal(qs[q]!.has(id), true);
});

test('queue index packs a queue whose middle was mostly removed, keeping order, flags and lookups', () => {
  const table = new MessageTable();
  const a = new QueueIndex(table, 1);
  const b = new QueueIndex(table, 2);
  const n = 200_000;
  for (let id = 1; id <= n; id++) {
    table.put(id, 1, id, 10);
    a.add(id, id % 7 === 0);
    if (id % 5 === 0) b.add(id); // fan-out: b finds these through its own map
  }
  // Keep the head and every fourth id: 3/4 of the positions go stale, not at the head.
  const kept: number[] = [1];
  for (let id = 2; id <= n; id++) {
    if (id % 4 === 0) kept.push(id);
    else assert.equal(a.remove(id), true);
  }
  assert.equal(a.size, kept.length);
  const got: number[] = [];
  a.forEach((id, d) => {
    got.push(id);
    assert.equal(d, id % 7 === 0, `delivered flag of ${id}`);
  });
  assert.deepEqual(got, kept);
  for (const id of kept) assert.equal(a.has(id), true);
  assert.equal(a.has(3), false);
  // After packing, positions changed: removal and flags still find the right entries.
  assert.equal(a.markDelivered(8), true);
  assert.equal(a.remove(12), true);
  assert.equal(a.isDelivered(8), true);
  assert.equal(b.size, n / 5);
  let bn = 0;
  b.forEach((id) => {
    assert.equal(id % 5, 0);
    bn++;
  });
  assert.equal(bn, n / 5);
  for (let id = 5; id <= n; id += 5) assert.equal(b.remove(id), true);
  assert.equal(b.size, 0);
});
