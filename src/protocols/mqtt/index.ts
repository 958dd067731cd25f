// Placeholder until the mqtt protocol layer lands: refuses connections.
import type { AcceptConnection } from '../context.js';

export interface MqttLimits {}
export const defaultMqttLimits: MqttLimits = {};
export const acceptMqtt: AcceptConnection<MqttLimits> = (stream) => stream.destroy();
