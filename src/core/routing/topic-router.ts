import type { Message } from '../message.js';
import type { Binding, Router } from './binding.js';

/**
 * Topic exchange (AMQP 0-9-1 §3.1.3.3): binding keys are words separated by '.',
 * `*` matches exactly one word and `#` zero or more. Bindings live in a trie keyed
 * by word, so a lookup costs O(words x wildcard branches) instead of a scan of
 * every binding; results are cached per routing key and the cache is dropped on
 * any binding change.
 *
 * Splitting follows RabbitMQ: '' is zero words, 'a..b' is ['a', '', 'b'].
 */
interface TrieNode<D> {
  readonly id: number;
  readonly children: Map<string, TrieNode<D>>;
  star: TrieNode<D> | undefined;
  hash: TrieNode<D> | undefined;
  bindings: Binding<D>[];
}

const CACHE_LIMIT = 4096;

export const splitTopic = (key: string): string[] => (key === '' ? [] : key.split('.'));

export class TopicRouter<D> implements Router<D> {
  private nextId = 0;
  private readonly root: TrieNode<D> = this.node();
  private readonly cache = new Map<string, Binding<D>[]>();

  add(b: Binding<D>): void {
    let n = this.root;
    for (const w of normalise(splitTopic(b.routingKey))) {
      if (w === '*') n = n.star ??= this.node();
      else if (w === '#') n = n.hash ??= this.node();
      else {
        let c = n.children.get(w);
        if (!c) n.children.set(w, (c = this.node()));
        n = c;
      }
    }
    n.bindings.push(b);
    this.cache.clear();
  }

  remove(b: Binding<D>): void {
    const words = normalise(splitTopic(b.routingKey));
    const path: TrieNode<D>[] = [this.root];
    let n: TrieNode<D> | undefined = this.root;
    for (const w of words) {
      n = w === '*' ? n.star : w === '#' ? n.hash : n.children.get(w);
      if (!n) return;
      path.push(n);
    }
    const i = n.bindings.indexOf(b);
    if (i < 0) return;
    n.bindings.splice(i, 1);
    this.cache.clear();
    // Prune now-empty nodes bottom-up so the trie does not grow forever under churn (MQTT).
    for (let d = words.length; d > 0; d--) {
      const node = path[d] as TrieNode<D>;
      if (node.bindings.length > 0 || node.children.size > 0 || node.star || node.hash) break;
      const parent = path[d - 1] as TrieNode<D>;
      const w = words[d - 1] as string;
      if (w === '*') parent.star = undefined;
      else if (w === '#') parent.hash = undefined;
      else parent.children.delete(w);
    }
  }

  route(routingKey: string, _message: Message): readonly Binding<D>[] {
    let hit = this.cache.get(routingKey);
    if (hit === undefined) {
      hit = this.match(routingKey);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(routingKey, hit);
    }
    return hit;
  }

  /** Uncached match; exposed for tests. */
  match(routingKey: string): Binding<D>[] {
    const words = splitTopic(routingKey);
    const found = new Set<Binding<D>>();
    // (node, position) pairs already explored: keeps `#`-heavy patterns polynomial.
    const seen = new Set<number>();
    const stride = words.length + 1;
    const walk = (n: TrieNode<D>, i: number): void => {
      const mark = n.id * stride + i;
      if (seen.has(mark)) return;
      seen.add(mark);
      if (n.hash) {
        // '#' swallows zero or more words: continue after it from every later position.
        for (let j = i; j <= words.length; j++) walk(n.hash, j);
      }
      if (i === words.length) {
        for (const b of n.bindings) found.add(b);
        return;
      }
      const c = n.children.get(words[i] as string);
      if (c) walk(c, i + 1);
      if (n.star) walk(n.star, i + 1);
    };
    walk(this.root, 0);
    return Array.from(found);
  }

  private node(): TrieNode<D> {
    return { id: this.nextId++, children: new Map(), star: undefined, hash: undefined, bindings: [] };
  }
}

/** `#.#` is the same pattern as `#`; collapsing keeps the trie and the walk small. */
function normalise(words: string[]): string[] {
  const out: string[] = [];
  for (const w of words) if (!(w === '#' && out[out.length - 1] === '#')) out.push(w);
  return out;
}
