/**
 * Wire constants of AMQP 0-9-1 (spec §4.2.3 "General frame format", §1.9 "Constants").
 * Pure data: no imports.
 */

/** AMQP 0-9-1 §4.2.2: the protocol header a client sends first: "AMQP" 0 0 9 1. */
export const PROTOCOL_HEADER: Buffer = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0x00, 0x00, 0x09, 0x01]);

/** AMQP 0-9-1 §4.2.3 frame types. */
export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
/** The spec's constants section calls it frame-heartbeat = 8. */
export const FRAME_HEARTBEAT = 8;

/** AMQP 0-9-1 §4.2.3: every frame ends with this octet. */
export const FRAME_END = 0xce;
/** type(1) + channel(2) + size(4). */
export const FRAME_HEADER_SIZE = 7;
/** Header plus frame-end: the size of an empty frame. */
export const FRAME_OVERHEAD = 8;
/** AMQP 0-9-1 §1.9: frame-min-size; peers may send frames this large before tuning. */
export const FRAME_MIN_SIZE = 4096;

/** AMQP 0-9-1 §1.9 reply codes (with RabbitMQ's names). */
export const ReplyCode = {
  REPLY_SUCCESS: 200,
  CONTENT_TOO_LARGE: 311,
  NO_ROUTE: 312,
  NO_CONSUMERS: 313,
  CONNECTION_FORCED: 320,
  INVALID_PATH: 402,
  ACCESS_REFUSED: 403,
  NOT_FOUND: 404,
  RESOURCE_LOCKED: 405,
  PRECONDITION_FAILED: 406,
  FRAME_ERROR: 501,
  SYNTAX_ERROR: 502,
  COMMAND_INVALID: 503,
  CHANNEL_ERROR: 504,
  UNEXPECTED_FRAME: 505,
  RESOURCE_ERROR: 506,
  NOT_ALLOWED: 530,
  NOT_IMPLEMENTED: 540,
  INTERNAL_ERROR: 541,
} as const;
export type ReplyCodeValue = (typeof ReplyCode)[keyof typeof ReplyCode];

/** Reply-text prefix RabbitMQ puts before every error explanation ("NOT_FOUND - no queue ..."). */
export const REPLY_CODE_NAMES: Readonly<Record<number, string>> = {
  200: 'NORMAL',
  311: 'CONTENT_TOO_LARGE',
  312: 'NO_ROUTE',
  313: 'NO_CONSUMERS',
  320: 'CONNECTION_FORCED',
  402: 'INVALID_PATH',
  403: 'ACCESS_REFUSED',
  404: 'NOT_FOUND',
  405: 'RESOURCE_LOCKED',
  406: 'PRECONDITION_FAILED',
  501: 'FRAME_ERROR',
  502: 'SYNTAX_ERROR',
  503: 'COMMAND_INVALID',
  504: 'CHANNEL_ERROR',
  505: 'UNEXPECTED_FRAME',
  506: 'RESOURCE_ERROR',
  530: 'NOT_ALLOWED',
  540: 'NOT_IMPLEMENTED',
  541: 'INTERNAL_ERROR',
};

/**
 * AMQP 0-9-1 §1.9 (constants, class="soft-error" / "hard-error"): soft errors close
 * the channel (403, 404, 405, 406, 506 and the 31x return codes), hard errors the
 * connection (320, 402, 501-505, 530, 540, 541).
 */
export const isHardError = (code: number): boolean =>
  code === 320 || code === 402 || (code >= 500 && code !== 506);
