/**
 * The static method table of AMQP 0-9-1 with RabbitMQ's extensions
 * (exchange.bind/unbind, confirm.*, basic.nack, connection.blocked/unblocked,
 * connection.update-secret). One table drives both decoding and encoding, and the
 * TypeScript types of every method are derived from it, so the two cannot drift.
 *
 * Argument names are the spec's field names in camelCase; "reserved-1" fields
 * (ticket, out-of-band, known-hosts, ...) keep the 0-9-1 names given in the
 * RabbitMQ amqp0-9-1.xml (ticket, capabilities, insist, ...).
 *
 * Never extended at run time; a wire id that is not in the table is refused
 * (540 NOT_IMPLEMENTED), never interpreted (DESIGN §5).
 */
import type { AmqpFieldTable } from './field-values.js';

export type ArgType = 'bit' | 'octet' | 'short' | 'long' | 'longlong' | 'shortstr' | 'longstr' | 'table';

type Arg = readonly [name: string, type: ArgType];

interface MethodSpecShape {
  readonly classId: number;
  readonly methodId: number;
  readonly name: string;
  /** Carries content (header + body frames follow). AMQP 0-9-1 §2.3.5.2 */
  readonly content: boolean;
  readonly args: readonly Arg[];
}

// AMQP 0-9-1 §1.2 .. §1.8 (class and method definitions), plus RabbitMQ extensions.
export const METHOD_SPECS = [
  // connection (10) — §1.4
  { classId: 10, methodId: 10, name: 'connection.start', content: false, args: [['versionMajor', 'octet'], ['versionMinor', 'octet'], ['serverProperties', 'table'], ['mechanisms', 'longstr'], ['locales', 'longstr']] },
  { classId: 10, methodId: 11, name: 'connection.start-ok', content: false, args: [['clientProperties', 'table'], ['mechanism', 'shortstr'], ['response', 'longstr'], ['locale', 'shortstr']] },
  { classId: 10, methodId: 20, name: 'connection.secure', content: false, args: [['challenge', 'longstr']] },
  { classId: 10, methodId: 21, name: 'connection.secure-ok', content: false, args: [['response', 'longstr']] },
  { classId: 10, methodId: 30, name: 'connection.tune', content: false, args: [['channelMax', 'short'], ['frameMax', 'long'], ['heartbeat', 'short']] },
  { classId: 10, methodId: 31, name: 'connection.tune-ok', content: false, args: [['channelMax', 'short'], ['frameMax', 'long'], ['heartbeat', 'short']] },
  { classId: 10, methodId: 40, name: 'connection.open', content: false, args: [['virtualHost', 'shortstr'], ['capabilities', 'shortstr'], ['insist', 'bit']] },
  { classId: 10, methodId: 41, name: 'connection.open-ok', content: false, args: [['knownHosts', 'shortstr']] },
  { classId: 10, methodId: 50, name: 'connection.close', content: false, args: [['replyCode', 'short'], ['replyText', 'shortstr'], ['classId', 'short'], ['methodId', 'short']] },
  { classId: 10, methodId: 51, name: 'connection.close-ok', content: false, args: [] },
  // RabbitMQ extension: connection.blocked / unblocked
  { classId: 10, methodId: 60, name: 'connection.blocked', content: false, args: [['reason', 'shortstr']] },
  { classId: 10, methodId: 61, name: 'connection.unblocked', content: false, args: [] },
  // RabbitMQ extension: connection.update-secret
  { classId: 10, methodId: 70, name: 'connection.update-secret', content: false, args: [['newSecret', 'longstr'], ['reason', 'shortstr']] },
  { classId: 10, methodId: 71, name: 'connection.update-secret-ok', content: false, args: [] },

  // channel (20) — §1.5
  { classId: 20, methodId: 10, name: 'channel.open', content: false, args: [['outOfBand', 'shortstr']] },
  { classId: 20, methodId: 11, name: 'channel.open-ok', content: false, args: [['channelId', 'longstr']] },
  { classId: 20, methodId: 20, name: 'channel.flow', content: false, args: [['active', 'bit']] },
  { classId: 20, methodId: 21, name: 'channel.flow-ok', content: false, args: [['active', 'bit']] },
  { classId: 20, methodId: 40, name: 'channel.close', content: false, args: [['replyCode', 'short'], ['replyText', 'shortstr'], ['classId', 'short'], ['methodId', 'short']] },
  { classId: 20, methodId: 41, name: 'channel.close-ok', content: false, args: [] },

  // access (30) — deprecated in 0-9-1 but still answered by RabbitMQ
  { classId: 30, methodId: 10, name: 'access.request', content: false, args: [['realm', 'shortstr'], ['exclusive', 'bit'], ['passive', 'bit'], ['active', 'bit'], ['write', 'bit'], ['read', 'bit']] },
  { classId: 30, methodId: 11, name: 'access.request-ok', content: false, args: [['ticket', 'short']] },

  // exchange (40) — §1.6
  { classId: 40, methodId: 10, name: 'exchange.declare', content: false, args: [['ticket', 'short'], ['exchange', 'shortstr'], ['type', 'shortstr'], ['passive', 'bit'], ['durable', 'bit'], ['autoDelete', 'bit'], ['internal', 'bit'], ['nowait', 'bit'], ['arguments', 'table']] },
  { classId: 40, methodId: 11, name: 'exchange.declare-ok', content: false, args: [] },
  { classId: 40, methodId: 20, name: 'exchange.delete', content: false, args: [['ticket', 'short'], ['exchange', 'shortstr'], ['ifUnused', 'bit'], ['nowait', 'bit']] },
  { classId: 40, methodId: 21, name: 'exchange.delete-ok', content: false, args: [] },
  // RabbitMQ extension: exchange-to-exchange bindings
  { classId: 40, methodId: 30, name: 'exchange.bind', content: false, args: [['ticket', 'short'], ['destination', 'shortstr'], ['source', 'shortstr'], ['routingKey', 'shortstr'], ['nowait', 'bit'], ['arguments', 'table']] },
  { classId: 40, methodId: 31, name: 'exchange.bind-ok', content: false, args: [] },
  { classId: 40, methodId: 40, name: 'exchange.unbind', content: false, args: [['ticket', 'short'], ['destination', 'shortstr'], ['source', 'shortstr'], ['routingKey', 'shortstr'], ['nowait', 'bit'], ['arguments', 'table']] },
  // RabbitMQ numbers exchange.unbind-ok 51, not 41.
  { classId: 40, methodId: 51, name: 'exchange.unbind-ok', content: false, args: [] },

  // queue (50) — §1.7
  { classId: 50, methodId: 10, name: 'queue.declare', content: false, args: [['ticket', 'short'], ['queue', 'shortstr'], ['passive', 'bit'], ['durable', 'bit'], ['exclusive', 'bit'], ['autoDelete', 'bit'], ['nowait', 'bit'], ['arguments', 'table']] },
  { classId: 50, methodId: 11, name: 'queue.declare-ok', content: false, args: [['queue', 'shortstr'], ['messageCount', 'long'], ['consumerCount', 'long']] },
  { classId: 50, methodId: 20, name: 'queue.bind', content: false, args: [['ticket', 'short'], ['queue', 'shortstr'], ['exchange', 'shortstr'], ['routingKey', 'shortstr'], ['nowait', 'bit'], ['arguments', 'table']] },
  { classId: 50, methodId: 21, name: 'queue.bind-ok', content: false, args: [] },
  { classId: 50, methodId: 30, name: 'queue.purge', content: false, args: [['ticket', 'short'], ['queue', 'shortstr'], ['nowait', 'bit']] },
  { classId: 50, methodId: 31, name: 'queue.purge-ok', content: false, args: [['messageCount', 'long']] },
  { classId: 50, methodId: 40, name: 'queue.delete', content: false, args: [['ticket', 'short'], ['queue', 'shortstr'], ['ifUnused', 'bit'], ['ifEmpty', 'bit'], ['nowait', 'bit']] },
  { classId: 50, methodId: 41, name: 'queue.delete-ok', content: false, args: [['messageCount', 'long']] },
  { classId: 50, methodId: 50, name: 'queue.unbind', content: false, args: [['ticket', 'short'], ['queue', 'shortstr'], ['exchange', 'shortstr'], ['routingKey', 'shortstr'], ['arguments', 'table']] },
  { classId: 50, methodId: 51, name: 'queue.unbind-ok', content: false, args: [] },

  // basic (60) — §1.8
  { classId: 60, methodId: 10, name: 'basic.qos', content: false, args: [['prefetchSize', 'long'], ['prefetchCount', 'short'], ['global', 'bit']] },
  { classId: 60, methodId: 11, name: 'basic.qos-ok', content: false, args: [] },
  { classId: 60, methodId: 20, name: 'basic.consume', content: false, args: [['ticket', 'short'], ['queue', 'shortstr'], ['consumerTag', 'shortstr'], ['noLocal', 'bit'], ['noAck', 'bit'], ['exclusive', 'bit'], ['nowait', 'bit'], ['arguments', 'table']] },
  { classId: 60, methodId: 21, name: 'basic.consume-ok', content: false, args: [['consumerTag', 'shortstr']] },
  { classId: 60, methodId: 30, name: 'basic.cancel', content: false, args: [['consumerTag', 'shortstr'], ['nowait', 'bit']] },
  { classId: 60, methodId: 31, name: 'basic.cancel-ok', content: false, args: [['consumerTag', 'shortstr']] },
  { classId: 60, methodId: 40, name: 'basic.publish', content: true, args: [['ticket', 'short'], ['exchange', 'shortstr'], ['routingKey', 'shortstr'], ['mandatory', 'bit'], ['immediate', 'bit']] },
  { classId: 60, methodId: 50, name: 'basic.return', content: true, args: [['replyCode', 'short'], ['replyText', 'shortstr'], ['exchange', 'shortstr'], ['routingKey', 'shortstr']] },
  { classId: 60, methodId: 60, name: 'basic.deliver', content: true, args: [['consumerTag', 'shortstr'], ['deliveryTag', 'longlong'], ['redelivered', 'bit'], ['exchange', 'shortstr'], ['routingKey', 'shortstr']] },
  { classId: 60, methodId: 70, name: 'basic.get', content: false, args: [['ticket', 'short'], ['queue', 'shortstr'], ['noAck', 'bit']] },
  { classId: 60, methodId: 71, name: 'basic.get-ok', content: true, args: [['deliveryTag', 'longlong'], ['redelivered', 'bit'], ['exchange', 'shortstr'], ['routingKey', 'shortstr'], ['messageCount', 'long']] },
  { classId: 60, methodId: 72, name: 'basic.get-empty', content: false, args: [['clusterId', 'shortstr']] },
  { classId: 60, methodId: 80, name: 'basic.ack', content: false, args: [['deliveryTag', 'longlong'], ['multiple', 'bit']] },
  { classId: 60, methodId: 90, name: 'basic.reject', content: false, args: [['deliveryTag', 'longlong'], ['requeue', 'bit']] },
  { classId: 60, methodId: 100, name: 'basic.recover-async', content: false, args: [['requeue', 'bit']] },
  { classId: 60, methodId: 110, name: 'basic.recover', content: false, args: [['requeue', 'bit']] },
  { classId: 60, methodId: 111, name: 'basic.recover-ok', content: false, args: [] },
  // RabbitMQ extension: basic.nack
  { classId: 60, methodId: 120, name: 'basic.nack', content: false, args: [['deliveryTag', 'longlong'], ['multiple', 'bit'], ['requeue', 'bit']] },

  // RabbitMQ extension: publisher confirms (class 85)
  { classId: 85, methodId: 10, name: 'confirm.select', content: false, args: [['nowait', 'bit']] },
  { classId: 85, methodId: 11, name: 'confirm.select-ok', content: false, args: [] },

  // tx (90) — §1.9
  { classId: 90, methodId: 10, name: 'tx.select', content: false, args: [] },
  { classId: 90, methodId: 11, name: 'tx.select-ok', content: false, args: [] },
  { classId: 90, methodId: 20, name: 'tx.commit', content: false, args: [] },
  { classId: 90, methodId: 21, name: 'tx.commit-ok', content: false, args: [] },
  { classId: 90, methodId: 30, name: 'tx.rollback', content: false, args: [] },
  { classId: 90, methodId: 31, name: 'tx.rollback-ok', content: false, args: [] },
] as const satisfies readonly MethodSpecShape[];

export type MethodSpec = (typeof METHOD_SPECS)[number];
export type MethodName = MethodSpec['name'];

type ArgValue<T extends ArgType> = T extends 'bit'
  ? boolean
  : T extends 'octet' | 'short' | 'long' | 'longlong'
    ? number
    : T extends 'shortstr'
      ? string
      : T extends 'longstr'
        ? Buffer
        : AmqpFieldTable;

type ArgsOf<S extends MethodSpecShape> = { [A in S['args'][number] as A[0]]: ArgValue<A[1]> };

/** The fields of the method called N, e.g. MethodArgs<'basic.publish'>. */
export type MethodArgs<N extends MethodName> = ArgsOf<Extract<MethodSpec, { name: N }>>;

/** A decoded method: its name (the discriminant) plus its fields. */
export type MethodOf<N extends MethodName> = { readonly name: N } & MethodArgs<N>;
export type AnyMethod = { [N in MethodName]: MethodOf<N> }[MethodName];

/** Lookup by wire ids: (classId << 16) | methodId. Built once from the static table. */
const BY_ID = new Map<number, MethodSpec>();
const BY_NAME = new Map<string, MethodSpec>();
for (const s of METHOD_SPECS) {
  BY_ID.set((s.classId << 16) | s.methodId, s);
  BY_NAME.set(s.name, s);
}

export const methodSpecById = (classId: number, methodId: number): MethodSpec | undefined =>
  BY_ID.get((classId << 16) | methodId);

export const methodSpec = <N extends MethodName>(name: N): Extract<MethodSpec, { name: N }> =>
  BY_NAME.get(name) as Extract<MethodSpec, { name: N }>;

/** AMQP 0-9-1 class ids. */
export const CLASS_CONNECTION = 10;
export const CLASS_CHANNEL = 20;
export const CLASS_BASIC = 60;

/**
 * Content header properties of class basic (§1.8, "basic" properties), in flag-bit
 * order: the first property is bit 15 of the first flags word.
 */
export const BASIC_PROPERTIES = [
  ['contentType', 'shortstr'],
  ['contentEncoding', 'shortstr'],
  ['headers', 'table'],
  ['deliveryMode', 'octet'],
  ['priority', 'octet'],
  ['correlationId', 'shortstr'],
  ['replyTo', 'shortstr'],
  ['expiration', 'shortstr'],
  ['messageId', 'shortstr'],
  ['timestamp', 'timestamp'],
  ['type', 'shortstr'],
  ['userId', 'shortstr'],
  ['appId', 'shortstr'],
  ['clusterId', 'shortstr'],
] as const;

/** Content header properties as the codec sees them (timestamp in seconds). */
export interface BasicProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: AmqpFieldTable;
  deliveryMode?: number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string;
  messageId?: string;
  timestamp?: number;
  type?: string;
  userId?: string;
  appId?: string;
  clusterId?: string;
}
