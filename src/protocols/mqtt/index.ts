/**
 * MQTT 3.1, 3.1.1 and 5.0 on the shared core. The server wires `acceptMqtt` to the
 * MQTT TCP listener and to WebSocket connections with subprotocol `mqtt`.
 */
import type { AcceptConnection } from '../context.js';
import { MqttConnection } from './connection.js';
import type { MqttLimits } from './limits.js';

export { defaultMqttLimits, type MqttLimits } from './limits.js';
/** The server registers it with the core to rebuild subscription filters at recovery. */
export { compileSubscriptionFilter, MQTT_SUBSCRIPTION_FILTER } from './session.js';

export const acceptMqtt: AcceptConnection<MqttLimits> = (stream, initial, ctx) => {
  const c = new MqttConnection(stream, ctx);
  if (initial.length > 0) c.onData(initial);
};
