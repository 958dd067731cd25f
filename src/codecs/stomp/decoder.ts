/**
 * Incremental STOMP frame decoder (STOMP 1.2 "Augmented BNF"):
 *
 *   frame   = command EOL *( header EOL ) EOL *OCTET NULL *( EOL )
 *   EOL     = [CR] LF
 *   header  = header-name ":" header-value
 *
 * Bytes are pushed as they arrive; `next()` returns one frame, or `undefined` when
 * more bytes are needed. Frames that arrive within one chunk are parsed in place
 * and their body is a slice of that chunk. A frame split over chunks is gathered
 * into a growable buffer that is never rewritten below its fill mark, so slices
 * already handed out stay valid.
 *
 * Every limit is checked before the bytes it guards are kept: command line length,
 * header line length, header count, body size (content-length is checked against
 * the maximum before any body byte is buffered).
 */
import { StompEscapeError, unescapeHeader } from './escape.js';
import { isUnescapedCommand, lookupCommand, newHeaders } from './frame.js';
import type { StompCommand, StompFrame, StompHeaders, StompVersion } from './frame.js';

export interface StompDecoderLimits {
  /** Longest command line (ActiveMQ MAX_COMMAND_LENGTH 1024). */
  readonly maxCommandLength: number;
  /** Most header lines per frame (ActiveMQ MAX_HEADERS 1000). */
  readonly maxHeaders: number;
  /** Longest header line, name + ':' + value (ActiveMQ MAX_HEADER_LENGTH 10240). */
  readonly maxHeaderLength: number;
  /** Largest body (ActiveMQ maxDataLength 104857600). */
  readonly maxBodySize: number;
  /** Largest whole frame, command to NUL; 0 or absent = no limit beyond the others (ActiveMQ maxFrameSize). */
  readonly maxFrameSize?: number;
}

/** A malformed or oversized frame. `summary` fits an ERROR frame's `message` header. */
export class StompFrameError extends Error {
  constructor(
    readonly summary: string,
    detail: string,
    /** The `receipt` header of the offending frame, when it was already parsed. */
    readonly receipt?: string,
  ) {
    super(detail);
    this.name = 'StompFrameError';
  }
}

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const COLON = 0x3a;

const enum Phase {
  /** Between frames: EOLs here are heart-beats (STOMP 1.2 "Heart-beating"). */
  Idle,
  Command,
  Headers,
  Body,
}

const EMPTY = Buffer.alloc(0);
const MIN_GROW = 16 * 1024;
/**
 * Headers between frames (read only by error reports: no `receipt`). Each frame gets a
 * fresh object when its command line starts; sharing this one in between saves an empty
 * dictionary object (~0.2 KiB) on every idle connection (docs/performance.md).
 */
const NO_HEADERS: StompHeaders = Object.freeze(newHeaders());

export class StompDecoder {
  /** Header escaping rules; undefined until CONNECT negotiated a version (CONNECT is never escaped). */
  version: StompVersion | undefined;
  /** Count of EOL heart-beats seen between frames. */
  heartbeats = 0;

  /** Backing store; `data` is the valid prefix [0, fill). */
  private store: Buffer = EMPTY;
  private data: Buffer = EMPTY;
  /** Start of the frame in progress (bytes before it are handed out or discarded). */
  private start = 0;
  /** Next unparsed byte. */
  private pos = 0;

  private phase: Phase = Phase.Idle;
  private command: StompCommand = 'SEND';
  private headers: StompHeaders = NO_HEADERS;
  private headerCount = 0;
  private contentLength = -1;
  private bodyStart = 0;
  /** Where the NUL search resumes when the body has no content-length. */
  private scan = 0;

  constructor(private limits: StompDecoderLimits) {}

  /** Swap limits (e.g. a small pre-authentication budget, then the full limits). */
  setLimits(limits: StompDecoderLimits): void {
    this.limits = limits;
  }

  /** Bytes buffered for the frame in progress. */
  get pending(): number {
    return this.data.length - this.start;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.start === this.data.length) {
      // Nothing pending: parse straight from the chunk (zero copy).
      this.rebase(0);
      this.store = chunk;
      this.data = chunk;
      return;
    }
    const fill = this.data.length;
    if (this.store.length - fill >= chunk.length) {
      // Room after the fill mark: append without touching handed-out bytes.
      chunk.copy(this.store, fill);
      this.data = this.store.subarray(0, fill + chunk.length);
      return;
    }
    // Move the frame in progress to a fresh, larger store. Never reuse the old one:
    // earlier frames' bodies may still point into it.
    const live = fill - this.start;
    const need = live + chunk.length;
    let cap = Math.max(need, live * 2, MIN_GROW);
    if (this.phase === Phase.Body && this.contentLength >= 0) {
      // The whole frame's size is known: size the store for it once.
      cap = Math.max(need, this.bodyStart - this.start + this.contentLength + 1);
    }
    const next = Buffer.allocUnsafe(cap);
    this.data.copy(next, 0, this.start, fill);
    chunk.copy(next, live);
    const shift = this.start;
    this.store = next;
    this.data = next.subarray(0, need);
    this.rebase(shift);
  }

  private rebase(shift: number): void {
    this.start -= shift;
    this.pos -= shift;
    this.bodyStart -= shift;
    this.scan -= shift;
  }

  /** Decode the next complete frame, or return undefined when more bytes are needed. Throws StompFrameError. */
  next(): StompFrame | undefined {
    const max = this.limits.maxFrameSize ?? 0;
    const frame = this.step();
    if (max > 0) {
      // A complete frame's size is pos - its start; an incomplete one's is what is buffered.
      const size = frame === undefined ? this.data.length - this.start : frame.size;
      if (size > max) throw new StompFrameError('Frame too large', `frame exceeds the maximum ${max} bytes`, (frame?.headers ?? this.headers)['receipt']);
    }
    return frame;
  }

  private step(): (StompFrame & { size: number }) | undefined {
    const data = this.data;
    for (;;) {
      switch (this.phase) {
        case Phase.Idle: {
          // Skip EOLs between frames: heart-beats and the optional EOLs after NUL.
          let p = this.pos;
          while (p < data.length) {
            const b = data[p];
            if (b === LF) {
              this.heartbeats++;
              p++;
            } else if (b === CR) {
              // Only a CR LF pair is an EOL; a lone CR waits for its LF.
              if (p + 1 >= data.length) break;
              if (data[p + 1] !== LF) throw new StompFrameError('Invalid frame', 'CR not followed by LF between frames');
              p++;
            } else {
              break;
            }
          }
          this.pos = p;
          this.start = p;
          if (p >= data.length || data[p] === CR) {
            this.release();
            return undefined;
          }
          this.phase = Phase.Command;
          this.headers = newHeaders();
          this.headerCount = 0;
          this.contentLength = -1;
          break;
        }
        case Phase.Command: {
          const eol = this.lineEnd(this.limits.maxCommandLength, 'command');
          if (eol < 0) return undefined;
          const text = data.toString('latin1', this.pos, eol);
          const command = lookupCommand(text);
          if (command === undefined) {
            throw new StompFrameError('Unknown command', `unknown STOMP command '${printable(text)}'`);
          }
          this.command = command;
          this.pos = this.afterEol(eol);
          this.phase = Phase.Headers;
          break;
        }
        case Phase.Headers: {
          const eol = this.lineEnd(this.limits.maxHeaderLength, 'header');
          if (eol < 0) return undefined;
          const lineStart = this.pos;
          this.pos = this.afterEol(eol);
          if (eol === lineStart) {
            // Blank line: end of headers.
            this.phase = Phase.Body;
            this.bodyStart = this.pos;
            this.scan = this.pos;
            break;
          }
          if (++this.headerCount > this.limits.maxHeaders) {
            throw new StompFrameError('Too many headers', `more than ${this.limits.maxHeaders} headers`, this.headers['receipt']);
          }
          this.parseHeader(data, lineStart, eol);
          break;
        }
        case Phase.Body: {
          const frame = this.body(data);
          if (frame === undefined) return undefined;
          return frame;
        }
      }
    }
  }

  /** After the last complete frame: drop the reference to the store so it can be freed. */
  private release(): void {
    if (this.pos === this.data.length) {
      this.store = EMPTY;
      this.data = EMPTY;
      this.start = this.pos = this.scan = this.bodyStart = 0;
    }
  }

  /**
   * Index of the LF ending the line at `pos` (CR excluded by the caller), -1 when the
   * line is incomplete. Throws when the line is longer than `max`, complete or not.
   */
  private lineEnd(max: number, what: string): number {
    const data = this.data;
    const lf = data.indexOf(LF, this.pos);
    const end = lf < 0 ? data.length : lf;
    let len = end - this.pos;
    if (lf >= 0 && len > 0 && data[lf - 1] === CR) len--;
    if (len > max) {
      throw new StompFrameError(
        what === 'command' ? 'Command too long' : 'Header too long',
        `${what} line longer than ${max} bytes`,
        this.headers['receipt'],
      );
    }
    if (lf < 0) return -1;
    // STOMP 1.2 "Augmented BNF": EOL = [CR] LF. The CR is stripped in every version
    // (1.0 and 1.1 clients typed at a terminal send CR LF too).
    return lf > this.pos && data[lf - 1] === CR ? lf - 1 : lf;
  }

  private afterEol(eol: number): number {
    return this.data[eol] === CR ? eol + 2 : eol + 1;
  }

  private parseHeader(data: Buffer, from: number, to: number): void {
    const colon = data.indexOf(COLON, from);
    if (colon < 0 || colon >= to) {
      throw new StompFrameError('Invalid header', 'header line without a colon', this.headers['receipt']);
    }
    let name = data.toString('utf8', from, colon);
    let value = data.toString('utf8', colon + 1, to);
    const version = this.version;
    if (version !== undefined && version !== '1.0' && !isUnescapedCommand(this.command)) {
      try {
        name = unescapeHeader(name, version);
        value = unescapeHeader(value, version);
      } catch (e) {
        if (e instanceof StompEscapeError) throw new StompFrameError('Invalid header', e.message, this.headers['receipt']);
        throw e;
      }
    } else if (version === '1.0') {
      // STOMP 1.0 clients commonly write "name: value"; 1.0 defines no escaping and
      // brokers trim. From 1.1 on, whitespace is significant ("Value Encoding").
      name = name.trim();
      value = value.trim();
    }
    // STOMP 1.2 "Repeated Header Entries": only the first is used.
    if (this.headers[name] !== undefined) return;
    this.headers[name] = value;
    if (name === 'content-length') this.contentLength = this.parseContentLength(value);
  }

  private parseContentLength(value: string): number {
    if (!/^[0-9]{1,16}$/.test(value.trim())) {
      throw new StompFrameError('Invalid content-length', `content-length '${printable(value)}' is not a byte count`, this.headers['receipt']);
    }
    const n = Number(value.trim());
    if (n > this.limits.maxBodySize) {
      throw new StompFrameError('Frame too large', `content-length ${n} exceeds the maximum ${this.limits.maxBodySize}`, this.headers['receipt']);
    }
    return n;
  }

  private body(data: Buffer): (StompFrame & { size: number }) | undefined {
    let end: number;
    if (this.contentLength >= 0) {
      // STOMP 1.2 "Header content-length": exactly that many octets, then NUL.
      end = this.bodyStart + this.contentLength;
      if (data.length <= end) return undefined;
      if (data[end] !== NUL) {
        throw new StompFrameError('Invalid frame', 'frame body longer than its content-length (no NUL after the body)', this.headers['receipt']);
      }
    } else {
      const nul = data.indexOf(NUL, this.scan);
      if (nul < 0) {
        if (data.length - this.bodyStart > this.limits.maxBodySize) {
          throw new StompFrameError('Frame too large', `body exceeds the maximum ${this.limits.maxBodySize} bytes`, this.headers['receipt']);
        }
        this.scan = data.length;
        return undefined;
      }
      end = nul;
      if (end - this.bodyStart > this.limits.maxBodySize) {
        throw new StompFrameError('Frame too large', `body exceeds the maximum ${this.limits.maxBodySize} bytes`, this.headers['receipt']);
      }
    }
    const frame = {
      command: this.command,
      headers: this.headers,
      headerCount: this.headerCount,
      body: data.subarray(this.bodyStart, end),
      size: end + 1 - this.start,
    };
    this.pos = end + 1;
    this.start = this.pos;
    this.phase = Phase.Idle;
    this.headers = NO_HEADERS;
    this.release();
    return frame;
  }
}

/** Make a wire string safe to echo in an ERROR body (no control characters, bounded). */
function printable(s: string): string {
  const t = s.length > 64 ? s.slice(0, 64) + '...' : s;
  return t.replace(/[\x00-\x1f\x7f]/g, '?');
}
