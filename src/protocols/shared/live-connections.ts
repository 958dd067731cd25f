/**
 * The live connections of one protocol listener, for the two broadcasts every connection
 * needs: "the server is stopping" and "a resource alarm changed".
 *
 * Why not ctx.onShutdown / alarms.onChange per connection: each registration costs a
 * listener closure, an unsubscribe closure and a Set entry on the server or core side —
 * a few hundred bytes on every idle connection (docs/performance.md, "Memory per idle
 * connection"). Here a connection costs one Set entry per broadcast it takes part in,
 * and the context gets one listener of each kind, registered on first use.
 */
import type { AlarmState } from '../../core/api.js';
import type { ProtocolContext } from '../context.js';

export interface LiveConnection {
  /** The server is stopping: close politely (AMQP 320, MQTT 5 DISCONNECT 0x8B, STOMP ERROR). */
  onServerShutdown(): void;
  /** A resource alarm turned on or off (only for connections that called watchAlarms). */
  onAlarmChange(active: boolean, reason: string): void;
}

export class LiveConnections<C extends LiveConnection> {
  private readonly all = new Set<C>();
  private readonly alarmWatchers = new Set<C>();
  private shutdownRegistered = false;
  private alarmsRegistered = false;

  constructor(
    private readonly ctx: ProtocolContext<unknown>,
    private readonly alarms: AlarmState,
  ) {}

  /** A new connection: it hears about server shutdown until `remove`. */
  add(c: C): void {
    if (!this.shutdownRegistered) {
      this.shutdownRegistered = true;
      // Kept for the context's lifetime (the listener's), so the unsubscribe is not needed.
      this.ctx.onShutdown(() => {
        for (const conn of [...this.all]) conn.onServerShutdown();
      });
    }
    this.all.add(c);
  }

  /** From now on `c` hears about alarm changes, until `remove`. */
  watchAlarms(c: C): void {
    if (!this.alarmsRegistered) {
      this.alarmsRegistered = true;
      this.alarms.onChange((active, reason) => {
        for (const conn of [...this.alarmWatchers]) conn.onAlarmChange(active, reason);
      });
    }
    this.alarmWatchers.add(c);
  }

  /** The connection is gone (idempotent). */
  remove(c: C): void {
    this.all.delete(c);
    this.alarmWatchers.delete(c);
  }
}

/**
 * The registry for one protocol context. `registries` is the calling protocol's own
 * map (its connection type), keyed by context: a test may run several servers in one
 * process, each with its own contexts.
 */
export function liveConnectionsFor<C extends LiveConnection>(
  registries: WeakMap<ProtocolContext<unknown>, LiveConnections<C>>,
  ctx: ProtocolContext<unknown>,
): LiveConnections<C> {
  let r = registries.get(ctx);
  if (r === undefined) registries.set(ctx, (r = new LiveConnections<C>(ctx, ctx.broker.alarms)));
  return r;
}
