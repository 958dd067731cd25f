/**
 * The one place core errors become MQTT reason codes (MQTT 5 §2.4). MQTT 3.1.1 has
 * no reason codes on PUBACK or DISCONNECT: a failure there closes the connection,
 * SUBACK uses 0x80, CONNACK uses the return codes of 3.1.1 Table 3.1.
 */
import { ReasonCode } from '../../codecs/mqtt/index.js';
import { BrokerError, ErrorCode } from '../../core/errors.js';

/** MQTT 5 reason code for a failure thrown by the core (or anything else). */
export function reasonCodeFor(err: unknown): number {
  if (!(err instanceof BrokerError)) return ReasonCode.ImplementationSpecificError;
  switch (err.code) {
    case ErrorCode.AccessRefused:
    case ErrorCode.NotAllowed:
    case ErrorCode.ResourceLocked:
      return ReasonCode.NotAuthorized; // 0x87
    case ErrorCode.ResourceError:
      return ReasonCode.QuotaExceeded; // 0x97
    case ErrorCode.NotFound:
      // The exchange or a session queue vanished (deleted by an operator).
      return ReasonCode.ImplementationSpecificError; // 0x83
    case ErrorCode.PreconditionFailed:
      return ReasonCode.ImplementationSpecificError;
    case ErrorCode.CommandInvalid:
    case ErrorCode.NotImplemented:
      return ReasonCode.ImplementationSpecificError;
    case ErrorCode.InternalError:
    default:
      return ReasonCode.UnspecifiedError; // 0x80
  }
}

/** A short text for the MQTT 5 Reason String property (never includes stack traces). */
export function reasonStringFor(err: unknown): string {
  if (err instanceof BrokerError) return err.message.slice(0, 200);
  return 'internal error';
}

/** A protocol-level failure the connection ends with (DISCONNECT reason on 5.0, close on 3.1.1). */
export class MqttFailure extends Error {
  constructor(
    readonly reasonCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'MqttFailure';
  }
}
