/**
 * STOMP listener limits and behaviour switches. The server merges config key
 * `limits.stomp` over `defaultStompLimits`. Frame limits follow ActiveMQ's STOMP
 * wire format defaults (StompWireFormat MAX_COMMAND_LENGTH, MAX_HEADERS,
 * MAX_HEADER_LENGTH, maxDataLength); see docs/stomp.md.
 */
export interface StompLimits {
  /** Largest frame body in bytes (ActiveMQ maxDataLength: 104857600). */
  maxBodySize: number;
  /** Largest whole frame (command + headers + body); 0 = no limit beyond the others (ActiveMQ maxFrameSize: MAX_LONG). */
  maxFrameSize: number;
  /** Most header lines in one frame (ActiveMQ: 1000). */
  maxHeaders: number;
  /** Longest header line in bytes (ActiveMQ: 10240). */
  maxHeaderLength: number;
  /** Longest command line (ActiveMQ: 1024). */
  maxCommandLength: number;
  /** Largest CONNECT frame accepted before authentication (DESIGN §5: small pre-auth budget). */
  maxConnectFrameSize: number;
  /** Time a connection may take to send a valid CONNECT, in ms (RabbitMQ's handshake timeout: 10 s). */
  connectTimeoutMs: number;
  /** Subscriptions per connection. */
  maxSubscriptions: number;
  /** Open transactions per connection. */
  maxTransactions: number;
  /** SEND/ACK/NACK frames buffered by one transaction before it is refused. */
  maxTransactionFrames: number;
  /** Body bytes held by all open transactions of one connection (memory bound). */
  maxTransactionBytes: number;
  /**
   * Server heart-beat values announced in CONNECTED (STOMP 1.2 "Heart-beating"):
   * the smallest interval the server sends at, and the smallest it asks the client to send at.
   * Negotiated interval = max(client, server) unless either side says 0.
   */
  heartbeatSendMs: number;
  heartbeatReceiveMs: number;
  /** The connection is dead after this many negotiated receive intervals without a byte. */
  heartbeatGrace: number;
  /**
   * NACK without a `requeue` header: true = requeue (RabbitMQ), false = dead-letter
   * or drop (ActiveMQ sends NACKed messages to its DLQ). Default: RabbitMQ.
   */
  nackRequeue: boolean;
  /** Prefetch for client/client-individual subscriptions without a prefetch header; 0 = unlimited (RabbitMQ). */
  defaultPrefetch: number;
  /**
   * Credentials used when CONNECT carries no login (RabbitMQ's STOMP `default_user`).
   * The core allows guest only from loopback peers. null = a login is required.
   */
  defaultLogin: string | null;
  defaultPasscode: string;
  /** Virtual host used when `host` is absent or names no virtual host (ActiveMQ treats host that way). */
  defaultVhost: string;
}

export const defaultStompLimits: StompLimits = {
  maxBodySize: 104_857_600,
  maxFrameSize: 0,
  maxHeaders: 1000,
  maxHeaderLength: 10_240,
  maxCommandLength: 1024,
  maxConnectFrameSize: 65_536,
  connectTimeoutMs: 10_000,
  maxSubscriptions: 1024,
  maxTransactions: 64,
  maxTransactionFrames: 10_000,
  maxTransactionBytes: 134_217_728,
  heartbeatSendMs: 1000,
  heartbeatReceiveMs: 1000,
  heartbeatGrace: 2,
  nackRequeue: true,
  defaultPrefetch: 0,
  defaultLogin: 'guest',
  defaultPasscode: 'guest',
  defaultVhost: '/',
};
