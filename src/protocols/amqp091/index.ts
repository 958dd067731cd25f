/**
 * AMQP 0-9-1 protocol entry point, wired by src/server (see /work/briefs/harness.md):
 * one AmqpConnection per accepted ByteStream.
 */
import type { AcceptConnection } from '../context.js';
import { AmqpConnection } from './connection.js';
import type { Amqp091Limits } from './limits.js';

export { defaultAmqp091Limits, type Amqp091Limits } from './limits.js';

export const acceptAmqp091: AcceptConnection<Amqp091Limits> = (stream, initial, ctx) => {
  const conn = new AmqpConnection(stream, ctx);
  conn.start(initial);
};
