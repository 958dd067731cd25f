/**
 * Configuration: embedded defaults < YAML file (--config) < environment (WHARF_*) < flags.
 * Every listener's port and bind address, the data directory, users and limits can be
 * set by each source. Port 0 disables a listener.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const listener = z.object({
  port: z.number().int().min(0).max(65535),
  host: z.string().min(1),
});

const userSeed = z.object({
  name: z.string().min(1),
  password: z.string(),
  tags: z.array(z.string()).default([]),
});

export const configSchema = z.object({
  dataDir: z.string().min(1),
  listeners: z.object({
    amqp: listener,
    mqtt: listener,
    stomp: listener,
    /** MQTT and STOMP over WebSocket, chosen by Sec-WebSocket-Protocol. */
    ws: listener,
  }),
  /** Users created on first start (when the definitions hold none). */
  users: z.array(userSeed).min(0),
  /** Users that may connect only from loopback peers (RabbitMQ's loopback_users). */
  loopbackUsers: z.array(z.string()),
  limits: z.object({
    maxQueues: z.number().int().min(0),
    maxMessageSize: z.number().int().min(1),
    /**
     * Bytes a WebSocket peer may send before it has logged in (CONNECT included). ws
     * buffers whole messages, so without it one unauthenticated peer could make the broker
     * hold a message of maxMessageSize before any protocol check ran.
     */
    webSocketUnauthenticatedBytes: z.number().int().min(1024),
    /** Per-protocol limits, merged over each protocol's defaults (see docs/configuration.md). */
    amqp091: z.record(z.string(), z.unknown()),
    mqtt: z.record(z.string(), z.unknown()),
    stomp: z.record(z.string(), z.unknown()),
  }),
  store: z.object({
    /** fsync before confirming (default). false = confirm after write, RabbitMQ classic-queue-like. */
    fsync: z.boolean(),
    segmentSize: z.number().int().min(1 << 20),
    /**
     * Bytes of message bodies queues keep in memory before paging them out (transient
     * bodies to <dataDir>/paging, persistent ones are re-read from the journal).
     * 0 = auto: 256 MiB, at most half the memory high watermark.
     */
    maxBodyMemory: z.number().int().min(0),
  }),
  alarms: z.object({
    /** Memory alarm threshold: a fraction of total RAM when <= 1, else bytes of RSS (RabbitMQ vm_memory_high_watermark). */
    memoryHighWatermark: z.number().positive(),
    /** Disk alarm when free space on the data directory's filesystem falls below this many bytes (RabbitMQ disk_free_limit). */
    diskFreeLimit: z.number().int().min(0),
    /** How often the monitors sample, in milliseconds. */
    checkIntervalMs: z.number().int().min(10),
  }),
  log: z.object({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  }),
  /** Seconds to wait for connections to close on shutdown before destroying them. */
  shutdownTimeout: z.number().min(0),
});

export type WharfConfig = z.infer<typeof configSchema>;

export const defaultConfig: WharfConfig = {
  dataDir: './data',
  listeners: {
    amqp: { port: 5672, host: '127.0.0.1' },
    mqtt: { port: 1883, host: '127.0.0.1' },
    stomp: { port: 61613, host: '127.0.0.1' },
    ws: { port: 61618, host: '127.0.0.1' },
  },
  users: [{ name: 'guest', password: 'guest', tags: ['administrator'] }],
  loopbackUsers: ['guest'],
  limits: {
    maxQueues: 0,
    // RabbitMQ 3.10's default max_message_size: 128 MiB.
    maxMessageSize: 128 * 1024 * 1024,
    // Above MQTT's unauthenticated packet limit (64 KiB, RabbitMQ's default) and any STOMP
    // CONNECT frame, with room for clients that send frames right behind their CONNECT.
    webSocketUnauthenticatedBytes: 1024 * 1024,
    amqp091: {},
    mqtt: {},
    stomp: {},
  },
  store: { fsync: true, segmentSize: 64 * 1024 * 1024, maxBodyMemory: 0 },
  // RabbitMQ's defaults: 0.4 of RAM and 50 MB free disk.
  alarms: { memoryHighWatermark: 0.4, diskFreeLimit: 50 * 1000 * 1000, checkIntervalMs: 1000 },
  log: { level: 'info' },
  shutdownTimeout: 5,
};

export type DeepPartial<T> = T extends readonly (infer _U)[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge of plain objects; arrays and scalars from `over` replace those of `base`. */
export function mergeConfig<T>(base: T, over: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(over)) return (over === undefined ? base : over) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = k in base ? mergeConfig(base[k as keyof typeof base], v) : v;
  }
  return out as T;
}

/** One configurable setting reachable by flag and environment variable. */
interface Setting {
  readonly flag: string;
  readonly env: string;
  readonly path: readonly string[];
  readonly kind: 'int' | 'number' | 'string' | 'bool' | 'level';
  readonly help: string;
}

const listenerSettings = (name: 'amqp' | 'mqtt' | 'stomp' | 'ws', what: string): Setting[] => [
  { flag: `${name}-port`, env: `WHARF_${name.toUpperCase()}_PORT`, path: ['listeners', name, 'port'], kind: 'int', help: `${what} port (0 disables)` },
  { flag: `${name}-host`, env: `WHARF_${name.toUpperCase()}_HOST`, path: ['listeners', name, 'host'], kind: 'string', help: `${what} bind address` },
];

export const settings: readonly Setting[] = [
  { flag: 'data-dir', env: 'WHARF_DATA_DIR', path: ['dataDir'], kind: 'string', help: 'directory for the journal and definitions' },
  ...listenerSettings('amqp', 'AMQP 0-9-1 listener'),
  ...listenerSettings('mqtt', 'MQTT listener'),
  ...listenerSettings('stomp', 'STOMP listener'),
  ...listenerSettings('ws', 'MQTT/STOMP over WebSocket listener'),
  { flag: 'max-queues', env: 'WHARF_MAX_QUEUES', path: ['limits', 'maxQueues'], kind: 'int', help: 'most queues per virtual host (0 = unlimited)' },
  { flag: 'max-message-size', env: 'WHARF_MAX_MESSAGE_SIZE', path: ['limits', 'maxMessageSize'], kind: 'int', help: 'largest message body in bytes' },
  { flag: 'frame-max', env: 'WHARF_FRAME_MAX', path: ['limits', 'amqp091', 'frameMax'], kind: 'int', help: 'AMQP 0-9-1 frame_max offered to clients' },
  { flag: 'channel-max', env: 'WHARF_CHANNEL_MAX', path: ['limits', 'amqp091', 'channelMax'], kind: 'int', help: 'AMQP 0-9-1 channel_max offered to clients' },
  { flag: 'heartbeat', env: 'WHARF_HEARTBEAT', path: ['limits', 'amqp091', 'heartbeat'], kind: 'int', help: 'AMQP 0-9-1 heartbeat seconds offered to clients' },
  { flag: 'fsync', env: 'WHARF_FSYNC', path: ['store', 'fsync'], kind: 'bool', help: 'fsync before confirming (true, default) or confirm after write (false)' },
  { flag: 'max-body-memory', env: 'WHARF_MAX_BODY_MEMORY', path: ['store', 'maxBodyMemory'], kind: 'int', help: 'bytes of message bodies kept in memory before paging (0 = auto)' },
  { flag: 'memory-high-watermark', env: 'WHARF_MEMORY_HIGH_WATERMARK', path: ['alarms', 'memoryHighWatermark'], kind: 'number', help: 'memory alarm: fraction of RAM (<= 1) or bytes' },
  { flag: 'disk-free-limit', env: 'WHARF_DISK_FREE_LIMIT', path: ['alarms', 'diskFreeLimit'], kind: 'int', help: 'disk alarm below this many free bytes' },
  { flag: 'log-level', env: 'WHARF_LOG_LEVEL', path: ['log', 'level'], kind: 'level', help: 'trace|debug|info|warn|error|fatal|silent' },
  { flag: 'shutdown-timeout', env: 'WHARF_SHUTDOWN_TIMEOUT', path: ['shutdownTimeout'], kind: 'int', help: 'seconds to let connections close on stop' },
];

export class ConfigError extends Error {}

function parseValue(s: Setting, raw: string, source: string): unknown {
  switch (s.kind) {
    case 'int': {
      if (!/^\d+$/.test(raw)) throw new ConfigError(`${source}: expected a non-negative integer, got '${raw}'`);
      return Number(raw);
    }
    case 'number': {
      if (!/^\d+(\.\d+)?$/.test(raw)) throw new ConfigError(`${source}: expected a non-negative number, got '${raw}'`);
      return Number(raw);
    }
    case 'bool':
      if (/^(true|1|yes|on)$/i.test(raw)) return true;
      if (/^(false|0|no|off)$/i.test(raw)) return false;
      throw new ConfigError(`${source}: expected true or false, got '${raw}'`);
    default:
      return raw;
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = isPlainObject(next) ? next : (node[key] = {});
  }
  node[path[path.length - 1]!] = value;
}

export interface ConfigSources {
  /** Flag values keyed by flag name (without `--`). */
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Path of a YAML file (from --config or WHARF_CONFIG). */
  readonly configFile?: string;
}

/** Resolve the effective configuration; throws ConfigError with a readable message. */
export function loadConfig(src: ConfigSources): WharfConfig {
  let merged: unknown = defaultConfig;
  if (src.configFile) {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(src.configFile, 'utf8'));
    } catch (err) {
      throw new ConfigError(`cannot read config file ${src.configFile}: ${(err as Error).message}`);
    }
    if (doc !== null && doc !== undefined && !isPlainObject(doc)) throw new ConfigError(`${src.configFile}: top level must be a mapping`);
    merged = mergeConfig(merged, doc ?? {});
  }
  const overrides: Record<string, unknown> = {};
  for (const s of settings) {
    const e = src.env[s.env];
    if (e !== undefined && e !== '') setPath(overrides, s.path, parseValue(s, e, s.env));
  }
  for (const s of settings) {
    const f = src.flags[s.flag];
    if (f === undefined) continue;
    setPath(overrides, s.path, parseValue(s, String(f), `--${s.flag}`));
  }
  merged = mergeConfig(merged, overrides);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new ConfigError(`invalid configuration at ${first.path.join('.') || '(root)'}: ${first.message}`);
  }
  return parsed.data;
}
