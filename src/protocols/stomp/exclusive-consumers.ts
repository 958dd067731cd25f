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

/** Members in subscription order (a Map iterates in insertion order; O(1) removal). */
interface Group {
  readonly members: Map<Subscription, GroupMember>;
  /** Members that asked for exclusivity; 0 = every member consumes (the common case). */
  exclusive: number;
}

const groups = new WeakMap<VirtualHost, Map<string, Group>>();

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
  let group = byQueue.get(queue);
  if (group === undefined) {
    group = { members: new Map(), exclusive: 0 };
    byQueue.set(queue, group);
  }
  group.members.set(member.sub, member);
  if (member.exclusive) group.exclusive++;
  try {
    if (group.exclusive === 0) {
      // Fast path: nobody is exclusive, so this member simply consumes.
      member.sub.consumer = vhost.consume(member.principal, queue, member.sub, member.options);
    } else {
      reconcile(vhost, group, member);
    }
  } catch (e) {
    removeMember(byQueue, queue, group, member);
    if (group.exclusive > 0 || member.exclusive) reconcile(vhost, group, undefined);
    throw e;
  }
}

/** The subscription ended (its consumer is already cancelled): let the next member consume. */
export function leaveGroup(vhost: VirtualHost, sub: Subscription): void {
  const byQueue = groups.get(vhost);
  const group = byQueue?.get(sub.queue);
  const member = group?.members.get(sub);
  if (byQueue === undefined || group === undefined || member === undefined) return;
  removeMember(byQueue, sub.queue, group, member);
  // Only the departure of an exclusive member can change who consumes: a non-exclusive
  // one was either a standby or consuming alongside others.
  if (member.exclusive) reconcile(vhost, group, undefined);
}

function removeMember(byQueue: Map<string, Group>, queue: string, group: Group, member: GroupMember): void {
  if (!group.members.delete(member.sub)) return;
  if (member.exclusive) group.exclusive--;
  if (group.members.size === 0) byQueue.delete(queue);
}

/** Give consumers to exactly the members that should have one (first stop, then start). */
function reconcile(vhost: VirtualHost, group: Group, joining: GroupMember | undefined): void {
  let holder: GroupMember | undefined;
  if (group.exclusive > 0) {
    for (const m of group.members.values()) {
      if (m.exclusive && !m.sub.closed) {
        holder = m;
        break;
      }
    }
  }
  const wants = (m: GroupMember): boolean => !m.sub.closed && (holder === undefined || m === holder);
  for (const m of group.members.values()) {
    if (!wants(m) && m.sub.consumer !== undefined) {
      m.sub.consumer.cancel();
      m.sub.consumer = undefined;
    }
  }
  const failures: Array<[GroupMember, string]> = [];
  for (const m of [...group.members.values()]) {
    if (!wants(m) || m.sub.consumer !== undefined) continue;
    try {
      m.sub.consumer = vhost.consume(m.principal, m.sub.queue, m.sub, m.options);
    } catch (e) {
      if (m === joining) throw e;
      failures.push([m, e instanceof Error ? e.message : String(e)]);
    }
  }
  // Outside the loops: failing a member ends its subscription, which leaves the group.
  for (const [m, reason] of failures) m.failed(reason);
}
