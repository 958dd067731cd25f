/** exchange.declare / delete / bind / unbind (AMQP 0-9-1 §1.6; bind/unbind are RabbitMQ's e2e extension). */
import type { AnyMethod, MethodOf } from '../../codecs/amqp091/index.js';
import type { ExchangeType } from '../../core/api.js';
import type { Channel, MethodHandler } from './channel.js';
import { accessRefused, commandInvalid } from './errors.js';
import { tableToCore } from './message-adapter.js';

const EXCHANGE_TYPES: ReadonlySet<string> = new Set(['direct', 'fanout', 'topic', 'headers']);

/** RabbitMQ: the default exchange cannot be declared, deleted or bound. */
function checkNotDefault(name: string): void {
  if (name === '') throw accessRefused('operation not permitted on the default exchange');
}

function declare(ch: Channel, m: MethodOf<'exchange.declare'>): void {
  if (!m.passive) {
    checkNotDefault(m.exchange);
    // RabbitMQ rabbit_exchange:check_type -> connection error 503.
    if (!EXCHANGE_TYPES.has(m.type)) throw commandInvalid(`unknown exchange type '${m.type}'`);
  }
  if (!(m.passive && m.exchange === '')) {
    const type = (EXCHANGE_TYPES.has(m.type) ? m.type : 'direct') as ExchangeType;
    ch.conn.vhost.declareExchange(
      ch.conn.principal,
      m.exchange,
      type,
      { durable: m.durable, autoDelete: m.autoDelete, internal: m.internal, arguments: tableToCore(m.arguments) },
      m.passive,
    );
  }
  if (!m.nowait) ch.conn.out().method(ch.id, 'exchange.declare-ok', {});
}

function del(ch: Channel, m: MethodOf<'exchange.delete'>): void {
  checkNotDefault(m.exchange);
  ch.conn.vhost.deleteExchange(ch.conn.principal, m.exchange, m.ifUnused);
  if (!m.nowait) ch.conn.out().method(ch.id, 'exchange.delete-ok', {});
}

function bind(ch: Channel, m: MethodOf<'exchange.bind'> | MethodOf<'exchange.unbind'>): void {
  checkNotDefault(m.source);
  checkNotDefault(m.destination);
  const spec = {
    source: m.source,
    destinationKind: 'exchange' as const,
    destination: m.destination,
    routingKey: m.routingKey,
    arguments: tableToCore(m.arguments),
  };
  if (m.name === 'exchange.bind') {
    ch.conn.vhost.bind(ch.conn.principal, spec);
    if (!m.nowait) ch.conn.out().method(ch.id, 'exchange.bind-ok', {});
  } else {
    ch.conn.vhost.unbind(ch.conn.principal, spec);
    if (!m.nowait) ch.conn.out().method(ch.id, 'exchange.unbind-ok', {});
  }
}

export const exchangeMethods: Record<string, MethodHandler> = {
  'exchange.declare': (ch, m: AnyMethod) => declare(ch, m as MethodOf<'exchange.declare'>),
  'exchange.delete': (ch, m: AnyMethod) => del(ch, m as MethodOf<'exchange.delete'>),
  'exchange.bind': (ch, m: AnyMethod) => bind(ch, m as MethodOf<'exchange.bind'>),
  'exchange.unbind': (ch, m: AnyMethod) => bind(ch, m as MethodOf<'exchange.unbind'>),
};
