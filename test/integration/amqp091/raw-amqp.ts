/**
 * A minimal hand-driven AMQP 0-9-1 client over a raw socket, for feeding the broker
 * malformed or out-of-order frames. Uses the codec to build and read frames.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { FrameEncoder, FrameParser, PROTOCOL_HEADER, type Frame, type MethodInput, type MethodName } from '../../../src/codecs/amqp091/index.js';
import { waitFor } from './helpers.js';

export class RawAmqp {
  private readonly parser = new FrameParser(0);
  private readonly frames: Frame[] = [];
  private readonly chunks: Buffer[] = [];
  closed = false;
  readonly done: Promise<void>;
  private readonly enc: FrameEncoder;

  private constructor(readonly socket: Socket) {
    this.enc = new FrameEncoder((b) => socket.write(Buffer.from(b)), 4096);
    this.enc.frameMax = 0;
    this.done = new Promise((r) => socket.on('close', () => {
      this.closed = true;
      r();
    }));
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      try {
        this.parser.push(d);
        for (let f = this.parser.next(); f !== null; f = this.parser.next()) this.frames.push(f);
      } catch {
        // not frames (e.g. a protocol header reply)
      }
    });
  }

  static open(port: number): Promise<RawAmqp> {
    return new Promise((res, rej) => {
      const s = netConnect(port, '127.0.0.1');
      s.once('connect', () => res(new RawAmqp(s)));
      s.once('error', rej);
    });
  }

  /** Connect and complete the handshake. */
  static async handshake(port: number, tune: { channelMax?: number; frameMax?: number; heartbeat?: number } = {}): Promise<RawAmqp> {
    const c = await RawAmqp.open(port);
    c.write(PROTOCOL_HEADER);
    await c.expectMethod('connection.start');
    c.method(0, 'connection.start-ok', {
      clientProperties: { capabilities: { authentication_failure_close: true, consumer_cancel_notify: true, 'connection.blocked': true } },
      mechanism: 'PLAIN',
      response: Buffer.from('\0guest\0guest'),
      locale: 'en_US',
    });
    const t = await c.expectMethod('connection.tune');
    if (t.name !== 'connection.tune') throw new Error('expected tune');
    c.method(0, 'connection.tune-ok', {
      channelMax: tune.channelMax ?? t.channelMax,
      frameMax: tune.frameMax ?? t.frameMax,
      heartbeat: tune.heartbeat ?? 0,
    });
    c.method(0, 'connection.open', { virtualHost: '/' });
    await c.expectMethod('connection.open-ok');
    return c;
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }

  method<N extends MethodName>(channel: number, name: N, args: MethodInput<N>): void {
    this.enc.method(channel, name, args);
    this.enc.flush();
  }

  encoder(): FrameEncoder {
    return this.enc;
  }

  received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Next frame that is a method (heartbeats skipped). */
  async nextMethod(ms = 5000): Promise<Frame & { type: 1 }> {
    await waitFor(() => this.frames.some((f) => f.type === 1) || this.closed, ms, 'a method frame');
    for (;;) {
      const f = this.frames.shift();
      if (f === undefined) throw new Error('connection closed without a method frame');
      if (f.type === 1) return f;
    }
  }

  async expectMethod(name: MethodName, ms = 5000): ReturnType<RawAmqp['nextMethodArgs']> {
    const f = await this.nextMethod(ms);
    if (f.method.name !== name) throw new Error(`expected ${name}, got ${f.method.name} ${JSON.stringify(f.method)}`);
    return f.method;
  }

  async nextMethodArgs(): Promise<(Frame & { type: 1 })['method']> {
    return (await this.nextMethod()).method;
  }

  /** Reply codes of every connection.close / channel.close received so far. */
  closeCodes(): Array<{ code: number; text: string }> {
    const out: Array<{ code: number; text: string }> = [];
    for (const f of this.frames) {
      if (f.type === 1 && (f.method.name === 'connection.close' || f.method.name === 'channel.close')) out.push({ code: f.method.replyCode, text: f.method.replyText });
    }
    return out;
  }

  heartbeatsReceived(): number {
    return this.frames.filter((f) => f.type === 8).length;
  }

  async waitClosed(ms = 5000): Promise<void> {
    await waitFor(() => this.closed, ms, 'socket close');
  }

  destroy(): void {
    this.socket.destroy();
  }
}
