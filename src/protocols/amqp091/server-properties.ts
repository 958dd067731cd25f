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

export function clientCapabilities(clientProperties: AmqpFieldTable): ClientCapabilities {
  const c = clientProperties['capabilities'];
  const t = c !== null && typeof c === 'object' && !Array.isArray(c) && !Buffer.isBuffer(c) ? (c as AmqpFieldTable) : {};
  return {
    consumerCancelNotify: t['consumer_cancel_notify'] === true,
    connectionBlocked: t['connection.blocked'] === true,
    authenticationFailureClose: t['authentication_failure_close'] === true,
  };
}
