/**
 * MQTT topics <-> AMQP routing keys (DESIGN §1), and the MQTT topic rules.
 *
 * Mapping (as RabbitMQ does it): '/' and '.' are swapped, so `a/b.c` is routing key
 * `a.b/c` and the mapping is its own inverse. In filters `+` becomes `*`; `#` stays.
 * A literal `*` inside an MQTT topic level is legal MQTT but becomes a topic-exchange
 * wildcard in a binding key; that corner is documented in docs/mqtt.md.
 */
import { ReasonCode } from '../../codecs/mqtt/index.js';
import type { MqttLimits } from './limits.js';

/** Swap '/' and '.' (an involution: topic -> routing key and routing key -> topic). */
export function swapSeparators(s: string): string {
  let hasDot = false;
  let hasSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) hasDot = true;
    else if (c === 0x2f) hasSlash = true;
  }
  if (!hasDot && !hasSlash) return s;
  if (!hasDot) return s.replaceAll('/', '.');
  if (!hasSlash) return s.replaceAll('.', '/');
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    out += ch === '/' ? '.' : ch === '.' ? '/' : ch;
  }
  return out;
}

/**
 * The swap, remembered. Every PUBLISH maps its topic and every delivery maps the routing
 * key back, and a fan-out hands one routing key to each subscriber's session; swapping
 * allocated a new string each time (docs/performance.md). Since the swap is its own
 * inverse, one map serves both directions. Bounded: cleared when full, so a stream of
 * one-off topics costs one swap each, as without the map.
 */
const swapped = new Map<string, string>();
const SWAPPED_MAX = 4096;

function swapSeparatorsRemembered(s: string): string {
  let out = swapped.get(s);
  if (out === undefined) {
    if (swapped.size >= SWAPPED_MAX) swapped.clear();
    out = swapSeparators(s);
    swapped.set(s, out);
  }
  return out;
}

export const topicToRoutingKey = swapSeparatorsRemembered;
export const routingKeyToTopic = swapSeparatorsRemembered;

/** MQTT filter -> topic-exchange binding key: swap separators, `+` -> `*`. */
export function filterToBindingKey(filter: string): string {
  const swapped = swapSeparators(filter);
  if (!swapped.includes('+')) return swapped;
  return swapped
    .split('.')
    .map((w) => (w === '+' ? '*' : w))
    .join('.');
}

/** Count '/'-separated levels without allocating (a topic of n slashes has n+1 levels). */
function levels(s: string, max: number): number {
  let n = 1;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) === 0x2f && ++n > max) return n;
  }
  return n;
}

/**
 * Check a PUBLISH / will topic name. Returns undefined when valid, else the MQTT 5 reason code.
 * [MQTT-4.7.3-1] at least one character; [MQTT-3.3.2-2] no wildcards; limits from config.
 */
export function checkTopicName(topic: string, limits: MqttLimits): number | undefined {
  if (topic.length === 0) return ReasonCode.TopicNameInvalid;
  if (Buffer.byteLength(topic) > limits.maxTopicLength) return ReasonCode.TopicNameInvalid;
  if (topic.includes('+') || topic.includes('#')) return ReasonCode.TopicNameInvalid;
  if (levels(topic, limits.maxTopicLevels) > limits.maxTopicLevels) return ReasonCode.TopicNameInvalid;
  return undefined;
}

/**
 * Check a topic filter: [MQTT-4.7.1-1] `#` alone and last; [MQTT-4.7.1-2] `+` alone in its level;
 * [MQTT-4.7.3-1] not empty. Returns undefined when valid, else 0x8F Topic Filter Invalid.
 */
export function checkTopicFilter(filter: string, limits: MqttLimits): number | undefined {
  if (filter.length === 0) return ReasonCode.TopicFilterInvalid;
  if (Buffer.byteLength(filter) > limits.maxTopicLength) return ReasonCode.TopicFilterInvalid;
  if (levels(filter, limits.maxTopicLevels) > limits.maxTopicLevels) return ReasonCode.TopicFilterInvalid;
  for (let i = 0; i < filter.length; i++) {
    const c = filter.charCodeAt(i);
    if (c !== 0x23 && c !== 0x2b) continue;
    const prevOk = i === 0 || filter.charCodeAt(i - 1) === 0x2f;
    const nextOk = i === filter.length - 1 || filter.charCodeAt(i + 1) === 0x2f;
    if (!prevOk || !nextOk) return ReasonCode.TopicFilterInvalid;
    if (c === 0x23 && i !== filter.length - 1) return ReasonCode.TopicFilterInvalid;
  }
  return undefined;
}

/** A filter starting with a wildcard must not match topics starting with '$' [MQTT-4.7.2-1]. */
export const startsWithWildcard = (filter: string): boolean => filter.startsWith('#') || filter.startsWith('+');

export interface SharedFilter {
  readonly group: string;
  readonly filter: string;
}

/**
 * `$share/{ShareName}/{filter}` (MQTT 5 §4.8.2). Returns undefined for a non-shared filter,
 * null for a malformed shared one (empty name, wildcard in name, or no filter).
 */
export function parseShared(filter: string): SharedFilter | undefined | null {
  if (!filter.startsWith('$share/')) return undefined;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  const group = rest.slice(0, slash);
  const f = rest.slice(slash + 1);
  if (group.includes('+') || group.includes('#') || f.length === 0) return null; // [MQTT-4.8.2-1], [MQTT-4.8.2-2]
  return { group, filter: f };
}

/**
 * Does MQTT `filter` match `topic`? Used per delivery to find which of a session's
 * subscriptions a message matched (for QoS, subscription identifiers, options).
 * Words are compared without splitting into arrays.
 */
export function filterMatches(filter: string, topic: string): boolean {
  if (filter === '#') return !topic.startsWith('$');
  if ((filter.startsWith('+') || filter.startsWith('#')) && topic.startsWith('$')) return false;
  let fi = 0;
  let ti = 0;
  for (;;) {
    const fEnd = indexOrEnd(filter, fi);
    const fw = filter.slice(fi, fEnd);
    if (fw === '#') return true;
    if (ti > topic.length) return false;
    const tEnd = indexOrEnd(topic, ti);
    if (fw !== '+' && fw !== topic.slice(ti, tEnd)) return false;
    const fDone = fEnd >= filter.length;
    const tDone = tEnd >= topic.length;
    if (fDone && tDone) return true;
    if (tDone) {
      // "a/#" matches "a": the remaining filter must be exactly "/#" [MQTT-4.7.1-2].
      return !fDone && filter.slice(fEnd + 1) === '#';
    }
    if (fDone) return false;
    fi = fEnd + 1;
    ti = tEnd + 1;
  }
}

function indexOrEnd(s: string, from: number): number {
  const i = s.indexOf('/', from);
  return i < 0 ? s.length : i;
}
