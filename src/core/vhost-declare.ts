import type { BindingSpec, ExchangeInfo, ExchangeOptions, ExchangeType, Principal, QueueDeclareResult, QueueOptions } from './api.js';
import { BrokerError, ErrorCode, accessRefused, notFound, preconditionFailed } from './errors.js';
import { Exchange, isExchangeType, type Destination } from './exchange.js';
import { generateQueueName, rs } from './names.js';
import { assertArgsEquivalent, assertExchangeEquivalent, assertField } from './equivalence.js';
import { EQUIVALENCE_ARGS, checkDeadLetterPair, fieldTypeName, parseQueueConfig, printValue } from './queue-config.js';
import { Queue } from './queue.js';
import { armUnusedTimer } from './queue-timers.js';
import { bindingKey } from './routing/binding.js';
import { isValidMatch } from './routing/headers-router.js';
import type { VirtualHostImpl } from './vhost.js';
import { addBinding, isDurableBinding, maybeAutoDeleteExchange, removeExchange, removeQueue } from './vhost-topology.js';
import { queueKey } from '../store/api.js';

/*
 * What a client asks of a virtual host's topology (the cold side of VirtualHostImpl):
 * declare and delete exchanges and queues, bind and unbind. Permission and
 * exclusivity checks, redeclare equivalence and RabbitMQ's error texts live here;
 * the graph changes themselves are in vhost-topology.ts.
 */

// ---- exchanges ---------------------------------------------------------------------

export function declareExchange(vh: VirtualHostImpl, p: Principal, name: string, type: ExchangeType, opts: ExchangeOptions, passive: boolean): ExchangeInfo {
  const existing = vh.exchanges.get(name);
  if (passive) {
    if (!existing) throw notFound(rs('exchange', name, vh.name));
    return existing.info();
  }
  if (name === '') throw accessRefused('operation not permitted on the default exchange');
  if (!isExchangeType(type)) {
    // RabbitMQ answers 503 command-invalid; the closest code in our catalogue.
    // RabbitMQ: 503 COMMAND_INVALID "invalid exchange type 'x'".
    throw new BrokerError(ErrorCode.CommandInvalid, `invalid exchange type '${String(type)}'`);
  }
  vh.check(p, 'configure', 'exchange', name);
  if (existing) {
    assertExchangeEquivalent(vh.name, existing, type, opts);
    return existing.info();
  }
  if (name.startsWith('amq.')) throw accessRefused(`exchange name '${name}' contains reserved prefix 'amq.*'`);
  const ae = opts.arguments['alternate-exchange'];
  if (ae !== undefined && typeof ae !== 'string' && !Buffer.isBuffer(ae)) {
    throw preconditionFailed(`invalid type '${fieldTypeName(ae)}' for arg 'alternate-exchange' in ${rs('exchange', name, vh.name)}`);
  }
  const x = new Exchange(name, type, { durable: opts.durable, autoDelete: opts.autoDelete, internal: opts.internal, arguments: opts.arguments });
  vh.exchanges.set(name, x);
  if (x.options.durable) vh.env.definitionsChanged();
  return x.info();
}

export function deleteExchange(vh: VirtualHostImpl, p: Principal, name: string, ifUnused: boolean): void {
  if (name === '') throw accessRefused('operation not permitted on the default exchange');
  if (name.startsWith('amq.')) throw accessRefused(`deletion of system ${rs('exchange', name, vh.name)} not allowed`);
  vh.check(p, 'configure', 'exchange', name);
  const x = vh.exchanges.get(name);
  // Deleting a missing exchange succeeds (RabbitMQ since 3.2: delete is idempotent).
  if (!x) return;
  if (ifUnused && x.outgoing.size > 0) throw preconditionFailed(`${rs('exchange', name, vh.name)} in use`);
  removeExchange(vh, x);
}

// ---- queues -------------------------------------------------------------------------

export function declareQueue(vh: VirtualHostImpl, p: Principal, name: string, opts: QueueOptions, passive: boolean): QueueDeclareResult {
  if (passive) {
    const q = vh.queues.get(name);
    if (!q) throw notFound(rs('queue', name, vh.name));
    vh.checkExclusive(p, q);
    armUnusedTimer(q);
    return { name: q.name, messageCount: q.messageCount, consumerCount: q.consumerCount };
  }
  let qname = name;
  if (qname === '') qname = generateQueueName();
  else if (qname.startsWith('amq.')) throw accessRefused(`queue name '${qname}' contains reserved prefix 'amq.*'`);
  vh.check(p, 'configure', 'queue', qname);
  const existing = vh.queues.get(qname);
  if (existing) {
    // Order as rabbit_amqqueue:assert_equivalence: exclusivity, durable, auto_delete, arguments.
    const owner = opts.exclusive ? p.connectionId : undefined;
    if (existing.exclusiveOwner !== owner) throw vh.locked(qname);
    assertField('queue', qname, vh.name, 'durable', String(opts.durable), String(existing.options.durable));
    assertField('queue', qname, vh.name, 'auto_delete', String(opts.autoDelete), String(existing.options.autoDelete));
    assertArgsEquivalent('queue', qname, vh.name, existing.options.arguments, opts.arguments, EQUIVALENCE_ARGS, { 'x-queue-type': 'classic' });
    armUnusedTimer(existing);
    return { name: qname, messageCount: existing.messageCount, consumerCount: existing.consumerCount };
  }
  const max = vh.env.limits.maxQueues;
  if (max > 0 && vh.queues.size >= max) {
    throw new BrokerError(ErrorCode.PreconditionFailed, `cannot declare ${rs('queue', qname, vh.name)}: queue limit in vhost '${vh.name}' (${max}) is reached`);
  }
  checkDeadLetterPair(qname, vh.name, opts.arguments);
  const config = parseQueueConfig(qname, vh.name, opts.arguments, opts.durable, opts.exclusive, opts.autoDelete);
  const q = new Queue(vh, qname, { durable: opts.durable, exclusive: opts.exclusive, autoDelete: opts.autoDelete, arguments: opts.arguments }, config, queueKey(vh.name, qname));
  if (opts.exclusive) {
    q.exclusiveOwner = p.connectionId;
    vh.touch(p.connectionId, q);
  }
  vh.queues.set(qname, q);
  if (vh.isPersistedQueue(q)) vh.env.definitionsChanged();
  return { name: qname, messageCount: 0, consumerCount: 0 };
}

export function deleteQueue(vh: VirtualHostImpl, p: Principal, name: string, ifUnused: boolean, ifEmpty: boolean): number {
  const q = vh.queues.get(name);
  if (!q) return 0;
  vh.checkExclusive(p, q);
  vh.check(p, 'configure', 'queue', name);
  if (ifUnused && q.consumerCount > 0) throw preconditionFailed(`${rs('queue', name, vh.name)} in use`);
  if (ifEmpty && q.messageCount > 0) throw preconditionFailed(`${rs('queue', name, vh.name)} is not empty`);
  return removeQueue(vh, q, 'queue deleted');
}

// ---- bindings ---------------------------------------------------------------------------

function resolveBinding(vh: VirtualHostImpl, p: Principal, b: BindingSpec): { src: Exchange; dest: Destination } {
  if (b.source === '' || (b.destinationKind === 'exchange' && b.destination === '')) {
    throw accessRefused('operation not permitted on the default exchange');
  }
  // RabbitMQ: write on the destination, read on the source exchange.
  vh.check(p, 'write', b.destinationKind, b.destination);
  vh.check(p, 'read', 'exchange', b.source);
  const src = vh.exchanges.get(b.source);
  if (!src) throw notFound(rs('exchange', b.source, vh.name));
  let dest: Destination | undefined;
  if (b.destinationKind === 'queue') {
    const q = vh.queues.get(b.destination);
    if (!q) throw notFound(rs('queue', b.destination, vh.name));
    vh.checkExclusive(p, q);
    dest = q;
  } else {
    dest = vh.exchanges.get(b.destination);
    if (!dest) throw notFound(rs('exchange', b.destination, vh.name));
  }
  return { src, dest };
}

export function bind(vh: VirtualHostImpl, p: Principal, spec: BindingSpec): void {
  const { src, dest } = resolveBinding(vh, p, spec);
  if (src.type === 'headers' && !isValidMatch(spec.arguments['x-match'])) {
    // RabbitMQ 3.10 texts: a string prints as an Erlang binary, other types by name.
    const xm = spec.arguments['x-match'] ?? null;
    throw preconditionFailed(
      typeof xm === 'string'
        ? `Invalid x-match field value <<"${xm}">>; expected all, any, all-with-x, or any-with-x`
        : `Invalid x-match field type ${fieldTypeName(xm)} (value ${printValue(xm)}); expected longstr`,
    );
  }
  addBinding(vh, src, dest, spec.destinationKind, spec.destination, spec.routingKey, spec.arguments, spec.filter, spec.filterSource);
}

export function unbind(vh: VirtualHostImpl, p: Principal, spec: BindingSpec): void {
  const { src, dest } = resolveBinding(vh, p, spec);
  const key = bindingKey(spec.destinationKind, spec.destination, spec.routingKey, spec.arguments);
  const b = src.outgoing.get(key);
  // Unbinding a binding that does not exist succeeds, as in RabbitMQ 3.x.
  if (!b) return;
  src.removeBinding(b);
  dest.incoming.delete(`${src.name}\u0000${key}`);
  if (isDurableBinding(src, dest)) vh.env.definitionsChanged();
  maybeAutoDeleteExchange(vh, src);
}
