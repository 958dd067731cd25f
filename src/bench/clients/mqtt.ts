import type { Endpoint } from '../options.js';
import { BodyFields, makeBody, nowUs, patchBody } from '../payload.js';
import { BaseClient, ConfirmWindow } from './base.js';
import {
  PUBACK,
  PUBCOMP,
  PUBLISH,
  PUBREC,
  PUBREL,
  connectPacket,
  findU16Property,
  lastVarintEnd,
  pidOfTag,
  publishTemplate,
  readVarint,
  subscribePacket,
  tagOfPid,
  type MqttPublishTemplate,
} from './mqtt-wire.js';
import { slashed, type BenchClient, type ConsumerConfig, type DeliverySink, type ProducerConfig } from './types.js';

const CONNACK_CODES: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

/**
 * Lean MQTT 3.1.1/5 client. Publishes copy a pre-encoded PUBLISH and patch packet id,
 * sequence and timestamp; QoS 1/2 acknowledgements (ours and the broker's) are
 * collected per socket read and written as one buffer.
 */
export class MqttClient extends BaseClient implements BenchClient {
  private template: MqttPublishTemplate | null = null;
  private seq = 0;
  /** The server's Receive Maximum (MQTT 5 CONNACK property 0x21): QoS > 0 publishes in flight. */
  private receiveMax = 65535;
  private sink: DeliverySink | null = null;
  private readonly fields = new BodyFields();
  /** Queued 4-byte control packets: (first byte << 16) | packet id. */
  private acks: number[] = [];
  private ackCount = 0;

  constructor(
    private readonly ep: Endpoint,
    private readonly version: 4 | 5,
    private readonly clientId: string,
  ) {
    super(ep.host, ep.port);
  }

  async connect(): Promise<void> {
    await this.openSocket();
    const ack = this.waitFor<number>('connack');
    this.write(connectPacket(this.version, this.clientId, this.ep.user, this.ep.password, true));
    const rc = await ack;
    if (rc !== 0) throw new Error(`CONNACK refused: ${rc} ${this.version === 4 ? (CONNACK_CODES[rc] ?? '') : ''}`.trim());
  }

  async setupProducer(cfg: ProducerConfig): Promise<void> {
    // [MQTT-3.3.4-7]: never more unacknowledged QoS > 0 PUBLISHes than the server's Receive Maximum.
    if (cfg.qos > 0) this.confirms = new ConfirmWindow(Math.min(cfg.confirmWindow || 1000, 65534, this.receiveMax));
    this.template = publishTemplate(this.version, slashed(cfg.destination), cfg.qos, makeBody(cfg.size, cfg.producerId));
  }

  publish(n: number): void {
    const t = this.template!;
    const len = t.bytes.length;
    const buf = Buffer.allocUnsafe(n * len);
    const ts = nowUs();
    let tag = this.confirms !== null ? this.confirms.take(n) : 0;
    for (let i = 0, off = 0; i < n; i++, off += len) {
      t.bytes.copy(buf, off);
      if (t.pidOffset >= 0) buf.writeUInt16BE(pidOfTag(tag++), off + t.pidOffset);
      patchBody(buf, off + t.bodyOffset, this.seq++, ts);
    }
    this.stats.published += n;
    this.write(buf);
  }

  async setupConsumer(cfg: ConsumerConfig, sink: DeliverySink): Promise<void> {
    this.attach(sink);
    const ack = this.waitFor<number>('suback');
    this.write(subscribePacket(this.version, 1, slashed(cfg.destination), cfg.qos));
    const code = await ack;
    if (code >= 0x80) throw new Error(`SUBSCRIBE refused with code 0x${code.toString(16)}`);
  }

  /** Where deliveries go (separate from setupConsumer so tests can drive the parser). */
  protected attach(sink: DeliverySink): void {
    this.sink = sink;
  }

  private queueAck(first: number, pid: number): void {
    const v = first * 65536 + pid;
    if (this.ackCount < this.acks.length) this.acks[this.ackCount] = v;
    else this.acks.push(v);
    this.ackCount++;
  }

  private confirm(pid: number, ok: boolean): void {
    const c = this.confirms;
    if (c === null || c.inflight === 0) return;
    const n = c.confirm(tagOfPid(pid, c.low), false);
    if (ok) this.stats.confirmed += n;
    else this.stats.nacked += n;
    if (n > 0) this.roomAvailable();
  }

  protected parse(buf: Buffer, now: number): number {
    let off = 0;
    const len = buf.length;
    while (len - off >= 2) {
      const rl = readVarint(buf, off + 1, len);
      if (rl < 0) break;
      const p = lastVarintEnd;
      const end = p + rl;
      if (end > len) {
        this.need = end - off;
        break;
      }
      const b0 = buf[off]!;
      switch (b0 >> 4) {
        case PUBLISH: {
          const qos = (b0 >> 1) & 3;
          let q = p + 2 + buf.readUInt16BE(p);
          let pid = 0;
          if (qos > 0) {
            pid = buf.readUInt16BE(q);
            q += 2;
          }
          if (this.version === 5) {
            const propLen = readVarint(buf, q, end);
            if (propLen < 0) throw new Error('malformed PUBLISH properties');
            q = lastVarintEnd + propLen;
          }
          const sink = this.sink;
          if (sink !== null) {
            if (this.fields.read(buf, q, end - q)) sink.deliver(this.fields.producer, this.fields.seq, this.fields.tsUs, now);
            else sink.corrupt();
          }
          if (qos === 1) this.queueAck(0x40, pid);
          else if (qos === 2) this.queueAck(0x50, pid);
          break;
        }
        case PUBACK:
          this.confirm(buf.readUInt16BE(p), rl < 3 || buf[p + 2]! < 0x80);
          break;
        case PUBREC: {
          const pid = buf.readUInt16BE(p);
          if (rl >= 3 && buf[p + 2]! >= 0x80) this.confirm(pid, false);
          else this.queueAck(0x62, pid); // PUBREL has flags 0010 [MQTT-3.6.1-1]
          break;
        }
        case PUBREL:
          this.queueAck(0x70, buf.readUInt16BE(p));
          break;
        case PUBCOMP:
          this.confirm(buf.readUInt16BE(p), true);
          break;
        case 2: // CONNACK: flags, return/reason code, [v5 properties]
          if (this.version === 5 && rl > 2) {
            const rm = findU16Property(buf, p + 2, end, 0x21);
            if (rm > 0) this.receiveMax = rm;
          }
          this.resolve('connack', buf[p + 1]!);
          break;
        case 9: {
          // SUBACK: packet id, [v5 properties], one code per filter
          let q = p + 2;
          if (this.version === 5) {
            const propLen = readVarint(buf, q, end);
            q = lastVarintEnd + propLen;
          }
          this.resolve('suback', buf[q]!);
          break;
        }
        case 13: // PINGRESP
          break;
        case 14:
          throw new Error(`broker sent DISCONNECT${rl > 0 ? ` reason 0x${buf[p]!.toString(16)}` : ''}`);
        default:
          throw new Error(`unexpected MQTT packet type ${b0 >> 4}`);
      }
      off = end;
    }
    if (this.ackCount > 0) this.flushAcks();
    return off;
  }

  private flushAcks(): void {
    const n = this.ackCount;
    this.ackCount = 0;
    const b = Buffer.allocUnsafe(4 * n);
    for (let i = 0; i < n; i++) {
      const v = this.acks[i]!;
      b[4 * i] = Math.floor(v / 65536);
      b[4 * i + 1] = 2;
      b.writeUInt16BE(v & 0xffff, 4 * i + 2);
    }
    this.write(b);
  }

  async close(): Promise<void> {
    await this.finish(Buffer.from([0xe0, 0]), null);
  }
}
