import { FRAME_END, FRAME_HEADER, FRAME_METHOD, M, Writer, frame, methodFrame, writeAck, ACK_FRAME_SIZE, FRAME_BODY } from '../clients/amqp-wire.js';
import { SinkConnectionBase } from './base.js';
import { Flood, floodBody } from './flood.js';

/** Server side of AMQP 0-9-1, just enough for the bench client (and amqplib) to publish. */
export class AmqpSinkConnection extends SinkConnectionBase {
  private gotHeader = false;
  /** Per channel: next publish sequence number in confirm mode (0 = confirms off). */
  private confirmNext: number[] = [];
  private confirmSent: number[] = [];

  parse(buf: Buffer): number {
    let off = 0;
    if (!this.gotHeader) {
      if (buf.length < 8) return 0;
      if (buf.toString('latin1', 0, 4) !== 'AMQP') throw new Error('not AMQP');
      this.gotHeader = true;
      off = 8;
      this.write(
        methodFrame(0, M.connectionStart, (w) => w.u8(0).u8(9).table({ product: 'wharf-bench null sink' }).longstr('PLAIN').longstr('en_US')),
      );
    }
    while (buf.length - off >= 8) {
      const size = buf.readUInt32BE(off + 3);
      const end = off + 7 + size;
      if (end >= buf.length) break;
      if (buf[end] !== FRAME_END) throw new Error('bad frame end');
      if (buf[off] === FRAME_METHOD) this.method(buf.readUInt16BE(off + 1), buf, off + 7);
      off = end + 1;
    }
    // One cumulative confirm per channel per read (AMQP 0-9-1 confirms, multiple=true).
    for (let ch = 0; ch < this.confirmNext.length; ch++) {
      const last = (this.confirmNext[ch] ?? 0) - 1;
      if (last > 0 && last > (this.confirmSent[ch] ?? 0)) {
        const b = Buffer.allocUnsafe(ACK_FRAME_SIZE);
        writeAck(b, 0, ch, last, true);
        this.write(b);
        this.confirmSent[ch] = last;
      }
    }
    return off;
  }

  private method(ch: number, buf: Buffer, p: number): void {
    const id = buf.readUInt32BE(p);
    switch (id) {
      case M.basicPublish:
        this.stats.messages++;
        if ((this.confirmNext[ch] ?? 0) > 0) this.confirmNext[ch]!++;
        return;
      case M.connectionStartOk:
        this.write(methodFrame(0, M.connectionTune, (w) => w.u16(2047).u32(131072).u16(0)));
        return;
      case M.connectionTuneOk:
        return;
      case M.connectionOpen:
        this.write(methodFrame(0, M.connectionOpenOk, (w) => w.shortstr('')));
        return;
      case M.channelOpen:
        this.write(methodFrame(ch, M.channelOpenOk, (w) => w.longstr('')));
        return;
      case M.confirmSelect:
        this.confirmNext[ch] = 1;
        this.confirmSent[ch] = 0;
        this.write(methodFrame(ch, M.confirmSelectOk));
        return;
      case M.queueDeclare: {
        const len = buf[p + 6]!;
        const name = len > 0 ? buf.toString('utf8', p + 7, p + 7 + len) : `amq.gen-null${Math.random().toString(36).slice(2, 10)}`;
        this.write(methodFrame(ch, M.queueDeclareOk, (w) => w.shortstr(name).u32(0).u32(0)));
        return;
      }
      case M.queueBind:
        this.write(methodFrame(ch, M.queueBindOk));
        return;
      case M.queueDelete:
        this.write(methodFrame(ch, M.queueDeleteOk, (w) => w.u32(0)));
        return;
      case M.basicQos:
        this.write(methodFrame(ch, M.basicQosOk));
        return;
      case M.basicConsume: {
        const qlen = buf[p + 6]!;
        const tlen = buf[p + 7 + qlen]!;
        const tag = buf.toString('utf8', p + 8 + qlen, p + 8 + qlen + tlen) || 'null-ctag';
        this.write(methodFrame(ch, M.basicConsumeOk, (w) => w.shortstr(tag)));
        const body = floodBody(this.opts.size);
        const deliver = methodFrame(ch, M.basicDeliver, (w) => w.shortstr(tag).u64(0).u8(0).shortstr('').shortstr('null'));
        const header = frame(FRAME_HEADER, ch, new Writer().u16(60).u16(0).u64(body.length).u16(0).done());
        const t = Buffer.concat([deliver, header, frame(FRAME_BODY, ch, body)]);
        new Flood(this.out, t, deliver.length + header.length + 7, 7 + 4 + 1 + Buffer.byteLength(tag)).start();
        return;
      }
      case M.channelClose:
        this.write(methodFrame(ch, M.channelCloseOk));
        return;
      case M.connectionClose:
        this.write(methodFrame(0, M.connectionCloseOk));
        this.end();
        return;
      default:
        return;
    }
  }
}
