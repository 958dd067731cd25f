import type { ExchangeOptions, ExchangeType } from './api.js';
import { preconditionFailed } from './errors.js';
import type { Exchange } from './exchange.js';
import type { FieldTable, FieldValue } from './message.js';
import { rs } from './names.js';
import { fieldTypeName, printValue } from './queue-config.js';
import { canonicalValue } from './routing/binding.js';

/**
 * Redeclare equivalence (AMQP 0-9-1 §1.7.2.1 "If set [passive=false] ... the server
 * MUST raise a channel exception if the existing one's properties differ"), with
 * RabbitMQ's 406 texts (rabbit_misc:assert_field_equivalence / assert_args_equivalence).
 */
export function assertField(kind: 'queue' | 'exchange', name: string, vhost: string, arg: string, received: string, current: string): void {
  if (received !== current) {
    throw preconditionFailed(`inequivalent arg '${arg}' for ${rs(kind, name, vhost)}: received '${received}' but current is '${current}'`);
  }
}

/** Compare the listed arguments by value (integers of any width are equal); `defaults` fill absent keys. */
export function assertArgsEquivalent(
  kind: 'queue' | 'exchange',
  name: string,
  vhost: string,
  current: FieldTable,
  received: FieldTable,
  keys: readonly string[],
  defaults: Readonly<Record<string, FieldValue>>,
): void {
  for (const k of keys) {
    const has = (t: FieldTable): FieldValue | undefined => (Object.prototype.hasOwnProperty.call(t, k) ? t[k] : defaults[k]);
    const c = has(current);
    const r = has(received);
    if (c === undefined && r === undefined) continue;
    if (c !== undefined && r !== undefined && canonicalValue(c) === canonicalValue(r)) continue;
    const show = (v: FieldValue | undefined): string => (v === undefined ? 'none' : `the value '${printValue(v)}' of type '${fieldTypeName(v)}'`);
    throw preconditionFailed(`inequivalent arg '${k}' for ${rs(kind, name, vhost)}: received ${show(r)} but current is ${show(c)}`);
  }
}

export function assertExchangeEquivalent(vhost: string, x: Exchange, type: ExchangeType, opts: ExchangeOptions): void {
  assertField('exchange', x.name, vhost, 'type', type, x.type);
  assertField('exchange', x.name, vhost, 'durable', String(opts.durable), String(x.options.durable));
  assertField('exchange', x.name, vhost, 'auto_delete', String(opts.autoDelete), String(x.options.autoDelete));
  assertField('exchange', x.name, vhost, 'internal', String(opts.internal), String(x.options.internal));
  // RabbitMQ compares only alternate-exchange among exchange arguments.
  assertArgsEquivalent('exchange', x.name, vhost, x.options.arguments, opts.arguments, ['alternate-exchange'], {});
}
