// Placeholder until the amqp091 protocol layer lands: refuses connections.
import type { AcceptConnection } from '../context.js';

export interface Amqp091Limits {}
export const defaultAmqp091Limits: Amqp091Limits = {};
export const acceptAmqp091: AcceptConnection<Amqp091Limits> = (stream) => stream.destroy();
