// Placeholder until the stomp protocol layer lands: refuses connections.
import type { AcceptConnection } from '../context.js';

export interface StompLimits {}
export const defaultStompLimits: StompLimits = {};
export const acceptStomp: AcceptConnection<StompLimits> = (stream) => stream.destroy();
