/**
 * In-memory implementation of the core's RetainedStore contract (src/core/api.ts),
 * used when a virtual host does not provide one. Keys are routing keys split into
 * words on '.'; a trie gives pattern lookups proportional to the matching part of the
 * tree rather than to the number of retained messages.
 *
 * Persistence is layered on top by QueueBackedRetainedStore below.
 */
import type { ConnectionId, Logger, Principal, QueueDeliveryTag, RetainedMessage, RetainedStore, User, VirtualHost } from '../../core/api.js';
import type { FieldTable, MessageProperties } from '../../core/message.js';

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

/** The durable queue that persists retained messages of a virtual host (see QueueBackedRetainedStore). */
export const RETAINED_QUEUE = 'mqtt-retained';
const H_EXCHANGE = 'x-retained-exchange';
const H_ROUTING_KEY = 'x-retained-routing-key';
/** Owner id of the store's unacknowledged gets: never closed, so they stay held. */
const STORE_CONNECTION = 0x7fff_fff0 as ConnectionId;

/**
 * Retained messages kept in memory (the trie answers lookups) and persisted through the
 * core alone: each retained message is also a persistent message in the durable queue
 * `mqtt-retained`, fetched with `get` and never acknowledged while it is current, so
 * it stays in the store; replacing or clearing a topic acknowledges the old one. After a
 * restart the queue holds exactly the current retained messages and is read back.
 */
export class QueueBackedRetainedStore implements RetainedStore {
  private readonly memory: MemoryRetainedStore;
  private readonly tags = new Map<string, QueueDeliveryTag>();
  private declared: boolean;
  private readonly p: Principal;

  constructor(
    private readonly vhost: VirtualHost,
    user: User,
    maxMessages: number,
    private readonly log: Logger,
  ) {
    this.memory = new MemoryRetainedStore(maxMessages);
    this.p = { user, connectionId: STORE_CONNECTION };
    this.declared = vhost.getQueue(RETAINED_QUEUE) !== undefined;
    if (!this.declared) return;
    try {
      this.load();
    } catch (err) {
      // E.g. the first user to need the store may not read the queue: serve what loaded.
      log.warn({ err }, 'mqtt: could not read persisted retained messages');
    }
  }

  get size(): number {
    return this.memory.size;
  }

  /** Read every message back after a restart; keep the newest per key. */
  private load(): void {
    for (let d = this.vhost.get(this.p, RETAINED_QUEUE, false); d !== undefined; d = this.vhost.get(this.p, RETAINED_QUEUE, false)) {
      const h = d.message.properties.headers ?? {};
      const exchange = h[H_EXCHANGE];
      const routingKey = h[H_ROUTING_KEY];
      if (typeof exchange !== 'string' || typeof routingKey !== 'string') {
        this.vhost.settle(RETAINED_QUEUE, d.tag, { kind: 'ack' });
        continue;
      }
      const headers: FieldTable = { ...h };
      delete headers[H_EXCHANGE];
      delete headers[H_ROUTING_KEY];
      this.replaceTag(exchange, routingKey, d.tag);
      this.memory.set(exchange, routingKey, { ...d.message.properties, headers }, d.message.body);
    }
  }

  private replaceTag(exchange: string, routingKey: string, tag: QueueDeliveryTag | undefined): void {
    const k = `${exchange}\u0000${routingKey}`;
    const old = this.tags.get(k);
    if (old !== undefined) {
      try {
        this.vhost.settle(RETAINED_QUEUE, old, { kind: 'ack' });
      } catch {
        // The queue was purged or deleted by an operator: nothing to release.
      }
    }
    if (tag === undefined) this.tags.delete(k);
    else this.tags.set(k, tag);
  }

  set(exchange: string, routingKey: string, properties: MessageProperties, body: Buffer): boolean {
    if (!this.memory.set(exchange, routingKey, properties, body)) return false;
    try {
      if (!this.declared) {
        this.vhost.declareQueue(this.p, RETAINED_QUEUE, { durable: true, exclusive: false, autoDelete: false, arguments: {} }, false);
        this.declared = true;
      }
      const headers: FieldTable = { ...(properties.headers ?? {}), [H_EXCHANGE]: exchange, [H_ROUTING_KEY]: routingKey };
      this.vhost.publish(this.p, '', RETAINED_QUEUE, { ...properties, headers, deliveryMode: 2 }, body, { mandatory: false });
      // Every older message in the queue is held unacknowledged, so the one ready is this one.
      const d = this.vhost.get(this.p, RETAINED_QUEUE, false);
      this.replaceTag(exchange, routingKey, d?.tag);
    } catch (err) {
      this.declared = this.vhost.getQueue(RETAINED_QUEUE) !== undefined;
      this.log.warn({ err }, 'mqtt: retained message kept in memory only');
    }
    return true;
  }

  clear(exchange: string, routingKey: string): void {
    this.memory.clear(exchange, routingKey);
    this.replaceTag(exchange, routingKey, undefined);
  }

  match(exchange: string, pattern: string): RetainedMessage[] {
    return this.memory.match(exchange, pattern);
  }
}

const fallback = new WeakMap<VirtualHost, RetainedStore>();

/**
 * The vhost's own retained store when the core provides one (VirtualHost.retained), else
 * ours, created on first use with the first user that needs it.
 */
export function retainedStoreFor(vhost: VirtualHost, maxMessages: number, user: User, log: Logger): RetainedStore {
  if (vhost.retained !== undefined) return vhost.retained;
  let s = fallback.get(vhost);
  if (s === undefined) fallback.set(vhost, (s = new QueueBackedRetainedStore(vhost, user, maxMessages, log)));
  return s;
}
