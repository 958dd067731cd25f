/**
 * One AMQP 0-9-1 connection over a ByteStream: protocol header, the
 * start/tune/open handshake (AMQP 0-9-1 §1.4.2), heartbeats (§4.2.7), frame
 * dispatch to channels, connection.close in both directions, flow control
 * (connection.blocked, RabbitMQ extension) and output batching per event-loop turn.
 */
import {
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  FRAME_MIN_SIZE,
  FrameEncoder,
  FrameParser,
  PROTOCOL_HEADER,
  checkProtocolHeader,
  methodSpec,
  type Frame,
} from '../../codecs/amqp091/index.js';
import type { Broker, ConnectionId, Logger, Principal, User, VirtualHost } from '../../core/api.js';
import type { ByteStream, StreamHandler } from '../../transport/byte-stream.js';
import type { ProtocolContext } from '../context.js';
import { ConnectionLog, type LogBindingsSource } from '../shared/connection-log.js';
import { liveConnectionsFor, type LiveConnection, type LiveConnections } from '../shared/live-connections.js';
import { EndOfTurnFlush } from '../shared/end-of-turn.js';
import { MECHANISMS } from './auth.js';
import { Channel } from './channel.js';
import { closeWithError, endAfterFlush, lostSync, onStreamClosed, shutdown } from './connection-close.js';
import { handleConnectionMethod, handshakeTimedOut, onAlarm, sendBlocked } from './connection-handlers.js';
import { State } from './connection-state.js';
import { AmqpError, toAmqpError, unexpectedFrame } from './errors.js';
import type { Heartbeat } from './heartbeat.js';
import { DEFAULT_MAX_MESSAGE_SIZE, type Amqp091Limits } from './limits.js';
import { NO_CLIENT_CAPABILITIES, serverProperties, type ClientCapabilities } from './server-properties.js';

let fallbackConnectionId = 2 ** 40;

const liveRegistries = new WeakMap<ProtocolContext<unknown>, LiveConnections<AmqpConnection>>();

/**
 * Output chunk of the encoder until the first channel opens: the handshake frames
 * (connection.start is the largest, well under 1 KiB) fit, and a chunk this small comes
 * from Node's shared buffer pool. Until then the encoder is also dropped after each
 * flush, so a connection that never opens a channel holds no output chunk at all
 * (memory per idle connection, docs/performance.md). From the first channel.open on,
 * one full-size (64 KiB) encoder is kept and reused, as on the hot path before.
 */
const HANDSHAKE_CHUNK = 1024;

/** No channel yet (the Map is created by the first channel.open). */
const NO_CHANNELS: ReadonlyMap<number, Channel> = new Map();

/** Connections with output this event-loop turn: flushed together at its end. */
const endOfTurn = new EndOfTurnFlush<AmqpConnection>((c) => c.flushNow());

/*
 * Memory per idle connection (docs/performance.md): no child logger is kept, Maps and
 * Sets are created on first use, heartbeat state only when heartbeats were negotiated.
 *
 * Channel 0 (the handshake, client close, blocked/unblocked) is in connection-handlers.ts,
 * errors and closing in connection-close.ts: free functions over this class, so the
 * fields they use are not private (nothing outside this folder touches them).
 */
export class AmqpConnection implements LiveConnection, LogBindingsSource, StreamHandler {
  readonly id: ConnectionId;
  readonly broker: Broker;
  readonly limits: Amqp091Limits;
  /** The frame encoder while one exists (see `encoder`). */
  enc: FrameEncoder | undefined;
  private fullSizeEncoder = false;
  readonly parser = new FrameParser(FRAME_MIN_SIZE);
  state = State.Header;
  channelMap: Map<number, Channel> | undefined;

  user: User | undefined;
  principal!: Principal;
  vhost!: VirtualHost;
  capabilities: ClientCapabilities = NO_CLIENT_CAPABILITIES;
  /** Negotiated values (connection.tune-ok). */
  channelMax = 0;
  frameMax = FRAME_MIN_SIZE;
  heartbeat = 0;
  readonly maxMessageSize: number;

  // ---- input control ----
  private headerBuf: Buffer | undefined;
  private suspendCount = 0;
  readonly backlog: Buffer[] = [];
  private parserIdle = true;
  private pumping = false;
  private bytesBeforeAuth = 0;
  /** Input is paused because a publish arrived during a resource alarm. */
  blockedByAlarm = false;

  // ---- output ----
  private corked = false;
  /** The socket asked us to wait for 'drain': consumers get no credit meanwhile. */
  writeBlocked = false;

  // ---- timers ----
  handshakeTimer: NodeJS.Timeout | undefined;
  heartbeats: Heartbeat | undefined;
  closeTimer: NodeJS.Timeout | undefined;

  // ---- alarms / shutdown ----
  alarmActive = false;
  alarmReason = '';
  hasPublished = false;
  blockedSent = false;
  readonly live: LiveConnections<AmqpConnection>;
  vhostReleased = false;
  /** Channels with publisher confirms to emit at the end of this input batch (created on first use). */
  confirmsDirty: Set<Channel> | undefined;

  constructor(
    readonly stream: ByteStream,
    private readonly ctx: ProtocolContext<Amqp091Limits>,
  ) {
    this.broker = ctx.broker;
    this.limits = ctx.limits;
    this.id = ctx.broker.newConnectionId?.() ?? (fallbackConnectionId++ as ConnectionId);
    this.maxMessageSize = ctx.limits.maxMessageSize || ctx.broker.limits?.maxMessageSize || DEFAULT_MAX_MESSAGE_SIZE;
    if (stream.attach !== undefined) stream.attach(this);
    else {
      stream.onData((chunk) => this.onData(chunk));
      stream.onDrain(() => this.onDrain());
      stream.onClose(() => onStreamClosed(this));
    }
    this.live = liveConnectionsFor(liveRegistries, ctx);
    this.live.add(this);
    this.handshakeTimer = setTimeout(() => handshakeTimedOut(this), ctx.limits.handshakeTimeoutMs);
    this.handshakeTimer.unref?.();
  }

  /** This connection's logger: its id and peer bound (no child logger kept per connection). */
  get log(): Logger {
    return new ConnectionLog(this.ctx.log, this);
  }

  logBindings(): object {
    return { amqpConnection: this.id, peer: `${this.stream.remoteAddress}:${this.stream.remotePort}` };
  }

  private get channels(): ReadonlyMap<number, Channel> {
    return this.channelMap ?? NO_CHANNELS;
  }

  onStreamData(chunk: Buffer): void {
    this.onData(chunk);
  }

  onStreamDrain(): void {
    this.onDrain();
  }

  onStreamClose(): void {
    onStreamClosed(this);
  }

  onServerShutdown(): void {
    shutdown(this);
  }

  onAlarmChange(active: boolean, reason: string): void {
    onAlarm(this, active, reason);
  }

  // =====================================================================================
  // Output: frames go into the encoder's chunk; one flush per event-loop turn (DESIGN §4).
  // =====================================================================================

  private readonly sink = (b: Buffer): void => {
    this.heartbeats?.markSent();
    if (!this.stream.write(b)) this.writeBlocked = true;
  };

  /** The encoder, with the stream corked and a flush scheduled for the end of this turn. */
  out(): FrameEncoder {
    if (!this.corked) {
      this.corked = true;
      this.stream.cork();
      endOfTurn.add(this);
    }
    return this.encoder;
  }

  /** The frame encoder (see HANDSHAKE_CHUNK for when it is created). */
  get encoder(): FrameEncoder {
    let e = this.enc;
    if (e === undefined) {
      e = this.enc = new FrameEncoder(this.sink, this.fullSizeEncoder ? undefined : HANDSHAKE_CHUNK);
      e.frameMax = this.frameMax;
    }
    return e;
  }

  /** Hand this turn's frames to the stream and end the write batch (also called early). */
  flushNow(): void {
    if (!this.corked) return;
    const e = this.enc;
    e?.flush();
    this.corked = false;
    this.stream.uncork();
    // Before the first channel: nothing is pending now, let the chunk go (HANDSHAKE_CHUNK).
    if (!this.fullSizeEncoder && e !== undefined && !e.broken) this.enc = undefined;
  }

  /** The first channel: from now on frames go into one kept full-size encoder (see HANDSHAKE_CHUNK). */
  private useFullSizeEncoder(): void {
    if (this.fullSizeEncoder || this.enc?.broken === true) return;
    this.fullSizeEncoder = true;
    // Frames already encoded go to the stream first, in order (it is corked this turn).
    this.enc?.flush();
    this.enc = undefined;
  }

  private onDrain(): void {
    if (!this.writeBlocked) return;
    this.writeBlocked = false;
    for (const ch of this.channels.values()) ch.resumeConsumers();
  }

  // =====================================================================================
  // Input
  // =====================================================================================

  /** Bytes read by the transport while detecting the protocol come first. */
  start(initial: Buffer): void {
    if (initial.length > 0) this.onData(initial);
  }

  private onData(chunk: Buffer): void {
    if (this.state === State.Closed) return;
    this.heartbeats?.markReceived();
    if (this.state <= State.Tuning) {
      this.bytesBeforeAuth += chunk.length;
      if (this.bytesBeforeAuth > this.limits.preAuthMaxBytes) {
        this.log.warn({ bytes: this.bytesBeforeAuth }, 'amqp091: pre-authentication byte budget exceeded');
        this.destroy();
        return;
      }
    }
    if (this.state === State.Header) {
      this.onHeaderBytes(chunk);
      return;
    }
    if (!this.parserIdle || this.suspendCount > 0 || this.pumping) {
      this.backlog.push(chunk);
      return;
    }
    this.parser.push(chunk);
    this.parserIdle = false;
    this.pump();
  }

  /** AMQP 0-9-1 §4.2.2: a wrong header gets our header back, then the socket closes. */
  private onHeaderBytes(chunk: Buffer): void {
    const buf = this.headerBuf === undefined ? chunk : Buffer.concat([this.headerBuf, chunk]);
    const check = checkProtocolHeader(buf);
    if (check === 'need-more') {
      this.headerBuf = buf;
      return;
    }
    this.headerBuf = undefined;
    if (check === 'bad') {
      this.state = State.Closing;
      this.out().raw(PROTOCOL_HEADER);
      this.flushNow();
      this.stream.end();
      return;
    }
    this.state = State.Starting;
    this.out().method(0, 'connection.start', {
      versionMajor: 0,
      versionMinor: 9,
      serverProperties: serverProperties(),
      mechanisms: Buffer.from(MECHANISMS),
      locales: Buffer.from('en_US'),
    });
    const rest = buf.subarray(PROTOCOL_HEADER.length);
    if (rest.length > 0) {
      this.parser.push(rest);
      this.parserIdle = false;
      this.pump();
    }
  }

  /** Stop handling input until resumeInput (tx.commit waiting for fsync, resource alarm). */
  suspendInput(): void {
    if (this.suspendCount++ === 0) {
      this.stream.pause();
      this.heartbeats?.pauseMonitor(true);
    }
  }

  resumeInput(): void {
    if (this.suspendCount === 0) return;
    if (--this.suspendCount > 0) return;
    if (this.state === State.Closed) return;
    this.stream.resume();
    this.heartbeats?.pauseMonitor(false);
    this.pump();
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        while (this.suspendCount === 0 && this.state !== State.Closed) {
          let f: Frame | null;
          try {
            f = this.parser.next();
          } catch (e) {
            lostSync(this, e);
            return;
          }
          if (f === null) {
            this.parserIdle = true;
            break;
          }
          this.handleFrame(f);
        }
        if (this.suspendCount > 0 || this.state === State.Closed || !this.parserIdle) break;
        const next = this.backlog.shift();
        if (next === undefined) break;
        this.parser.push(next);
        this.parserIdle = false;
      }
    } finally {
      this.pumping = false;
    }
    this.emitConfirms();
  }

  markConfirmsDirty(ch: Channel): void {
    (this.confirmsDirty ??= new Set()).add(ch);
  }

  /** Publisher confirms are coalesced per input batch (one ack multiple=true per run). */
  emitConfirms(): void {
    const dirty = this.confirmsDirty;
    if (dirty === undefined || dirty.size === 0) return;
    for (const ch of dirty) ch.emitConfirms();
    dirty.clear();
  }

  private handleFrame(f: Frame): void {
    if (this.state === State.Closing) {
      // AMQP 0-9-1 §2.2.4: after sending close, discard everything but close / close-ok.
      if (f.channel === 0 && f.type === FRAME_METHOD) {
        if (f.method.name === 'connection.close-ok') this.destroy();
        else if (f.method.name === 'connection.close') {
          this.out().method(0, 'connection.close-ok', {});
          endAfterFlush(this);
        }
      }
      return;
    }
    if (f.channel === 0) {
      if (f.type === FRAME_HEARTBEAT) return;
      try {
        if (f.type !== FRAME_METHOD) throw unexpectedFrame(`type ${f.type}, channel 0: content frames are not allowed on channel 0`);
        handleConnectionMethod(this, f.method);
      } catch (e) {
        const m = f.type === FRAME_METHOD ? methodSpec(f.method.name) : undefined;
        this.fail(toAmqpError(e, m?.classId, m?.methodId));
      }
      return;
    }
    if (this.state !== State.Running) {
      // RabbitMQ: any frame on a channel before open-ok is an unexpected frame.
      this.fail(unexpectedFrame(`type ${f.type}, channel ${f.channel}: frame before connection.open`));
      return;
    }
    if (f.type === FRAME_HEARTBEAT) {
      this.fail(unexpectedFrame(`type 8, channel ${f.channel}: heartbeat frames must use channel 0`));
      return;
    }
    const ch = this.channels.get(f.channel);
    if (ch !== undefined) {
      ch.handleFrame(f);
      return;
    }
    if (f.type === FRAME_METHOD && f.method.name === 'channel.open') {
      this.openChannel(f.channel);
      return;
    }
    // RabbitMQ: the channel would be created and then refuse everything but channel.open.
    const m = f.type === FRAME_METHOD ? methodSpec(f.method.name) : undefined;
    this.fail(new AmqpError(504, "expected 'channel.open'", m?.classId ?? 0, m?.methodId ?? 0));
  }

  private openChannel(id: number): void {
    const open = methodSpec('channel.open');
    if (this.channelMax !== 0 && this.channels.size >= this.channelMax) {
      this.fail(new AmqpError(530, `number of channels opened (${this.channels.size}) has reached the negotiated channel_max (${this.channelMax})`, open.classId, open.methodId));
      return;
    }
    if (this.channelMax !== 0 && id > this.channelMax) {
      // AMQP 0-9-1 connection.tune: usable channel numbers are 1..channel-max.
      this.fail(new AmqpError(504, `channel ${id} is above the negotiated channel_max (${this.channelMax})`, open.classId, open.methodId));
      return;
    }
    const ch = new Channel(this, id);
    (this.channelMap ??= new Map()).set(id, ch);
    this.useFullSizeEncoder();
    this.out().method(id, 'channel.open-ok', { channelId: Buffer.alloc(0) });
  }

  /** Called by a channel once it is fully closed (close-ok sent or received). */
  channelClosed(ch: Channel): void {
    if (this.channelMap?.get(ch.id) === ch) this.channelMap.delete(ch.id);
    this.confirmsDirty?.delete(ch);
  }

  // =====================================================================================
  // Alarms (RabbitMQ connection.blocked / unblocked extension; the rest in connection-handlers.ts)
  // =====================================================================================

  /** After a publish: a publishing connection is not read while an alarm is on (that is flow control). */
  afterPublish(): void {
    this.hasPublished = true;
    if (this.alarmActive && !this.blockedByAlarm) {
      sendBlocked(this);
      this.blockedByAlarm = true;
      this.suspendInput();
    }
  }

  // =====================================================================================
  // Errors and closing (the rest in connection-close.ts)
  // =====================================================================================

  /** A channel-level (soft) or connection-level (hard) error. */
  fail(err: AmqpError, ch?: Channel): void {
    if (!err.hard && ch !== undefined) {
      ch.closeWithError(err);
      return;
    }
    closeWithError(this, err);
  }

  destroy(): void {
    if (this.state === State.Closed) return;
    this.flushNow();
    this.stream.destroy();
    onStreamClosed(this);
  }

  get isOpen(): boolean {
    return this.state === State.Running;
  }
}
