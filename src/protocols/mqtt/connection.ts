/**
 * One MQTT network connection: reads packets from a ByteStream, dispatches them to the
 * handlers (connect-handler, publish-handler, subscribe-handler, delivery), writes
 * replies batched per event-loop turn, and runs keep alive and the close sequence.
 */
import {
  encodeDisconnectOrAuth,
  encodePingresp,
  MqttCodecError,
  MqttDecoder,
  PacketType,
  ReasonCode,
  UnsupportedProtocolError,
  type MqttPacket,
  type ProtocolLevel,
  type WillMessage,
} from '../../codecs/mqtt/index.js';
import type { ConnectionId, Logger, Principal, VirtualHost } from '../../core/api.js';
import type { ByteStream, StreamHandler } from '../../transport/byte-stream.js';
import type { ProtocolContext } from '../context.js';
import { liveConnectionsFor, type LiveConnection, type LiveConnections } from '../shared/live-connections.js';
import { EndOfTurnFlush } from '../shared/end-of-turn.js';
import { handleConnect, refuseUnsupportedLevel } from './connect-handler.js';
import { Outbound } from './delivery.js';
import { MqttFailure } from './errors.js';
import type { MqttLimits } from './limits.js';
import { InboundPublishes, handlePubrel, handlePublish } from './publish-handler.js';
import { registryFor, type Session, type SessionOwner, type SessionRegistry } from './session.js';
import { detachSession } from './session-lifecycle.js';
import { handleSubscribe, handleUnsubscribe } from './subscribe-handler.js';
import { dispatchWill } from './will.js';

let fallbackConnectionIds = 0x4000_0000;

const liveRegistries = new WeakMap<ProtocolContext<unknown>, LiveConnections<MqttConnection>>();

/** A chunk fully consumed by the decoder is let go of (see onData). */
const NO_BYTES = Buffer.alloc(0);

/** Connections that wrote during this event-loop turn: uncorked together at its end. */
const endOfTurn = new EndOfTurnFlush<MqttConnection>((c) => c.uncork());

/*
 * Memory per idle connection (docs/performance.md): what only some connections use
 * (Maps, Sets, the publish-acknowledgement queue, alias tables) is created on first use.
 */
export class MqttConnection implements SessionOwner, LiveConnection, StreamHandler {
  readonly decoder: MqttDecoder;
  readonly registry: SessionRegistry;
  readonly log: Logger;
  readonly limits: MqttLimits;
  readonly connectionId: ConnectionId;
  readonly outbound: Outbound;
  private inboundPublishes: InboundPublishes | undefined;
  private readonly live: LiveConnections<MqttConnection>;

  level: ProtocolLevel = 4;
  state: 'connecting' | 'connected' | 'closed' = 'connecting';
  clientId = '';
  vhost: VirtualHost | undefined;
  principal: Principal | undefined;
  session: Session | undefined;
  will: WillMessage | undefined;
  /** DISCONNECT 0x00 received: no will [MQTT-3.14.4-3]. */
  private willSuppressed = false;
  /** MQTT 5 Request Problem Information = 0: no reason strings except on CONNACK/PUBLISH/DISCONNECT [MQTT-3.1.2-29]. */
  problemInformation = true;
  /** Largest PUBLISH payload accepted: the broker's maxMessageSize (set at CONNECT). */
  maxPayloadSize = Number.MAX_SAFE_INTEGER;
  /** MQTT 5 inbound topic aliases (§3.3.2.3.4); created by the first alias. */
  inboundAliases: Map<number, string> | undefined;

  private corked = false;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private alarmPaused = false;
  /** Closed by the broker's shutdown: leave QoS 2 messages past PUBREC unsettled (Outbound.close). */
  private brokerStopping = false;

  constructor(
    readonly stream: ByteStream,
    readonly ctx: ProtocolContext<MqttLimits>,
  ) {
    this.limits = ctx.limits;
    this.log = ctx.log;
    this.registry = registryFor(ctx.broker);
    this.connectionId = ctx.broker.newConnectionId?.() ?? ((fallbackConnectionIds++) as ConnectionId);
    this.decoder = new MqttDecoder({
      maxPacketSize: ctx.limits.maxPacketSizeUnauthenticated,
      maxFiltersPerPacket: ctx.limits.maxSubscriptionsPerClient,
    });
    this.outbound = new Outbound(this);
    if (stream.attach !== undefined) stream.attach(this);
    else {
      stream.onData((chunk) => this.onData(chunk));
      stream.onDrain(() => this.outbound.onDrain());
      stream.onClose(() => this.shutdown());
    }
    this.live = liveConnectionsFor(liveRegistries, ctx);
    this.live.add(this);
    // DESIGN §5: before authentication a connection gets a fixed time budget.
    this.connectTimer = setTimeout(() => {
      if (this.state === 'connecting') this.closeNow();
    }, ctx.limits.connectTimeoutMs);
    this.connectTimer.unref();
  }

  /** Acknowledgements of received PUBLISHes, in order; created by the first PUBLISH or PUBREL. */
  get inbound(): InboundPublishes {
    return (this.inboundPublishes ??= new InboundPublishes(this));
  }

  onStreamData(chunk: Buffer): void {
    this.onData(chunk);
  }

  onStreamDrain(): void {
    this.outbound.onDrain();
  }

  onStreamClose(): void {
    this.shutdown();
  }

  onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.keepAliveTimer?.refresh();
    const decoder = this.decoder;
    decoder.push(chunk);
    try {
      for (let p = decoder.next(); p !== undefined; p = decoder.next()) {
        this.handle(p);
        if (this.isClosed()) return;
      }
    } catch (err) {
      this.onError(err);
      return;
    }
    // next() returned undefined: every byte of the chunk was parsed or copied into the
    // decoder's own partial-packet buffer. Do not keep the chunk alive while idle.
    decoder.push(NO_BYTES);
    this.inboundPublishes?.endOfChunk();
    this.outbound.endOfChunk();
  }

  private handle(p: MqttPacket): void {
    switch (p.type) {
      case PacketType.CONNECT:
        handleConnect(this, p);
        return;
      case PacketType.PUBLISH:
        handlePublish(this, p);
        return;
      case PacketType.PUBACK:
        this.outbound.onPuback(p);
        return;
      case PacketType.PUBREC:
        this.outbound.onPubrec(p);
        return;
      case PacketType.PUBREL:
        handlePubrel(this, p);
        return;
      case PacketType.PUBCOMP:
        this.outbound.onPubcomp(p);
        return;
      case PacketType.SUBSCRIBE:
        handleSubscribe(this, p);
        return;
      case PacketType.UNSUBSCRIBE:
        handleUnsubscribe(this, p);
        return;
      case PacketType.PINGREQ:
        this.send(encodePingresp()); // [MQTT-3.12.4-1]
        return;
      case PacketType.DISCONNECT:
        this.onDisconnect(p.reasonCode, p.properties.sessionExpiryInterval);
        return;
      case PacketType.AUTH:
        // No enhanced authentication method is offered, so CONNECT never started an
        // exchange; an AUTH now is a Protocol Error [MQTT-4.12.0-1].
        throw new MqttFailure(ReasonCode.ProtocolError, 'AUTH without an authentication method');
      default:
        // CONNACK, SUBACK, UNSUBACK, PINGRESP are server-to-client only.
        throw new MqttFailure(ReasonCode.ProtocolError, `packet type ${p.type} from a client`);
    }
  }

  /** A handler may have closed the connection (a method call hides that from narrowing). */
  isClosed(): boolean {
    return this.state === 'closed';
  }

  private onError(err: unknown): void {
    if (err instanceof UnsupportedProtocolError) {
      refuseUnsupportedLevel(this);
      return;
    }
    if (err instanceof MqttCodecError || err instanceof MqttFailure) {
      this.fail(err.reasonCode, err.message);
      return;
    }
    this.log.error({ err }, 'mqtt: unexpected error handling a packet');
    this.fail(ReasonCode.ImplementationSpecificError, 'internal error');
  }

  /** Write one packet; writes of one event-loop turn leave in one batch (DESIGN §4). */
  send(buf: Buffer): void {
    if (this.state === 'closed') return;
    if (!this.corked) {
      this.corked = true;
      this.stream.cork();
      endOfTurn.add(this);
    }
    this.stream.write(buf);
  }

  /** End this turn's write batch (also called early, before end()). */
  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    if (this.state !== 'closed') this.stream.uncork();
  }

  /**
   * Reason strings only when the client did not opt out (MQTT 5 §3.1.2.11.7), and only when
   * the packet still fits the client's Maximum Packet Size (e.g. [MQTT-3.4.2-2],
   * [MQTT-3.9.2-1]). `baseSize`: the packet's size without the property (an upper bound).
   */
  reasonProps(reason: string, baseSize = 8): { reasonString: string } | undefined {
    if (this.level !== 5 || !this.problemInformation) return undefined;
    const reasonString = reason.slice(0, 200);
    const max = this.outbound.clientMaxPacketSize;
    // 1 property id + 2 length bytes + the string, and up to 4 more length bytes it may add.
    if (max > 0 && baseSize + 7 + Buffer.byteLength(reasonString) > max) return undefined;
    return { reasonString };
  }

  /**
   * Close for a protocol violation or error: MQTT 5 sends DISCONNECT with the reason code
   * (only after CONNACK, [MQTT-3.2.0-2]); 3.1.1 just closes [MQTT-4.8.0-1]. The will is sent.
   */
  fail(reasonCode: number, message: string): void {
    if (this.state === 'closed') return;
    this.log.debug({ reasonCode, message, clientId: this.clientId }, 'mqtt: closing connection');
    if (this.level === 5 && this.state === 'connected') {
      // A reason string is allowed on DISCONNECT whatever Request Problem Information said,
      // but not past the client's Maximum Packet Size [MQTT-3.14.2-3].
      const reasonString = message.slice(0, 200);
      const max = this.outbound.clientMaxPacketSize;
      const fits = max === 0 || 10 + Buffer.byteLength(reasonString) <= max;
      this.send(encodeDisconnectOrAuth(5, PacketType.DISCONNECT, reasonCode, fits ? { reasonString } : undefined));
    }
    this.endStream();
    this.shutdown();
  }

  /** Another connection with the same client id arrived (MQTT 5 §3.1.4 step 2). */
  takeOver(): void {
    if (this.state === 'closed') return;
    if (this.level === 5) this.send(encodeDisconnectOrAuth(5, PacketType.DISCONNECT, ReasonCode.SessionTakenOver));
    this.endStream();
    this.shutdown();
  }

  onServerShutdown(): void {
    if (this.state === 'closed') return;
    this.willSuppressed = true;
    this.brokerStopping = true;
    if (this.level === 5 && this.state === 'connected') this.send(encodeDisconnectOrAuth(5, PacketType.DISCONNECT, ReasonCode.ServerShuttingDown));
    this.endStream();
    this.shutdown();
  }

  /** DISCONNECT from the client (MQTT 5 §3.14). */
  private onDisconnect(reasonCode: number, sessionExpiry: number | undefined): void {
    const s = this.session;
    if (sessionExpiry !== undefined && s !== undefined) {
      // [MQTT-3.14.2-2]: a session that was 0 at CONNECT cannot be given an expiry now.
      if (s.expiryInterval === 0 && sessionExpiry !== 0) throw new MqttFailure(ReasonCode.ProtocolError, 'session expiry set on DISCONNECT after 0 at CONNECT');
      s.expiryInterval = Math.min(sessionExpiry, this.limits.maxSessionExpiryInterval);
      if (s.expiryInterval === 0) s.persistent = false;
    }
    // 0x04 "Disconnect with Will Message" keeps the will; every other reason discards it.
    this.willSuppressed = reasonCode !== ReasonCode.DisconnectWithWill;
    this.endStream();
    this.shutdown();
  }

  /** Called by the connect handler once CONNACK 0 is out. */
  startKeepAlive(seconds: number): void {
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    if (seconds === 0) return;
    // [MQTT-3.1.2-22]: one and a half times the keep alive without a packet closes the connection.
    this.keepAliveTimer = setTimeout(() => this.onKeepAliveTimeout(), seconds * 1500);
    this.keepAliveTimer.unref();
  }

  private onKeepAliveTimeout(): void {
    if (this.alarmPaused) {
      // We are not reading (resource alarm): silence is ours, not the client's.
      this.keepAliveTimer?.refresh();
      return;
    }
    this.fail(ReasonCode.KeepAliveTimeout, 'keep alive timeout');
  }

  /** Resource alarms (memory/disk): stop reading publishers until cleared (DESIGN §4). */
  watchAlarms(): void {
    if (this.state === 'closed') return;
    this.live.watchAlarms(this);
    if (this.ctx.broker.alarms.active) this.onAlarmChange(true);
  }

  onAlarmChange(active: boolean): void {
    if (this.state === 'closed' || active === this.alarmPaused) return;
    this.alarmPaused = active;
    if (active) this.stream.pause();
    else this.stream.resume();
  }

  private endStream(): void {
    if (this.corked) this.uncork();
    this.stream.end();
  }

  closeNow(): void {
    this.stream.destroy();
    this.shutdown();
  }

  /** Release everything the connection holds. Idempotent; runs synchronously (takeover relies on it). */
  shutdown(): void {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    this.state = 'closed';
    if (this.keepAliveTimer !== undefined) clearTimeout(this.keepAliveTimer);
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.live.remove(this);
    if (!wasConnected) return;
    this.outbound.close(this.brokerStopping);
    const s = this.session;
    if (this.will !== undefined && !this.willSuppressed) dispatchWill(this, this.will);
    if (s !== undefined && s.owner === this) detachSession(this.registry, s);
    try {
      this.vhost?.connectionClosed(this.connectionId);
    } catch (err) {
      this.log.warn({ err }, 'mqtt: connectionClosed failed');
    }
  }
}
