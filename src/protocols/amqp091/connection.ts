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
  type AnyMethod,
  type Frame,
  type MethodOf,
} from '../../codecs/amqp091/index.js';
import type { Broker, ConnectionId, Logger, Principal, User, VirtualHost } from '../../core/api.js';
import type { ByteStream, StreamHandler } from '../../transport/byte-stream.js';
import type { ProtocolContext } from '../context.js';
import { ConnectionLog, type LogBindingsSource } from '../shared/connection-log.js';
import { liveConnectionsFor, type LiveConnection, type LiveConnections } from '../shared/live-connections.js';
import { EndOfTurnFlush } from '../shared/end-of-turn.js';
import { MECHANISMS, parseSaslResponse } from './auth.js';
import { Channel } from './channel.js';
import { AmqpError, channelError, notAllowed, toAmqpError, unexpectedFrame } from './errors.js';
import { Heartbeat } from './heartbeat.js';
import { DEFAULT_MAX_MESSAGE_SIZE, type Amqp091Limits } from './limits.js';
import { checkTuneOk } from './negotiation.js';
import { clientCapabilities, NO_CLIENT_CAPABILITIES, serverProperties, type ClientCapabilities } from './server-properties.js';

const enum State {
  /** Waiting for "AMQP" 0 0 9 1. */
  Header,
  /** connection.start sent, waiting for start-ok. */
  Starting,
  /** connection.tune sent, waiting for tune-ok. */
  Tuning,
  /** tune-ok received, waiting for connection.open. */
  Opening,
  Running,
  /** We sent connection.close and wait for close-ok. */
  Closing,
  Closed,
}

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
 */
export class AmqpConnection implements LiveConnection, LogBindingsSource, StreamHandler {
  readonly id: ConnectionId;
  readonly broker: Broker;
  readonly limits: Amqp091Limits;
  private enc: FrameEncoder | undefined;
  private fullSizeEncoder = false;
  private readonly parser = new FrameParser(FRAME_MIN_SIZE);
  private state = State.Header;
  private channelMap: Map<number, Channel> | undefined;

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
  private readonly backlog: Buffer[] = [];
  private parserIdle = true;
  private pumping = false;
  private bytesBeforeAuth = 0;
  /** Input is paused because a publish arrived during a resource alarm. */
  private blockedByAlarm = false;

  // ---- output ----
  private corked = false;
  /** The socket asked us to wait for 'drain': consumers get no credit meanwhile. */
  writeBlocked = false;

  // ---- timers ----
  private handshakeTimer: NodeJS.Timeout | undefined;
  private heartbeats: Heartbeat | undefined;
  private closeTimer: NodeJS.Timeout | undefined;

  // ---- alarms / shutdown ----
  private alarmActive = false;
  private alarmReason = '';
  private hasPublished = false;
  private blockedSent = false;
  private readonly live: LiveConnections<AmqpConnection>;
  private vhostReleased = false;
  /** Channels with publisher confirms to emit at the end of this input batch (created on first use). */
  private confirmsDirty: Set<Channel> | undefined;

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
      stream.onClose(() => this.onStreamClosed());
    }
    this.live = liveConnectionsFor(liveRegistries, ctx);
    this.live.add(this);
    this.handshakeTimer = setTimeout(() => this.handshakeTimedOut(), ctx.limits.handshakeTimeoutMs);
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
    this.onStreamClosed();
  }

  onServerShutdown(): void {
    this.shutdown();
  }

  onAlarmChange(active: boolean, reason: string): void {
    this.onAlarm(active, reason);
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
            this.lostSync(e);
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
          this.endAfterFlush();
        }
      }
      return;
    }
    if (f.channel === 0) {
      if (f.type === FRAME_HEARTBEAT) return;
      try {
        if (f.type !== FRAME_METHOD) throw unexpectedFrame(`type ${f.type}, channel 0: content frames are not allowed on channel 0`);
        this.handleConnectionMethod(f.method);
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
  // Channel 0: the connection class (AMQP 0-9-1 §1.4)
  // =====================================================================================

  private handleConnectionMethod(m: AnyMethod): void {
    switch (this.state) {
      case State.Starting:
        if (m.name !== 'connection.start-ok') return this.handshakeError(`expected connection.start-ok, got ${m.name}`);
        return this.onStartOk(m);
      case State.Tuning:
        if (m.name === 'connection.secure-ok') return this.handshakeError('connection.secure-ok without connection.secure');
        if (m.name !== 'connection.tune-ok') return this.handshakeError(`expected connection.tune-ok, got ${m.name}`);
        return this.onTuneOk(m);
      case State.Opening:
        if (m.name !== 'connection.open') throw channelError(`unexpected method in connection state opening`);
        return this.onOpen(m);
      case State.Running:
        break;
      default:
        return;
    }
    switch (m.name) {
      case 'connection.close':
        this.log.debug({ replyCode: m.replyCode, replyText: m.replyText }, 'amqp091: client closed connection');
        this.releaseAll();
        this.state = State.Closing;
        this.out().method(0, 'connection.close-ok', {});
        this.endAfterFlush();
        return;
      case 'connection.update-secret': {
        const user = this.user!;
        if (this.broker.authenticate(user.name, m.newSecret.toString('utf8'), this.stream.remoteAddress) === undefined) {
          throw notAllowed('New secret was refused by one of the backends');
        }
        this.out().method(0, 'connection.update-secret-ok', {});
        return;
      }
      case 'connection.close-ok':
        return; // stray close-ok: nothing to do
      default:
        // RabbitMQ handle_method0 catch-all.
        throw channelError('unexpected method in connection state running');
    }
  }

  private onStartOk(m: MethodOf<'connection.start-ok'>): void {
    this.capabilities = clientCapabilities(m.clientProperties);
    if (m.mechanism !== 'PLAIN' && m.mechanism !== 'AMQPLAIN') {
      // RabbitMQ: an unknown mechanism during the handshake closes the socket.
      return this.handshakeError(`unknown authentication mechanism '${m.mechanism}'`);
    }
    const creds = parseSaslResponse(m.mechanism, m.response);
    if (creds === undefined) return this.handshakeError(`malformed ${m.mechanism} response`);
    const user = this.broker.authenticate(creds.username, creds.password, this.stream.remoteAddress);
    if (user === undefined) {
      this.log.warn({ user: creds.username, mechanism: m.mechanism }, 'amqp091: login refused');
      if (this.capabilities.authenticationFailureClose) {
        // RabbitMQ: the reason is kept out of the reply to not help guessing.
        const close = new AmqpError(403, `Login was refused using authentication mechanism ${m.mechanism}. For details see the broker logfile.`);
        this.state = State.Closing;
        this.out().method(0, 'connection.close', { replyCode: 403, replyText: close.replyText, classId: 0, methodId: 0 });
        this.endAfterFlush();
      } else {
        this.destroy();
      }
      return;
    }
    this.user = user;
    this.principal = { user, connectionId: this.id };
    this.state = State.Tuning;
    this.out().method(0, 'connection.tune', {
      channelMax: this.limits.channelMax,
      frameMax: this.limits.frameMax,
      heartbeat: this.limits.heartbeat,
    });
  }

  private onTuneOk(m: MethodOf<'connection.tune-ok'>): void {
    checkTuneOk(this.limits, m);
    this.frameMax = m.frameMax;
    this.channelMax = m.channelMax;
    this.heartbeat = m.heartbeat;
    // frame_max 0 ("no limit", only possible when limits.frameMax is 0) still gets a
    // hard cap: no frame needs to be larger than the largest message (DESIGN §5).
    this.parser.setFrameMax(m.frameMax !== 0 ? m.frameMax : Math.max(this.maxMessageSize, 1 << 20) + 8);
    if (this.enc !== undefined) this.enc.frameMax = m.frameMax;
    this.state = State.Opening;
    // Heartbeats off (0): no timer, and no state to keep either.
    if (m.heartbeat === 0) return;
    this.heartbeats = new Heartbeat(
      m.heartbeat,
      () => {
        if (this.state < State.Closing) this.out().heartbeat();
      },
      () => {
        this.log.warn({ heartbeat: this.heartbeat }, 'amqp091: missed heartbeats from client, closing');
        this.destroy();
      },
    );
  }

  private onOpen(m: MethodOf<'connection.open'>): void {
    const user = this.user!;
    const vhost = this.broker.getVhost(m.virtualHost);
    // RabbitMQ 3.10 texts (compared against the real broker): a missing vhost and a
    // refused one are told apart.
    if (vhost === undefined) throw notAllowed(`vhost ${m.virtualHost} not found`);
    if (!this.broker.canAccessVhost(user, m.virtualHost)) {
      throw notAllowed(`access to vhost '${m.virtualHost}' refused for user '${user.name}'`);
    }
    this.vhost = vhost;
    this.state = State.Running;
    if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.out().method(0, 'connection.open-ok', { knownHosts: '' });
    this.log.info({ user: user.name, vhost: m.virtualHost }, 'amqp091: connection opened');
    this.live.watchAlarms(this);
    if (this.broker.alarms.active) this.onAlarm(true, 'resource alarm');
  }

  /** Errors before the connection is open: RabbitMQ closes the socket without a reply. */
  private handshakeError(why: string): void {
    this.log.warn({ why }, 'amqp091: handshake error');
    this.destroy();
  }

  private handshakeTimedOut(): void {
    this.handshakeTimer = undefined;
    if (this.state < State.Running) {
      this.log.warn({}, 'amqp091: handshake timeout');
      this.destroy();
    }
  }

  // =====================================================================================
  // Alarms (RabbitMQ connection.blocked / unblocked extension)
  // =====================================================================================

  /**
   * RabbitMQ "Blocked Connection Notifications": connection.blocked goes to publishing
   * connections (here: those that published before) when the alarm fires, and to
   * others at their first publish during it; consumers are neither told nor paused.
   */
  private onAlarm(active: boolean, reason: string): void {
    if (this.state !== State.Running) return;
    if (active === this.alarmActive) return;
    this.alarmActive = active;
    this.alarmReason = reason;
    if (active) {
      if (this.hasPublished) this.sendBlocked();
    } else {
      if (this.blockedSent) {
        this.blockedSent = false;
        this.out().method(0, 'connection.unblocked', {});
      }
      if (this.blockedByAlarm) {
        this.blockedByAlarm = false;
        this.resumeInput();
      }
    }
  }

  private sendBlocked(): void {
    if (this.blockedSent || !this.capabilities.connectionBlocked) return;
    this.blockedSent = true;
    this.out().method(0, 'connection.blocked', { reason: this.alarmReason.slice(0, 200) });
  }

  /** After a publish: a publishing connection is not read while an alarm is on (that is flow control). */
  afterPublish(): void {
    this.hasPublished = true;
    if (this.alarmActive && !this.blockedByAlarm) {
      this.sendBlocked();
      this.blockedByAlarm = true;
      this.suspendInput();
    }
  }

  // =====================================================================================
  // Errors and closing
  // =====================================================================================

  /** A channel-level (soft) or connection-level (hard) error. */
  fail(err: AmqpError, ch?: Channel): void {
    if (!err.hard && ch !== undefined) {
      ch.closeWithError(err);
      return;
    }
    this.closeWithError(err);
  }

  /** Hard error: connection.close with the reply code, wait for close-ok (§1.4.2.6). */
  closeWithError(err: AmqpError): void {
    if (this.state >= State.Closing) return;
    if (err.replyCode === 541) this.log.error({ err: err.cause ?? err }, 'amqp091: internal error');
    else this.log.info({ replyCode: err.replyCode, replyText: err.replyText }, 'amqp091: closing connection on error');
    const wasRunning = this.state === State.Running;
    this.releaseAll();
    this.state = State.Closing;
    this.out().method(0, 'connection.close', { replyCode: err.replyCode, replyText: err.replyText, classId: err.classId, methodId: err.methodId });
    if (!wasRunning) {
      this.endAfterFlush();
      return;
    }
    this.closeTimer = setTimeout(() => this.destroy(), this.limits.closeTimeoutMs);
    this.closeTimer.unref?.();
  }

  /** The codec lost frame sync: report the error, then stop reading and close (RabbitMQ fatal_frame_error). */
  private lostSync(e: unknown): void {
    const err = toAmqpError(e);
    if (this.state < State.Running) {
      this.handshakeError(err.message);
      return;
    }
    this.closeWithError(err);
    this.suspendInput();
    this.endAfterFlush();
  }

  private shutdown(): void {
    if (this.state === State.Closed) return;
    if (this.state !== State.Running) {
      this.destroy();
      return;
    }
    this.closeWithError(new AmqpError(320, "broker forced connection closure with reason 'shutdown'"));
    this.endAfterFlush();
  }

  private endAfterFlush(): void {
    this.flushNow();
    this.stream.end();
  }

  destroy(): void {
    if (this.state === State.Closed) return;
    this.flushNow();
    this.stream.destroy();
    this.onStreamClosed();
  }

  /** Tear down every channel (requeue unacked, cancel consumers), then release the vhost's hold. */
  private releaseAll(): void {
    if (this.channelMap !== undefined) for (const ch of this.channelMap.values()) ch.teardown();
    this.channelMap?.clear();
    this.confirmsDirty?.clear();
    if (!this.vhostReleased && this.vhost !== undefined) {
      this.vhostReleased = true;
      try {
        this.vhost.connectionClosed(this.id);
      } catch (err) {
        this.log.error({ err }, 'amqp091: connectionClosed failed');
      }
    }
  }

  private onStreamClosed(): void {
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    this.releaseAll();
    if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
    this.heartbeats?.stop();
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    this.handshakeTimer = this.closeTimer = undefined;
    this.live.remove(this);
    this.backlog.length = 0;
  }

  get isOpen(): boolean {
    return this.state === State.Running;
  }
}
