import type { BrokerHandle, BrokerOptions, ConnectionId, ConsumerSink, Delivery, Logger, Principal, QueueOptions, User, VirtualHost } from '../../../src/core/api.js';
import { createBroker } from '../../../src/core/index.js';
import type { BrokerImpl } from '../../../src/core/broker.js';
import { MemoryDefinitionStore, MemoryMessageStore } from '../../../src/store/memory/index.js';

export const silentLog: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLog;
  },
};

export interface TestCore {
  broker: BrokerImpl;
  vh: VirtualHost;
  p: Principal;
  messages: MemoryMessageStore;
  definitions: MemoryDefinitionStore;
}

let nextConn = 1;
export const conn = (): ConnectionId => nextConn++ as ConnectionId;

export async function startCore(
  opts: { maxQueues?: number; messages?: MemoryMessageStore; definitions?: MemoryDefinitionStore; filterCompilers?: BrokerOptions['filterCompilers']; log?: Logger } = {},
): Promise<TestCore> {
  const messages = opts.messages ?? new MemoryMessageStore();
  const definitions = opts.definitions ?? new MemoryDefinitionStore();
  const handle: BrokerHandle = await createBroker({
    messageStore: messages,
    definitionStore: definitions,
    initialUsers: [{ name: 'guest', password: 'guest', tags: ['administrator'] }],
    loopbackUsers: ['guest'],
    limits: { maxQueues: opts.maxQueues ?? 0, maxMessageSize: 128 * 1024 * 1024 },
    log: opts.log ?? silentLog,
    ...(opts.filterCompilers !== undefined ? { filterCompilers: opts.filterCompilers } : {}),
  });
  const broker = handle as BrokerImpl;
  const vh = broker.getVhost('/') as VirtualHost;
  const user = broker.authenticate('guest', 'guest', '127.0.0.1') as User;
  return { broker, vh, p: { user, connectionId: conn() }, messages, definitions };
}

export const q = (over: Partial<QueueOptions> = {}): QueueOptions => ({ durable: false, exclusive: false, autoDelete: false, arguments: {}, ...over });

/** A consumer sink with a fixed credit (prefetch) that records deliveries. */
export class FakeSink implements ConsumerSink {
  readonly got: Delivery[] = [];
  cancelled: string | undefined;
  inFlight = 0;
  constructor(public credit = Infinity) {}
  hasCredit(): boolean {
    return this.inFlight < this.credit;
  }
  deliver(d: Delivery): void {
    if (!this.hasCredit()) throw new Error('deliver without credit');
    this.inFlight++;
    this.got.push(d);
  }
  cancelledByBroker(reason: string): void {
    this.cancelled = reason;
  }
  bodies(): string[] {
    return this.got.map((d) => d.message.body.toString());
  }
}

export const body = (s: string): Buffer => Buffer.from(s);

export const publish = (t: TestCore, exchange: string, rk: string, text: string, props: Parameters<VirtualHost['publish']>[3] = {}) =>
  t.vh.publish(t.p, exchange, rk, props, body(text), { mandatory: false });

/** Drain a queue with basic.get(noAck) and return the bodies. */
export function drain(t: TestCore, queue: string): string[] {
  const out: string[] = [];
  for (;;) {
    const d = t.vh.get(t.p, queue, true);
    if (!d) return out;
    out.push(d.message.body.toString());
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until cond() holds or the deadline passes (no timing assertion: only "eventually"). */
export async function eventually(cond: () => boolean, timeoutMs = 10000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}
