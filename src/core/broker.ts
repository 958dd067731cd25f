import type { BrokerHandle, BrokerLimits, ConnectionId, BrokerOptions, ExchangeType, FilterSource, MessageFilter, User, VirtualHost } from './api.js';
import { Alarms } from './alarms.js';
import { BrokerError, ErrorCode } from './errors.js';
import { isExchangeType } from './exchange.js';
import { jsonToTable, tableToJson } from './field-table-json.js';
import type { Message, MessageId } from './message.js';
import { deserializeMessage } from './message-serde.js';
import { HASHING_ALGORITHM, Permission, checkPassword, hashPassword, isLoopback, type UserRecord } from './users.js';
import { VirtualHostImpl, parseExpiration, type VhostEnv } from './vhost.js';
import { addBinding } from './vhost-topology.js';
import type { Definitions } from '../store/api.js';
import { MemoryBudget } from './memory-budget.js';

/** Default for BrokerOptions.maxBodyMemory (config store.maxBodyMemory). */
export const DEFAULT_MAX_BODY_MEMORY = 256 * 1024 * 1024;

export interface PermissionSpec {
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

/**
 * The broker: users, virtual hosts, alarms and persistence wiring. Definitions are
 * saved as a whole document after any durable change, batched to one save at a
 * time (a change during a save triggers one more save).
 */
export class BrokerImpl implements BrokerHandle {
  readonly alarms = new Alarms();
  private readonly vhosts = new Map<string, VirtualHostImpl>();
  private readonly users = new Map<string, UserRecord>();
  private lastId = 0;
  private lastConnectionId = 0;
  private saving: Promise<void> | undefined;
  private saveAgain = false;
  private saveScheduled = false;
  private closed = false;
  private readonly env: VhostEnv;

  get limits(): BrokerLimits {
    return this.opts.limits;
  }

  private constructor(private readonly opts: BrokerOptions) {
    const self = this;
    this.env = {
      store: opts.messageStore,
      pager: opts.pageStore,
      budget: new MemoryBudget(opts.maxBodyMemory ?? DEFAULT_MAX_BODY_MEMORY),
      limits: opts.limits,
      log: opts.log,
      nextMessageId: () => ++self.lastId as MessageId,
      permission: (user, vhost) => self.users.get(user)?.permissions.get(vhost),
      definitionsChanged: () => self.definitionsChanged(),
    };
  }

  static async create(opts: BrokerOptions): Promise<BrokerImpl> {
    try {
      return await BrokerImpl.open(opts);
    } catch (err) {
      // The page store was opened by our caller for this broker; it dies with it.
      await opts.pageStore?.close().catch(() => undefined);
      throw err;
    }
  }

  private static async open(opts: BrokerOptions): Promise<BrokerImpl> {
    const b = new BrokerImpl(opts);
    const defs = await opts.definitionStore.load();
    if (defs) b.loadDefinitions(defs);
    // First start, or definitions that hold no users (e.g. an imported topology): seed.
    const seeded = !defs || b.users.size === 0;
    if (seeded) b.seed();
    const started = Date.now();
    const state = await opts.messageStore.open();
    const opened = Date.now();
    b.lastId = Math.max(b.lastId, state.lastMessageId);
    let recoveredQueues = 0;
    let recoveredMessages = 0;
    for (const key of state.queues.keys()) {
      const sep = key.indexOf('\u0000');
      const vh = b.vhosts.get(key.slice(0, sep));
      const q = vh?.queues.get(key.slice(sep + 1));
      if (!q || !q.durable) {
        // Messages of a queue whose definition is gone (deleted before a crash).
        opts.messageStore.dropQueue(key);
        continue;
      }
      if (q.config.maxPriority === undefined && state.forEachEntry !== undefined) {
        // Queues larger than memory: entries come back paged, bodies stay on disk until
        // delivery comes near (docs/store.md "Paging").
        state.forEachEntry(key, (id, delivered, size) => q.recoverPaged(id, delivered, size));
      } else {
        // A priority queue needs each message's priority: read the records.
        for (const m of state.queues.get(key) ?? []) {
          let message: Message;
          try {
            message = deserializeMessage(m.id as MessageId, m.record);
          } catch (err) {
            opts.log.error({ queue: q.name, id: m.id, err }, 'unreadable message record skipped');
            opts.messageStore.dequeue(key, m.id);
            continue;
          }
          q.recover(message, m.delivered, parseExpiration(message.properties.expiration));
        }
      }
      q.afterRecovery();
      recoveredQueues++;
      recoveredMessages += q.messageCount;
    }
    // Restart time is bounded by the store's checkpoint plus this pass (docs/store.md).
    opts.log.info({ queues: recoveredQueues, messages: recoveredMessages, storeOpenMs: opened - started, queuesMs: Date.now() - opened }, 'messages recovered');
    if (seeded) b.definitionsChanged();
    return b;
  }

  private seed(): void {
    this.addVhost('/');
    for (const u of this.opts.initialUsers) {
      this.putUser(u.name, hashPassword(u.password), [...u.tags]);
      this.setPermissions(u.name, '/', { configure: '.*', write: '.*', read: '.*' });
    }
  }

  private loadDefinitions(d: Definitions): void {
    for (const v of d.vhosts) this.addVhost(v.name);
    if (!this.vhosts.has('/') && d.vhosts.length === 0) this.addVhost('/');
    for (const u of d.users) {
      if (u.hashing_algorithm !== HASHING_ALGORITHM) {
        this.opts.log.warn({ user: u.name, algorithm: u.hashing_algorithm }, 'unsupported password hashing; user cannot log in');
      }
      // RabbitMQ before 3.10 exported tags as one comma-separated string.
      const raw: unknown = u.tags;
      const tags = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(',').filter((t) => t !== '') : [];
      this.putUser(u.name, u.hashing_algorithm === HASHING_ALGORITHM ? u.password_hash : '', tags);
    }
    for (const p of d.permissions) {
      if (this.users.has(p.user) && this.vhosts.has(p.vhost)) this.setPermissions(p.user, p.vhost, p);
    }
    for (const x of d.exchanges) {
      const vh = this.vhosts.get(x.vhost);
      if (!vh || !isExchangeType(x.type)) continue;
      vh.restoreExchange(x.name, x.type as ExchangeType, { durable: x.durable, autoDelete: x.auto_delete, internal: x.internal, arguments: jsonToTable(x.arguments) });
    }
    for (const q of d.queues) {
      const vh = this.vhosts.get(q.vhost);
      if (!vh) continue;
      try {
        vh.restoreQueue(q.name, { durable: q.durable, exclusive: false, autoDelete: q.auto_delete, arguments: jsonToTable(q.arguments) });
      } catch (err) {
        this.opts.log.error({ vhost: q.vhost, queue: q.name, err }, 'queue definition not restored');
      }
    }
    for (const b of d.bindings) {
      const vh = this.vhosts.get(b.vhost);
      const src = vh?.exchanges.get(b.source);
      const dest = b.destination_type === 'queue' ? vh?.queues.get(b.destination) : vh?.exchanges.get(b.destination);
      if (!vh || !src || !dest || b.source === '') continue;
      const source = filterSourceOf(b.filter);
      addBinding(vh, src, dest, b.destination_type, b.destination, b.routing_key, jsonToTable(b.arguments), source && this.compileFilter(source, b), source);
    }
  }

  /**
   * A durable binding's filter, rebuilt from its stored source. When that fails (a language
   * no compiler is registered for, an expression that no longer compiles) the binding is
   * kept without its filter: its queue then gets more messages than it asked for, which a
   * consumer can still see and settle, rather than silently fewer.
   */
  private compileFilter(source: FilterSource, b: { vhost: string; source: string; destination: string }): MessageFilter | undefined {
    const compile = this.opts.filterCompilers?.[source.language];
    try {
      if (compile === undefined) throw new Error(`no compiler for filter language '${source.language}'`);
      return compile(source.expression);
    } catch (err) {
      this.opts.log.error({ vhost: b.vhost, exchange: b.source, destination: b.destination, filter: source, err }, 'binding filter not restored: the binding routes without it');
      return undefined;
    }
  }

  /** The current durable state as a RabbitMQ-shaped definitions document. */
  definitions(): Definitions {
    const users = [...this.users.values()].map((u) => ({ name: u.name, password_hash: u.passwordHash, hashing_algorithm: u.hashingAlgorithm, tags: [...u.tags] }));
    const permissions: { user: string; vhost: string; configure: string; write: string; read: string }[] = [];
    for (const u of this.users.values()) {
      for (const [vhost, p] of u.permissions) permissions.push({ user: u.name, vhost, configure: p.configureSrc, write: p.writeSrc, read: p.readSrc });
    }
    const exchanges: { vhost: string; name: string; type: string; durable: boolean; auto_delete: boolean; internal: boolean; arguments: Record<string, unknown> }[] = [];
    const queues: { vhost: string; name: string; durable: boolean; auto_delete: boolean; arguments: Record<string, unknown> }[] = [];
    const bindings: Definitions['bindings'][number][] = [];
    for (const vh of this.vhosts.values()) {
      for (const x of vh.exchanges.values()) {
        if (x.name === '' || x.name.startsWith('amq.') || !x.options.durable) continue;
        exchanges.push({ vhost: vh.name, name: x.name, type: x.type, durable: true, auto_delete: x.options.autoDelete, internal: x.options.internal, arguments: tableToJson(x.options.arguments) });
      }
      for (const q of vh.queues.values()) {
        if (!vh.isPersistedQueue(q)) continue;
        queues.push({ vhost: vh.name, name: q.name, durable: true, auto_delete: q.options.autoDelete, arguments: tableToJson(q.options.arguments) });
      }
      for (const b of vh.durableBindings()) {
        const filter = b.filterSource !== undefined ? { filter: b.filterSource } : {};
        bindings.push({ vhost: vh.name, source: b.source, destination: b.destinationName, destination_type: b.destinationKind, routing_key: b.routingKey, arguments: tableToJson(b.arguments), ...filter });
      }
    }
    return { version: 1, users, vhosts: [...this.vhosts.keys()].map((name) => ({ name })), permissions, exchanges, queues, bindings };
  }

  private definitionsChanged(): void {
    if (this.closed) return;
    if (this.saving) {
      this.saveAgain = true;
      return;
    }
    if (this.saveScheduled) return;
    // Coalesce every change made in this turn into one save.
    this.saveScheduled = true;
    this.saving = new Promise<void>((resolve) => {
      queueMicrotask(() => {
        this.saveScheduled = false;
        this.runSave().then(resolve, resolve);
      });
    });
  }

  private async runSave(): Promise<void> {
    for (;;) {
      this.saveAgain = false;
      try {
        await this.opts.definitionStore.save(this.definitions());
      } catch (err) {
        this.opts.log.error({ err }, 'saving definitions failed');
      }
      if (!this.saveAgain) break;
    }
    this.saving = undefined;
  }

  // ---- users & vhosts (administration; used by the server, management and tests) ----

  addVhost(name: string): VirtualHostImpl {
    let vh = this.vhosts.get(name);
    if (!vh) {
      vh = new VirtualHostImpl(name, this.env);
      this.vhosts.set(name, vh);
      this.definitionsChanged();
    }
    return vh;
  }

  /** Delete a vhost with everything in it (queues' stored messages included). */
  deleteVhost(name: string): boolean {
    const vh = this.vhosts.get(name);
    if (!vh) return false;
    vh.destroyAll();
    this.vhosts.delete(name);
    for (const u of this.users.values()) u.permissions.delete(name);
    this.definitionsChanged();
    return true;
  }

  private putUser(name: string, passwordHash: string, tags: string[]): UserRecord {
    const prev = this.users.get(name);
    const rec: UserRecord = { name, tags, passwordHash, hashingAlgorithm: HASHING_ALGORITHM, permissions: prev?.permissions ?? new Map() };
    this.users.set(name, rec);
    return rec;
  }

  /** Create or replace a user (password hashed as RabbitMQ does). */
  addUser(name: string, password: string, tags: readonly string[]): User {
    const u = this.putUser(name, hashPassword(password), [...tags]);
    this.definitionsChanged();
    return u;
  }

  deleteUser(name: string): boolean {
    const ok = this.users.delete(name);
    if (ok) this.definitionsChanged();
    return ok;
  }

  listUsers(): User[] {
    return [...this.users.values()].map((u) => ({ name: u.name, tags: u.tags }));
  }

  setPermissions(user: string, vhost: string, p: PermissionSpec): void {
    const u = this.users.get(user);
    if (!u) throw new BrokerError(ErrorCode.NotFound, `no user '${user}'`);
    if (!this.vhosts.has(vhost)) throw new BrokerError(ErrorCode.NotFound, `no vhost '${vhost}'`);
    u.permissions.set(vhost, new Permission(p.configure, p.write, p.read));
    this.definitionsChanged();
  }

  clearPermissions(user: string, vhost: string): void {
    if (this.users.get(user)?.permissions.delete(vhost)) this.definitionsChanged();
  }

  // ---- Broker ------------------------------------------------------------------------

  /** Connection ids unique across every protocol (exclusive-queue ownership is keyed by them). */
  newConnectionId(): ConnectionId {
    return ++this.lastConnectionId as ConnectionId;
  }

  getVhost(name: string): VirtualHost | undefined {
    return this.vhosts.get(name);
  }

  listVhosts(): string[] {
    return [...this.vhosts.keys()];
  }

  authenticate(username: string, password: string, peerAddress: string): User | undefined {
    const u = this.users.get(username);
    if (!u || u.passwordHash === '') return undefined;
    if (!checkPassword(password, u.passwordHash)) return undefined;
    // RabbitMQ loopback_users: these may log in only from a loopback peer address.
    if (this.opts.loopbackUsers.includes(username) && !isLoopback(peerAddress)) return undefined;
    return u;
  }

  canAccessVhost(user: User, vhost: string): boolean {
    return this.vhosts.has(vhost) && (this.users.get(user.name)?.permissions.has(vhost) ?? false);
  }

  afterSync(done: () => void): void {
    const sync = (): void =>
      this.opts.messageStore.sync((err) => {
        if (err) this.opts.log.error({ err }, 'message store sync failed');
        done();
      });
    // A durable queue declared in this turn must be on disk before its messages are confirmed.
    if (this.saving) this.saving.then(sync, sync);
    else sync();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const vh of this.vhosts.values()) vh.stopTimers();
    if (this.saving) await this.saving;
    this.closed = true;
    await new Promise<void>((resolve) => this.opts.messageStore.sync(() => resolve()));
    await this.opts.messageStore.close();
    await this.opts.pageStore?.close();
  }
}

/** A stored binding's `filter` field, if it has the FilterSource shape (hand-edited files may not). */
function filterSourceOf(raw: unknown): FilterSource | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { language, expression } = raw as { language?: unknown; expression?: unknown };
  return typeof language === 'string' && typeof expression === 'string' ? { language, expression } : undefined;
}
