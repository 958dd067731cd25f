/**
 * MQTT listener limits, merged by the server from config key `limits.mqtt` over
 * `defaultMqttLimits`. Defaults follow RabbitMQ's MQTT plugin where it has one.
 */
export interface MqttLimits {
  /** Virtual host MQTT clients use unless the user name is `vhost:user` (RabbitMQ convention). */
  vhost: string;
  /** Exchange MQTT topics map onto (DESIGN §1). */
  exchange: string;
  /** Largest packet from an authenticated client (RabbitMQ mqtt.max_packet_size_authenticated). Sent as Maximum Packet Size. */
  maxPacketSize: number;
  /** Largest packet before authentication: CONNECT included (RabbitMQ mqtt.max_packet_size_unauthenticated). */
  maxPacketSizeUnauthenticated: number;
  /** Milliseconds a new connection has to send CONNECT (DESIGN §5 pre-auth budget). */
  connectTimeoutMs: number;
  /** Longest client identifier accepted, in UTF-8 bytes. */
  maxClientIdLength: number;
  /** Longest topic name / filter in UTF-8 bytes (the wire maximum is 65535). */
  maxTopicLength: number;
  /** Most levels ('/'-separated) in a topic name or filter. */
  maxTopicLevels: number;
  /** Most subscriptions one session may hold; also the cap on filters per SUBSCRIBE. */
  maxSubscriptionsPerClient: number;
  /**
   * Inbound QoS 1/2 PUBLISHes a client may have unacknowledged (MQTT 5 Receive Maximum we
   * announce when below 65535). The default is the protocol maximum: MQTT.js 5 ignores a
   * lower announced value and would be disconnected (0x93) under bursts; 16-bit packet ids
   * bound the state anyway.
   */
  receiveMaximum: number;
  /** Outbound unacknowledged QoS 1/2 deliveries per client (RabbitMQ mqtt.prefetch); an MQTT 5 client's own Receive Maximum lowers it. */
  maxInflightOutbound: number;
  /** Topic aliases a client may use towards us (MQTT 5 Topic Alias Maximum we announce; 0 disables). */
  topicAliasMaximum: number;
  /** Upper bound on session expiry, seconds; also the expiry of 3.1.1 clean-session=0 sessions (RabbitMQ mqtt.max_session_expiry_interval_seconds). */
  maxSessionExpiryInterval: number;
  /** When > 0, the largest keep alive (seconds) we accept; MQTT 5 clients asking for more (or 0) get Server Keep Alive. */
  serverKeepAlive: number;
  /** Credentials used for connections without a user name (RabbitMQ mqtt.default_user / default_pass); null refuses them. */
  defaultUser: string | null;
  defaultPassword: string;
  /** Whether retained messages are supported (MQTT 5 Retain Available). */
  retainAvailable: boolean;
  /** Most retained messages per virtual host; further new topics are refused (0x97 / ignored on 3.1.1). */
  maxRetainedMessages: number;
}

export const defaultMqttLimits: MqttLimits = {
  vhost: '/',
  exchange: 'amq.topic',
  maxPacketSize: 268_435_455,
  maxPacketSizeUnauthenticated: 65_536,
  connectTimeoutMs: 10_000,
  maxClientIdLength: 1024,
  maxTopicLength: 65_535,
  maxTopicLevels: 128,
  maxSubscriptionsPerClient: 1024,
  receiveMaximum: 65_535,
  maxInflightOutbound: 100,
  topicAliasMaximum: 16,
  maxSessionExpiryInterval: 86_400,
  serverKeepAlive: 0,
  defaultUser: 'guest',
  defaultPassword: 'guest',
  retainAvailable: true,
  maxRetainedMessages: 1_000_000,
};
