/**
 * The one place where AMQP 0-9-1 errors are made: core `BrokerError` codes and codec
 * errors become reply codes, and reply texts get RabbitMQ's "NAME - explanation"
 * form (e.g. "NOT_FOUND - no queue 'q' in vhost '/'").
 *
 * Channel-level (soft, AMQP 0-9-1 §1.9 class="soft-error"): 403, 404, 405, 406, 506.
 * Connection-level (hard): 320, 402, 501, 502, 503, 504, 505, 530, 540, 541.
 */
import { AmqpCodecError, REPLY_CODE_NAMES, isHardError } from '../../codecs/amqp091/index.js';
import { BrokerError, ErrorCode } from '../../core/errors.js';

/** A protocol error to report with channel.close or connection.close. */
export class AmqpError extends Error {
  constructor(
    readonly replyCode: number,
    /** The explanation, without the "NAME - " prefix. */
    readonly explanation: string,
    public classId = 0,
    public methodId = 0,
  ) {
    super(explanation);
    this.name = 'AmqpError';
  }

  get hard(): boolean {
    return isHardError(this.replyCode);
  }

  /** reply-text as RabbitMQ words it, cut to a short string's 255 octets. */
  get replyText(): string {
    return replyText(this.replyCode, this.explanation);
  }
}

export function replyText(code: number, explanation: string): string {
  const text = `${REPLY_CODE_NAMES[code] ?? 'ERROR'} - ${explanation}`;
  if (Buffer.byteLength(text) <= 255) return text;
  // Cut on a character boundary so the short string stays valid UTF-8.
  let out = text.slice(0, 255);
  while (Buffer.byteLength(out) > 255) out = out.slice(0, -1);
  return out;
}

/** ErrorCode -> reply code, as RabbitMQ maps its amqp_error names. */
const CODE_OF: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.NotFound]: 404,
  [ErrorCode.PreconditionFailed]: 406,
  [ErrorCode.ResourceLocked]: 405,
  [ErrorCode.AccessRefused]: 403,
  [ErrorCode.NotAllowed]: 530,
  [ErrorCode.ResourceError]: 506,
  [ErrorCode.CommandInvalid]: 503,
  [ErrorCode.NotImplemented]: 540,
  [ErrorCode.InternalError]: 541,
};

export const replyCodeOf = (code: ErrorCode): number => CODE_OF[code] ?? 541;

/**
 * Any error thrown while handling a method becomes an AmqpError naming that method.
 * Unknown exceptions are broker bugs: 541 INTERNAL_ERROR, as RabbitMQ reports them.
 */
export function toAmqpError(e: unknown, classId = 0, methodId = 0): AmqpError {
  if (e instanceof AmqpError) {
    if (e.classId === 0 && e.methodId === 0) {
      e.classId = classId;
      e.methodId = methodId;
    }
    return e;
  }
  if (e instanceof BrokerError) return new AmqpError(replyCodeOf(e.code), e.message, classId, methodId);
  if (e instanceof AmqpCodecError) {
    return new AmqpError(e.replyCode, e.message, e.classId || classId, e.methodId || methodId);
  }
  return new AmqpError(541, 'internal error', classId, methodId);
}

export const preconditionFailed = (text: string): AmqpError => new AmqpError(406, text);
export const notImplemented = (text: string): AmqpError => new AmqpError(540, text);
export const notAllowed = (text: string): AmqpError => new AmqpError(530, text);
export const commandInvalid = (text: string): AmqpError => new AmqpError(503, text);
export const channelError = (text: string): AmqpError => new AmqpError(504, text);
export const unexpectedFrame = (text: string): AmqpError => new AmqpError(505, text);
export const accessRefused = (text: string): AmqpError => new AmqpError(403, text);
export const frameError = (text: string): AmqpError => new AmqpError(501, text);
export const notFound = (text: string): AmqpError => new AmqpError(404, text);
