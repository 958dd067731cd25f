/**
 * STOMP 1.2 frame helpers shared by the bench client and the null sink.
 * STOMP 1.2 "Augmented BNF": command EOL, header lines, blank line, body, NUL;
 * EOLs between frames are heart-beats and are skipped.
 */

export interface FrameView {
  /** First byte of the command (C, M, R, E, S, ...). */
  command: string;
  /** [start, end) of each wanted header's value, -1 when absent. */
  start: Int32Array;
  end: Int32Array;
  bodyStart: number;
  bodyEnd: number;
  /** Offset just past the terminating NUL. */
  frameEnd: number;
}

/**
 * Scans one frame at `off` for the header names in `wanted` (as Buffers "name:").
 * Returns the frame view, 0 when more bytes are needed (then `needHint` holds the total
 * frame size if already known), or throws on a malformed frame.
 */
export class FrameScanner {
  readonly view: FrameView;
  needHint = 0;
  constructor(
    private readonly wanted: readonly Buffer[],
    private readonly maxHeaderBytes = 64 * 1024,
    private readonly maxBody = 64 * 1024 * 1024,
  ) {
    this.view = {
      command: '',
      start: new Int32Array(wanted.length),
      end: new Int32Array(wanted.length),
      bodyStart: 0,
      bodyEnd: 0,
      frameEnd: 0,
    };
  }

  /** Index of the first byte past the heart-beat EOLs at `off`. */
  static skipEols(buf: Buffer, off: number): number {
    const len = buf.length;
    while (off < len) {
      const c = buf[off]!;
      if (c === 0x0a) off++;
      else if (c === 0x0d && off + 1 < len && buf[off + 1] === 0x0a) off += 2;
      else break;
    }
    return off;
  }

  scan(buf: Buffer, off: number): boolean {
    const v = this.view;
    this.needHint = 0;
    v.start.fill(-1);
    v.end.fill(-1);
    const nl = buf.indexOf(0x0a, off);
    if (nl < 0) {
      if (buf.length - off > this.maxHeaderBytes) throw new Error('STOMP command line too long');
      return false;
    }
    const cmdEnd = nl > off && buf[nl - 1] === 0x0d ? nl - 1 : nl;
    v.command = commandOf(buf, off, cmdEnd);
    let ls = nl + 1;
    let contentLength = -1;
    for (;;) {
      const e = buf.indexOf(0x0a, ls);
      if (e < 0) {
        if (buf.length - off > this.maxHeaderBytes) throw new Error('STOMP headers too long');
        return false;
      }
      const le = e > ls && buf[e - 1] === 0x0d ? e - 1 : e;
      if (le === ls) {
        v.bodyStart = e + 1;
        break;
      }
      if (le - off > this.maxHeaderBytes) throw new Error('STOMP headers too long');
      if (buf[ls] === 0x63 && le - ls > 15 && contentLength < 0 && buf.compare(CONTENT_LENGTH, 0, 15, ls, ls + 15) === 0) {
        contentLength = parseDecimal(buf, ls + 15, le);
        if (contentLength < 0 || contentLength > this.maxBody) throw new Error('bad STOMP content-length');
      }
      for (let i = 0; i < this.wanted.length; i++) {
        const w = this.wanted[i]!;
        if (v.start[i] === -1 && le - ls >= w.length && buf[ls] === w[0] && buf.compare(w, 0, w.length, ls, ls + w.length) === 0) {
          v.start[i] = ls + w.length;
          v.end[i] = le;
        }
      }
      ls = e + 1;
    }
    if (contentLength >= 0) {
      v.bodyEnd = v.bodyStart + contentLength;
      if (v.bodyEnd >= buf.length) {
        this.needHint = v.bodyEnd + 1 - off;
        return false;
      }
      if (buf[v.bodyEnd] !== 0) throw new Error('STOMP frame body not followed by NUL');
    } else {
      const z = buf.indexOf(0, v.bodyStart);
      if (z < 0) {
        if (buf.length - v.bodyStart > this.maxBody) throw new Error('STOMP body too long');
        return false;
      }
      v.bodyEnd = z;
    }
    v.frameEnd = v.bodyEnd + 1;
    return true;
  }
}

const CONTENT_LENGTH = Buffer.from('content-length:', 'latin1');
const COMMANDS = ['MESSAGE', 'RECEIPT', 'CONNECTED', 'ERROR', 'SEND', 'CONNECT', 'STOMP', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK', 'DISCONNECT', 'BEGIN', 'COMMIT', 'ABORT'].map(
  (c) => [c, Buffer.from(c, 'latin1')] as const,
);

/** The command as an interned string (no allocation for the known ones). */
function commandOf(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  for (const [name, bytes] of COMMANDS) {
    if (bytes.length === len && buf[start] === bytes[0] && buf.compare(bytes, 0, len, start, end) === 0) return name;
  }
  return buf.toString('latin1', start, Math.min(end, start + 32));
}

/** Non-negative decimal in [start, end), -1 if empty or not digits. */
export function parseDecimal(buf: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

export function writeDecimal(buf: Buffer, off: number, digits: number, value: number): void {
  for (let i = off + digits - 1; i >= off; i--) {
    const d = value % 10;
    buf[i] = 0x30 + d;
    value = (value - d) / 10;
  }
}

export function frameBytes(command: string, headers: Record<string, string>, body: Buffer | string = ''): Buffer {
  let head = `${command}\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}:${v}\n`;
  return Buffer.concat([Buffer.from(`${head}\n`, 'utf8'), typeof body === 'string' ? Buffer.from(body, 'utf8') : body, Buffer.from([0])]);
}

export const RECEIPT_DIGITS = 10;

export interface StompSendTemplate {
  bytes: Buffer;
  /** Offset of the 10-digit receipt id, -1 without receipts. */
  receiptOffset: number;
  bodyOffset: number;
}

export function sendTemplate(destination: string, body: Buffer, persistent: boolean, receipts: boolean): StompSendTemplate {
  // Only the persistent case is stated: RabbitMQ declares /queue/ destinations from the first
  // frame's headers, and an explicit persistent:false on SEND conflicts with SUBSCRIBE's declaration.
  let head = `SEND\ndestination:${destination}\n${persistent ? 'persistent:true\n' : ''}content-length:${body.length}\n`;
  let receiptOffset = -1;
  if (receipts) {
    receiptOffset = Buffer.byteLength(head, 'utf8') + 'receipt:'.length;
    head += `receipt:${'0'.repeat(RECEIPT_DIGITS)}\n`;
  }
  head += '\n';
  const h = Buffer.from(head, 'utf8');
  return { bytes: Buffer.concat([h, body, Buffer.from([0])]), receiptOffset, bodyOffset: h.length };
}
