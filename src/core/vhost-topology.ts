import type { BindingSpec, FilterSource } from './api.js';
import type { Exchange, Destination } from './exchange.js';
import type { FieldTable } from './message.js';
import type { Queue } from './queue.js';
import { destroyQueue } from './queue-admin.js';
import { bindingKey, type Binding } from './routing/binding.js';
import type { VirtualHostImpl } from './vhost.js';

/*
 * A virtual host's graph of exchanges, queues and bindings. Every binding is recorded
 * on both ends (the source's `outgoing`, the destination's `incoming` as
 * "source\u0000key"), so removing either end removes its bindings without a scan.
 * Removing an exchange or a queue, exchange auto-delete, and the binding listings.
 */

/** The exchange goes with its bindings, both ways; sources left without bindings may auto-delete. */
export function removeExchange(vh: VirtualHostImpl, x: Exchange): void {
  vh.exchanges.delete(x.name);
  let durableChange = x.options.durable;
  for (const b of [...x.outgoing.values()]) {
    x.removeBinding(b);
    b.destination.incoming.delete(`${x.name}\u0000${b.key}`);
    if (isDurableBinding(x, b.destination)) durableChange = true;
  }
  // Bindings where this exchange is the destination go too; their sources may auto-delete.
  if (removeIncoming(vh, x)) durableChange = true;
  if (durableChange) vh.env.definitionsChanged();
}

export function maybeAutoDeleteExchange(vh: VirtualHostImpl, x: Exchange): void {
  if (x.options.autoDelete && x.outgoing.size === 0 && vh.exchanges.get(x.name) === x) removeExchange(vh, x);
}

/** The queue goes with its bindings (their sources may auto-delete); consumers are told `reason`. */
export function removeQueue(vh: VirtualHostImpl, q: Queue, reason: string): number {
  if (vh.queues.get(q.name) !== q) return 0;
  vh.queues.delete(q.name);
  let durableChange = vh.isPersistedQueue(q);
  if (removeIncoming(vh, q)) durableChange = true;
  const n = destroyQueue(q, reason);
  if (durableChange) vh.env.definitionsChanged();
  return n;
}

/** Remove every binding whose destination is `d`; their sources may auto-delete. True if one was durable. */
function removeIncoming(vh: VirtualHostImpl, d: Destination): boolean {
  let durable = false;
  for (const ref of [...d.incoming]) {
    const [source, key] = splitRef(ref);
    const src = vh.exchanges.get(source);
    const b = src?.outgoing.get(key);
    if (!src || !b) continue;
    src.removeBinding(b);
    if (isDurableBinding(src, d)) durable = true;
    maybeAutoDeleteExchange(vh, src);
  }
  d.incoming.clear();
  return durable;
}

/** Shared by bind and recovery. Re-binding an existing identity only replaces its filter. */
export function addBinding(
  vh: VirtualHostImpl,
  src: Exchange,
  dest: Destination,
  kind: 'queue' | 'exchange',
  destName: string,
  routingKey: string,
  args: FieldTable,
  filter: BindingSpec['filter'],
  filterSource: FilterSource | undefined,
): void {
  const key = bindingKey(kind, destName, routingKey, args);
  const existing = src.outgoing.get(key);
  if (existing) {
    const sourceChanged = !sameFilterSource(existing.filterSource, filterSource);
    existing.filter = filter;
    existing.filterSource = filterSource;
    if (sourceChanged && isDurableBinding(src, dest)) vh.env.definitionsChanged();
    return;
  }
  const b: Binding<Destination> = { source: src.name, destinationKind: kind, destinationName: destName, destination: dest, routingKey, arguments: args, key, filter, filterSource };
  src.addBinding(b);
  dest.incoming.add(`${src.name}\u0000${key}`);
  if (isDurableBinding(src, dest)) vh.env.definitionsChanged();
}

function sameFilterSource(a: FilterSource | undefined, b: FilterSource | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.language === b.language && a.expression === b.expression);
}

export function listBindings(vh: VirtualHostImpl): BindingSpec[] {
  const out: BindingSpec[] = [];
  // The default exchange's implicit binding of every queue, as RabbitMQ lists them.
  for (const q of vh.queues.values()) out.push({ source: '', destinationKind: 'queue', destination: q.name, routingKey: q.name, arguments: {} });
  for (const x of vh.exchanges.values()) {
    for (const b of x.outgoing.values()) {
      out.push({
        source: b.source,
        destinationKind: b.destinationKind,
        destination: b.destinationName,
        routingKey: b.routingKey,
        arguments: b.arguments,
        ...(b.filter !== undefined ? { filter: b.filter } : {}),
        ...(b.filterSource !== undefined ? { filterSource: b.filterSource } : {}),
      });
    }
  }
  return out;
}

/** Durable bindings between durable ends, for definitions. */
export function durableBindings(vh: VirtualHostImpl): Binding<Destination>[] {
  const out: Binding<Destination>[] = [];
  for (const x of vh.exchanges.values()) for (const b of x.outgoing.values()) if (isDurableBinding(x, b.destination)) out.push(b);
  return out;
}

export function isDurableBinding(src: Exchange, dest: Destination): boolean {
  if (!src.options.durable) return false;
  if (dest.kind === 'exchange') return dest.options.durable;
  return dest.options.durable && !dest.options.exclusive;
}

function splitRef(ref: string): [string, string] {
  const i = ref.indexOf('\u0000');
  return [ref.slice(0, i), ref.slice(i + 1)];
}
