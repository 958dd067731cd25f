import type { Endpoint } from '../options.js';
import { BodyFields, makeBody, nowUs, patchBody } from '../payload.js';
import {
  ACK_FRAME_SIZE,
  FRAME_BODY,
  FRAME_END,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  M,
  PROTOCOL_HEADER,
  methodFrame,
  publishTemplate,
  readU64,
  writeAck,
  type PublishTemplate,
} from './amqp-wire.js';
import { BaseClient, ConfirmWindow } from './base.js';
import { dotted, type BenchClient, type ConsumerConfig, type DeliverySink, type ProducerConfig } from './types.js';

const CH = 1;
const OUR_FRAME_MAX = 131072;

/**
 * Lean AMQP 0-9-1 client: one connection, one channel, one role. Publishes are copies
 * of a pre-encoded template with sequence/timestamp patched in; deliveries are parsed
 * just far enough to read the delivery tag and the body's bench header.
 */
export class AmqpClient extends BaseClient implements BenchClient {
  private frameMax = OUR_FRAME_MAX;
  private template: PublishTemplate | null = null;
  private blocked = false;
  private seq = 0;
  // delivery state (consumer)
  private sink: DeliverySink | null = null;
  private autoAck = true;
  private multiAck = false;
  private tag = 0;
  private bodyLeft = -1; // -1: not inside a delivery
  private gotFields = false;
  private readonly fields = new BodyFields();
  private ackTags: number[] = [];
  private ackCount = 0;
  /** Names of queues this connection declared, for deleteQueues(). */
  readonly declared: string[] = [];

  constructor(private readonly ep: Endpoint) {
    super(ep.host, ep.port);
  }

  async connect(): Promise<void> {
    await this.openSocket();
    const start = this.waitFor('start');
    this.write(PROTOCOL_HEADER);
    await start;
    this.write(
      methodFrame(0, M.connectionStartOk, (w) =>
        w
          .table({
            product: 'wharf-bench',
            capabilities: { publisher_confirms: true, 'connection.blocked': true, consumer_cancel_notify: true },
          })
          .shortstr('PLAIN')
          .longstr(`\0${this.ep.user}\0${this.ep.password}`)
          .shortstr('en_US'),
      ),
    );
    const tune = await this.waitFor<{ channelMax: number; frameMax: number }>('tune');
    this.frameMax = tune.frameMax === 0 ? OUR_FRAME_MAX : Math.min(tune.frameMax, OUR_FRAME_MAX);
    // Heartbeat 0: the bench never idles long enough to need them.
    this.write(methodFrame(0, M.connectionTuneOk, (w) => w.u16(tune.channelMax === 0 ? 2047 : tune.channelMax).u32(this.frameMax).u16(0)));
    const openOk = this.waitFor('open-ok');
    this.write(methodFrame(0, M.connectionOpen, (w) => w.shortstr(this.ep.vhost).shortstr('').u8(0)));
    await openOk;
  }

  /** Connection only (idle-connection mode) or with a channel (every other role). */
  async openChannel(): Promise<void> {
    const ok = this.waitFor('channel-open-ok');
    this.write(methodFrame(CH, M.channelOpen, (w) => w.shortstr('')));
    await ok;
  }

  async declareQueue(name: string, durable: boolean, exclusive: boolean): Promise<string> {
    const ok = this.waitFor<string>('declare-ok');
    const bits = (durable ? 2 : 0) | (exclusive ? 4 : 0) | (exclusive ? 8 : 0);
    this.write(methodFrame(CH, M.queueDeclare, (w) => w.u16(0).shortstr(name).u8(bits).table({})));
    const actual = await ok;
    if (!exclusive) this.declared.push(actual);
    return actual;
  }

  async deleteQueues(names: readonly string[]): Promise<void> {
    for (const q of names) {
      const ok = this.waitFor('delete-ok');
      this.write(methodFrame(CH, M.queueDelete, (w) => w.u16(0).shortstr(q).u8(0)));
      await ok;
    }
  }

  async setupProducer(cfg: ProducerConfig): Promise<void> {
    await this.openChannel();
    if (cfg.confirmWindow > 0) {
      const ok = this.waitFor('select-ok');
      this.write(methodFrame(CH, M.confirmSelect, (w) => w.u8(0)));
      await ok;
      this.confirms = new ConfirmWindow(cfg.confirmWindow);
    }
    const d = cfg.destination;
    const [exchange, rk] = d.kind === 'queue' ? ['', dotted(d)] : ['amq.topic', dotted(d)];
    this.template = publishTemplate(CH, exchange, rk, makeBody(cfg.size, cfg.producerId), cfg.persistent, this.frameMax);
  }

  protected override pausedByBroker(): boolean {
    return this.blocked;
  }

  publish(n: number): void {
    const t = this.template!;
    const len = t.bytes.length;
    const buf = Buffer.allocUnsafe(n * len);
    const ts = nowUs();
    for (let i = 0, off = 0; i < n; i++, off += len) {
      t.bytes.copy(buf, off);
      patchBody(buf, off + t.bodyOffset, this.seq++, ts);
    }
    if (this.confirms !== null) this.confirms.take(n);
    this.stats.published += n;
    this.write(buf);
  }

  async setupConsumer(cfg: ConsumerConfig, sink: DeliverySink): Promise<void> {
    await this.openChannel();
    const d = cfg.destination;
    let queue: string;
    if (d.kind === 'queue') {
      queue = await this.declareQueue(dotted(d), cfg.durable, false);
    } else {
      // Every subscriber gets its own exclusive server-named queue bound to amq.topic.
      queue = await this.declareQueue('', false, true);
      const ok = this.waitFor('bind-ok');
      this.write(methodFrame(CH, M.queueBind, (w) => w.u16(0).shortstr(queue).shortstr('amq.topic').shortstr(dotted(d)).u8(0).table({})));
      await ok;
    }
    if (cfg.prefetch > 0) {
      const ok = this.waitFor('qos-ok');
      this.write(methodFrame(CH, M.basicQos, (w) => w.u32(0).u16(cfg.prefetch).u8(0)));
      await ok;
    }
    this.attach(sink, cfg.autoAck, cfg.multiAck);
    const ok = this.waitFor('consume-ok');
    this.write(methodFrame(CH, M.basicConsume, (w) => w.u16(0).shortstr(queue).shortstr(`bench-${cfg.consumerIndex}`).u8(cfg.autoAck ? 2 : 0).table({})));
    await ok;
  }

  /** Where deliveries go (separate from setupConsumer so tests can drive the parser). */
  protected attach(sink: DeliverySink, autoAck: boolean, multiAck: boolean): void {
    this.sink = sink;
    this.autoAck = autoAck;
    this.multiAck = multiAck;
  }

  protected parse(buf: Buffer, now: number): number {
    let off = 0;
    const len = buf.length;
    while (len - off >= 8) {
      const size = buf.readUInt32BE(off + 3);
      const end = off + 7 + size;
      if (size > this.frameMax) throw new Error(`frame of ${size} bytes exceeds frame-max ${this.frameMax}`);
      if (end >= len) {
        this.need = end + 1 - off;
        break;
      }
      if (buf[end] !== FRAME_END) throw new Error('bad AMQP frame end octet');
      const type = buf[off]!;
      const p = off + 7;
      if (type === FRAME_BODY) {
        if (this.bodyLeft > 0) {
          if (!this.gotFields) this.gotFields = this.fields.read(buf, p, size);
          this.bodyLeft -= size;
          if (this.bodyLeft <= 0) this.delivered(now);
        }
      } else if (type === FRAME_METHOD) {
        this.onMethod(buf, p, size);
      } else if (type === FRAME_HEADER) {
        if (this.bodyLeft === 0) {
          this.bodyLeft = readU64(buf, p + 4);
          this.gotFields = false;
          if (this.bodyLeft === 0) this.delivered(now);
        }
      } else if (type !== FRAME_HEARTBEAT) {
        throw new Error(`unknown AMQP frame type ${type}`);
      }
      off = end + 1;
    }
    if (this.ackCount > 0) this.flushAcks();
    return off;
  }

  private delivered(now: number): void {
    this.bodyLeft = -1;
    const sink = this.sink;
    if (sink !== null) {
      if (this.gotFields) sink.deliver(this.fields.producer, this.fields.seq, this.fields.tsUs, now);
      else sink.corrupt();
    }
    if (!this.autoAck) {
      if (this.ackCount < this.ackTags.length) this.ackTags[this.ackCount] = this.tag;
      else this.ackTags.push(this.tag);
      this.ackCount++;
    }
  }

  private flushAcks(): void {
    const n = this.ackCount;
    this.ackCount = 0;
    if (this.multiAck) {
      const b = Buffer.allocUnsafe(ACK_FRAME_SIZE);
      writeAck(b, 0, CH, this.ackTags[n - 1]!, true);
      this.write(b);
      return;
    }
    const b = Buffer.allocUnsafe(n * ACK_FRAME_SIZE);
    for (let i = 0; i < n; i++) writeAck(b, i * ACK_FRAME_SIZE, CH, this.ackTags[i]!, false);
    this.write(b);
  }

  private onMethod(buf: Buffer, p: number, size: number): void {
    const id = buf.readUInt32BE(p);
    switch (id) {
      case M.basicDeliver: {
        const ctLen = buf[p + 4]!;
        this.tag = readU64(buf, p + 5 + ctLen);
        this.bodyLeft = 0; // waiting for the content header
        return;
      }
      case M.basicAck:
      case M.basicNack: {
        if (this.confirms === null) return;
        const n = this.confirms.confirm(readU64(buf, p + 4), (buf[p + 12]! & 1) === 1);
        if (id === M.basicAck) this.stats.confirmed += n;
        else this.stats.nacked += n;
        if (n > 0) this.roomAvailable();
        return;
      }
      case M.connectionStart:
        this.resolve('start');
        return;
      case M.connectionTune:
        this.resolve('tune', { channelMax: buf.readUInt16BE(p + 4), frameMax: buf.readUInt32BE(p + 6) });
        return;
      case M.connectionOpenOk:
        this.resolve('open-ok');
        return;
      case M.channelOpenOk:
        this.resolve('channel-open-ok');
        return;
      case M.queueDeclareOk:
        this.resolve('declare-ok', buf.toString('utf8', p + 5, p + 5 + buf[p + 4]!));
        return;
      case M.queueBindOk:
        this.resolve('bind-ok');
        return;
      case M.queueDeleteOk:
        this.resolve('delete-ok');
        return;
      case M.basicQosOk:
        this.resolve('qos-ok');
        return;
      case M.basicConsumeOk:
        this.resolve('consume-ok');
        return;
      case M.confirmSelectOk:
        this.resolve('select-ok');
        return;
      case M.connectionCloseOk:
        this.resolve('close-ok');
        return;
      case M.connectionBlocked:
        this.blocked = true;
        return;
      case M.connectionUnblocked:
        this.blocked = false;
        this.roomAvailable();
        return;
      case M.basicReturn:
        return;
      case M.basicCancel:
        throw new Error('the broker cancelled the consumer (basic.cancel)');
      case M.connectionClose:
      case M.channelClose: {
        const code = buf.readUInt16BE(p + 4);
        const text = buf.toString('utf8', p + 7, p + 7 + buf[p + 6]!);
        if (id === M.connectionClose) this.write(methodFrame(0, M.connectionCloseOk));
        throw new Error(`${id === M.connectionClose ? 'connection' : 'channel'}.close ${code} ${text}`);
      }
      default:
        if (size < 4) throw new Error('short AMQP method frame');
    }
  }

  async close(): Promise<void> {
    await this.finish(methodFrame(0, M.connectionClose, (w) => w.u16(200).shortstr('bench done').u16(0).u16(0)), 'close-ok');
  }
}
