import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TopicRouter, splitTopic } from '../../../src/core/routing/topic-router.js';
import type { Binding } from '../../../src/core/routing/binding.js';

/** Reference matcher: straightforward recursion over words, no trie, no cache. */
function refMatch(pattern: string[], key: string[]): boolean {
  if (pattern.length === 0) return key.length === 0;
  const [p, ...rest] = pattern;
  if (p === '#') {
    for (let i = 0; i <= key.length; i++) if (refMatch(rest, key.slice(i))) return true;
    return false;
  }
  if (key.length === 0) return false;
  if (p === '*' || p === key[0]) return refMatch(rest, key.slice(1));
  return false;
}

test('topic trie agrees with a reference matcher on random patterns and keys (with bind/unbind churn)', () => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const words = ['a', 'b', 'c', ''];
  const pick = <T>(xs: T[]): T => xs[rnd(xs.length)] as T;
  const randomPattern = () => Array.from({ length: rnd(5) }, () => pick([...words, '*', '#'])).join('.');
  const randomKey = () => Array.from({ length: rnd(6) }, () => pick(words)).join('.');
  const router = new TopicRouter<string>();
  const live: Binding<string>[] = [];
  for (let round = 0; round < 300; round++) {
    if (live.length > 0 && rnd(3) === 0) {
      const b = live.splice(rnd(live.length), 1)[0] as Binding<string>;
      router.remove(b);
    } else {
      const rk = randomPattern();
      const b: Binding<string> = { source: 'x', destinationKind: 'queue', destinationName: `q${round}`, destination: `q${round}`, routingKey: rk, arguments: {}, key: `${round}`, filter: undefined, filterSource: undefined };
      router.add(b);
      live.push(b);
    }
    for (let k = 0; k < 10; k++) {
      const key = randomKey();
      const out = router.route(key, { exchange: 'x', routingKey: key, properties: {}, body: Buffer.alloc(0), id: 0 as never });
      const got = out.map((b) => b.destination).sort();
      const want = live.filter((b) => refMatch(splitTopic(b.routingKey), splitTopic(key))).map((b) => b.destination).sort();
      assert.deepEqual(got, want, `key '${key}' patterns ${JSON.stringify(live.map((b) => b.routingKey))}`);
    }
  }
});
