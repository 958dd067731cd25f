import type { ConnectionId, QueueInfo, QueueStats } from './api.js';
import type { Queue } from './queue.js';
import { scheduleExpiry, stopQueueTimers } from './queue-timers.js';

/*
 * The cold operations a virtual host runs on a queue, outside the message flow:
 * info, purge, delete and the cleanup when a connection goes. Free functions over
 * the queue's internal state, so that queue.ts keeps only the message path.
 */

export function queueInfo(q: Queue): QueueInfo {
  return {
    name: q.name,
    durable: q.options.durable,
    exclusive: q.options.exclusive,
    autoDelete: q.options.autoDelete,
    arguments: q.options.arguments,
    messageCount: q.ready.count,
    unackedCount: q.unacked.size,
    consumerCount: q.consumers.size,
    messageBytes: q.ready.bytes,
    stats: { ...q.counters } as QueueStats,
  };
}

/**
 * A connection went away: its consumers end (without a broker-cancel notice) and
 * its unacknowledged deliveries return to the queue in their original order.
 */
export function queueConnectionClosed(q: Queue, id: ConnectionId): void {
  for (const c of q.consumers.all()) if (c.connectionId === id) q.removeConsumer(c);
  if (q.deleted) return;
  let any = false;
  for (const [tag, e] of q.unacked) {
    if (e.owner !== id) continue;
    q.unacked.delete(tag);
    q.returnToReady(e);
    any = true;
  }
  if (any) q.afterRequeue();
}

/** Remove every ready message (unacked ones stay). Returns how many went. */
export function purgeQueue(q: Queue): number {
  const n = q.ready.count;
  if (q.durable && q.unacked.size === 0) {
    q.host.store.dropQueue(q.key);
    q.ready.clear();
  } else {
    const store = q.host.store;
    const key = q.key;
    q.ready.clear((id, persisted) => {
      if (persisted) store.dequeue(key, id);
    });
  }
  scheduleExpiry(q);
  return n;
}

/** Tear down: consumers are told, timers stop, the store forgets the queue. Returns ready count. */
export function destroyQueue(q: Queue, reason: string): number {
  const n = q.ready.count;
  q.deleted = true;
  stopQueueTimers(q);
  const cs = q.consumers.all();
  for (const c of cs) {
    c.cancelled = true;
    q.consumers.remove(c);
  }
  q.active = undefined;
  q.exclusiveConsumer = undefined;
  if (q.durable) q.host.store.dropQueue(q.key);
  q.ready.clear();
  q.unacked.clear();
  for (const c of cs) {
    try {
      c.sink.cancelledByBroker(reason);
    } catch (err) {
      q.host.sinkError(q, err);
    }
  }
  return n;
}
