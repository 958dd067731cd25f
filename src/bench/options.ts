/**
 * `wharf bench` command-line options: parsing, defaults and validation. Pure (no I/O)
 * so it is unit-tested directly.
 */

export type Protocol = 'amqp' | 'mqtt' | 'stomp';
export type Semantics = 'queue' | 'topic';

export interface Endpoint {
  protocol: Protocol;
  host: string;
  port: number;
  user: string;
  password: string;
  vhost: string;
}

export interface BenchOptions {
  mode: 'run' | 'idle' | 'null-sink' | 'help';
  endpoint: Endpoint;
  /** Where consumers connect; differs from `endpoint` for cross-protocol runs. */
  consumeEndpoint: Endpoint;
  producers: number;
  consumers: number;
  destinations: number;
  semantics: Semantics;
  size: number;
  /** Total messages per second over all producers; 0 = as fast as possible. */
  rate: number;
  /** Total messages over all producers; 0 = run for `duration`. */
  count: number;
  duration: number;
  warmup: number;
  persistent: boolean;
  /** Outstanding unconfirmed publishes per producer (AMQP confirms, STOMP receipts, MQTT QoS>0 in flight); 0 = none. */
  confirmWindow: number;
  qos: 0 | 1 | 2;
  mqttVersion: 4 | 5;
  prefetch: number;
  autoAck: boolean;
  multiAck: boolean;
  /** Publish everything first with no consumer, then drain. */
  drain: boolean;
  idleConnections: number;
  connectConcurrency: number;
  brokerPid: number;
  json: string;
  quiet: boolean;
  /** Upper bound of messages per socket write. */
  batch: number;
  /** Seconds without progress before the end-of-run wait for in-flight messages gives up. */
  drainTimeout: number;
  /** Seconds after the producers stopped to wait at most for outstanding deliveries. */
  maxDrain: number;
  runId: string;
  strict: boolean;
  /** Hold time for idle connections (seconds). */
  hold: number;
}

export const DEFAULT_PORTS: Record<Protocol, number> = { amqp: 5672, mqtt: 1883, stomp: 61613 };

export const USAGE = `Usage: wharf bench [options]

Drives any AMQP 0-9-1, MQTT 3.1.1/5 or STOMP broker and reports throughput, end-to-end
latency, loss and duplicates.

Target
  --protocol amqp|mqtt|stomp   protocol of producers (and consumers)      [amqp]
  --url URL                    amqp://user:pass@host:port/vhost, mqtt://host:port, stomp://host:port
  --host H --port P            broker address                              [127.0.0.1, protocol default]
  --user U --password P        credentials                                 [guest/guest]
  --vhost V                    AMQP vhost / STOMP host header              [/]
  --consumer-protocol P        consumers speak another protocol (cross-protocol run)
  --consumer-url URL / --consumer-port P   where those consumers connect

Shape
  --producers N  --consumers N                                              [1, 1]
  --queues N                   N queues, competing consumers (AMQP, STOMP) [1]
  --topics N                   N topics, every consumer of a topic gets every message
                               (MQTT is always topics)
  --fanout                     one topic, every consumer gets every message (= --topics 1)
  --size BYTES                 message body size, >= 32                    [1024]
  --rate N                     TOTAL messages/s over all producers, split evenly; 0 = unlimited [0]
  --count N                    TOTAL messages to publish, then stop        [0 = use --duration]
  --duration S  --warmup S     run time (0 = until --count is published) and leading seconds
                               excluded from rates/latency                 [10, or 0 with --count; 0]
  --drain                      publish --count first with no consumer, then start consumers and drain

Reliability
  --persistent                 persistent messages (AMQP delivery-mode 2 + durable queues, STOMP persistent:true)
  --confirm-window N           unconfirmed publishes in flight per producer: AMQP publisher confirms,
                               STOMP receipts, MQTT QoS 1/2 packet ids            [0 = no confirms; MQTT QoS>0: 1000]
  --qos 0|1|2                  MQTT publish and subscribe QoS              [0]
  --mqtt-version 3.1.1|5                                                   [3.1.1]
  --prefetch N                 AMQP basic.qos / STOMP prefetch             [1000 with manual ack]
  --auto-ack | --manual-ack    consumer acknowledgement mode               [auto-ack]
  --multi-ack                  manual ack: one multiple=true ack per read instead of one per message

Other modes
  --idle-connections N         open N idle connections, report connect time and broker RSS per connection
  --connect-concurrency N      handshakes in flight for --idle-connections [100]
  --hold S                     keep idle connections open S seconds before measuring RSS [3]
  --null-sink                  run a null sink server for --protocol on --port (0 = any) that
                               discards publishes and confirms them; measures the bench itself

Output
  --broker-pid PID             sample that process's CPU time and RSS during the run
  --json FILE                  write machine-readable results
  --quiet                      no per-second progress lines
  --batch N                    max messages per socket write               [auto: ~64 KiB]
  --drain-timeout S            give up waiting for in-flight messages after S s without progress [10]
  --max-drain S                ... or after S s in total, even while they still arrive (reported) [120]
  --run-id ID                  name prefix for queues/topics               [random]
  --strict                     exit code 3 when any loss or duplicate is seen
`;

export class OptionError extends Error {}

const BOOLEAN = new Set([
  'persistent', 'auto-ack', 'manual-ack', 'multi-ack', 'drain', 'fanout', 'quiet', 'null-sink', 'strict', 'help',
]);
const VALUED = new Set([
  'protocol', 'url', 'host', 'port', 'user', 'password', 'vhost', 'consumer-protocol', 'consumer-url',
  'consumer-port', 'consumer-host', 'producers', 'consumers', 'queues', 'topics', 'size', 'rate', 'count',
  'duration', 'warmup', 'confirm-window', 'qos', 'mqtt-version', 'prefetch', 'idle-connections',
  'connect-concurrency', 'broker-pid', 'json', 'batch', 'drain-timeout', 'max-drain', 'run-id', 'hold',
]);

function parseProtocol(v: string): Protocol {
  if (v === 'amqp' || v === 'mqtt' || v === 'stomp') return v;
  throw new OptionError(`unknown protocol '${v}' (amqp, mqtt or stomp)`);
}

function int(name: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(v)) throw new OptionError(`--${name} expects a whole number, got '${v}'`);
  const n = Number(v);
  if (n < min || n > max) throw new OptionError(`--${name} must be between ${min} and ${max}`);
  return n;
}

function num(name: string, v: string, min: number): number {
  const n = Number(v);
  if (v === '' || !Number.isFinite(n) || n < min) throw new OptionError(`--${name} expects a number >= ${min}, got '${v}'`);
  return n;
}

/** Parse amqp://user:pass@host:port/vhost (and mqtt://, stomp://) into an endpoint. */
export function parseUrl(url: string, fallback: Endpoint): Endpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OptionError(`not a URL: ${url}`);
  }
  const scheme = u.protocol.replace(/:$/, '');
  const protocol = parseProtocol(scheme === 'tcp' ? fallback.protocol : scheme);
  const ep: Endpoint = { ...fallback, protocol };
  ep.host = u.hostname || fallback.host;
  ep.port = u.port ? int('url port', u.port, 1, 65535) : DEFAULT_PORTS[protocol];
  if (u.username) ep.user = decodeURIComponent(u.username);
  if (u.password) ep.password = decodeURIComponent(u.password);
  // AMQP URI spec: the path after '/' is the vhost, percent-encoded ('%2f' for '/').
  if (u.pathname.length > 1) ep.vhost = decodeURIComponent(u.pathname.slice(1));
  return ep;
}

export function parseArgs(argv: readonly string[]): BenchOptions {
  const raw = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h') {
      raw.set('help', 'true');
      continue;
    }
    if (!a.startsWith('--')) throw new OptionError(`unexpected argument '${a}'`);
    const eq = a.indexOf('=');
    const key = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (BOOLEAN.has(key)) {
      if (eq >= 0) throw new OptionError(`--${key} takes no value`);
      raw.set(key, 'true');
    } else if (VALUED.has(key)) {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new OptionError(`--${key} needs a value`);
      raw.set(key, v);
    } else {
      throw new OptionError(`unknown option --${key}`);
    }
  }
  const has = (k: string): boolean => raw.has(k);
  const get = (k: string): string | undefined => raw.get(k);

  let protocol = parseProtocol(get('protocol') ?? 'amqp');
  let endpoint: Endpoint = { protocol, host: '127.0.0.1', port: DEFAULT_PORTS[protocol], user: 'guest', password: 'guest', vhost: '/' };
  if (has('url')) {
    endpoint = parseUrl(get('url')!, endpoint);
    if (has('protocol') && endpoint.protocol !== protocol) throw new OptionError('--protocol and --url disagree');
    protocol = endpoint.protocol;
  }
  if (has('host')) endpoint.host = get('host')!;
  if (has('port')) endpoint.port = int('port', get('port')!, 0, 65535);
  if (has('user')) endpoint.user = get('user')!;
  if (has('password')) endpoint.password = get('password')!;
  if (has('vhost')) endpoint.vhost = get('vhost')!;

  let consumeEndpoint: Endpoint = { ...endpoint };
  if (has('consumer-protocol') || has('consumer-url')) {
    const cp = parseProtocol(get('consumer-protocol') ?? endpoint.protocol);
    consumeEndpoint = { ...endpoint, protocol: cp, port: DEFAULT_PORTS[cp] };
    if (has('consumer-url')) consumeEndpoint = parseUrl(get('consumer-url')!, consumeEndpoint);
    if (has('consumer-protocol') && consumeEndpoint.protocol !== cp) throw new OptionError('--consumer-protocol and --consumer-url disagree');
  }
  if (has('consumer-host')) consumeEndpoint.host = get('consumer-host')!;
  if (has('consumer-port')) consumeEndpoint.port = int('consumer-port', get('consumer-port')!, 1, 65535);

  if (has('queues') && (has('topics') || has('fanout'))) throw new OptionError('use either --queues or --topics/--fanout');
  const anyMqtt = protocol === 'mqtt' || consumeEndpoint.protocol === 'mqtt';
  let semantics: Semantics = anyMqtt || has('topics') || has('fanout') ? 'topic' : 'queue';
  if (has('queues') && anyMqtt) throw new OptionError('MQTT has no queues: use --topics (each subscriber gets every message of its topic)');
  if (protocol !== consumeEndpoint.protocol) semantics = 'topic'; // cross-protocol routing goes through amq.topic
  let destinations = 1;
  if (has('queues')) destinations = int('queues', get('queues')!, 1, 100000);
  if (has('topics')) destinations = int('topics', get('topics')!, 1, 100000);
  if (has('fanout')) {
    if (has('topics') && destinations !== 1) throw new OptionError('--fanout means one topic');
    destinations = 1;
    semantics = 'topic';
  }

  const qos = int('qos', get('qos') ?? '0', 0, 2) as 0 | 1 | 2;
  if (has('qos') && !anyMqtt) throw new OptionError('--qos applies to MQTT only');
  const mv = get('mqtt-version') ?? '3.1.1';
  let mqttVersion: 4 | 5;
  if (mv === '3.1.1' || mv === '4') mqttVersion = 4;
  else if (mv === '5' || mv === '5.0') mqttVersion = 5;
  else throw new OptionError(`--mqtt-version must be 3.1.1 or 5`);

  if (has('auto-ack') && has('manual-ack')) throw new OptionError('--auto-ack and --manual-ack exclude each other');
  const autoAck = !has('manual-ack');
  let confirmWindow = int('confirm-window', get('confirm-window') ?? '0', 0, 65535);
  // MQTT QoS 1/2 always needs packet ids, so always has a window (its 16-bit id space).
  if (protocol === 'mqtt' && qos > 0 && confirmWindow === 0) confirmWindow = 1000;
  if (protocol === 'mqtt' && qos === 0 && confirmWindow > 0) throw new OptionError('--confirm-window with MQTT needs --qos 1 or 2');

  const size = int('size', get('size') ?? '1024', 32, 64 * 1024 * 1024);
  const producers = int('producers', get('producers') ?? '1', 0, 100000);
  const consumers = int('consumers', get('consumers') ?? '1', 0, 100000);
  const count = int('count', get('count') ?? '0', 0);
  const drain = has('drain');
  if (drain && count === 0) throw new OptionError('--drain needs --count');
  if (drain && semantics === 'topic') throw new OptionError('--drain needs queues (topic messages without a subscriber are dropped)');

  const mode: BenchOptions['mode'] = has('help')
    ? 'help'
    : has('null-sink')
      ? 'null-sink'
      : has('idle-connections')
        ? 'idle'
        : 'run';
  if (mode === 'run' && producers === 0 && consumers === 0) throw new OptionError('nothing to do: no producers and no consumers');

  const rate = num('rate', get('rate') ?? '0', 0);
  const runId = get('run-id') ?? Math.random().toString(36).slice(2, 8);
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(runId)) throw new OptionError('--run-id: letters, digits, _ and - only');
  const duration = num('duration', get('duration') ?? (mode === 'null-sink' || count > 0 ? '0' : '10'), 0);
  if (mode === 'run' && duration === 0 && count === 0) throw new OptionError('--duration 0 needs --count');
  return {
    mode,
    endpoint,
    consumeEndpoint,
    producers,
    consumers,
    destinations,
    semantics,
    size,
    rate,
    count,
    // With --count and no --duration the run ends when the count is published (0 = no time limit).
    duration,
    warmup: num('warmup', get('warmup') ?? '0', 0),
    persistent: has('persistent'),
    confirmWindow,
    qos,
    mqttVersion,
    prefetch: int('prefetch', get('prefetch') ?? (autoAck ? '0' : '1000'), 0, 65535),
    autoAck,
    multiAck: has('multi-ack'),
    drain,
    idleConnections: has('idle-connections') ? int('idle-connections', get('idle-connections')!, 1, 1000000) : 0,
    connectConcurrency: int('connect-concurrency', get('connect-concurrency') ?? '100', 1, 100000),
    brokerPid: has('broker-pid') ? int('broker-pid', get('broker-pid')!, 1) : 0,
    json: get('json') ?? '',
    quiet: has('quiet'),
    batch: int('batch', get('batch') ?? '0', 0, 1000000),
    drainTimeout: num('drain-timeout', get('drain-timeout') ?? '10', 0),
    maxDrain: num('max-drain', get('max-drain') ?? '120', 0),
    runId,
    strict: has('strict'),
    hold: num('hold', get('hold') ?? '3', 0),
  };
}
