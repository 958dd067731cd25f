import { FrameScanner } from '../clients/stomp-wire.js';
import type { SinkConnection, SinkStats } from './index.js';

const RECEIPT = 0;
const WANTED = [Buffer.from('receipt:', 'latin1')];

/** Server side of STOMP 1.2, just enough for producers: CONNECTED and RECEIPTs. */
export class StompSinkConnection implements SinkConnection {
  private readonly scanner = new FrameScanner(WANTED);

  constructor(
    private readonly write: (b: Buffer) => void,
    private readonly end: () => void,
    private readonly stats: SinkStats,
  ) {}

  parse(buf: Buffer): number {
    let off = 0;
    const v = this.scanner.view;
    const out: Buffer[] = [];
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
      off = v.frameEnd;
      if (c === 'DISCONNECT') {
        this.write(Buffer.concat(out));
        this.end();
        return off;
      }
    }
    if (out.length > 0) this.write(Buffer.concat(out));
    return off;
  }
}
