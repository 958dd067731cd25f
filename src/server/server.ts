/**
 * The composition root: builds the store, the core and the listeners from a config,
 * and owns the start and stop order. Only this layer imports everything.
 *
 * Stop order (SIGTERM/SIGINT): stop accepting, ask every protocol connection to close
 * politely (AMQP connection.close 320, MQTT/STOMP close), wait up to shutdownTimeout,
 * destroy what remains, then close the broker (flushes and fsyncs the store).
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../core/api.js';
import { BrokerImpl } from '../core/index.js';
import { acceptAmqp091, defaultAmqp091Limits, type Amqp091Limits } from '../protocols/amqp091/index.js';
import { acceptMqtt, compileSubscriptionFilter, defaultMqttLimits, MQTT_SUBSCRIPTION_FILTER, type MqttLimits } from '../protocols/mqtt/index.js';
import { acceptStomp, compileSelector, defaultStompLimits, JMS_SELECTOR, type StompLimits } from '../protocols/stomp/index.js';
import type { AcceptConnection, ProtocolContext } from '../protocols/context.js';
import { socketStream } from '../transport/tcp-stream.js';
import { webSocketStream } from '../transport/ws-stream.js';
import { openStores } from './stores.js';
import { ResourceMonitor } from './resource-monitor.js';
import type { WharfConfig } from './config.js';

export type ListenerName = keyof WharfConfig['listeners'];

/** WebSocket subprotocols and which protocol serves them (Sec-WebSocket-Protocol). */
const wsProtocols: Readonly<Record<string, 'mqtt' | 'stomp'>> = {
  mqtt: 'mqtt',
  mqttv3: 'mqtt',
  'mqttv3.1': 'mqtt',
  'v10.stomp': 'stomp',
  'v11.stomp': 'stomp',
  'v12.stomp': 'stomp',
  stomp: 'stomp',
};
const wsPaths = new Set(['/', '/ws', '/mqtt', '/stomp']);
/** No bytes read ahead by the listener: one shared empty buffer, not one per connection. */
const NO_INITIAL_BYTES = Buffer.alloc(0);

export class WharfServer {
  private readonly servers: Array<NetServer | HttpServer> = [];
  private readonly sockets = new Set<Socket>();
  private readonly shutdownListeners = new Set<() => void>();
  /** Actual bound ports (0 for disabled listeners). */
  readonly ports: Record<ListenerName, number> = { amqp: 0, mqtt: 0, stomp: 0, ws: 0 };
  private stopping: Promise<void> | undefined;
  /**
   * 'close' listener that forgets a socket: one function for all sockets (`this` is the
   * socket), not a once() wrapper and closure per connection.
   */
  private readonly untrackSocket: (this: Socket) => void;

  private constructor(
    readonly config: WharfConfig,
    readonly broker: BrokerImpl,
    private readonly log: Logger,
    private readonly monitor: ResourceMonitor,
  ) {
    const sockets = this.sockets;
    this.untrackSocket = function (this: Socket): void {
      sockets.delete(this);
    };
  }

  static async start(config: WharfConfig, log: Logger): Promise<WharfServer> {
    const dataDir = resolve(config.dataDir);
    mkdirSync(dataDir, { recursive: true });
    const stores = openStores(config, join(dataDir), log);
    const broker = await BrokerImpl.create({
      messageStore: stores.messages,
      definitionStore: stores.definitions,
      pageStore: stores.pages,
      maxBodyMemory: stores.maxBodyMemory,
      initialUsers: config.users,
      loopbackUsers: config.loopbackUsers,
      limits: { maxQueues: config.limits.maxQueues, maxMessageSize: config.limits.maxMessageSize },
      log: log.child({ component: 'core' }),
      // Durable subscriptions keep their JMS selectors, and MQTT subscriptions their `$` and
      // no-local rules, through restarts (core/api.ts FilterSource).
      filterCompilers: { [JMS_SELECTOR]: compileSelector, [MQTT_SUBSCRIPTION_FILTER]: compileSubscriptionFilter },
    });
    const monitor = new ResourceMonitor({ ...config.alarms, dataDir }, broker.alarms, log.child({ component: 'alarms' }));
    monitor.start();
    const server = new WharfServer(config, broker, log, monitor);
    try {
      await server.listenAll();
    } catch (err) {
      await server.stop();
      throw err;
    }
    log.info({ ports: server.ports, dataDir }, 'wharf started');
    return server;
  }

  private context<L>(defaults: L, overrides: Record<string, unknown>, component: string): ProtocolContext<L> {
    return {
      broker: this.broker,
      log: this.log.child({ component }),
      limits: { ...defaults, ...overrides } as L,
      onShutdown: (l) => {
        this.shutdownListeners.add(l);
        return () => this.shutdownListeners.delete(l);
      },
    };
  }

  private async listenAll(): Promise<void> {
    const { listeners, limits } = this.config;
    const amqpCtx = this.context<Amqp091Limits>(defaultAmqp091Limits, limits.amqp091, 'amqp091');
    const mqttCtx = this.context<MqttLimits>(defaultMqttLimits, limits.mqtt, 'mqtt');
    const stompCtx = this.context<StompLimits>(defaultStompLimits, limits.stomp, 'stomp');
    await this.listenTcp('amqp', acceptAmqp091, amqpCtx);
    await this.listenTcp('mqtt', acceptMqtt, mqttCtx);
    await this.listenTcp('stomp', acceptStomp, stompCtx);
    if (listeners.ws.port !== 0) await this.listenWebSocket(mqttCtx, stompCtx);
  }

  private async listenTcp<L>(name: ListenerName, accept: AcceptConnection<L>, ctx: ProtocolContext<L>): Promise<void> {
    const { port, host } = this.config.listeners[name];
    if (port === 0) return;
    const server = createServer((socket) => {
      if (this.stopping) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.on('close', this.untrackSocket); // emitted once
      try {
        accept(socketStream(socket, 'tcp'), NO_INITIAL_BYTES, ctx);
      } catch (err) {
        ctx.log.error({ err }, 'connection setup failed');
        socket.destroy();
      }
    });
    this.ports[name] = await listen(server, port, host);
    this.servers.push(server);
  }

  private async listenWebSocket(mqttCtx: ProtocolContext<MqttLimits>, stompCtx: ProtocolContext<StompLimits>): Promise<void> {
    const { port, host } = this.config.listeners.ws;
    const http = createHttpServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket (mqtt or stomp subprotocol) expected\n');
    });
    const wss = new WebSocketServer({
      noServer: true,
      // ws buffers a whole message before handing it on, so its cap is the only bound on
      // what one WebSocket message can make us hold: the largest message body plus room
      // for a protocol's headers. Before login the bound is limits.webSocketUnauthenticatedBytes,
      // counted on the socket below (ws cannot change maxPayload per connection).
      maxPayload: this.config.limits.maxMessageSize + 1024 * 1024,
      handleProtocols: (offered) => {
        for (const p of offered) if (p in wsProtocols) return p;
        return false;
      },
    });
    http.on('upgrade', (req: IncomingMessage, socket, head) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (this.stopping || !wsPaths.has(path)) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket as Socket);
      socket.on('close', this.untrackSocket);
      (socket as Socket).setNoDelay(true);
      wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        const which = wsProtocols[ws.protocol];
        const addr = req.socket.remoteAddress ?? '';
        const rport = req.socket.remotePort ?? 0;
        const loggedIn = limitUnauthenticated(socket as Socket, this.config.limits.webSocketUnauthenticatedBytes);
        const mqtt = (): void => acceptMqtt(webSocketStream(ws, addr, rport, false, false, loggedIn), NO_INITIAL_BYTES, mqttCtx);
        const stomp = (): void => acceptStomp(webSocketStream(ws, addr, rport, false, true, loggedIn), NO_INITIAL_BYTES, stompCtx);
        if (which === 'mqtt') mqtt();
        else if (which === 'stomp') stomp();
        // No subprotocol: STOMP clients (e.g. stomp.py over WS) often send none; RabbitMQ
        // Web-STOMP and ActiveMQ accept them, so the path decides, STOMP by default.
        else if (path === '/mqtt') mqtt();
        else stomp();
      });
    });
    this.ports.ws = await listen(http, port, host);
    this.servers.push(http);
  }

  /** Stop accepting, close connections politely, then flush and close the broker. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const closed = Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    for (const l of [...this.shutdownListeners]) {
      try {
        l();
      } catch (err) {
        this.log.warn({ err }, 'shutdown listener failed');
      }
    }
    const deadline = Date.now() + this.config.shutdownTimeout * 1000;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const s of this.sockets) s.destroy();
    await closed;
    this.monitor.stop();
    await this.broker.close();
    this.log.info({}, 'wharf stopped');
  }
}

function listen(server: NetServer | HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      resolvePort(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

/**
 * Counts what an unauthenticated WebSocket peer sends, on the raw socket, and destroys the
 * socket past `budget` bytes. ws has attached its own 'data' listener by now (and put the
 * bytes read with the upgrade request back into the socket, so they are counted here
 * too); this one runs after ws handled each chunk, so the chunk that carried the login is
 * not counted against the peer. Returns what the stream calls once the protocol has
 * authenticated the peer.
 */
function limitUnauthenticated(socket: Socket, budget: number): () => void {
  let received = 0;
  let authenticated = false;
  const count = (chunk: Buffer): void => {
    if (authenticated) return;
    received += chunk.length;
    if (received > budget) socket.destroy();
  };
  socket.on('data', count);
  return () => {
    authenticated = true;
    socket.off('data', count);
  };
}
