import type { Semantics } from '../options.js';

/** Where deliveries go: one object per consumer, called without allocation per message. */
export interface DeliverySink {
  /** One bench message arrived. `nowUs` is read once per socket read (receipt time). */
  deliver(producer: number, seq: number, tsUs: number, nowUs: number): void;
  /** A delivery whose body is not a bench body (or is truncated). */
  corrupt(): void;
}

/** A queue or topic, named from segments so every protocol spells it its own way. */
export interface Destination {
  readonly kind: Semantics;
  /** e.g. ['bench', 'k3x9', '0'] -> MQTT 'bench/k3x9/0', AMQP/STOMP 'bench.k3x9.0' */
  readonly segments: readonly string[];
}

export const dotted = (d: Destination): string => d.segments.join('.');
export const slashed = (d: Destination): string => d.segments.join('/');

export interface ProducerConfig {
  producerId: number;
  size: number;
  persistent: boolean;
  /** Max unconfirmed publishes; 0 = fire and forget. */
  confirmWindow: number;
  qos: 0 | 1 | 2;
  destination: Destination;
}

export interface ConsumerConfig {
  destination: Destination;
  prefetch: number;
  autoAck: boolean;
  multiAck: boolean;
  qos: 0 | 1 | 2;
  /** Durable queue (persistent runs). */
  durable: boolean;
  consumerIndex: number;
}

export interface PublishStats {
  /** Messages written to the socket. */
  published: number;
  /** Positively confirmed (AMQP ack, STOMP RECEIPT, MQTT PUBACK/PUBCOMP). */
  confirmed: number;
  /** Negatively confirmed (AMQP nack, MQTT reason code >= 0x80). */
  nacked: number;
}

/** One connection of the bench: a producer, a consumer, or an idle/setup connection. */
export interface BenchClient {
  readonly stats: PublishStats;
  /** First fatal error (broker closed the connection, protocol error), else null. */
  readonly error: Error | null;
  connect(): Promise<void>;
  setupProducer(cfg: ProducerConfig): Promise<void>;
  /** How many messages may be published right now (window, flow control, socket buffer). */
  room(): number;
  /** Encode and write `n` messages in one socket write (n <= room()). */
  publish(n: number): void;
  /** Called when room() may have become positive again after being 0. */
  onRoom(cb: () => void): void;
  /** Called once on a fatal error. */
  onError(cb: (err: Error) => void): void;
  setupConsumer(cfg: ConsumerConfig, sink: DeliverySink): Promise<void>;
  /** Unconfirmed publishes outstanding. */
  inflight(): number;
  /** Polite protocol close, bounded in time; always leaves the socket closed. */
  close(): Promise<void>;
}
