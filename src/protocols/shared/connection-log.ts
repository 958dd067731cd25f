/**
 * A connection's logger, with the connection's bindings (id, peer), that holds no
 * per-connection child logger.
 *
 * Why: a pino child per connection keeps its serialized bindings and a few objects,
 * ~0.4 KiB on every idle connection (docs/performance.md, "Memory per idle connection"),
 * and most connections log once or never. Here a child is made for each line that is
 * actually written (a level the parent has disabled costs nothing); the lines are the
 * same as a long-lived child's.
 */
import type { Logger } from '../../core/api.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

export interface LogBindingsSource {
  /** The bindings a child logger of this connection would have. */
  logBindings(): object;
}

/** pino's level check; a Logger without it logs every level (the parent filters). */
function enabled(parent: Logger, level: Level): boolean {
  const p = parent as Logger & { isLevelEnabled?(level: string): boolean };
  return typeof p.isLevelEnabled !== 'function' || p.isLevelEnabled(level);
}

export class ConnectionLog implements Logger {
  constructor(
    private readonly parent: Logger,
    private readonly source: LogBindingsSource,
  ) {}

  private write(level: Level, obj: object, msg: string | undefined): void {
    if (!enabled(this.parent, level)) return;
    const child = this.parent.child(this.source.logBindings());
    if (msg === undefined) child[level](obj);
    else child[level](obj, msg);
  }

  debug(obj: object, msg?: string): void {
    this.write('debug', obj, msg);
  }
  info(obj: object, msg?: string): void {
    this.write('info', obj, msg);
  }
  warn(obj: object, msg?: string): void {
    this.write('warn', obj, msg);
  }
  error(obj: object, msg?: string): void {
    this.write('error', obj, msg);
  }
  child(bindings: object): Logger {
    return this.parent.child(this.source.logBindings()).child(bindings);
  }
}
