/**
 * CONNECT / STOMP and DISCONNECT (STOMP 1.2 "Connecting", "DISCONNECT").
 */
import type { StompFrame, StompVersion } from '../../../codecs/stomp/frame.js';
import { encodeFrame } from '../../../codecs/stomp/encoder.js';
import type { StompConnection } from '../connection.js';
import { StompError } from '../errors.js';
import { Heartbeat, negotiateHeartbeat } from '../heartbeat.js';

const SUPPORTED: readonly StompVersion[] = ['1.2', '1.1', '1.0'];
const SERVER = 'Wharf/0.1.0';

/** Highest common version; no accept-version header means 1.0 (STOMP 1.1 "Protocol Negotiation"). */
export function negotiateVersion(header: string | undefined): StompVersion | undefined {
  if (header === undefined) return '1.0';
  const offered = header.split(',').map((s) => s.trim());
  return SUPPORTED.find((v) => offered.includes(v));
}

export function onConnect(conn: StompConnection, f: StompFrame): void {
  if (conn.state !== 'awaiting-connect') throw new StompError('Already connected', 'a CONNECT frame was already accepted on this connection');
  const h = f.headers;

  const version = negotiateVersion(h['accept-version']);
  if (version === undefined) {
    // STOMP 1.2 "Protocol Negotiation": ERROR with the versions the server supports.
    throw new StompError('Unsupported version', 'Supported protocol versions are 1.0 1.1 1.2', { version: '1.0,1.1,1.2' });
  }

  let heartbeat: Heartbeat | undefined;
  let heartbeatHeader: string | undefined;
  if (version !== '1.0') {
    const plan = negotiateHeartbeat(h['heart-beat'], conn.limits.heartbeatSendMs, conn.limits.heartbeatReceiveMs);
    if (plan === undefined) throw new StompError('Invalid heart-beat', `heart-beat header '${h['heart-beat']}' is not "<cx>,<cy>"`);
    heartbeatHeader = plan.header;
    if (plan.sendMs > 0 || plan.receiveMs > 0) {
      heartbeat = new Heartbeat(
        plan,
        conn.limits.heartbeatGrace,
        () => conn.sendHeartbeat(),
        () => {
          conn.log.debug({ receiveMs: plan.receiveMs }, 'STOMP heart-beat missed, closing');
          conn.stream.destroy();
        },
      );
    }
  }

  // Authentication: login/passcode, or the configured default user when no login is
  // given (RabbitMQ's STOMP default_user; guest is loopback-only in the core).
  const broker = conn.ctx.broker;
  const login = h['login'] ?? conn.limits.defaultLogin;
  if (login === null) throw new StompError('Access refused', 'a login header is required');
  const passcode = h['login'] !== undefined ? (h['passcode'] ?? '') : conn.limits.defaultPasscode;
  const user = broker.authenticate(login, passcode, conn.stream.remoteAddress);
  if (user === undefined) throw new StompError('Access refused', `Access refused for user '${login}'`);

  // host: a virtual host name, or anything naming none (e.g. the server's hostname,
  // as many clients send) -> the default vhost (ActiveMQ's behaviour).
  const host = h['host'];
  const vhostName = host !== undefined && broker.getVhost(host) !== undefined ? host : conn.limits.defaultVhost;
  const vhost = broker.getVhost(vhostName);
  if (vhost === undefined) throw new StompError('Virtual host not found', `virtual host '${vhostName}' does not exist`);
  if (!broker.canAccessVhost(user, vhostName)) {
    throw new StompError('Access refused', `user '${user.name}' has no access to virtual host '${vhostName}'`);
  }

  conn.stream.authenticated?.();
  conn.vhost = vhost;
  conn.principal = { user, connectionId: conn.id };
  conn.clientId = h['client-id'];
  conn.connected(version, heartbeat);

  const headers = ['server', SERVER, 'session', `session-${conn.id.toString(36)}`];
  if (version !== '1.0') headers.unshift('version', version);
  if (heartbeatHeader !== undefined) headers.push('heart-beat', heartbeatHeader);
  headers.push('user-name', user.name);
  conn.write(encodeFrame('CONNECTED', headers, undefined, version));
  conn.log.debug({ version, user: user.name, vhost: vhostName }, 'STOMP connected');
}

export function onDisconnect(conn: StompConnection, f: StompFrame): void {
  // STOMP 1.2 "DISCONNECT": receipt once everything before it is processed (and, for
  // persistent sends, durable), then close. No frames are read after it.
  conn.state = 'disconnecting';
  conn.receiptAfterSync(f.headers['receipt'], true);
}
