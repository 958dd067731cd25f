/**
 * ActiveMQ exclusive consumers (`activemq.exclusive:true` on SUBSCRIBE), arbitrated among
 * the STOMP subscriptions of one shared queue.
 *
 * ActiveMQ 5 (checked against 5.17): while a queue has an exclusive consumer, it alone
 * receives; a second exclusive subscriber is not refused but waits as a standby and takes
 * over when the first goes; an exclusive subscriber takes the queue over from
 * non-exclusive ones, which then receive nothing until no exclusive one is left. That is
 * the failover pattern ActiveMQ applications rely on, so a core "exclusive consumer"
 * (which refuses the second subscriber, AMQP 0-9-1 §1.8.3.3) would break them.
 *
 * Here every STOMP subscription on a shared queue (`/queue/`, `/amq/queue/`,
 * `/reply-queue/`) is a member of the queue's group. When any member is exclusive, the
 * earliest exclusive member is the only one with a core consumer; the others have none
 * (their unacknowledged deliveries stay theirs to ACK). When it ends, the group is
 * reconciled and the next one consumes; its requeued messages go there. Consumers of
 * other protocols are not arbitrated (documented in docs/stomp.md).
 */
import type { ConsumeOptions, Principal, VirtualHost } from '../../core/api.js';
import type { Subscription } from './subscription.js';

export interface GroupMember {
  readonly sub: Subscription;
  /** Asked for `activemq.exclusive:true`. */
  readonly exclusive: boolean;
  /** The subscribing connection's principal (promotion happens from another connection's turn). */
  readonly principal: Principal;
  readonly options: ConsumeOptions;
  /** Promotion failed (e.g. the queue is gone): end this subscription with an ERROR. */
  readonly failed: (reason: string) => void;
}

const groups = new WeakMap<VirtualHost, Map<string, GroupMember[]>>();

/**
 * Add a subscription to its queue's group and start consuming if it should. Throws when
 * this member's own consume fails (it is then not in the group).
 */
export function joinGroup(vhost: VirtualHost, member: GroupMember): void {
  let byQueue = groups.get(vhost);
  if (byQueue === undefined) {
    byQueue = new Map();
    groups.set(vhost, byQueue);
  }
  const queue = member.sub.queue;
  let members = byQueue.get(queue);
  if (members === undefined) {
    members = [];
    byQueue.set(queue, members);
  }
  members.push(member);
  try {
    reconcile(vhost, members, member);
  } catch (e) {
    removeMember(byQueue, queue, members, member.sub);
    reconcile(vhost, members, undefined);
    throw e;
  }
}

/** The subscription ended (its consumer is already cancelled): let the next member consume. */
export function leaveGroup(vhost: VirtualHost, sub: Subscription): void {
  const byQueue = groups.get(vhost);
  const members = byQueue?.get(sub.queue);
  if (byQueue === undefined || members === undefined) return;
  if (!removeMember(byQueue, sub.queue, members, sub)) return;
  reconcile(vhost, members, undefined);
}

function removeMember(byQueue: Map<string, GroupMember[]>, queue: string, members: GroupMember[], sub: Subscription): boolean {
  const i = members.findIndex((m) => m.sub === sub);
  if (i < 0) return false;
  members.splice(i, 1);
  if (members.length === 0) byQueue.delete(queue);
  return true;
}

/** Give consumers to exactly the members that should have one (first stop, then start). */
function reconcile(vhost: VirtualHost, members: readonly GroupMember[], joining: GroupMember | undefined): void {
  const holder = members.find((m) => m.exclusive && !m.sub.closed);
  const wants = (m: GroupMember): boolean => !m.sub.closed && (holder === undefined || m === holder);
  for (const m of members) {
    if (!wants(m) && m.sub.consumer !== undefined) {
      m.sub.consumer.cancel();
      m.sub.consumer = undefined;
    }
  }
  const failures: Array<[GroupMember, string]> = [];
  for (const m of [...members]) {
    if (!wants(m) || m.sub.consumer !== undefined) continue;
    try {
      m.sub.consumer = vhost.consume(m.principal, m.sub.queue, m.sub, m.options);
    } catch (e) {
      if (m === joining) throw e;
      failures.push([m, e instanceof Error ? e.message : String(e)]);
    }
  }
  // Outside the loop: failing a member ends its subscription, which leaves the group.
  for (const [m, reason] of failures) m.failed(reason);
}
