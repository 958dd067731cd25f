import { Decimal, Timestamp, type FieldTable, type FieldValue } from './message.js';

/**
 * FieldTable <-> JSON for definitions (RabbitMQ definitions.json keeps arguments as
 * plain JSON). Plain strings, numbers, booleans, null, arrays and tables map
 * directly, so files exported from RabbitMQ load as-is; the types JSON lacks are
 * written as one-key tagged objects: {"$bigint": "..."}, {"$bytes": base64},
 * {"$timestamp": seconds}, {"$decimal": [scale, digits]}.
 */
export function tableToJson(t: FieldTable): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(t)) out[k] = valueToJson(t[k] as FieldValue);
  return out;
}

function valueToJson(v: FieldValue): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return { $bigint: v.toString() };
  if (Buffer.isBuffer(v)) return { $bytes: v.toString('base64') };
  if (v instanceof Timestamp) return { $timestamp: v.seconds };
  if (v instanceof Decimal) return { $decimal: [v.scale, v.digits] };
  if (Array.isArray(v)) return v.map(valueToJson);
  return tableToJson(v);
}

export function jsonToTable(j: unknown): FieldTable {
  const out: FieldTable = {};
  if (typeof j !== 'object' || j === null || Array.isArray(j)) return out;
  for (const [k, v] of Object.entries(j as Record<string, unknown>)) {
    Object.defineProperty(out, k, { value: jsonToValue(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function jsonToValue(v: unknown): FieldValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (Array.isArray(v)) return v.map(jsonToValue);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      if (typeof o['$bigint'] === 'string') {
        try {
          return BigInt(o['$bigint']);
        } catch {
          return null;
        }
      }
      if (typeof o['$bytes'] === 'string') return Buffer.from(o['$bytes'], 'base64');
      if (typeof o['$timestamp'] === 'number') return new Timestamp(o['$timestamp']);
      const d = o['$decimal'];
      if (Array.isArray(d) && d.length === 2 && typeof d[0] === 'number' && typeof d[1] === 'number') return new Decimal(d[0], d[1]);
    }
    return jsonToTable(o);
  }
  return null;
}
