import { Decimal, Timestamp, type FieldTable, type FieldValue, type Message, type MessageProperties } from './message.js';

/** Why a message leaves its queue for the dead-letter exchange (the x-death `reason`). */
export type DeadLetterReason = 'rejected' | 'expired' | 'maxlen' | 'delivery_limit';

/**
 * Dead-lettering as RabbitMQ 3.10 does it (rabbit_dead_letter): the message gets an
 * `x-death` header, an array of tables newest first, one per (queue, reason) pair:
 *   { count: long, exchange, 'original-expiration'?, queue, reason, 'routing-keys': array, time: timestamp }
 * A repeat death for the same queue and reason increments that table's count and
 * moves it to the front (its other fields stay as first recorded). The first death
 * is also recorded in x-first-death-reason/-queue/-exchange, set once. A per-message
 * `expiration` is removed and kept as 'original-expiration', so the message cannot
 * expire again in the next queue for the same reason.
 */
export function deadLetteredProperties(
  message: Message,
  queue: string,
  reason: DeadLetterReason,
  routingKeys: readonly string[],
): MessageProperties {
  const old = message.properties;
  const headers: FieldTable = old.headers ? { ...old.headers } : {};
  const prior = headers['x-death'];
  const deaths: FieldValue[] = Array.isArray(prior) ? prior.slice() : [];

  let entry: FieldTable | undefined;
  for (let i = 0; i < deaths.length; i++) {
    const d = deaths[i];
    if (isTable(d) && d['queue'] === queue && d['reason'] === reason) {
      const count = d['count'];
      const n = typeof count === 'bigint' ? count + 1n : BigInt(typeof count === 'number' ? count : 0) + 1n;
      entry = { ...d, count: n };
      deaths.splice(i, 1);
      break;
    }
  }
  if (!entry) {
    // Keys in sorted order, as rabbit_misc:sort_field_table leaves them.
    entry = { count: 1n, exchange: message.exchange };
    if (old.expiration !== undefined) entry['original-expiration'] = old.expiration;
    entry['queue'] = queue;
    entry['reason'] = reason;
    entry['routing-keys'] = routingKeys.slice();
    entry['time'] = Timestamp.now();
  }
  deaths.unshift(entry);
  headers['x-death'] = deaths;
  if (!('x-first-death-reason' in headers)) {
    headers['x-first-death-reason'] = reason;
    headers['x-first-death-queue'] = queue;
    headers['x-first-death-exchange'] = message.exchange;
  }
  const props: MessageProperties = { ...old, headers };
  delete props.expiration;
  return props;
}

function isTable(v: FieldValue | undefined): v is FieldTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Timestamp) && !(v instanceof Decimal);
}

/**
 * RabbitMQ's cycle rule: dead-lettering into `target` is dropped when `target`
 * already appears in x-death and no death from the newest back to that one was a
 * client rejection ("fully automatic" cycle). Rejections break cycles because a
 * client chose to send the message round again.
 */
export function isDeadLetterCycle(target: string, headers: FieldTable | undefined): boolean {
  const deaths = headers?.['x-death'];
  if (!Array.isArray(deaths)) return false;
  for (const d of deaths) {
    if (!isTable(d)) return false;
    if (d['reason'] === 'rejected') return false;
    if (d['queue'] === target) return true;
  }
  return false;
}
