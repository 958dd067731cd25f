/**
 * What a protocol connection talks to: a duplex byte stream, whether it is a TCP
 * socket, a TLS socket or a WebSocket carrying binary/text messages. Protocol code
 * depends on this interface only, so each protocol works over every transport.
 */
export interface ByteStream {
  /** Peer IP address (for loopback-only users and logs). */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** 'tcp' | 'tls' | 'ws' | 'wss' */
  readonly kind: 'tcp' | 'tls' | 'ws' | 'wss';
  /** Queue bytes; returns false when the caller should wait for onDrain (backpressure). */
  write(chunk: Buffer): boolean;
  /** Batch writes made until uncork into one syscall / one WS frame sequence. */
  cork(): void;
  uncork(): void;
  /** True while written data waits to be flushed past the high-water mark. */
  readonly writableNeedDrain: boolean;
  /** Stop / restart reading (flow control: a blocked publisher is simply not read). */
  pause(): void;
  resume(): void;
  /** Flush what is queued, then close. */
  end(): void;
  /** Close at once. */
  destroy(): void;
  onData(listener: (chunk: Buffer) => void): void;
  onDrain(listener: () => void): void;
  /** Called exactly once, when the stream is closed for any reason. */
  onClose(listener: (hadError: boolean) => void): void;
  /**
   * ADDITIVE, optional: onData + onDrain + onClose in one call, with the callbacks as
   * methods of one object. A transport that implements it can listen without a closure
   * per connection (memory per idle connection, docs/performance.md). Call it once,
   * instead of the three; callers fall back to them when it is absent.
   */
  attach?(handler: StreamHandler): void;
  /**
   * ADDITIVE, optional: the peer has authenticated. A transport that bounds what an
   * unauthenticated peer may send below the protocol's own checks (WebSocket: ws buffers a
   * whole message before the codec sees a byte) lifts that bound. Protocols call it once,
   * right after a successful login.
   */
  authenticated?(): void;
}

/** The callbacks of ByteStream.attach: same meaning as onData, onDrain and onClose. */
export interface StreamHandler {
  onStreamData(chunk: Buffer): void;
  onStreamDrain(): void;
  onStreamClose(hadError: boolean): void;
}
