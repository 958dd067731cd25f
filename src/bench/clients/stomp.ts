import type { Endpoint } from '../options.js';
import { BodyFields, makeBody, nowUs, patchBody } from '../payload.js';
import { BaseClient, ConfirmWindow } from './base.js';
import { FrameScanner, RECEIPT_DIGITS, frameBytes, parseDecimal, sendTemplate, writeDecimal, type StompSendTemplate } from './stomp-wire.js';
import { dotted, type BenchClient, type ConsumerConfig, type DeliverySink, type ProducerConfig } from './types.js';

const H_ACK = 0;
const H_MESSAGE_ID = 1;
const H_RECEIPT_ID = 2;
const H_MESSAGE = 3;
const H_VERSION = 4;
const WANTED = ['ack:', 'message-id:', 'receipt-id:', 'message:', 'version:'].map((s) => Buffer.from(s, 'latin1'));

const ACK12 = Buffer.from('ACK\nid:', 'latin1');
const ACK11 = Buffer.from('ACK\nsubscription:0\nmessage-id:', 'latin1');
const ACK_END = Buffer.from('\n\n\0', 'latin1');

/**
 * Lean STOMP 1.1/1.2 client. SENDs are copies of a pre-encoded frame with the receipt
 * id, sequence and timestamp patched in; MESSAGE frames are scanned for the few
 * headers needed (content-length, ack / message-id); ACKs are copied byte-for-byte
 * from the ack header and written once per socket read.
 */
export class StompClient extends BaseClient implements BenchClient {
  private template: StompSendTemplate | null = null;
  private seq = 0;
  private sink: DeliverySink | null = null;
  private readonly fields = new BodyFields();
  private readonly scanner = new FrameScanner(WANTED);
  private version12 = true;
  private ackMode: 'auto' | 'client' | 'client-individual' = 'auto';
  /** [start, end) pairs of ack ids in the buffer being parsed. */
  private ackRanges: number[] = [];
  private ackCount = 0;

  constructor(private readonly ep: Endpoint) {
    super(ep.host, ep.port);
  }

  async connect(): Promise<void> {
    await this.openSocket();
    const ok = this.waitFor<string>('connected');
    const headers: Record<string, string> = { 'accept-version': '1.1,1.2', host: this.ep.vhost, 'heart-beat': '0,0' };
    if (this.ep.user !== '') headers.login = this.ep.user;
    if (this.ep.password !== '') headers.passcode = this.ep.password;
    this.write(frameBytes('CONNECT', headers));
    this.version12 = (await ok) === '1.2';
  }

  async setupProducer(cfg: ProducerConfig): Promise<void> {
    const d = cfg.destination;
    const dest = `${d.kind === 'queue' ? '/queue/' : '/topic/'}${dotted(d)}`;
    if (cfg.confirmWindow > 0) this.confirms = new ConfirmWindow(cfg.confirmWindow);
    this.template = sendTemplate(dest, makeBody(cfg.size, cfg.producerId), cfg.persistent, cfg.confirmWindow > 0);
  }

  publish(n: number): void {
    const t = this.template!;
    const len = t.bytes.length;
    const buf = Buffer.allocUnsafe(n * len);
    const ts = nowUs();
    let tag = this.confirms !== null ? this.confirms.take(n) : 0;
    for (let i = 0, off = 0; i < n; i++, off += len) {
      t.bytes.copy(buf, off);
      if (t.receiptOffset >= 0) writeDecimal(buf, off + t.receiptOffset, RECEIPT_DIGITS, tag++);
      patchBody(buf, off + t.bodyOffset, this.seq++, ts);
    }
    this.stats.published += n;
    this.write(buf);
  }

  async setupConsumer(cfg: ConsumerConfig, sink: DeliverySink): Promise<void> {
    const d = cfg.destination;
    this.attach(sink, cfg.autoAck ? 'auto' : cfg.multiAck ? 'client' : 'client-individual');
    const headers: Record<string, string> = {
      id: '0',
      destination: `${d.kind === 'queue' ? '/queue/' : '/topic/'}${dotted(d)}`,
      ack: this.ackMode,
      receipt: 'sub',
    };
    if (cfg.prefetch > 0) {
      headers['prefetch-count'] = String(cfg.prefetch); // RabbitMQ
      headers['activemq.prefetchSize'] = String(cfg.prefetch); // ActiveMQ
    }
    const ok = this.waitFor('receipt:sub');
    this.write(frameBytes('SUBSCRIBE', headers));
    await ok;
  }

  /** Where deliveries go (separate from setupConsumer so tests can drive the parser). */
  protected attach(sink: DeliverySink, ackMode: 'auto' | 'client' | 'client-individual', version12 = this.version12): void {
    this.sink = sink;
    this.ackMode = ackMode;
    this.version12 = version12;
  }

  protected parse(buf: Buffer, now: number): number {
    let off = 0;
    const sc = this.scanner;
    const v = sc.view;
    for (;;) {
      off = FrameScanner.skipEols(buf, off);
      if (off >= buf.length) break;
      if (!sc.scan(buf, off)) {
        this.need = sc.needHint;
        break;
      }
      const c = v.command;
      if (c === 'MESSAGE') {
        const sink = this.sink;
        if (sink !== null) {
          if (this.fields.read(buf, v.bodyStart, v.bodyEnd - v.bodyStart)) sink.deliver(this.fields.producer, this.fields.seq, this.fields.tsUs, now);
          else sink.corrupt();
        }
        if (this.ackMode !== 'auto') {
          const h = this.version12 ? H_ACK : H_MESSAGE_ID;
          if (v.start[h]! < 0) throw new Error('MESSAGE without an ack/message-id header');
          const i = this.ackMode === 'client' ? 0 : this.ackCount++;
          if (this.ackMode === 'client') this.ackCount = 1;
          this.ackRanges[2 * i] = v.start[h]!;
          this.ackRanges[2 * i + 1] = v.end[h]!;
        }
      } else if (c === 'RECEIPT') {
        const s = v.start[H_RECEIPT_ID]!;
        const e = v.end[H_RECEIPT_ID]!;
        const tag = s >= 0 ? parseDecimal(buf, s, e) : -1;
        if (tag >= 0 && this.confirms !== null) {
          const n = this.confirms.confirm(tag, false);
          this.stats.confirmed += n;
          if (n > 0) this.roomAvailable();
        } else if (s >= 0) {
          this.resolve(`receipt:${buf.toString('utf8', s, e)}`);
        }
      } else if (c === 'CONNECTED') {
        const s = v.start[H_VERSION]!;
        this.resolve('connected', s >= 0 ? buf.toString('utf8', s, v.end[H_VERSION]!) : '1.0');
      } else if (c === 'ERROR') {
        const s = v.start[H_MESSAGE]!;
        const msg = s >= 0 ? buf.toString('utf8', s, v.end[H_MESSAGE]!) : '';
        const body = buf.toString('utf8', v.bodyStart, Math.min(v.bodyEnd, v.bodyStart + 200)).trim();
        throw new Error(`STOMP ERROR: ${msg}${body ? ` (${body})` : ''}`);
      } else {
        throw new Error(`unexpected STOMP frame ${c}`);
      }
      off = v.frameEnd;
    }
    if (this.ackCount > 0) this.flushAcks(buf);
    return off;
  }

  private flushAcks(buf: Buffer): void {
    const n = this.ackCount;
    this.ackCount = 0;
    const pre = this.version12 ? ACK12 : ACK11;
    let total = 0;
    for (let i = 0; i < n; i++) total += pre.length + this.ackRanges[2 * i + 1]! - this.ackRanges[2 * i]! + ACK_END.length;
    const out = Buffer.allocUnsafe(total);
    let o = 0;
    for (let i = 0; i < n; i++) {
      o += pre.copy(out, o);
      o += buf.copy(out, o, this.ackRanges[2 * i]!, this.ackRanges[2 * i + 1]!);
      o += ACK_END.copy(out, o);
    }
    this.write(out);
  }

  async close(): Promise<void> {
    await this.finish(frameBytes('DISCONNECT', { receipt: 'bye' }), 'receipt:bye');
  }
}
