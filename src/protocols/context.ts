import type { Broker, Logger } from '../core/api.js';
import type { ByteStream } from '../transport/byte-stream.js';

/**
 * Everything a protocol connection needs from the server, handed in by the
 * composition root (src/server). Protocol-specific limits live in `limits`.
 */
export interface ProtocolContext<Limits> {
  readonly broker: Broker;
  readonly log: Logger;
  readonly limits: Limits;
  /** The server is stopping: protocols close their connections politely (AMQP 320, ...). */
  onShutdown(listener: () => void): () => void;
}

/**
 * Each protocol exports one function of this shape. `initial` holds bytes the transport
 * already read while detecting the protocol (may be empty); they must be processed first.
 */
export type AcceptConnection<Limits> = (stream: ByteStream, initial: Buffer, ctx: ProtocolContext<Limits>) => void;
