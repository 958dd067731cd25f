/**
 * Queue properties taken from SEND/SUBSCRIBE headers, RabbitMQ's STOMP conventions:
 * `durable` (alias `persistent` on SUBSCRIBE in old RabbitMQ versions is not used),
 * `auto-delete`, `exclusive`, and every `x-` header that is a queue argument
 * (`x-queue-type`, `x-message-ttl`, `x-max-length`, `x-dead-letter-exchange`, ...).
 */
import type { QueueOptions } from '../../core/api.js';
import type { FieldTable } from '../../core/message.js';
import type { StompHeaders } from '../../codecs/stomp/frame.js';
import { StompError } from './errors.js';

/** x- headers that are not queue arguments (consumer or STOMP-level options). */
const NOT_QUEUE_ARGS: ReadonlySet<string> = new Set(['x-priority', 'x-queue-name', 'x-stream-offset', 'x-stream-filter', 'x-credit']);

/** Queue arguments whose values are integers on the AMQP side. */
const INTEGER_ARGS: ReadonlySet<string> = new Set([
  'x-message-ttl',
  'x-expires',
  'x-max-length',
  'x-max-length-bytes',
  'x-max-priority',
  'x-delivery-limit',
  'x-initial-cluster-size',
  'x-max-in-memory-length',
  'x-max-in-memory-bytes',
  'x-stream-max-segment-size-bytes',
]);

const BOOLEAN_ARGS: ReadonlySet<string> = new Set(['x-single-active-consumer']);

export function queueArguments(h: StompHeaders): FieldTable {
  const args: FieldTable = {};
  for (const name in h) {
    if (!name.startsWith('x-') || NOT_QUEUE_ARGS.has(name)) continue;
    const v = h[name]!;
    if (INTEGER_ARGS.has(name)) {
      if (!/^-?[0-9]{1,15}$/.test(v)) throw new StompError('Invalid header', `queue argument ${name} must be an integer, got '${v}'`);
      args[name] = Number(v);
    } else if (BOOLEAN_ARGS.has(name)) {
      if (v !== 'true' && v !== 'false') throw new StompError('Invalid header', `queue argument ${name} must be true or false`);
      args[name] = v === 'true';
    } else {
      args[name] = v;
    }
  }
  return args;
}

export function booleanHeader(h: StompHeaders, name: string, dflt: boolean): boolean {
  const v = h[name];
  if (v === undefined) return dflt;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new StompError('Invalid header', `header ${name} must be true or false, got '${v}'`);
}

/** Options for a named queue a `/queue/` destination declares on first use (durable by default, as both engines do). */
export function namedQueueOptions(h: StompHeaders): QueueOptions {
  return {
    durable: booleanHeader(h, 'durable', true),
    exclusive: booleanHeader(h, 'exclusive', false),
    autoDelete: booleanHeader(h, 'auto-delete', false),
    arguments: queueArguments(h),
  };
}
