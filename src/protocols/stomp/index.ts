/**
 * STOMP 1.0 / 1.1 / 1.2 protocol entry point (the server imports exactly these names).
 */
import type { AcceptConnection } from '../context.js';
import { StompConnection } from './connection.js';
import type { StompLimits } from './limits.js';

export type { StompLimits } from './limits.js';
export { defaultStompLimits } from './limits.js';
/** The server registers it with the core to rebuild durable subscriptions' selectors at recovery. */
export { compileSelector, JMS_SELECTOR } from './selector/compile.js';

export const acceptStomp: AcceptConnection<StompLimits> = (stream, initial, ctx) => {
  const conn = new StompConnection(stream, ctx);
  if (initial.length > 0) conn.onData(initial);
};
