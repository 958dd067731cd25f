/**
 * Per-connection limits of the AMQP 0-9-1 listener (config key `limits.amqp091`),
 * defaults as RabbitMQ ships them.
 */
export interface Amqp091Limits {
  /** Largest frame we accept and offer in connection.tune (RabbitMQ frame_max, 131072). */
  readonly frameMax: number;
  /** Highest channel number / most channels per connection (RabbitMQ channel_max, 2047). */
  readonly channelMax: number;
  /** Heartbeat interval offered in connection.tune, seconds (RabbitMQ heartbeat, 60). */
  readonly heartbeat: number;
  /** Largest message body; 0 = the broker's limits.maxMessageSize (RabbitMQ max_message_size, 128 MiB). */
  readonly maxMessageSize: number;
  /** Time allowed from TCP accept to connection.open-ok (RabbitMQ handshake_timeout, 10 s). */
  readonly handshakeTimeoutMs: number;
  /** Octets a client may send before it is authenticated (DESIGN §5 pre-auth budget). */
  readonly preAuthMaxBytes: number;
  /** Consumers per channel (RabbitMQ consumer_max_per_channel; 0 = unlimited). */
  readonly maxConsumersPerChannel: number;
  /** How long to wait for close-ok after sending connection.close before dropping the socket. */
  readonly closeTimeoutMs: number;
}

export const defaultAmqp091Limits: Amqp091Limits = {
  frameMax: 131072,
  channelMax: 2047,
  heartbeat: 60,
  maxMessageSize: 0,
  handshakeTimeoutMs: 10_000,
  preAuthMaxBytes: 64 * 1024,
  maxConsumersPerChannel: 10_000,
  closeTimeoutMs: 5_000,
};

/** RabbitMQ's default max_message_size when neither limit is configured. */
export const DEFAULT_MAX_MESSAGE_SIZE = 128 * 1024 * 1024;
