import type { QueueHost } from './queue-host.js';
import type { Queue } from './queue.js';
import type { ReadySet } from './ready-set.js';

/**
 * Node's setTimeout turns any delay above 2^31-1 ms (about 24.8 days) into 1 ms, but
 * x-expires and TTLs may be up to 2^32-1 ms: longer waits are taken in steps of this.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A queue's two timers, owned by the queue: message expiry (armed for the earliest
 * expiry among the ready heads) and x-expires (the queue goes once unused that long).
 */
export class QueueTimers {
  private expiryTimer: NodeJS.Timeout | undefined;
  private expiryAt = 0;
  private unusedTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly q: Queue,
    private readonly ready: ReadySet,
    private readonly host: QueueHost,
  ) {}

  // ---- expiry ------------------------------------------------------------------

  /** Arm the expiry timer for the earliest head expiry (or stop it when nothing expires). */
  scheduleExpiry(): void {
    if (this.q.deleted) return;
    const next = this.ready.nextHeadExpiry();
    if (next === 0) {
      if (this.expiryTimer) {
        clearTimeout(this.expiryTimer);
        this.expiryTimer = undefined;
        this.expiryAt = 0;
      }
      return;
    }
    if (this.expiryTimer && this.expiryAt <= next) return;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryAt = next;
    // Early wake-ups (delays past MAX_TIMER_MS) find nothing expired and re-arm here.
    this.expiryTimer = setTimeout(this.onExpiryTimer, Math.min(MAX_TIMER_MS, Math.max(0, next - Date.now())));
    this.expiryTimer.unref();
  }

  private readonly onExpiryTimer = (): void => {
    this.expiryTimer = undefined;
    this.expiryAt = 0;
    if (this.q.deleted) return;
    this.q.expireHeads(Date.now());
    this.scheduleExpiry();
  };

  // ---- x-expires (unused queue) ---------------------------------------------------

  /** (Re)start the x-expires countdown; called on declare, get, and when the last consumer goes. */
  armUnused(): void {
    const ms = this.q.config.expires;
    if (ms === undefined || this.q.deleted) return;
    if (this.unusedTimer) clearTimeout(this.unusedTimer);
    this.unusedTimer = undefined;
    if (this.q.consumerCount > 0) return;
    this.waitUnused(Date.now() + ms);
  }

  /** Delete the queue at `deadline` if still unused; long waits are taken in MAX_TIMER_MS steps. */
  private waitUnused(deadline: number): void {
    this.unusedTimer = setTimeout(() => {
      this.unusedTimer = undefined;
      if (this.q.deleted || this.q.consumerCount > 0) return;
      if (Date.now() < deadline) this.waitUnused(deadline);
      else this.host.deleteUnused(this.q);
    }, Math.min(MAX_TIMER_MS, Math.max(0, deadline - Date.now())));
    this.unusedTimer.unref();
  }

  /** A consumer came: the queue is in use, the x-expires countdown stops. */
  cancelUnused(): void {
    if (this.unusedTimer) {
      clearTimeout(this.unusedTimer);
      this.unusedTimer = undefined;
    }
  }

  /** Stop both timers (queue deleted, broker shutdown). */
  stop(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    if (this.unusedTimer) clearTimeout(this.unusedTimer);
    this.expiryTimer = undefined;
    this.unusedTimer = undefined;
  }
}
