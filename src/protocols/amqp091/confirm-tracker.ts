/**
 * Publisher confirms (RabbitMQ extension, confirm.select). Every publish on a
 * confirm channel gets the next sequence number; its confirm is
 *   - nack when a queue refused it (PublishResult.rejected, x-overflow reject-publish),
 *   - ack once it is on disk when it was stored (PublishResult.needsSync: wait for
 *     Broker.afterSync; one afterSync per channel per input batch, not per message),
 *   - ack at once otherwise (transient or unroutable).
 * Confirms go out in sequence order, runs of equal outcome coalesced into one
 * basic.ack/nack with multiple=true.
 */
import type { PublishResult } from '../../core/api.js';
import type { Channel } from './channel.js';

const WAIT = 0;
const ACK = 1;
const NACK = 2;

export class ConfirmTracker {
  private nextSeq = 1;
  /** Sequence number of states[0]. */
  private base = 1;
  private head = 0;
  private states: number[] = [];
  /** Highest sequence number stored this batch and not yet covered by an afterSync request. */
  private unsyncedMax = 0;
  /** Targets of outstanding afterSync requests, oldest first (the store completes them in order). */
  private readonly syncTargets: number[] = [];

  constructor(private readonly ch: Channel) {}

  record(r: PublishResult): void {
    const st = r.rejected ? NACK : r.needsSync ? WAIT : ACK;
    const seq = this.nextSeq++;
    this.states.push(st);
    if (st === WAIT) this.unsyncedMax = seq;
    this.ch.conn.markConfirmsDirty(this.ch);
  }

  private readonly onSynced = (): void => {
    const target = this.syncTargets.shift();
    if (target === undefined || this.ch.confirm !== this || !this.ch.isOpen) return;
    const states = this.states;
    const end = Math.min(states.length, target - this.base + 1);
    for (let k = this.head; k < end; k++) if (states[k] === WAIT) states[k] = ACK;
    this.emit(this.ch);
  };

  /** Write every confirm that is decided, in order; ask for a sync for newly stored ones. */
  emit(ch: Channel): void {
    if (this.unsyncedMax !== 0) {
      this.syncTargets.push(this.unsyncedMax);
      this.unsyncedMax = 0;
      ch.conn.broker.afterSync(this.onSynced);
    }
    const states = this.states;
    let k = this.head;
    while (k < states.length) {
      const st = states[k]!;
      if (st === WAIT) break;
      let j = k;
      while (j + 1 < states.length && states[j + 1] === st) j++;
      const tag = this.base + j;
      const multiple = j > k;
      if (st === ACK) ch.conn.out().method(ch.id, 'basic.ack', { deliveryTag: tag, multiple });
      else ch.conn.out().method(ch.id, 'basic.nack', { deliveryTag: tag, multiple, requeue: false });
      k = j + 1;
    }
    this.head = k;
    if (k > 1024 && k * 2 > states.length) {
      this.states = states.slice(k);
      this.base += k;
      this.head = 0;
    }
  }
}
