/**
 * server-properties of connection.start (AMQP 0-9-1 §1.4.2.1), with the
 * capabilities table RabbitMQ advertises so clients enable the extensions.
 */
import type { AmqpFieldTable } from '../../codecs/amqp091/index.js';

export const SERVER_VERSION = '0.1.0';

export function serverProperties(): AmqpFieldTable {
  return {
    capabilities: {
      publisher_confirms: true,
      exchange_exchange_bindings: true,
      'basic.nack': true,
      consumer_cancel_notify: true,
      'connection.blocked': true,
      consumer_priorities: true,
      authentication_failure_close: true,
      per_consumer_qos: true,
      direct_reply_to: true,
    },
    cluster_name: 'wharf',
    copyright: 'Wharf contributors',
    information: 'Licensed under the Apache License 2.0',
    platform: `Node.js ${process.version}`,
    product: 'Wharf',
    version: SERVER_VERSION,
  };
}

/** The client's capabilities we act on (client-properties.capabilities of start-ok). */
export interface ClientCapabilities {
  readonly consumerCancelNotify: boolean;
  readonly connectionBlocked: boolean;
  readonly authenticationFailureClose: boolean;
}

/**
 * The eight possible answers, shared by all connections (frozen): a connection keeps a
 * reference instead of its own object (memory per idle connection, docs/performance.md).
 */
const CAPABILITY_SETS: readonly ClientCapabilities[] = Array.from({ length: 8 }, (_, i) =>
  Object.freeze({ consumerCancelNotify: (i & 1) !== 0, connectionBlocked: (i & 2) !== 0, authenticationFailureClose: (i & 4) !== 0 }),
);

/** What a client that announced nothing gets (also the state before connection.start-ok). */
export const NO_CLIENT_CAPABILITIES: ClientCapabilities = CAPABILITY_SETS[0]!;

export function clientCapabilities(clientProperties: AmqpFieldTable): ClientCapabilities {
  const c = clientProperties['capabilities'];
  const t = c !== null && typeof c === 'object' && !Array.isArray(c) && !Buffer.isBuffer(c) ? (c as AmqpFieldTable) : {};
  const i = (t['consumer_cancel_notify'] === true ? 1 : 0) | (t['connection.blocked'] === true ? 2 : 0) | (t['authentication_failure_close'] === true ? 4 : 0);
  return CAPABILITY_SETS[i]!;
}
