import type { ConnectionId, Consumer, ConsumerSink, MessageFilter } from './api.js';
import type { Message } from './message.js';

/** What a consumer needs from its queue (kept narrow to avoid an import cycle). */
export interface ConsumerOwner {
  readonly name: string;
  dispatch(): void;
  removeConsumer(c: ConsumerImpl): void;
}

export class ConsumerImpl implements Consumer {
  cancelled = false;
  /** Registration order, for SAC's "earliest consumer becomes active". */
  readonly order: number;

  constructor(
    private readonly owner: ConsumerOwner,
    readonly tag: string,
    readonly sink: ConsumerSink,
    readonly noAck: boolean,
    readonly exclusive: boolean,
    readonly priority: number,
    readonly filter: MessageFilter | undefined,
    readonly connectionId: ConnectionId,
    order: number,
  ) {
    this.order = order;
  }

  get queue(): string {
    return this.owner.name;
  }

  resume(): void {
    if (!this.cancelled) this.owner.dispatch();
  }

  cancel(): void {
    if (this.cancelled) return;
    this.owner.removeConsumer(this);
  }

  accepts(m: Message): boolean {
    return this.filter === undefined || this.filter(m);
  }
}

interface Group {
  readonly priority: number;
  readonly members: ConsumerImpl[];
  cursor: number;
}

/**
 * Consumers grouped by priority, highest first (RabbitMQ consumer priorities,
 * x-priority): a message goes to the highest-priority consumer that has credit;
 * among equals, round-robin from a per-group cursor.
 */
export class ConsumerSet {
  private readonly groups: Group[] = [];
  size = 0;
  filtered = 0;

  add(c: ConsumerImpl): void {
    let gi = 0;
    while (gi < this.groups.length && (this.groups[gi] as Group).priority > c.priority) gi++;
    let g = this.groups[gi];
    if (!g || g.priority !== c.priority) {
      g = { priority: c.priority, members: [], cursor: 0 };
      this.groups.splice(gi, 0, g);
    }
    g.members.push(c);
    this.size++;
    if (c.filter) this.filtered++;
  }

  remove(c: ConsumerImpl): boolean {
    for (let gi = 0; gi < this.groups.length; gi++) {
      const g = this.groups[gi] as Group;
      if (g.priority !== c.priority) continue;
      const i = g.members.indexOf(c);
      if (i < 0) return false;
      g.members.splice(i, 1);
      if (i < g.cursor) g.cursor--;
      if (g.cursor >= g.members.length) g.cursor = 0;
      if (g.members.length === 0) this.groups.splice(gi, 1);
      this.size--;
      if (c.filter) this.filtered--;
      return true;
    }
    return false;
  }

  /** The consumer that should receive `m` now, advancing round-robin; undefined if none can. */
  pick(m: Message): ConsumerImpl | undefined {
    for (let gi = 0; gi < this.groups.length; gi++) {
      const g = this.groups[gi] as Group;
      const n = g.members.length;
      for (let k = 0; k < n; k++) {
        const idx = (g.cursor + k) % n;
        const c = g.members[idx] as ConsumerImpl;
        if (c.accepts(m) && c.sink.hasCredit()) {
          g.cursor = (idx + 1) % n;
          return c;
        }
      }
    }
    return undefined;
  }

  anyCredit(): boolean {
    for (const g of this.groups) for (const c of g.members) if (c.sink.hasCredit()) return true;
    return false;
  }

  /** Highest priority, then earliest registered: the next single active consumer. */
  first(): ConsumerImpl | undefined {
    let best: ConsumerImpl | undefined;
    const g = this.groups[0];
    if (!g) return undefined;
    for (const c of g.members) if (!best || c.order < best.order) best = c;
    return best;
  }

  all(): ConsumerImpl[] {
    const out: ConsumerImpl[] = [];
    for (const g of this.groups) out.push(...g.members);
    return out;
  }
}
