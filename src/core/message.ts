/**
 * The protocol-neutral message (DESIGN §1 "Messages"). Every protocol adapter
 * converts its frames to and from this shape; docs/message-mapping.md holds the
 * tables. The property set is AMQP 0-9-1's basic properties because it is the
 * superset the other protocols map into (MQTT 5 properties, STOMP headers, JMS
 * headers all have a slot here or travel as `headers` entries).
 */

/** AMQP 0-9-1 timestamp ('T'): seconds since the epoch. Kept distinct from numbers so it round-trips. */
export class Timestamp {
  constructor(readonly seconds: number) {}
  static now(): Timestamp {
    return new Timestamp(Math.floor(Date.now() / 1000));
  }
}

/** AMQP 0-9-1 decimal ('D'): value = digits / 10^scale. */
export class Decimal {
  constructor(readonly scale: number, readonly digits: number) {}
}

/**
 * A header value. Plain JS values carry the common types; the codec picks the wire
 * type (integers in int32 range as signed 32-bit 'I', other integers and bigints as
 * 'l', other numbers as 'd', strings as 'S', Buffers as 'x', booleans 't', null 'V').
 */
export type FieldValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | Buffer
  | Timestamp
  | Decimal
  | FieldValue[]
  | FieldTable;

export interface FieldTable {
  [key: string]: FieldValue;
}

/** 1 = transient (non-persistent), 2 = persistent, as AMQP 0-9-1 basic.delivery-mode. */
export type DeliveryMode = 1 | 2;

export interface MessageProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: FieldTable;
  deliveryMode?: DeliveryMode;
  /** 0..255 on the wire; queues clamp to their x-max-priority. */
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  /** Per-message TTL in milliseconds, as a decimal string (AMQP 0-9-1 convention). */
  expiration?: string;
  messageId?: string;
  timestamp?: Timestamp;
  type?: string;
  userId?: string;
  appId?: string;
  clusterId?: string;
}

/**
 * A message as routed by the core. Immutable once published: dead-lettering and
 * other rewrites make a new Message sharing the body Buffer.
 */
export interface Message {
  /** Exchange it was published to ('' is the default exchange). */
  readonly exchange: string;
  /** Routing key as published (MQTT topics arrive already mapped: `a/b` -> `a.b`). */
  readonly routingKey: string;
  readonly properties: MessageProperties;
  readonly body: Buffer;
  /**
   * Broker-wide id, assigned by the core when the message is first stored or routed;
   * the store's key for the body. Not visible to clients.
   */
  readonly id: MessageId;
}

/** A broker-assigned message id (monotonic per broker process, persisted by the store). */
export type MessageId = number & { readonly __brand: 'MessageId' };

export const isPersistent = (m: Message): boolean => m.properties.deliveryMode === 2;

/** Approximate memory footprint used for x-max-length-bytes (body bytes only, as RabbitMQ counts). */
export const bodySize = (m: Message): number => m.body.length;
