/**
 * The codec's own value types for field tables (it must not import core types;
 * the protocol adapter converts to src/core/message.ts Timestamp/Decimal).
 *
 * Type letters follow RabbitMQ's variant of the table (AMQP 0-9-1 errata,
 * "Field types"): 's' is a signed 16-bit short (not a short string), 'l'/'L' are
 * signed 64-bit, 'x' is a byte array, 'u'/'i' unsigned 16/32.
 */

/** 'T': seconds since the epoch, unsigned 64-bit on the wire. */
export class AmqpTimestamp {
  constructor(readonly seconds: number) {}
}

/** 'D': value = digits / 10^scale; scale is an octet, digits a 32-bit integer. */
export class AmqpDecimal {
  constructor(
    readonly scale: number,
    readonly digits: number,
  ) {}
}

/** Every field type letter the codec accepts (RabbitMQ's set). */
export type FieldTypeLetter =
  | 't' | 'b' | 'B' | 's' | 'u' | 'I' | 'i' | 'l' | 'L' | 'f' | 'd' | 'D' | 'S' | 'x' | 'A' | 'T' | 'F' | 'V';

/**
 * Forces a wire type on encode (e.g. x-death "count" as 'l', or a byte 'b').
 * Decoding never produces it: decoded values are plain JS values.
 */
export class TypedField {
  constructor(
    readonly type: FieldTypeLetter,
    readonly value: AmqpFieldValue,
  ) {}
}

export type AmqpFieldValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | undefined
  | Buffer
  | AmqpTimestamp
  | AmqpDecimal
  | TypedField
  | AmqpFieldValue[]
  | AmqpFieldTable;

export interface AmqpFieldTable {
  [key: string]: AmqpFieldValue;
}
