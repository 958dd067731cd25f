/**
 * Last will (MQTT 5 §3.1.2.5, 3.1.1 §3.1.2.5): published when the network connection
 * closes without a normal DISCONNECT — abrupt close, keep alive timeout, protocol error,
 * session takeover — after the MQTT 5 Will Delay Interval, or when the session ends,
 * whichever comes first [MQTT-3.1.3-9]. A reconnect within the delay cancels it.
 */
import type { WillMessage } from '../../codecs/mqtt/index.js';
import type { MqttConnection } from './connection.js';
import { toCoreProperties } from './message-adapter.js';
import { retainedStoreFor } from './retained-store.js';
import { clearPublisher, setPublisher } from './session.js';
import { topicToRoutingKey } from './topic.js';

export function dispatchWill(c: MqttConnection, will: WillMessage): void {
  const s = c.session;
  const delay = c.level === 5 ? (will.properties.willDelayInterval ?? 0) : 0;
  if (delay > 0 && s !== undefined && s.persistent && s.expiryInterval > 0) {
    c.registry.scheduleWill(s.key, Math.min(delay, s.expiryInterval) * 1000, () => publishWill(c, will));
    return;
  }
  publishWill(c, will);
}

function publishWill(c: MqttConnection, will: WillMessage): void {
  const vhost = c.vhost;
  const principal = c.principal;
  if (vhost === undefined || principal === undefined) return;
  const limits = c.limits;
  const routingKey = topicToRoutingKey(will.topic);
  const properties = toCoreProperties(will.qos, will.retain, will.properties, Date.now());
  setPublisher(c.session?.key ?? '');
  try {
    vhost.publish(principal, limits.exchange, routingKey, properties, will.payload, { mandatory: false });
  } catch (err) {
    c.log.info({ err, clientId: c.clientId }, 'mqtt: will not published');
    return;
  } finally {
    clearPublisher();
  }
  if (will.retain && limits.retainAvailable) {
    const store = retainedStoreFor(vhost, limits.maxRetainedMessages, principal.user, c.log);
    if (will.payload.length === 0) store.clear(limits.exchange, routingKey);
    else store.set(limits.exchange, routingKey, properties, will.payload);
  }
}
