import type { Protocol } from '../options.js';

/** The brokers the comparison knows. `wharf-write` is Wharf in confirm-after-write mode (--fsync false). */
export type BrokerId = 'wharf' | 'wharf-write' | 'rabbitmq' | 'activemq' | 'mosquitto';
export const WHARF_IDS: readonly BrokerId[] = ['wharf', 'wharf-write'];

export type CaseKind = 'throughput' | 'latency' | 'drain' | 'idle';

export interface Case {
  /** e.g. "1-amqp" */
  id: string;
  scenario: number;
  title: string;
  protocol: Protocol;
  consumerProtocol?: Protocol;
  brokers: BrokerId[];
  /** wharf bench arguments, without target, --broker-pid, --json, --run-id. */
  args: string[];
  kind: CaseKind;
  timeoutS: number;
}

export interface Scenario {
  n: number;
  title: string;
  cases: Case[];
}

export interface Plan {
  quick: boolean;
  duration: number;
  warmup: number;
  drainCount: number;
  idleConnections: number;
}

export function plan(quick: boolean, overrides: Partial<Plan> = {}): Plan {
  const base: Plan = quick
    ? { quick, duration: 2, warmup: 0.5, drainCount: 50_000, idleConnections: 500 }
    : { quick, duration: 10, warmup: 2, drainCount: 1_000_000, idleConnections: 10_000 };
  return { ...base, ...overrides };
}

const ALL_AMQP: BrokerId[] = ['wharf', 'rabbitmq'];
const ALL_STOMP: BrokerId[] = ['wharf', 'rabbitmq', 'activemq'];
const ALL_MQTT: BrokerId[] = ['wharf', 'rabbitmq', 'activemq', 'mosquitto'];

/** Issue 6's eight scenarios, as bench invocations. */
export function scenarios(p: Plan): Scenario[] {
  const timed = ['--duration', String(p.duration), '--warmup', String(p.warmup)];
  const t = p.duration + p.warmup + 120; // + setup, --max-drain 30, close
  const c = (scenario: number, proto: Protocol, title: string, brokers: BrokerId[], args: string[], kind: CaseKind = 'throughput', extra: Partial<Case> = {}): Case => ({
    id: `${scenario}-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-$/, '')}`,
    scenario,
    title,
    protocol: proto,
    brokers,
    args: ['--protocol', proto, ...args],
    kind,
    timeoutS: t,
    ...extra,
  });
  return [
    {
      n: 1,
      title: 'Transient 1 KiB, 1 producer -> 1 queue -> 1 consumer, auto-ack, unlimited rate',
      cases: [
        c(1, 'amqp', 'AMQP', ALL_AMQP, ['--size', '1024', ...timed]),
        c(1, 'stomp', 'STOMP', ALL_STOMP, ['--size', '1024', ...timed]),
        c(1, 'mqtt', 'MQTT QoS 0', ALL_MQTT, ['--size', '1024', '--qos', '0', ...timed]),
      ],
    },
    {
      n: 2,
      title: 'Persistent 1 KiB, durable queue, confirm window 1000, manual ack (prefetch 1000)',
      cases: [
        c(2, 'amqp', 'AMQP', ['wharf', 'wharf-write', 'rabbitmq'], ['--size', '1024', '--persistent', '--confirm-window', '1000', '--manual-ack', '--prefetch', '1000', ...timed]),
        c(2, 'stomp', 'STOMP (receipts)', ['wharf', 'wharf-write', 'rabbitmq', 'activemq'], ['--size', '1024', '--persistent', '--confirm-window', '1000', '--manual-ack', '--prefetch', '1000', ...timed]),
      ],
    },
    {
      n: 3,
      title: 'Fan-out 1 producer -> 1 topic/exchange -> 16 consumers, 256 B, auto-ack (rate = deliveries/s)',
      cases: [
        c(3, 'amqp', 'AMQP (amq.topic)', ALL_AMQP, ['--size', '256', '--fanout', '--consumers', '16', ...timed]),
        c(3, 'stomp', 'STOMP (/topic)', ALL_STOMP, ['--size', '256', '--fanout', '--consumers', '16', ...timed]),
        c(3, 'mqtt', 'MQTT QoS 0', ALL_MQTT, ['--size', '256', '--fanout', '--consumers', '16', ...timed]),
      ],
    },
    {
      n: 4,
      title: 'Latency at a fixed 1,000 msg/s, 256 B, 1 -> 1, auto-ack',
      cases: [
        c(4, 'amqp', 'AMQP', ALL_AMQP, ['--size', '256', '--rate', '1000', ...timed], 'latency'),
        c(4, 'stomp', 'STOMP', ALL_STOMP, ['--size', '256', '--rate', '1000', ...timed], 'latency'),
        c(4, 'mqtt', 'MQTT QoS 0', ALL_MQTT, ['--size', '256', '--rate', '1000', ...timed], 'latency'),
      ],
    },
    {
      n: 5,
      title: `Publish ${p.drainCount.toLocaleString('en-US')} transient 256 B messages with no consumer, then drain (auto-ack)`,
      cases: [
        c(5, 'amqp', 'AMQP', ALL_AMQP, ['--size', '256', '--count', String(p.drainCount), '--drain', '--drain-timeout', '20', '--max-drain', '600'], 'drain', { timeoutS: 1500 }),
        c(5, 'stomp', 'STOMP', ALL_STOMP, ['--size', '256', '--count', String(p.drainCount), '--drain', '--drain-timeout', '20', '--max-drain', '600'], 'drain', { timeoutS: 1500 }),
      ],
    },
    {
      n: 6,
      title: `${p.idleConnections.toLocaleString('en-US')} idle connections: connect time and broker RSS per connection`,
      cases: (['amqp', 'mqtt', 'stomp'] as const).map((proto) =>
        c(6, proto, proto === 'amqp' ? 'AMQP' : proto === 'mqtt' ? 'MQTT' : 'STOMP', proto === 'amqp' ? ALL_AMQP : proto === 'mqtt' ? ALL_MQTT : ALL_STOMP, ['--idle-connections', String(p.idleConnections), '--connect-concurrency', '100', '--hold', p.quick ? '1' : '3'], 'idle', { timeoutS: 600 }),
      ),
    },
    {
      n: 7,
      title: 'MQTT 100 publishers -> 100 topics -> 100 subscribers (one each), 256 B, unlimited rate',
      cases: [
        c(7, 'mqtt', 'QoS 0', ALL_MQTT, ['--size', '256', '--producers', '100', '--consumers', '100', '--topics', '100', '--qos', '0', ...timed]),
        c(7, 'mqtt', 'QoS 1 (window 100 per publisher)', ALL_MQTT, ['--size', '256', '--producers', '100', '--consumers', '100', '--topics', '100', '--qos', '1', '--confirm-window', '100', ...timed]),
      ],
    },
    {
      n: 8,
      title: 'Cross-protocol: MQTT QoS 0 in, AMQP out (amq.topic binding), 1 KiB, 1 -> 1',
      cases: [
        c(8, 'mqtt', 'MQTT -> AMQP', ALL_AMQP, ['--size', '1024', '--consumer-protocol', 'amqp', ...timed], 'throughput', { consumerProtocol: 'amqp' }),
      ],
    },
  ];
}

/** Throughput targets of issue 6, as Wharf/peer ratios (higher is better). */
export const THROUGHPUT_TARGET: Record<BrokerId, number> = {
  wharf: 1,
  'wharf-write': 1,
  rabbitmq: 1.5,
  activemq: 2,
  mosquitto: 1,
};
