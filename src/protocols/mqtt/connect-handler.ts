/**
 * CONNECT -> CONNACK (MQTT 5 §3.1, §3.2; 3.1.1 §3.1, §3.2): authentication, client
 * identifier rules, session takeover / clean start / resume, will, keep alive, and the
 * MQTT 5 capabilities both sides announce.
 */
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import {
  ConnackReturnCode311,
  connackCodeFor311,
  encodeConnack,
  ReasonCode,
  type ConnectPacket,
  type MqttProperties,
  type WillMessage,
} from '../../codecs/mqtt/index.js';
import type { User, VirtualHost } from '../../core/api.js';
import type { MqttConnection } from './connection.js';
import { Session, SessionRegistry, sessionQueueName } from './session.js';
import { destroySession, ensureSessionQueue, restoreFromBindings } from './session-lifecycle.js';
import { checkTopicName } from './topic.js';

/** Topic (up to 64 KiB) and properties allowed on top of the largest payload in a PUBLISH. */
const PUBLISH_HEADER_ALLOWANCE = 128 * 1024;

/** CONNECT named a protocol level we do not speak: CONNACK 0x01 and close [MQTT-3.1.2-2]. */
export function refuseUnsupportedLevel(c: MqttConnection): void {
  // The 3.1.1 form: every client level can parse it (MQTT 5 §3.1.2.2 allows either).
  c.send(encodeConnack(4, { sessionPresent: false, reasonCode: ConnackReturnCode311.UnacceptableProtocolVersion, properties: {} }));
  c.fail(ReasonCode.UnsupportedProtocolVersion, 'unsupported protocol level');
}

function refuse(c: MqttConnection, reason: number, text: string): void {
  const props: MqttProperties = c.level === 5 ? { reasonString: text } : {};
  const code = c.level === 5 ? reason : connackCodeFor311(reason);
  // [MQTT-3.2.2-6] / [MQTT-3.2.2-7]: session present 0 with a non-zero return code, then close.
  c.send(encodeConnack(c.level, { sessionPresent: false, reasonCode: code, properties: props }));
  c.log.debug({ reason, text, clientId: c.clientId }, 'mqtt: CONNECT refused');
  c.fail(reason, text);
}

/** Users, with RabbitMQ's `vhost:user` form for choosing a virtual host. */
function authenticate(c: MqttConnection, p: ConnectPacket): { user: User; vhost: VirtualHost } | number {
  const broker = c.ctx.broker;
  let username = p.username;
  let password = p.password?.toString('utf8') ?? '';
  let vhostName = c.limits.vhost;
  if (username === undefined) {
    if (p.password !== undefined) return ReasonCode.BadUserNameOrPassword;
    // Anonymous: RabbitMQ's mqtt.default_user; the broker's loopback rule still applies to it.
    if (c.limits.defaultUser === null) return ReasonCode.NotAuthorized;
    username = c.limits.defaultUser;
    password = c.limits.defaultPassword;
  } else {
    const colon = username.indexOf(':');
    if (colon > 0 && broker.getVhost(username.slice(0, colon)) !== undefined) {
      vhostName = username.slice(0, colon);
      username = username.slice(colon + 1);
    }
  }
  const user = broker.authenticate(username, password, c.stream.remoteAddress);
  if (user === undefined) return p.username === undefined ? ReasonCode.NotAuthorized : ReasonCode.BadUserNameOrPassword;
  const vhost = broker.getVhost(vhostName);
  if (vhost === undefined || !broker.canAccessVhost(user, vhostName)) return ReasonCode.NotAuthorized;
  return { user, vhost };
}

function checkWill(c: MqttConnection, will: WillMessage): number | undefined {
  const bad = checkTopicName(will.topic, c.limits);
  if (bad !== undefined) return bad;
  if (will.retain && !c.limits.retainAvailable) return ReasonCode.RetainNotSupported; // [MQTT-3.2.2-13]
  if (will.properties.payloadFormatIndicator === 1 && !isUtf8(will.payload)) return ReasonCode.PayloadFormatInvalid;
  return undefined;
}


export function handleConnect(c: MqttConnection, p: ConnectPacket): void {
  c.level = p.protocolLevel;
  const v5 = c.level === 5;
  const limits = c.limits;
  c.clientId = p.clientId;

  // MQTT 5 enhanced authentication: we offer no method [MQTT-4.12.0-1] -> 0x8C.
  if (v5 && p.properties.authenticationMethod !== undefined) {
    refuse(c, ReasonCode.BadAuthenticationMethod, 'no enhanced authentication method is supported');
    return;
  }

  // Client identifier rules: [MQTT-3.1.3-6..8] (3.1.1), §3.1.3.1 (5.0), 1..23 chars (3.1).
  let clientId = p.clientId;
  let assigned: string | undefined;
  if (clientId.length === 0) {
    if (c.level === 3 || (c.level === 4 && !p.clean)) {
      refuse(c, ReasonCode.ClientIdentifierNotValid, 'empty client identifier');
      return;
    }
    clientId = `wharf-${randomBytes(12).toString('base64url')}`;
    assigned = clientId;
  }
  // MQTT 3.1 capped ids at 23 characters; like 3.1.1 servers [MQTT-3.1.3-5] we accept longer ones.
  if (Buffer.byteLength(clientId) > limits.maxClientIdLength) {
    refuse(c, ReasonCode.ClientIdentifierNotValid, 'client identifier too long');
    return;
  }
  c.clientId = clientId;

  const auth = authenticate(c, p);
  if (typeof auth === 'number') {
    refuse(c, auth, auth === ReasonCode.BadUserNameOrPassword ? 'bad user name or password' : 'not authorized');
    return;
  }
  if (p.will !== undefined) {
    const bad = checkWill(c, p.will);
    if (bad !== undefined) {
      // 3.1/3.1.1 have no return code for a bad will topic: a CONNECT that breaks the
      // rules is closed without CONNACK [MQTT-3.1.4-1] (Mosquitto does the same); 5.0
      // names the reason in CONNACK (0x90, 0x99, 0x9A are CONNACK codes, §3.2.2.2).
      if (!v5) c.fail(bad, 'invalid will');
      else refuse(c, bad, 'invalid will');
      return;
    }
  }

  c.stream.authenticated?.();
  const principal = { user: auth.user, connectionId: c.connectionId };
  c.vhost = auth.vhost;
  c.principal = principal;
  // The broker-wide message size limit applies to MQTT payloads as it does to AMQP and STOMP
  // bodies (RabbitMQ max_message_size); the packet limit we announce leaves room for the
  // topic and properties on top of the largest payload.
  const maxMessage = c.ctx.broker.limits?.maxMessageSize;
  if (maxMessage !== undefined && maxMessage > 0) c.maxPayloadSize = maxMessage;
  const maxPacket = Math.min(limits.maxPacketSize, c.maxPayloadSize + PUBLISH_HEADER_ALLOWANCE);
  c.decoder.options.maxPacketSize = maxPacket;

  // Session expiry: 3.1.1 clean session 0 is kept as long as our maximum allows.
  const requestedExpiry = v5 ? (p.properties.sessionExpiryInterval ?? 0) : p.clean ? 0 : limits.maxSessionExpiryInterval;
  let expiry = Math.min(requestedExpiry, limits.maxSessionExpiryInterval);

  const reg = c.registry;
  const key = SessionRegistry.key(auth.vhost.name, clientId);
  let session = reg.sessions.get(key);
  // Session takeover [MQTT-3.1.4-3]: the existing connection is closed first, synchronously.
  session?.owner?.takeOver();
  // A delayed will of the previous connection is not sent when the client is back [MQTT-3.1.3-9].
  reg.cancelPendingWill(key);
  session = reg.sessions.get(key);

  let present = false;
  try {
    if (p.clean) {
      if (session !== undefined) destroySession(reg, session);
      session = undefined;
      // A durable session queue left from before a restart goes too [MQTT-3.1.2-4].
      const q = auth.vhost.getQueue(sessionQueueName(clientId));
      if (q !== undefined) auth.vhost.deleteQueue(principal, q.name, false, false);
    }
    if (session === undefined) {
      session = new Session(key, clientId, auth.vhost);
      const existingQueue = auth.vhost.getQueue(session.queue);
      if (existingQueue !== undefined && existingQueue.durable) {
        // A persistent session from before a broker restart [MQTT-3.1.2-5].
        present = true;
        session.queueDeclared = true;
        session.persistent = true;
      }
      if (!p.clean) {
        // Its subscriptions (own queue and shared groups) are in the durable bindings.
        restoreFromBindings(session, reg, limits.exchange, principal, c.log);
        if (session.subscriptions.size > 0) present = true;
      }
      reg.sessions.set(key, session);
    } else {
      present = true;
      if (session.expiryTimer !== undefined) clearTimeout(session.expiryTimer);
      session.expiryTimer = undefined;
    }
  } catch (err) {
    c.log.warn({ err, clientId }, 'mqtt: session setup failed');
    refuse(c, ReasonCode.ServerUnavailable, 'session setup failed');
    return;
  }

  // A resumed durable queue keeps the x-expires it was created with: report that value.
  if (present && session.queueDeclared && session.persistent) {
    const q = auth.vhost.getQueue(session.queue);
    const xe = q?.arguments['x-expires'];
    if (q?.durable && typeof xe === 'number' && expiry > 0) expiry = Math.max(1, Math.round(xe / 1000));
  }
  session.expiryInterval = expiry;
  session.persistent = expiry > 0;
  session.owner = c;
  session.principal = principal;
  c.session = session;
  c.will = p.will === undefined ? undefined : { ...p.will, payload: Buffer.from(p.will.payload) };

  // Keep alive, possibly overridden by the server (MQTT 5 §3.2.2.3.14).
  let keepAlive = p.keepAlive;
  let serverKeepAlive: number | undefined;
  if (limits.serverKeepAlive > 0 && (keepAlive === 0 || keepAlive > limits.serverKeepAlive)) {
    if (v5) {
      keepAlive = limits.serverKeepAlive;
      serverKeepAlive = keepAlive;
    }
  }

  // What the client told us about itself (MQTT 5 §3.1.2.11).
  if (v5) {
    const cp = p.properties;
    c.problemInformation = cp.requestProblemInformation !== 0;
    c.outbound.configure(cp.receiveMaximum ?? 65_535, cp.maximumPacketSize ?? 0, cp.topicAliasMaximum ?? 0);
  } else {
    c.outbound.configure(65_535, 0, 0);
  }

  const props: MqttProperties = {};
  if (v5) {
    if (limits.receiveMaximum < 65_535) props.receiveMaximum = limits.receiveMaximum;
    if (maxPacket < 268_435_460) props.maximumPacketSize = maxPacket;
    props.topicAliasMaximum = limits.topicAliasMaximum;
    if (!limits.retainAvailable) props.retainAvailable = 0;
    if (assigned !== undefined) props.assignedClientIdentifier = assigned; // [MQTT-3.2.2-16]
    if (expiry !== requestedExpiry) props.sessionExpiryInterval = expiry;
    if (serverKeepAlive !== undefined) props.serverKeepAlive = serverKeepAlive;
  }
  // [MQTT-3.2.2-2]: session present only when resuming.
  c.state = 'connected';
  c.send(encodeConnack(c.level, { sessionPresent: present, reasonCode: 0, properties: props }));
  c.startKeepAlive(keepAlive);
  c.watchAlarms();

  // Resume delivery: consume the session queue, re-join shared groups, resend PUBRELs.
  try {
    if (session.queueDeclared) ensureSessionQueue(session, principal);
    c.outbound.attachSession(session);
  } catch (err) {
    c.log.warn({ err, clientId }, 'mqtt: could not resume session delivery');
    c.fail(ReasonCode.ImplementationSpecificError, 'could not resume session');
  }
}
