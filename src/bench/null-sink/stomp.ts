import { FrameScanner } from '../clients/stomp-wire.js';
import { SinkConnectionBase } from './base.js';
import { Flood, floodBody } from './flood.js';

const RECEIPT = 0;
const ID = 1;
const WANTED = [Buffer.from('receipt:', 'latin1'), Buffer.from('id:', 'latin1')];

/** Server side of STOMP 1.2, just enough for the bench: CONNECTED, RECEIPTs, and a MESSAGE flood per SUBSCRIBE. */
export class StompSinkConnection extends SinkConnectionBase {
  private readonly scanner = new FrameScanner(WANTED);

  parse(buf: Buffer): number {
    let off = 0;
    const v = this.scanner.view;
    const out: Buffer[] = [];
    const floods: Flood[] = [];
    for (;;) {
      off = FrameScanner.skipEols(buf, off);
      if (off >= buf.length || !this.scanner.scan(buf, off)) break;
      const c = v.command;
      if (c === 'SEND') this.stats.messages++;
      if (c === 'CONNECT' || c === 'STOMP') {
        out.push(Buffer.from('CONNECTED\nversion:1.2\nheart-beat:0,0\nserver:wharf-bench-null-sink\n\n\0', 'latin1'));
      } else if (v.start[RECEIPT]! >= 0) {
        out.push(Buffer.from('RECEIPT\nreceipt-id:', 'latin1'), buf.subarray(v.start[RECEIPT]!, v.end[RECEIPT]!), Buffer.from('\n\n\0', 'latin1'));
      }
      if (c === 'SUBSCRIBE') {
        const id = v.start[ID]! >= 0 ? buf.toString('utf8', v.start[ID]!, v.end[ID]!) : '0';
        const body = floodBody(this.opts.size);
        const head = Buffer.from(`MESSAGE\nsubscription:${id}\ndestination:/queue/null\nmessage-id:m\nack:m\ncontent-length:${body.length}\n\n`, 'latin1');
        floods.push(new Flood(this.out, Buffer.concat([head, body, Buffer.from([0])]), head.length, -1));
      }
      off = v.frameEnd;
      if (c === 'DISCONNECT') {
        this.write(Buffer.concat(out));
        this.end();
        return off;
      }
    }
    if (out.length > 0) this.write(Buffer.concat(out));
    // After the RECEIPT of the SUBSCRIBE has been written.
    for (const f of floods) f.start();
    return off;
  }
}
