/**
 * In-memory implementation of the core's RetainedStore contract (src/core/api.ts),
 * used when a virtual host does not provide one. Keys are routing keys split into
 * words on '.'; a trie gives pattern lookups proportional to the matching part of the
 * tree rather than to the number of retained messages.
 *
 * Not persisted: retained messages are lost on broker restart (see docs/mqtt.md).
 */
import type { RetainedMessage, RetainedStore, VirtualHost } from '../../core/api.js';
import type { MessageProperties } from '../../core/message.js';

interface Node {
  readonly children: Map<string, Node>;
  message: RetainedMessage | undefined;
}

const newNode = (): Node => ({ children: new Map(), message: undefined });
const words = (key: string): string[] => (key === '' ? [] : key.split('.'));

export class MemoryRetainedStore implements RetainedStore {
  private readonly roots = new Map<string, Node>();
  private count = 0;

  constructor(private readonly maxMessages: number) {}

  get size(): number {
    return this.count;
  }

  set(exchange: string, routingKey: string, properties: MessageProperties, body: Buffer): boolean {
    let root = this.roots.get(exchange);
    if (root === undefined) this.roots.set(exchange, (root = newNode()));
    const path = words(routingKey);
    // Refuse a new key at capacity before creating any node.
    if (this.count >= this.maxMessages && this.find(root, path)?.message === undefined) return false;
    let n: Node = root;
    for (const w of path) {
      let c: Node | undefined = n.children.get(w);
      if (c === undefined) n.children.set(w, (c = newNode()));
      n = c;
    }
    if (n.message === undefined) this.count++;
    n.message = { exchange, routingKey, properties, body };
    return true;
  }

  clear(exchange: string, routingKey: string): void {
    const root = this.roots.get(exchange);
    if (root === undefined) return;
    const path = words(routingKey);
    const trail: Node[] = [root];
    let n: Node | undefined = root;
    for (const w of path) {
      n = n.children.get(w);
      if (n === undefined) return;
      trail.push(n);
    }
    if (n.message === undefined) return;
    n.message = undefined;
    this.count--;
    // Prune empty branches so topic churn does not grow the trie.
    for (let d = path.length; d > 0; d--) {
      const node = trail[d]!;
      if (node.message !== undefined || node.children.size > 0) break;
      trail[d - 1]!.children.delete(path[d - 1]!);
    }
  }

  match(exchange: string, pattern: string): RetainedMessage[] {
    const root = this.roots.get(exchange);
    if (root === undefined) return [];
    // A Set: patterns like `#.b.#` reach the same node along several paths.
    const out = new Set<RetainedMessage>();
    collect(root, words(pattern), 0, out);
    return [...out];
  }

  private find(n: Node, path: readonly string[]): Node | undefined {
    let cur: Node | undefined = n;
    for (const w of path) {
      cur = cur.children.get(w);
      if (cur === undefined) return undefined;
    }
    return cur;
  }
}

/** Topic-exchange matching of pattern words against the trie (`*` one word, `#` zero or more). */
function collect(n: Node, pat: readonly string[], i: number, out: Set<RetainedMessage>): void {
  if (i === pat.length) {
    if (n.message !== undefined) out.add(n.message);
    return;
  }
  const w = pat[i]!;
  if (w === '#') {
    // Zero words here, or one word then '#' again (collapsing consecutive '#').
    let j = i + 1;
    while (j < pat.length && pat[j] === '#') j++;
    collect(n, pat, j, out);
    for (const c of n.children.values()) collect(c, pat, i, out);
    return;
  }
  if (w === '*') {
    for (const c of n.children.values()) collect(c, pat, i + 1, out);
    return;
  }
  const c = n.children.get(w);
  if (c !== undefined) collect(c, pat, i + 1, out);
}

const fallback = new WeakMap<VirtualHost, RetainedStore>();

/** The vhost's own retained store when the core has one, else a per-vhost in-memory store. */
export function retainedStoreFor(vhost: VirtualHost, maxMessages: number): RetainedStore {
  if (vhost.retained !== undefined) return vhost.retained;
  let s = fallback.get(vhost);
  if (s === undefined) fallback.set(vhost, (s = new MemoryRetainedStore(maxMessages)));
  return s;
}
