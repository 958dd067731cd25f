/**
 * The one place STOMP maps failures to ERROR frames. STOMP has no error codes: an
 * ERROR frame carries a short `message` header and a body with details (STOMP 1.2
 * "ERROR"), after which the server closes the connection. The `message` texts for
 * core errors follow RabbitMQ's STOMP plugin (e.g. "not_found", "access_refused"),
 * which clients written against RabbitMQ match on.
 */
import { BrokerError, ErrorCode } from '../../core/errors.js';

/** A protocol-level failure raised by a handler: becomes an ERROR frame, then close. */
export class StompError extends Error {
  constructor(
    readonly summary: string,
    detail: string,
    /** Extra ERROR headers (e.g. `version` on a failed negotiation). */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(detail);
    this.name = 'StompError';
  }
}

const SUMMARY: Readonly<Record<ErrorCode, string>> = {
  [ErrorCode.NotFound]: 'not_found',
  [ErrorCode.PreconditionFailed]: 'precondition_failed',
  [ErrorCode.ResourceLocked]: 'resource_locked',
  [ErrorCode.AccessRefused]: 'access_refused',
  [ErrorCode.NotAllowed]: 'not_allowed',
  [ErrorCode.ResourceError]: 'resource_error',
  [ErrorCode.CommandInvalid]: 'command_invalid',
  [ErrorCode.NotImplemented]: 'not_implemented',
  [ErrorCode.InternalError]: 'internal_error',
};

export interface ErrorReport {
  readonly summary: string;
  readonly detail: string;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** An unexpected exception (logged at error level). */
  readonly unexpected: boolean;
}

export function toErrorReport(e: unknown): ErrorReport {
  if (e instanceof StompError) return { summary: e.summary, detail: e.message, headers: e.headers, unexpected: false };
  if (e instanceof BrokerError) return { summary: SUMMARY[e.code] ?? 'internal_error', detail: e.message, unexpected: false };
  return { summary: 'internal_error', detail: 'internal error', unexpected: true };
}

export const missingHeader = (command: string, header: string): StompError =>
  new StompError('Missing header', `${command} frame requires the '${header}' header`);
