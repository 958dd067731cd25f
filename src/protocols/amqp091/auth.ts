/**
 * SASL responses of connection.start-ok (AMQP 0-9-1 §1.4.2.2, RabbitMQ's mechanisms).
 * PLAIN (RFC 4616): [authzid] NUL authcid NUL passwd.
 * AMQPLAIN: a field table without its length prefix holding LOGIN and PASSWORD.
 */
import { WireReader } from '../../codecs/amqp091/index.js';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export const MECHANISMS = 'PLAIN AMQPLAIN';

/** undefined = malformed response. */
export function parseSaslResponse(mechanism: string, response: Buffer): Credentials | undefined {
  if (mechanism === 'PLAIN') return parsePlain(response);
  if (mechanism === 'AMQPLAIN') return parseAmqplain(response);
  return undefined;
}

function parsePlain(b: Buffer): Credentials | undefined {
  const first = b.indexOf(0);
  if (first < 0) return undefined;
  const second = b.indexOf(0, first + 1);
  if (second < 0) return undefined;
  if (b.indexOf(0, second + 1) >= 0) return undefined;
  return { username: b.toString('utf8', first + 1, second), password: b.toString('utf8', second + 1) };
}

function parseAmqplain(b: Buffer): Credentials | undefined {
  const r = new WireReader();
  r.reset(b, 0, b.length);
  let username: string | undefined;
  let password: string | undefined;
  try {
    while (r.remaining > 0) {
      const key = r.shortstr();
      const v = r.fieldValue(0);
      const s = typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
      if (key === 'LOGIN') username = s;
      else if (key === 'PASSWORD') password = s;
    }
  } catch {
    return undefined;
  }
  if (username === undefined || password === undefined) return undefined;
  return { username, password };
}
