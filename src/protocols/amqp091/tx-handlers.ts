/**
 * tx.select / commit / rollback (AMQP 0-9-1 §1.9) and confirm.select (RabbitMQ).
 * In tx mode publishes and settlements are buffered until tx.commit; commit-ok
 * waits for Broker.afterSync when something was stored, and input on the
 * connection waits with it so later methods are answered in order.
 */
import type { AnyMethod, MethodOf } from '../../codecs/amqp091/index.js';
import type { Settlement } from '../../core/api.js';
import type { Channel, MethodHandler, Unacked } from './channel.js';
import { ConfirmTracker } from './confirm-tracker.js';
import { preconditionFailed } from './errors.js';
import { route, type PendingPublish } from './publish-handler.js';

export class TxState {
  publishes: PendingPublish[] = [];
  settles: Array<{ readonly entries: Unacked[]; readonly how: Settlement }> = [];

  /** RabbitMQ checks delivery tags at ack time, applies them at commit. */
  settle(ch: Channel, tag: number, multiple: boolean, how: Settlement): void {
    this.settles.push({ entries: ch.takeUnacked(tag, multiple), how });
  }

  clear(): void {
    this.publishes = [];
    this.settles = [];
  }
}

function confirmSelect(ch: Channel, m: MethodOf<'confirm.select'>): void {
  if (ch.tx !== undefined) throw preconditionFailed('cannot switch from tx to confirm mode');
  ch.confirm ??= new ConfirmTracker(ch);
  if (!m.nowait) ch.conn.out().method(ch.id, 'confirm.select-ok', {});
}

function txSelect(ch: Channel): void {
  if (ch.confirm !== undefined) throw preconditionFailed('cannot switch from confirm to tx mode');
  ch.tx ??= new TxState();
  ch.conn.out().method(ch.id, 'tx.select-ok', {});
}

function txCommit(ch: Channel): void {
  const tx = ch.tx;
  if (tx === undefined) throw preconditionFailed('channel is not transactional');
  const { publishes, settles } = tx;
  tx.clear();
  let needsSync = false;
  for (const p of publishes) if (route(ch, p).needsSync) needsSync = true;
  for (const s of settles) ch.settle(s.entries, s.how);
  const conn = ch.conn;
  if (!needsSync) {
    conn.out().method(ch.id, 'tx.commit-ok', {});
    return;
  }
  conn.suspendInput();
  conn.broker.afterSync(() => {
    if (ch.isOpen && conn.isOpen) conn.out().method(ch.id, 'tx.commit-ok', {});
    conn.resumeInput();
  });
}

function txRollback(ch: Channel): void {
  const tx = ch.tx;
  if (tx === undefined) throw preconditionFailed('channel is not transactional');
  const entries = tx.settles.flatMap((s) => s.entries);
  tx.clear();
  // RabbitMQ: acks of a rolled back transaction are outstanding again.
  ch.restoreUnacked(entries);
  ch.conn.out().method(ch.id, 'tx.rollback-ok', {});
}

export const txMethods: Record<string, MethodHandler> = {
  'confirm.select': (ch, m: AnyMethod) => confirmSelect(ch, m as MethodOf<'confirm.select'>),
  'tx.select': (ch) => txSelect(ch),
  'tx.commit': (ch) => txCommit(ch),
  'tx.rollback': (ch) => txRollback(ch),
};
