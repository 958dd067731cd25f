/**
 * The one error the codec throws. It carries the AMQP reply code the connection
 * must close with (501 FRAME_ERROR, 502 SYNTAX_ERROR, 503 COMMAND_INVALID,
 * 505 UNEXPECTED_FRAME, 540 NOT_IMPLEMENTED) and, when known, the offending
 * method so connection.close can name it (AMQP 0-9-1 §1.4.2.6 class-id/method-id).
 */
export class AmqpCodecError extends Error {
  constructor(
    readonly replyCode: number,
    message: string,
    readonly classId = 0,
    readonly methodId = 0,
  ) {
    super(message);
    this.name = 'AmqpCodecError';
  }
}

export const frameError = (msg: string, classId = 0, methodId = 0): AmqpCodecError =>
  new AmqpCodecError(501, msg, classId, methodId);
export const syntaxError = (msg: string, classId = 0, methodId = 0): AmqpCodecError =>
  new AmqpCodecError(502, msg, classId, methodId);
