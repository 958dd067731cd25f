/**
 * One STOMP connection over a ByteStream (TCP, TLS or WebSocket alike): the frame
 * loop, the connection state machine, write batching, receipts, heart-beats and the
 * ERROR-then-close rule (STOMP 1.2 "ERROR": the server closes the connection right
 * after sending an ERROR frame). Session logic lives in handlers/*.
 */
import type { Broker, ConnectionId, Delivery, Logger, Principal, VirtualHost } from '../../core/api.js';
import type { ByteStream, StreamHandler } from '../../transport/byte-stream.js';
import type { ProtocolContext } from '../context.js';
import { liveConnectionsFor, type LiveConnection, type LiveConnections } from '../shared/live-connections.js';
import { EndOfTurnFlush } from '../shared/end-of-turn.js';
import { ConnectionLog, type LogBindingsSource } from '../shared/connection-log.js';
import { StompDecoder, StompFrameError, type StompDecoderLimits } from '../../codecs/stomp/decoder.js';
import { encodeFrame, HEARTBEAT } from '../../codecs/stomp/encoder.js';
import type { StompFrame, StompVersion } from '../../codecs/stomp/frame.js';
import { isClientCommand } from '../../codecs/stomp/frame.js';
import { toErrorReport } from './errors.js';
import type { ErrorReport } from './errors.js';
import { Heartbeat } from './heartbeat.js';
import type { StompLimits } from './limits.js';
import type { Subscription, SubscriptionOwner } from './subscription.js';
import { appendPropertyHeaders } from './message-adapter.js';
import { dispatch } from './handlers/dispatch.js';
import type { TxOp } from './handlers/transaction.js';
import { TempDestinations } from './temp-destinations.js';
import { destinationOf } from './destination.js';
import { endSubscription } from './handlers/subscribe.js';
import { leaveGroup } from './exclusive-consumers.js';

/** disconnecting: DISCONNECT read, waiting to send its receipt; no more frames are read. */
type State = 'awaiting-connect' | 'connected' | 'disconnecting' | 'closing' | 'closed';

// Connection ids share one number space with other protocols' connections (exclusive
// queue ownership). The broker hands them out (Broker.newConnectionId, optional in the
// contract); without it the STOMP listener numbers its connections in a range of its
// own so they cannot collide with protocols that count from 1.
let nextConnectionNumber = 0x3000_0000;
function newConnectionId(broker: Broker): ConnectionId {
  return broker.newConnectionId?.() ?? (nextConnectionNumber++ as ConnectionId);
}

const liveRegistries = new WeakMap<ProtocolContext<unknown>, LiveConnections<StompConnection>>();

interface DecoderLimitSets {
  /** Before CONNECT: one small frame only (DESIGN §5 pre-authentication budget). */
  readonly beforeConnect: StompDecoderLimits;
  readonly connected: StompDecoderLimits;
}

/** The decoder limits are the same for every connection of a listener: one frozen pair per context. */
const decoderLimitSets = new WeakMap<ProtocolContext<StompLimits>, DecoderLimitSets>();

function decoderLimitsFor(ctx: ProtocolContext<StompLimits>): DecoderLimitSets {
  let sets = decoderLimitSets.get(ctx);
  if (sets === undefined) {
    const l = ctx.limits;
    sets = {
      beforeConnect: Object.freeze({
        maxCommandLength: l.maxCommandLength,
        maxHeaders: l.maxHeaders,
        maxHeaderLength: l.maxHeaderLength,
        maxBodySize: l.maxConnectFrameSize,
        maxFrameSize: l.maxConnectFrameSize,
      }),
      connected: Object.freeze({
        maxCommandLength: l.maxCommandLength,
        maxHeaders: l.maxHeaders,
        maxHeaderLength: l.maxHeaderLength,
        // The broker-wide message size limit applies too (the core does not check it).
        maxBodySize: Math.min(l.maxBodySize, ctx.broker.limits?.maxMessageSize ?? Infinity),
        maxFrameSize: l.maxFrameSize,
      }),
    };
    decoderLimitSets.set(ctx, sets);
  }
  return sets;
}

/** Connections that wrote during this tick: one process.nextTick uncorks them all. */
const endOfTurn = new EndOfTurnFlush<StompConnection>((c) => c.uncorkNow());

interface PendingReceipt {
  /** undefined: no RECEIPT to write, only the close (DISCONNECT without receipt). */
  readonly id: string | undefined;
  ready: boolean;
  /** Close the connection once this receipt is written (DISCONNECT). */
  readonly thenClose: boolean;
}

/*
 * Memory per idle connection (docs/performance.md): no child logger is kept, and the
 * Maps and the temp-destination table are created on first use.
 */
export class StompConnection implements SubscriptionOwner, LiveConnection, LogBindingsSource, StreamHandler {
  readonly id: ConnectionId;
  readonly limits: StompLimits;
  readonly decoder: StompDecoder;
  state: State = 'awaiting-connect';
  /** Negotiated version; ERROR frames before CONNECT use 1.0 rules (no escaping). */
  version: StompVersion = '1.0';
  vhost!: VirtualHost;
  principal!: Principal;
  /** CONNECT `client-id` (ActiveMQ durable subscriptions). */
  clientId: string | undefined;

  private subs: Map<string, Subscription> | undefined;
  private subsByNum: Map<number, Subscription> | undefined;
  nextSubscriptionNum = 1;
  private txs: Map<string, TxOp[]> | undefined;
  /** Body bytes held by open transactions (bounded by limits.maxTransactionBytes). */
  transactionBytes = 0;
  private tempDestinations: TempDestinations | undefined;

  private deliverySeq = 0;
  private corked = false;
  private receipts: PendingReceipt[] = [];
  private heartbeat: Heartbeat | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  /** Reading stopped: a resource alarm is active and this connection publishes. */
  private blocked = false;
  private readonly live: LiveConnections<StompConnection>;

  constructor(
    readonly stream: ByteStream,
    readonly ctx: ProtocolContext<StompLimits>,
  ) {
    this.limits = ctx.limits;
    this.id = newConnectionId(ctx.broker);
    // Before CONNECT: one small frame only (DESIGN §5 pre-authentication budget).
    this.decoder = new StompDecoder(decoderLimitsFor(ctx).beforeConnect);
    if (stream.attach !== undefined) stream.attach(this);
    else {
      stream.onData((chunk) => this.onData(chunk));
      stream.onDrain(() => this.resumeConsumers());
      stream.onClose(() => this.onClosed());
    }
    this.live = liveConnectionsFor(liveRegistries, ctx);
    this.live.add(this);
    this.connectTimer = setTimeout(() => {
      if (this.state === 'awaiting-connect') {
        this.fail({ summary: 'Connection timeout', detail: `no CONNECT frame within ${this.limits.connectTimeoutMs} ms`, unexpected: false });
      }
    }, this.limits.connectTimeoutMs);
    this.connectTimer.unref();
  }

  /** This connection's logger: its id and peer bound (no child logger kept per connection). */
  get log(): Logger {
    return new ConnectionLog(this.ctx.log, this);
  }

  logBindings(): object {
    return { protocol: 'stomp', connection: this.id, peer: `${this.stream.remoteAddress}:${this.stream.remotePort}` };
  }

  /** Subscriptions by client id (created by the first SUBSCRIBE). */
  get subscriptions(): Map<string, Subscription> {
    return (this.subs ??= new Map());
  }

  /** Subscriptions by our number, the first part of a message-id / ack id. */
  get subscriptionsByNum(): Map<number, Subscription> {
    return (this.subsByNum ??= new Map());
  }

  /** Open transactions (created by the first BEGIN). */
  get transactions(): Map<string, TxOp[]> {
    return (this.txs ??= new Map());
  }

  get temp(): TempDestinations {
    return (this.tempDestinations ??= new TempDestinations(this));
  }

  onStreamData(chunk: Buffer): void {
    this.onData(chunk);
  }

  onStreamDrain(): void {
    this.resumeConsumers();
  }

  onStreamClose(): void {
    this.onClosed();
  }

  onServerShutdown(): void {
    this.fail({ summary: 'Server shutdown', detail: 'the server is shutting down', unexpected: false });
  }

  onAlarmChange(active: boolean): void {
    if (!active && this.blocked) this.unblock();
  }

  // ---- input ---------------------------------------------------------------

  onData(chunk: Buffer): void {
    // After DISCONNECT (or an ERROR) nothing more is read (STOMP 1.2 "DISCONNECT").
    if (this.state !== 'awaiting-connect' && this.state !== 'connected') return;
    this.heartbeat?.noteRead();
    this.decoder.push(chunk);
    this.processFrames();
  }

  private processFrames(): void {
    while (!this.blocked && (this.state === 'awaiting-connect' || this.state === 'connected')) {
      let frame: StompFrame | undefined;
      try {
        frame = this.decoder.next();
      } catch (e) {
        if (e instanceof StompFrameError) {
          this.fail({ summary: e.summary, detail: e.message, unexpected: false }, e.receipt);
        } else {
          this.fail(toErrorReport(e));
        }
        return;
      }
      if (frame === undefined) return;
      this.handle(frame);
    }
  }

  private handle(frame: StompFrame): void {
    try {
      if (!isClientCommand(frame.command)) {
        this.fail({ summary: 'Unknown command', detail: `${frame.command} is a server frame`, unexpected: false }, frame.headers['receipt']);
        return;
      }
      if (this.state === 'awaiting-connect' && frame.command !== 'CONNECT' && frame.command !== 'STOMP') {
        // STOMP 1.2 "Connecting": the first frame must be CONNECT or STOMP.
        this.fail({ summary: 'Illegal command', detail: `expected CONNECT or STOMP, got ${frame.command}`, unexpected: false });
        return;
      }
      dispatch(this, frame);
    } catch (e) {
      const report = toErrorReport(e);
      if (report.unexpected) this.log.error({ err: e, command: frame.command }, 'STOMP frame handler failed');
      this.fail(report, frame.headers['receipt']);
    }
  }

  // ---- state changes used by handlers ----------------------------------------

  /** CONNECT accepted: full limits, negotiated escaping, heart-beats on. */
  connected(version: StompVersion, heartbeat: Heartbeat | undefined): void {
    this.state = 'connected';
    this.version = version;
    this.decoder.version = version;
    this.decoder.setLimits(decoderLimitsFor(this.ctx).connected);
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.heartbeat = heartbeat;
    heartbeat?.start();
    this.live.watchAlarms(this);
  }

  /** A SEND arrived while a resource alarm is active: stop reading this publisher. */
  blockIfAlarm(): void {
    if (!this.ctx.broker.alarms.active || this.blocked) return;
    this.blocked = true;
    this.heartbeat?.pauseReceive();
    this.stream.pause();
  }

  private unblock(): void {
    this.blocked = false;
    if (this.state !== 'connected') return;
    this.heartbeat?.resumeReceive();
    this.stream.resume();
    this.processFrames();
  }

  // ---- output --------------------------------------------------------------

  /** Write one encoded frame; writes made in one event-loop turn are batched (DESIGN §4). */
  write(bytes: Buffer): void {
    // After closeGracefully() the stream is ended: a late receipt or delivery must not
    // write after end (the ERROR or final RECEIPT was the last frame).
    if (this.state === 'closing' || this.state === 'closed') return;
    if (!this.corked) {
      this.corked = true;
      this.stream.cork();
      endOfTurn.add(this);
    }
    this.stream.write(bytes);
    this.heartbeat?.noteWrite();
  }

  /** End this tick's write batch (also called early, before end()). */
  uncorkNow(): void {
    if (!this.corked) return;
    this.corked = false;
    this.stream.uncork();
  }

  sendHeartbeat(): void {
    if (this.state === 'connected') this.write(HEARTBEAT);
  }

  /** Send a RECEIPT now, or after receipts still waiting for the store (keeps them in order). */
  receipt(id: string | undefined): void {
    if (id === undefined) return;
    if (this.receipts.length === 0) this.writeReceipt(id);
    else this.receipts.push({ id, ready: true, thenClose: false });
  }

  /** RECEIPT once everything written to the store so far is durable (Broker.afterSync). */
  receiptAfterSync(id: string | undefined, thenClose = false): void {
    if (id === undefined && !thenClose) return;
    if (id === undefined && this.receipts.length === 0) {
      this.closeGracefully();
      return;
    }
    // DISCONNECT without receipt while earlier receipts still wait for the store: close
    // only after they went out (the client asked for them).
    if (id === undefined) {
      this.receipts.push({ id, ready: true, thenClose });
      return;
    }
    const entry: PendingReceipt = { id, ready: false, thenClose };
    this.receipts.push(entry);
    this.ctx.broker.afterSync(() => {
      entry.ready = true;
      this.flushReceipts();
    });
  }

  private flushReceipts(): void {
    while (this.receipts.length > 0 && this.receipts[0]!.ready) {
      const r = this.receipts.shift()!;
      if (this.state === 'closed') continue;
      if (r.id !== undefined) this.writeReceipt(r.id);
      if (r.thenClose) this.closeGracefully();
    }
  }

  private writeReceipt(id: string): void {
    this.write(encodeFrame('RECEIPT', ['receipt-id', id], undefined, this.version));
  }

  /** ERROR frame (message header + text body), then close (STOMP 1.2 "ERROR"). */
  fail(report: ErrorReport, receiptId?: string): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.log.debug({ summary: report.summary, detail: report.detail }, 'STOMP error, closing connection');
    const headers = ['message', report.summary];
    if (receiptId !== undefined) headers.push('receipt-id', receiptId);
    if (report.headers !== undefined) for (const k of Object.keys(report.headers)) headers.push(k, report.headers[k]!);
    headers.push('content-type', 'text/plain');
    this.write(encodeFrame('ERROR', headers, Buffer.from(report.detail + '\n', 'utf8'), this.version));
    this.closeGracefully();
  }

  /** Flush what is queued, then close; force it if the peer does not read. */
  closeGracefully(): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    this.heartbeat?.stop();
    if (this.corked) this.uncorkNow();
    this.stream.end();
    this.closeTimer = setTimeout(() => this.stream.destroy(), 5000);
    this.closeTimer.unref();
  }

  // ---- deliveries (hot path) ------------------------------------------------

  canWrite(): boolean {
    return this.state === 'connected' && !this.stream.writableNeedDrain;
  }

  deliver(sub: Subscription, d: Delivery): void {
    const seq = ++this.deliverySeq;
    const ackId = sub.num + '-' + seq;
    const m = d.message;
    const dest = this.tempDestinations?.displayDestination(m.exchange, m.routingKey) ?? destinationOf(m.exchange, m.routingKey);
    const headers = ['subscription', sub.id, 'destination', dest, 'message-id', ackId];
    if (sub.ackMode !== 'auto') {
      sub.unacked.set(seq, d.tag);
      // STOMP 1.2 "MESSAGE": an `ack` header when the subscription needs acknowledgements.
      if (this.version === '1.2') headers.push('ack', ackId);
    }
    headers.push('redelivered', d.redelivered ? 'true' : 'false');
    appendPropertyHeaders(headers, m.properties);
    this.write(encodeFrame('MESSAGE', headers, m.body, this.version));
  }

  subscriptionCancelled(sub: Subscription, reason: string): void {
    // The queue went away under the subscription (deleted by someone else), or a standby
    // exclusive subscription could not take over.
    if (sub.closed) return;
    sub.closed = true;
    sub.consumer?.cancel();
    sub.consumer = undefined;
    const tags = sub.takeAll();
    if (tags.length > 0) {
      try {
        this.vhost.requeue(sub.queue, tags);
      } catch {
        // The queue is gone, and its messages with it.
      }
    }
    this.subs?.delete(sub.id);
    this.subsByNum?.delete(sub.num);
    leaveGroup(this.vhost, sub);
    this.fail({ summary: 'Subscription cancelled', detail: `subscription '${sub.id}' on ${sub.destination} was cancelled by the broker: ${reason}`, unexpected: false });
  }

  resumeConsumers(): void {
    if (this.subs !== undefined) for (const sub of this.subs.values()) sub.consumer?.resume();
  }

  // ---- teardown ------------------------------------------------------------

  private onClosed(): void {
    if (this.state === 'closed') return;
    const wasConnected = this.principal !== undefined;
    this.state = 'closed';
    this.heartbeat?.stop();
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    this.live.remove(this);
    if (!wasConnected) return;
    // Cancel every consumer first so requeued messages are not offered back to them,
    // then return unacknowledged deliveries, then drop exclusive queues. Marked closed
    // first so no subscription of this connection is promoted as an exclusive standby.
    const subs = this.subs;
    if (subs !== undefined) {
      for (const sub of subs.values()) sub.closed = true;
      for (const sub of subs.values()) {
        try {
          endSubscription(this, sub, { deleteDurable: false, onClose: true });
        } catch (e) {
          this.log.warn({ err: e, subscription: sub.id }, 'error ending subscription on close');
        }
      }
    }
    this.subs?.clear();
    this.subsByNum?.clear();
    this.txs?.clear();
    try {
      this.vhost.connectionClosed(this.id);
    } catch (e) {
      this.log.warn({ err: e }, 'connectionClosed failed');
    }
  }
}
