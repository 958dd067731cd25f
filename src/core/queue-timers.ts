import type { Queue } from './queue.js';

/*
 * A queue's two timers: message expiry (armed for the earliest expiry among the ready
 * heads) and x-expires (the queue goes once unused that long). Free functions over the
 * timer fields of Queue, which keeps them (no extra object per queue).
 */

/**
 * Node's setTimeout turns any delay above 2^31-1 ms (about 24.8 days) into 1 ms, but
 * x-expires and TTLs may be up to 2^32-1 ms: longer waits are taken in steps of this.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

// ---- expiry ------------------------------------------------------------------

/** Arm the expiry timer for the earliest head expiry (or stop it when nothing expires). */
export function scheduleExpiry(q: Queue): void {
  if (q.deleted) return;
  const next = q.ready.nextHeadExpiry();
  if (next === 0) {
    if (q.expiryTimer) {
      clearTimeout(q.expiryTimer);
      q.expiryTimer = undefined;
      q.expiryAt = 0;
    }
    return;
  }
  if (q.expiryTimer && q.expiryAt <= next) return;
  if (q.expiryTimer) clearTimeout(q.expiryTimer);
  q.expiryAt = next;
  // Early wake-ups (delays past MAX_TIMER_MS) find nothing expired and re-arm here.
  q.expiryTimer = setTimeout(q.onExpiryTimer, Math.min(MAX_TIMER_MS, Math.max(0, next - Date.now())));
  q.expiryTimer.unref();
}

/** The expiry timer fired (Queue.onExpiryTimer): drop what expired, re-arm for the next. */
export function expiryTimerFired(q: Queue): void {
  q.expiryTimer = undefined;
  q.expiryAt = 0;
  if (q.deleted) return;
  q.expireHeads(Date.now());
  scheduleExpiry(q);
}

// ---- x-expires (unused queue) ---------------------------------------------------

/** (Re)start the x-expires countdown; called on declare, get, and when the last consumer goes. */
export function armUnusedTimer(q: Queue): void {
  const ms = q.config.expires;
  if (ms === undefined || q.deleted) return;
  if (q.unusedTimer) clearTimeout(q.unusedTimer);
  q.unusedTimer = undefined;
  if (q.consumerCount > 0) return;
  waitUnused(q, Date.now() + ms);
}

/** Delete the queue at `deadline` if still unused; long waits are taken in MAX_TIMER_MS steps. */
function waitUnused(q: Queue, deadline: number): void {
  q.unusedTimer = setTimeout(() => {
    q.unusedTimer = undefined;
    if (q.deleted || q.consumerCount > 0) return;
    if (Date.now() < deadline) waitUnused(q, deadline);
    else q.host.deleteUnused(q);
  }, Math.min(MAX_TIMER_MS, Math.max(0, deadline - Date.now())));
  q.unusedTimer.unref();
}

/** A consumer came: the queue is in use, the x-expires countdown stops. */
export function cancelUnusedTimer(q: Queue): void {
  if (q.unusedTimer) {
    clearTimeout(q.unusedTimer);
    q.unusedTimer = undefined;
  }
}

/** Stop both timers (queue deleted, broker shutdown). */
export function stopQueueTimers(q: Queue): void {
  if (q.expiryTimer) clearTimeout(q.expiryTimer);
  if (q.unusedTimer) clearTimeout(q.unusedTimer);
  q.expiryTimer = undefined;
  q.unusedTimer = undefined;
}
