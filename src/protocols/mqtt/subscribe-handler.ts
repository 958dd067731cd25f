/**
 * SUBSCRIBE / UNSUBSCRIBE (MQTT 5 §3.8-3.11, 3.1.1 §3.8-3.11): one binding per
 * subscription from the MQTT exchange to the session queue (or to the shared group's
 * queue), subscription options, identifiers, and retained messages on subscribe.
 */
import {
  encodeSuback,
  encodeUnsuback,
  ReasonCode,
  SubackFailure311,
  type QoS,
  type SubscribePacket,
  type Subscription,
  type UnsubscribePacket,
} from '../../codecs/mqtt/index.js';
import type { BindingSpec } from '../../core/api.js';
import type { MqttConnection } from './connection.js';
import type { PendingRetained } from './delivery.js';
import { MqttFailure, reasonCodeFor, reasonStringFor } from './errors.js';
import { hasExpired, messageQoS } from './message-adapter.js';
import { retainedStoreFor } from './retained-store.js';
import { A_CLIENT_ID, subscriptionArgs, subscriptionFilter, type SubscriptionState } from './session.js';
import { ensureSessionQueue, releaseShared, sessionQueueOptions, sharedQueueFor } from './session-lifecycle.js';
import { checkTopicFilter, filterToBindingKey, routingKeyToTopic, startsWithWildcard } from './topic.js';


export function handleSubscribe(c: MqttConnection, p: SubscribePacket): void {
  const subId = p.properties.subscriptionIdentifiers?.[0];
  const codes: number[] = [];
  const retained: PendingRetained[] = [];
  const problems: string[] = [];
  for (const req of p.subscriptions) codes.push(subscribeOne(c, req, subId, retained, problems));
  // [MQTT-3.8.4-1]: SUBACK with the same packet id, one code per filter in order [MQTT-3.9.3-1].
  // MQTT 5 §3.9.2.1.2: one Reason String for the packet says which filters failed and why.
  const props = problems.length > 0 ? c.reasonProps(problems.join('; '), 9 + codes.length) : undefined;
  c.send(encodeSuback(c.level, { packetId: p.packetId, properties: props ?? {}, reasonCodes: codes }));
  if (retained.length > 0) c.outbound.sendRetained(retained);
}

function subscribeOne(c: MqttConnection, req: Subscription, subId: number | undefined, retained: PendingRetained[], problems: string[]): number {
  const s = c.session!;
  const limits = c.limits;
  const principal = c.principal!;
  const failure = (code: number, why: string): number => {
    problems.push(`${clip(req.topicFilter)}: ${why}`);
    return c.level === 5 ? code : SubackFailure311;
  };

  const shared = sharedQueueFor(req.topicFilter);
  if (shared === null) return failure(ReasonCode.TopicFilterInvalid, 'invalid shared subscription');
  const filter = shared === undefined ? req.topicFilter : shared.filter;
  if (checkTopicFilter(filter, limits) !== undefined) return failure(ReasonCode.TopicFilterInvalid, 'invalid topic filter');
  // [MQTT-3.8.3-4]: No Local on a shared subscription is a Protocol Error.
  if (shared !== undefined && req.noLocal) throw new MqttFailure(ReasonCode.ProtocolError, 'no local on a shared subscription');
  const existing = s.subscriptions.get(req.topicFilter);
  if (existing === undefined && s.subscriptions.size >= limits.maxSubscriptionsPerClient) return failure(ReasonCode.QuotaExceeded, `more than ${limits.maxSubscriptionsPerClient} subscriptions`);

  const bindingKey = filterToBindingKey(filter);
  const dollarRule = startsWithWildcard(filter);
  const vhost = s.vhost;
  const reg = c.registry;
  try {
    if (shared !== undefined) {
      if (vhost.getQueue(shared.queue) === undefined) {
        const opts = sessionQueueOptions(s);
        vhost.declareQueue(principal, shared.queue, { ...opts, exclusive: false }, false);
      }
      // One binding per member, tagged with its client id, so memberships of persistent
      // sessions survive a broker restart (routing dedupes queues: one copy per group).
      const binding: BindingSpec = {
        source: limits.exchange,
        destinationKind: 'queue',
        destination: shared.queue,
        routingKey: bindingKey,
        arguments: { ...subscriptionArgs({ filter: req.topicFilter, qos: req.qos, noLocal: false, retainAsPublished: req.retainAsPublished, subscriptionId: subId }), [A_CLIENT_ID]: s.clientId },
        ...subscriptionFilter(s.key, dollarRule, false),
      };
      if (existing !== undefined) {
        s.deleteSubscription(req.topicFilter);
        vhost.unbind(principal, existing.binding);
      }
      vhost.bind(principal, binding);
      let refs = reg.sharedRefs.get(shared.queue);
      if (refs === undefined) reg.sharedRefs.set(shared.queue, (refs = new Set()));
      refs.add(s.key);
      const state: SubscriptionState = { key: req.topicFilter, filter, group: shared.group, qos: req.qos, noLocal: false, retainAsPublished: req.retainAsPublished, subscriptionId: subId, queue: shared.queue, binding };
      s.setSubscription(req.topicFilter, state);
      c.outbound.consumeShared(state);
      // Retained messages are not sent for shared subscriptions (MQTT 5 §4.8.2).
      return req.qos;
    }
    ensureSessionQueue(s, principal);
    c.outbound.consumeSessionQueue();
    const opts = { filter, qos: req.qos, noLocal: req.noLocal, retainAsPublished: req.retainAsPublished, subscriptionId: subId };
    const binding: BindingSpec = {
      source: limits.exchange,
      destinationKind: 'queue',
      destination: s.queue,
      routingKey: bindingKey,
      arguments: subscriptionArgs(opts),
      ...subscriptionFilter(s.key, dollarRule, req.noLocal),
    };
    // [MQTT-3.8.4-3]: a subscription with the same filter is replaced.
    if (existing !== undefined) {
      s.deleteSubscription(req.topicFilter);
      vhost.unbind(principal, existing.binding);
    }
    vhost.bind(principal, binding);
    s.setSubscription(req.topicFilter, { key: req.topicFilter, group: undefined, queue: s.queue, binding, ...opts });
  } catch (err) {
    c.log.debug({ err, filter: req.topicFilter }, 'mqtt: subscribe failed');
    return failure(reasonCodeFor(err), reasonStringFor(err));
  }

  // Retain Handling (MQTT 5 §3.8.3.1): 0 always, 1 only for a new subscription, 2 never.
  const sendRetained = req.retainHandling === 0 || (req.retainHandling === 1 && existing === undefined);
  if (sendRetained && limits.retainAvailable) {
    const now = Date.now();
    for (const m of retainedStoreFor(vhost, limits.maxRetainedMessages, principal.user, c.log).match(limits.exchange, bindingKey)) {
      if (dollarRule && m.routingKey.startsWith('$')) continue; // [MQTT-4.7.2-1]
      if (hasExpired(m.properties, now)) continue; // MQTT 5 §3.3.2.3.3: expired retained messages are not sent
      retained.push({
        topic: routingKeyToTopic(m.routingKey),
        qos: Math.min(req.qos, messageQoS(m.properties)) as QoS,
        properties: m.properties,
        body: m.body,
        subscriptionId: subId,
      });
    }
  }
  return req.qos;
}

export function handleUnsubscribe(c: MqttConnection, p: UnsubscribePacket): void {
  const s = c.session!;
  const codes: number[] = [];
  const problems: string[] = [];
  for (const f of p.topicFilters) {
    const sub = s.subscriptions.get(f);
    if (sub === undefined) {
      codes.push(ReasonCode.NoSubscriptionExisted);
      problems.push(`${clip(f)}: no such subscription`);
      continue;
    }
    s.deleteSubscription(f);
    try {
      if (sub.group !== undefined) {
        c.outbound.cancelShared(sub.queue);
        releaseShared(c.registry, s.vhost, c.principal!, sub, s.key);
      } else {
        s.vhost.unbind(c.principal!, sub.binding);
      }
      codes.push(ReasonCode.Success);
    } catch (err) {
      c.log.debug({ err, filter: f }, 'mqtt: unsubscribe failed');
      codes.push(reasonCodeFor(err));
      problems.push(`${clip(f)}: ${reasonStringFor(err)}`);
    }
  }
  // [MQTT-3.10.4-4]: UNSUBACK even when nothing was removed; MQTT 5 §3.11.2.1.2 Reason String.
  const props = problems.length > 0 ? c.reasonProps(problems.join('; '), 9 + codes.length) : undefined;
  c.send(encodeUnsuback(c.level, { packetId: p.packetId, properties: props ?? {}, reasonCodes: codes }));
}

/** A client's filter inside a reason string: bounded, whatever the client sent. */
function clip(filter: string): string {
  return filter.length > 64 ? `${filter.slice(0, 64)}...` : filter;
}
