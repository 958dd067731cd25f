/**
 * Channel 0: the connection class (AMQP 0-9-1 §1.4). The start/tune/open handshake
 * (§1.4.2), connection.close from the client, update-secret (RabbitMQ), and the
 * connection.blocked / unblocked notifications (RabbitMQ extension).
 */
import type { AnyMethod, MethodOf } from '../../codecs/amqp091/index.js';
import { parseSaslResponse } from './auth.js';
import type { AmqpConnection } from './connection.js';
import { endAfterFlush, handshakeError, releaseAll } from './connection-close.js';
import { State } from './connection-state.js';
import { AmqpError, channelError, notAllowed } from './errors.js';
import { Heartbeat } from './heartbeat.js';
import { checkTuneOk } from './negotiation.js';
import { clientCapabilities } from './server-properties.js';

export function handleConnectionMethod(c: AmqpConnection, m: AnyMethod): void {
  switch (c.state) {
    case State.Starting:
      if (m.name !== 'connection.start-ok') return handshakeError(c, `expected connection.start-ok, got ${m.name}`);
      return onStartOk(c, m);
    case State.Tuning:
      if (m.name === 'connection.secure-ok') return handshakeError(c, 'connection.secure-ok without connection.secure');
      if (m.name !== 'connection.tune-ok') return handshakeError(c, `expected connection.tune-ok, got ${m.name}`);
      return onTuneOk(c, m);
    case State.Opening:
      if (m.name !== 'connection.open') throw channelError(`unexpected method in connection state opening`);
      return onOpen(c, m);
    case State.Running:
      break;
    default:
      return;
  }
  switch (m.name) {
    case 'connection.close':
      c.log.debug({ replyCode: m.replyCode, replyText: m.replyText }, 'amqp091: client closed connection');
      releaseAll(c);
      c.state = State.Closing;
      c.out().method(0, 'connection.close-ok', {});
      endAfterFlush(c);
      return;
    case 'connection.update-secret': {
      const user = c.user!;
      if (c.broker.authenticate(user.name, m.newSecret.toString('utf8'), c.stream.remoteAddress) === undefined) {
        throw notAllowed('New secret was refused by one of the backends');
      }
      c.out().method(0, 'connection.update-secret-ok', {});
      return;
    }
    case 'connection.close-ok':
      return; // stray close-ok: nothing to do
    default:
      // RabbitMQ handle_method0 catch-all.
      throw channelError('unexpected method in connection state running');
  }
}

function onStartOk(c: AmqpConnection, m: MethodOf<'connection.start-ok'>): void {
  c.capabilities = clientCapabilities(m.clientProperties);
  if (m.mechanism !== 'PLAIN' && m.mechanism !== 'AMQPLAIN') {
    // RabbitMQ: an unknown mechanism during the handshake closes the socket.
    return handshakeError(c, `unknown authentication mechanism '${m.mechanism}'`);
  }
  const creds = parseSaslResponse(m.mechanism, m.response);
  if (creds === undefined) return handshakeError(c, `malformed ${m.mechanism} response`);
  const user = c.broker.authenticate(creds.username, creds.password, c.stream.remoteAddress);
  if (user === undefined) {
    c.log.warn({ user: creds.username, mechanism: m.mechanism }, 'amqp091: login refused');
    if (c.capabilities.authenticationFailureClose) {
      // RabbitMQ: the reason is kept out of the reply to not help guessing.
      const close = new AmqpError(403, `Login was refused using authentication mechanism ${m.mechanism}. For details see the broker logfile.`);
      c.state = State.Closing;
      c.out().method(0, 'connection.close', { replyCode: 403, replyText: close.replyText, classId: 0, methodId: 0 });
      endAfterFlush(c);
    } else {
      c.destroy();
    }
    return;
  }
  c.user = user;
  c.principal = { user, connectionId: c.id };
  c.state = State.Tuning;
  c.out().method(0, 'connection.tune', {
    channelMax: c.limits.channelMax,
    frameMax: c.limits.frameMax,
    heartbeat: c.limits.heartbeat,
  });
}

function onTuneOk(c: AmqpConnection, m: MethodOf<'connection.tune-ok'>): void {
  checkTuneOk(c.limits, m);
  c.frameMax = m.frameMax;
  c.channelMax = m.channelMax;
  c.heartbeat = m.heartbeat;
  // frame_max 0 ("no limit", only possible when limits.frameMax is 0) still gets a
  // hard cap: no frame needs to be larger than the largest message (DESIGN §5).
  c.parser.setFrameMax(m.frameMax !== 0 ? m.frameMax : Math.max(c.maxMessageSize, 1 << 20) + 8);
  if (c.enc !== undefined) c.enc.frameMax = m.frameMax;
  c.state = State.Opening;
  // Heartbeats off (0): no timer, and no state to keep either.
  if (m.heartbeat === 0) return;
  c.heartbeats = new Heartbeat(
    m.heartbeat,
    () => {
      if (c.state < State.Closing) c.out().heartbeat();
    },
    () => {
      c.log.warn({ heartbeat: c.heartbeat }, 'amqp091: missed heartbeats from client, closing');
      c.destroy();
    },
  );
}

function onOpen(c: AmqpConnection, m: MethodOf<'connection.open'>): void {
  const user = c.user!;
  const vhost = c.broker.getVhost(m.virtualHost);
  // RabbitMQ 3.10 texts (compared against the real broker): a missing vhost and a
  // refused one are told apart.
  if (vhost === undefined) throw notAllowed(`vhost ${m.virtualHost} not found`);
  if (!c.broker.canAccessVhost(user, m.virtualHost)) {
    throw notAllowed(`access to vhost '${m.virtualHost}' refused for user '${user.name}'`);
  }
  c.vhost = vhost;
  c.state = State.Running;
  if (c.handshakeTimer !== undefined) clearTimeout(c.handshakeTimer);
  c.handshakeTimer = undefined;
  c.out().method(0, 'connection.open-ok', { knownHosts: '' });
  c.log.info({ user: user.name, vhost: m.virtualHost }, 'amqp091: connection opened');
  c.live.watchAlarms(c);
  if (c.broker.alarms.active) onAlarm(c, true, 'resource alarm');
}

export function handshakeTimedOut(c: AmqpConnection): void {
  c.handshakeTimer = undefined;
  if (c.state < State.Running) {
    c.log.warn({}, 'amqp091: handshake timeout');
    c.destroy();
  }
}

// ---- alarms (RabbitMQ connection.blocked / unblocked extension) --------------------

/**
 * RabbitMQ "Blocked Connection Notifications": connection.blocked goes to publishing
 * connections (here: those that published before) when the alarm fires, and to
 * others at their first publish during it; consumers are neither told nor paused.
 */
export function onAlarm(c: AmqpConnection, active: boolean, reason: string): void {
  if (c.state !== State.Running) return;
  if (active === c.alarmActive) return;
  c.alarmActive = active;
  c.alarmReason = reason;
  if (active) {
    if (c.hasPublished) sendBlocked(c);
  } else {
    if (c.blockedSent) {
      c.blockedSent = false;
      c.out().method(0, 'connection.unblocked', {});
    }
    if (c.blockedByAlarm) {
      c.blockedByAlarm = false;
      c.resumeInput();
    }
  }
}

export function sendBlocked(c: AmqpConnection): void {
  if (c.blockedSent || !c.capabilities.connectionBlocked) return;
  c.blockedSent = true;
  c.out().method(0, 'connection.blocked', { reason: c.alarmReason.slice(0, 200) });
}
