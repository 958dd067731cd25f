/**
 * The one catalogue of broker errors. The core throws `BrokerError` with a stable
 * `ErrorCode`; each protocol maps codes to its own wire errors in one place
 * (src/protocols/<p>/errors.ts). Codes are named after the AMQP 0-9-1 reply codes
 * because that is the most detailed vocabulary of the five protocols (§1.9 of the
 * 0-9-1 spec), but nothing here is AMQP-specific.
 */
export enum ErrorCode {
  /** 0-9-1: 404, channel. A named exchange, queue or consumer does not exist. */
  NotFound = 'not-found',
  /** 0-9-1: 406, channel. Inequivalent redeclare, queue not empty/unused, bad argument. */
  PreconditionFailed = 'precondition-failed',
  /** 0-9-1: 405, channel. Exclusive queue owned by another connection, or exclusive consumer conflict. */
  ResourceLocked = 'resource-locked',
  /** 0-9-1: 403, channel (connection during open). Permission denied or reserved name. */
  AccessRefused = 'access-refused',
  /** 0-9-1: 530, connection. Operation not allowed (e.g. vhost missing, delete of amq.* exchange). */
  NotAllowed = 'not-allowed',
  /** 0-9-1: 506, channel. Out of a resource (e.g. queue limit reached). */
  ResourceError = 'resource-error',
  /** 0-9-1: 503, connection. A command the broker cannot carry out as asked (e.g. an unknown exchange type). */
  CommandInvalid = 'command-invalid',
  /** 0-9-1: 540, connection. Feature not implemented. */
  NotImplemented = 'not-implemented',
  /** 0-9-1: 541, connection. Broker bug; never expected. */
  InternalError = 'internal-error',
}

export class BrokerError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'BrokerError';
  }
}

export const notFound = (what: string): BrokerError => new BrokerError(ErrorCode.NotFound, `no ${what}`);
export const preconditionFailed = (why: string): BrokerError => new BrokerError(ErrorCode.PreconditionFailed, why);
export const accessRefused = (why: string): BrokerError => new BrokerError(ErrorCode.AccessRefused, why);
export const resourceLocked = (why: string): BrokerError => new BrokerError(ErrorCode.ResourceLocked, why);
export const notAllowed = (why: string): BrokerError => new BrokerError(ErrorCode.NotAllowed, why);
