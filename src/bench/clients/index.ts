import type { Endpoint } from '../options.js';
import { AmqpClient } from './amqp.js';
import { MqttClient } from './mqtt.js';
import { StompClient } from './stomp.js';
import type { BenchClient } from './types.js';

export function createClient(ep: Endpoint, mqttVersion: 4 | 5, clientId: string): BenchClient {
  switch (ep.protocol) {
    case 'amqp':
      return new AmqpClient(ep);
    case 'mqtt':
      return new MqttClient(ep, mqttVersion, clientId);
    case 'stomp':
      return new StompClient(ep);
  }
}

export { AmqpClient, MqttClient, StompClient };
export type { BenchClient };
