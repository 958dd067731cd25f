import { lastVarintEnd, publishTemplate, readVarint } from '../clients/mqtt-wire.js';
import { SinkConnectionBase } from './base.js';
import { Flood, floodBody } from './flood.js';

/** Server side of MQTT 3.1.1/5, just enough for the bench: CONNACK, PUBACK/PUBREC/PUBCOMP, SUBACK + QoS 0 flood. */
export class MqttSinkConnection extends SinkConnectionBase {
  private version = 4;

  parse(buf: Buffer): number {
    let off = 0;
    const out: number[] = [];
    while (buf.length - off >= 2) {
      const rl = readVarint(buf, off + 1, buf.length);
      if (rl < 0) break;
      const p = lastVarintEnd;
      const end = p + rl;
      if (end > buf.length) break;
      const b0 = buf[off]!;
      switch (b0 >> 4) {
        case 1: {
          // CONNECT: protocol name (2 + n bytes), then the level
          this.version = buf[p + 2 + buf.readUInt16BE(p)]!;
          this.write(Buffer.from(this.version === 5 ? [0x20, 3, 0, 0, 0] : [0x20, 2, 0, 0]));
          break;
        }
        case 3: {
          this.stats.messages++;
          const qos = (b0 >> 1) & 3;
          if (qos > 0) {
            const pid = buf.readUInt16BE(p + 2 + buf.readUInt16BE(p));
            out.push(qos === 1 ? 0x40 : 0x50, 2, pid >> 8, pid & 255);
          }
          break;
        }
        case 6: // PUBREL -> PUBCOMP
          out.push(0x70, 2, buf[p]!, buf[p + 1]!);
          break;
        case 8: {
          // SUBSCRIBE: grant QoS 0 for every filter (the sink never delivers)
          let q = p + 2;
          if (this.version === 5) {
            const propLen = readVarint(buf, q, end);
            q = lastVarintEnd + propLen;
          }
          const codes: number[] = [];
          while (q < end) {
            q += 2 + buf.readUInt16BE(q) + 1;
            codes.push(0);
          }
          const v5 = this.version === 5 ? [0] : [];
          const body = [buf[p]!, buf[p + 1]!, ...v5, ...codes];
          this.write(Buffer.from([0x90, body.length, ...body]));
          const t = publishTemplate(this.version === 5 ? 5 : 4, 'bench/null', 0, floodBody(this.opts.size));
          new Flood(this.out, t.bytes, t.bodyOffset, -1).start();
          break;
        }
        case 12: // PINGREQ
          out.push(0xd0, 0);
          break;
        case 14:
          this.end();
          break;
        default:
          break;
      }
      off = end;
    }
    if (out.length > 0) this.write(Buffer.from(out));
    return off;
  }
}
