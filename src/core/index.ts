/**
 * The routing core's entry point. The server creates one broker; protocols see it
 * only through the `Broker` interface of ./api.ts.
 */
import type { BrokerHandle, BrokerOptions } from './api.js';
import { BrokerImpl } from './broker.js';

export async function createBroker(options: BrokerOptions): Promise<BrokerHandle> {
  return BrokerImpl.create(options);
}

export { BrokerImpl } from './broker.js';
export type { PermissionSpec } from './broker.js';
export { Alarms } from './alarms.js';
export { serializeMessage, deserializeMessage } from './message-serde.js';
export { hashPassword, checkPassword, isLoopback } from './users.js';
