import { ErrorCode, BrokerError } from './errors.js';
import type { FieldTable, FieldValue } from './message.js';
import { Decimal, Timestamp } from './message.js';
import { rs } from './names.js';

export type Overflow = 'drop-head' | 'reject-publish' | 'reject-publish-dlx';
export type QueueType = 'classic' | 'quorum';

/** Queue arguments after validation (RabbitMQ rabbit_amqqueue:declare_args/0 and its checks). */
export interface QueueConfig {
  readonly messageTtl: number | undefined;
  readonly expires: number | undefined;
  readonly maxLength: number | undefined;
  readonly maxLengthBytes: number | undefined;
  readonly overflow: Overflow;
  readonly deadLetterExchange: string | undefined;
  readonly deadLetterRoutingKey: string | undefined;
  readonly maxPriority: number | undefined;
  readonly singleActiveConsumer: boolean;
  readonly queueType: QueueType;
}

/** The x- arguments RabbitMQ compares on redeclare (anything else may differ freely). */
export const EQUIVALENCE_ARGS = [
  'x-expires',
  'x-message-ttl',
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-max-length',
  'x-max-length-bytes',
  'x-max-priority',
  'x-overflow',
  'x-queue-mode',
  'x-single-active-consumer',
  'x-queue-type',
] as const;

/** RabbitMQ's AMQP field type names, as its error texts show them. */
export function fieldTypeName(v: FieldValue): string {
  if (v === null) return 'void';
  switch (typeof v) {
    case 'string':
      return 'longstr';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'long';
    case 'number':
      if (!Number.isInteger(v)) return 'double';
      return v >= -2147483648 && v <= 2147483647 ? 'signedint' : 'long';
    default:
      break;
  }
  if (Buffer.isBuffer(v)) return 'binary';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Timestamp) return 'timestamp';
  if (v instanceof Decimal) return 'decimal';
  return 'table';
}

/** A value as RabbitMQ prints it inside '...' in inequivalence errors. */
export function printValue(v: FieldValue): string {
  if (v === null) return 'undefined';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof Timestamp) return String(v.seconds);
  if (v instanceof Decimal) return `${v.digits}e-${v.scale}`;
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

const invalid = (name: string, vhost: string, arg: string, detail: string): BrokerError =>
  new BrokerError(ErrorCode.PreconditionFailed, `invalid arg '${arg}' for ${rs('queue', name, vhost)}: ${detail}`);

function intArg(v: FieldValue, arg: string, name: string, vhost: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  let n: number;
  if (typeof v === 'bigint') n = Number(v);
  else if (typeof v === 'number' && Number.isInteger(v)) n = v;
  // Texts as RabbitMQ 3.10 prints them (compared against the real broker).
  else throw invalid(name, vhost, arg, `"expected integer, got ${fieldTypeName(v)}"`);
  if (n < 0) throw invalid(name, vhost, arg, `{value_negative,${n}}`);
  if (n < min) throw invalid(name, vhost, arg, `{value_zero,${n}}`);
  if (n > max) throw invalid(name, vhost, arg, arg === 'x-max-priority' ? `{max_value_exceeded,${n}}` : `{value_too_large,${n},${max}}`);
  return n;
}

function strArg(v: FieldValue, arg: string, name: string, vhost: string): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  throw invalid(name, vhost, arg, `{unacceptable_type,${fieldTypeName(v)}}`);
}

/** RabbitMQ checks the dead-letter exchange name's type with its own text. */
function dlxArg(v: FieldValue, name: string, vhost: string): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  throw new BrokerError(ErrorCode.PreconditionFailed, `invalid type '${fieldTypeName(v)}' for arg 'x-dead-letter-exchange' in ${rs('queue', name, vhost)}`);
}

/** Validate the arguments of a queue.declare; throws PreconditionFailed like RabbitMQ. */
export function parseQueueConfig(name: string, vhost: string, args: FieldTable, durable: boolean, exclusive: boolean, autoDelete = false): QueueConfig {
  const get = (k: string): FieldValue | undefined => (Object.prototype.hasOwnProperty.call(args, k) ? args[k] : undefined);
  const ttl = get('x-message-ttl');
  const expires = get('x-expires');
  const maxLen = get('x-max-length');
  const maxBytes = get('x-max-length-bytes');
  const overflowV = get('x-overflow');
  const dlx = get('x-dead-letter-exchange');
  const dlrk = get('x-dead-letter-routing-key');
  const maxPri = get('x-max-priority');
  const sac = get('x-single-active-consumer');
  const qt = get('x-queue-type');

  let overflow: Overflow = 'drop-head';
  if (overflowV !== undefined) {
    const s = strArg(overflowV, 'x-overflow', name, vhost);
    if (s !== 'drop-head' && s !== 'reject-publish' && s !== 'reject-publish-dlx') {
      throw invalid(name, vhost, 'x-overflow', 'invalid_overflow');
    }
    overflow = s;
  }
  let queueType: QueueType = 'classic';
  if (qt !== undefined) {
    const s = strArg(qt, 'x-queue-type', name, vhost);
    if (s === 'stream') {
      throw new BrokerError(ErrorCode.PreconditionFailed, `invalid arg 'x-queue-type' for ${rs('queue', name, vhost)}: stream queues are not supported by this broker yet`);
    }
    if (s !== 'classic' && s !== 'quorum') {
      throw invalid(name, vhost, 'x-queue-type', `"unsupported queue type '${s}'"`);
    }
    if (s === 'quorum') {
      // Quorum queues are durable, never exclusive, never auto-delete; RabbitMQ
      // rabbit_quorum_queue:declare checks auto-delete, then exclusive, then durable.
      if (autoDelete) throw new BrokerError(ErrorCode.PreconditionFailed, `invalid property 'auto-delete' for ${rs('queue', name, vhost)}`);
      if (exclusive) throw new BrokerError(ErrorCode.PreconditionFailed, `invalid property 'exclusive-owner' for ${rs('queue', name, vhost)}`);
      if (!durable) throw new BrokerError(ErrorCode.PreconditionFailed, `invalid property 'non-durable' for ${rs('queue', name, vhost)}`);
    }
    queueType = s;
  }
  let singleActiveConsumer = false;
  if (sac !== undefined) {
    if (typeof sac !== 'boolean') throw invalid(name, vhost, 'x-single-active-consumer', `{unacceptable_type,${fieldTypeName(sac)}}`);
    singleActiveConsumer = sac;
  }
  return {
    messageTtl: ttl === undefined ? undefined : intArg(ttl, 'x-message-ttl', name, vhost, 0, 0xffffffff),
    expires: expires === undefined ? undefined : intArg(expires, 'x-expires', name, vhost, 1, 0xffffffff),
    maxLength: maxLen === undefined ? undefined : intArg(maxLen, 'x-max-length', name, vhost, 0),
    maxLengthBytes: maxBytes === undefined ? undefined : intArg(maxBytes, 'x-max-length-bytes', name, vhost, 0),
    overflow,
    deadLetterExchange: dlx === undefined ? undefined : dlxArg(dlx, name, vhost),
    deadLetterRoutingKey: dlrk === undefined ? undefined : strArg(dlrk, 'x-dead-letter-routing-key', name, vhost),
    maxPriority: maxPri === undefined ? undefined : intArg(maxPri, 'x-max-priority', name, vhost, 0, 255),
    singleActiveConsumer,
    queueType,
  };
}

/** x-dead-letter-routing-key without x-dead-letter-exchange is refused, as RabbitMQ does. */
export function checkDeadLetterPair(name: string, vhost: string, args: FieldTable): void {
  if (Object.prototype.hasOwnProperty.call(args, 'x-dead-letter-routing-key') && !Object.prototype.hasOwnProperty.call(args, 'x-dead-letter-exchange')) {
    throw invalid(name, vhost, 'x-dead-letter-routing-key', 'routing_key_but_no_dlx_defined');
  }
}
