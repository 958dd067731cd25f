/**
 * STOMP headers <-> core MessageProperties (docs/message-mapping.md, STOMP section).
 * The names follow RabbitMQ's STOMP plugin, with ActiveMQ's `expires` and JMS-style
 * `timestamp` in milliseconds accepted on the way in.
 */
import type { FieldTable, FieldValue, MessageProperties } from '../../core/message.js';
import { Decimal, Timestamp } from '../../core/message.js';
import type { StompHeaders } from '../../codecs/stomp/frame.js';

/** Headers of a SEND frame that are protocol controls or mapped to properties, never copied to `headers`. */
const SEND_CONSUMED: ReadonlySet<string> = new Set([
  'destination',
  'receipt',
  'transaction',
  'content-length',
  'content-type',
  'content-encoding',
  'persistent',
  'priority',
  'correlation-id',
  'reply-to',
  'expiration',
  'expires',
  'amqp-message-id',
  'message-id',
  'timestamp',
  'type',
  'user-id',
  'app-id',
  'cluster-id',
]);

/**
 * Headers set by the server on MESSAGE frames; a user header with one of these
 * names is not sent (it would shadow the server's value, first header wins).
 */
const MESSAGE_RESERVED: ReadonlySet<string> = new Set([
  'subscription',
  'message-id',
  'destination',
  'ack',
  'content-length',
  'redelivered',
  'receipt',
  'transaction',
  ...SEND_CONSUMED,
]);

const DIGITS = /^[0-9]{1,15}$/;

/** Seconds since epoch; values that only make sense as milliseconds (JMS/ActiveMQ) are converted. */
function parseTimestamp(v: string): Timestamp | undefined {
  if (!DIGITS.test(v)) return undefined;
  const n = Number(v);
  return new Timestamp(n >= 100_000_000_000 ? Math.floor(n / 1000) : n);
}

/**
 * Build message properties from SEND headers. `replyTo` is the already rewritten
 * reply-to (temp-queue handling lives in the session), or undefined.
 */
export function propertiesFromSend(h: StompHeaders, replyTo: string | undefined, now: number): MessageProperties {
  const p: MessageProperties = {};
  const ct = h['content-type'];
  if (ct !== undefined) p.contentType = ct;
  const ce = h['content-encoding'];
  if (ce !== undefined) p.contentEncoding = ce;
  // RabbitMQ and ActiveMQ: persistent:true -> persistent (delivery mode 2); anything else transient.
  p.deliveryMode = h['persistent'] === 'true' ? 2 : 1;
  const pr = h['priority'];
  if (pr !== undefined && /^[0-9]{1,3}$/.test(pr) && Number(pr) <= 255) p.priority = Number(pr);
  const corr = h['correlation-id'];
  if (corr !== undefined) p.correlationId = corr;
  if (replyTo !== undefined) p.replyTo = replyTo;
  // RabbitMQ `expiration`: a TTL in ms. ActiveMQ `expires`: an absolute time in ms (0 = never).
  const exp = h['expiration'];
  if (exp !== undefined && DIGITS.test(exp)) {
    p.expiration = String(Number(exp));
  } else {
    const abs = h['expires'];
    if (abs !== undefined && DIGITS.test(abs) && Number(abs) > 0) p.expiration = String(Math.max(0, Number(abs) - now));
  }
  const mid = h['amqp-message-id'];
  if (mid !== undefined) p.messageId = mid;
  const ts = h['timestamp'];
  if (ts !== undefined) {
    const t = parseTimestamp(ts);
    if (t !== undefined) p.timestamp = t;
  }
  const type = h['type'];
  if (type !== undefined) p.type = type;
  const uid = h['user-id'];
  if (uid !== undefined) p.userId = uid;
  const app = h['app-id'];
  if (app !== undefined) p.appId = app;
  const cluster = h['cluster-id'];
  if (cluster !== undefined) p.clusterId = cluster;

  let headers: FieldTable | undefined;
  for (const name in h) {
    if (SEND_CONSUMED.has(name)) continue;
    headers ??= {};
    headers[name] = h[name]!;
  }
  if (headers !== undefined) p.headers = headers;
  return p;
}

/** Text form of a header value for STOMP, or undefined when it has none (buffers, arrays, tables). */
export function fieldToString(v: FieldValue): string | undefined {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(v);
    default:
      if (v instanceof Timestamp) return String(v.seconds);
      if (v instanceof Decimal) return String(v.digits / 10 ** v.scale);
      return undefined;
  }
}

/** Set by the MQTT adapter on what MQTT clients publish (docs/message-mapping.md). */
const MQTT_QOS_HEADER = 'x-mqtt-publish-qos';

/**
 * reply-to as a STOMP client can SEND to. A value that is already a destination
 * (starts with '/') is shown as it is. A bare name is an AMQP-style reply queue (a
 * STOMP `/temp-queue/` is stored as its real queue name, and AMQP clients put queue
 * names there): RabbitMQ shows it as `/reply-queue/<name>`, which SENDs to the default
 * exchange with that key. An MQTT Response Topic is a routing key on the topic
 * exchange, so it is shown as `/topic/<key>`.
 */
export function replyToHeader(replyTo: string, headers: FieldTable | undefined): string {
  if (replyTo.startsWith('/')) return replyTo;
  if (headers !== undefined && headers[MQTT_QOS_HEADER] !== undefined) return '/topic/' + replyTo;
  return '/reply-queue/' + replyTo;
}

/** Append MESSAGE headers for the properties to a flat [name, value, ...] array. */
export function appendPropertyHeaders(out: string[], p: MessageProperties): void {
  if (p.contentType !== undefined) out.push('content-type', p.contentType);
  if (p.contentEncoding !== undefined) out.push('content-encoding', p.contentEncoding);
  if (p.deliveryMode === 2) out.push('persistent', 'true');
  if (p.priority !== undefined) out.push('priority', String(p.priority));
  if (p.correlationId !== undefined) out.push('correlation-id', p.correlationId);
  if (p.replyTo !== undefined) out.push('reply-to', replyToHeader(p.replyTo, p.headers));
  if (p.expiration !== undefined) out.push('expiration', p.expiration);
  if (p.messageId !== undefined) out.push('amqp-message-id', p.messageId);
  if (p.timestamp !== undefined) out.push('timestamp', String(p.timestamp.seconds));
  if (p.type !== undefined) out.push('type', p.type);
  if (p.userId !== undefined) out.push('user-id', p.userId);
  if (p.appId !== undefined) out.push('app-id', p.appId);
  if (p.clusterId !== undefined) out.push('cluster-id', p.clusterId);
  const h = p.headers;
  if (h !== undefined) {
    for (const name in h) {
      if (MESSAGE_RESERVED.has(name)) continue;
      const s = fieldToString(h[name]!);
      if (s !== undefined) out.push(name, s);
    }
  }
}
