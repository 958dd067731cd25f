/** Where an AMQP 0-9-1 connection is in its life (AMQP 0-9-1 §1.4.2: the handshake, then close). */
export const enum State {
  /** Waiting for "AMQP" 0 0 9 1. */
  Header,
  /** connection.start sent, waiting for start-ok. */
  Starting,
  /** connection.tune sent, waiting for tune-ok. */
  Tuning,
  /** tune-ok received, waiting for connection.open. */
  Opening,
  Running,
  /** We sent connection.close and wait for close-ok. */
  Closing,
  Closed,
}
