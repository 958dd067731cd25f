import { connect as tcpConnect, type Socket } from 'node:net';
import { nowUs } from '../payload.js';
import type { PublishStats } from './types.js';

/**
 * Socket plumbing shared by the three clients: connect with TCP_NODELAY, feed whole
 * frames to `parse`, keep a partial frame until enough bytes arrived (chunks are
 * collected, then joined once, so a large frame is not re-copied per chunk), and
 * promise-based waits used only during setup (never per message).
 */
export abstract class BaseClient {
  readonly stats: PublishStats = { published: 0, confirmed: 0, nacked: 0 };
  error: Error | null = null;
  protected socket: Socket | null = null;
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** Bytes the parser needs, counted from the start of the unparsed data (0 = unknown). */
  protected need = 0;
  private waiters = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private roomCb: (() => void) | null = null;
  private errorCb: ((err: Error) => void) | null = null;
  protected closing = false;
  private closedPromise: Promise<void> | null = null;
  /** Publisher confirm / receipt / QoS>0 window; null when publishing unconfirmed. */
  protected confirms: ConfirmWindow | null = null;

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  /** How many more messages may be published now (0 while the socket or the window is full). */
  room(): number {
    if (this.pausedByBroker() || this.socketFull() || this.error) return 0;
    return this.confirms === null ? 1 << 30 : this.confirms.room();
  }

  inflight(): number {
    return this.confirms === null ? 0 : this.confirms.inflight;
  }

  /** The broker asked us to stop publishing (AMQP connection.blocked). */
  protected pausedByBroker(): boolean {
    return false;
  }

  /** Consume whole frames from `buf`; return the number of bytes used. */
  protected abstract parse(buf: Buffer, now: number): number;

  protected openSocket(timeoutMs = 10000): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = tcpConnect({ host: this.host, port: this.port, noDelay: true });
      this.socket = s;
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${this.host}:${this.port} timed out`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        resolve();
      });
      s.on('data', (chunk: Buffer) => this.onData(chunk));
      s.on('drain', () => this.roomAvailable());
      s.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
        this.fail(err);
      });
      this.closedPromise = new Promise((res) => s.once('close', () => {
        clearTimeout(timer);
        if (!this.closing) this.fail(new Error(`${this.host}:${this.port} closed the connection`));
        res();
      }));
    });
  }

  protected onData(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending.length > 0) {
      this.pending.push(chunk);
      this.pendingLen += chunk.length;
      if (this.need > 0 && this.pendingLen < this.need) return;
      buf = Buffer.concat(this.pending, this.pendingLen);
      this.pending = [];
      this.pendingLen = 0;
    }
    this.need = 0;
    let used: number;
    try {
      used = this.parse(buf, nowUs());
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (used < buf.length) {
      // Copy a small remainder so the (possibly 64 KiB) chunk can be freed.
      const rest = buf.subarray(used);
      this.pending.push(rest.length < 4096 ? Buffer.from(rest) : rest);
      this.pendingLen = rest.length;
    }
  }

  protected write(buf: Buffer): boolean {
    const s = this.socket;
    if (s === null || s.destroyed) return false;
    return s.write(buf);
  }

  protected socketFull(): boolean {
    const s = this.socket;
    return s === null || s.destroyed || s.writableNeedDrain;
  }

  onRoom(cb: () => void): void {
    this.roomCb = cb;
  }

  onError(cb: (err: Error) => void): void {
    this.errorCb = cb;
  }

  protected roomAvailable(): void {
    const cb = this.roomCb;
    if (cb !== null) cb();
  }

  protected waitFor<T>(key: string, timeoutMs = 15000): Promise<T> {
    if (this.error) return Promise.reject(this.error);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new Error(`timed out waiting for ${key} from ${this.host}:${this.port}`));
      }, timeoutMs);
      this.waiters.set(key, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** True if someone waited for `key`. */
  protected resolve(key: string, value: unknown = undefined): boolean {
    const w = this.waiters.get(key);
    if (w === undefined) return false;
    this.waiters.delete(key);
    w.resolve(value);
    return true;
  }

  protected fail(err: Error): void {
    if (this.error === null && !this.closing) {
      this.error = err;
      const cb = this.errorCb;
      if (cb !== null) cb(err);
    }
    for (const w of this.waiters.values()) w.reject(err);
    this.waiters.clear();
    this.socket?.destroy();
  }

  /** Close politely: send `bye` (if any), wait up to `ms` for the broker to close, then destroy. */
  protected async finish(bye: Buffer | null, waitKey: string | null, ms = 2000): Promise<void> {
    const s = this.socket;
    if (s === null) return;
    if (s.destroyed) {
      this.closing = true;
      return;
    }
    const wait = waitKey !== null && bye !== null ? this.waitFor<void>(waitKey, ms).catch(() => undefined) : null;
    this.closing = true;
    if (bye !== null) s.write(bye);
    if (wait !== null) await wait;
    s.end();
    const timer = setTimeout(() => s.destroy(), ms);
    await this.closedPromise;
    clearTimeout(timer);
  }
}

/**
 * Sliding window over sequential confirmation tags (AMQP publish sequence numbers,
 * STOMP receipt ids, MQTT packet ids mapped back to a sequence). Tags may be confirmed
 * out of order; `inflight` counts the oldest unconfirmed tag to the next one.
 */
export class ConfirmWindow {
  next = 1;
  low = 1;
  private done: Uint8Array;
  private mask: number;

  constructor(readonly size: number) {
    let n = 2;
    while (n <= size) n *= 2;
    this.done = new Uint8Array(n);
    this.mask = n - 1;
  }

  get inflight(): number {
    return this.next - this.low;
  }

  room(): number {
    return this.size - (this.next - this.low);
  }

  /** Claim `n` tags, returns the first. */
  take(n: number): number {
    const first = this.next;
    this.next += n;
    return first;
  }

  /** Confirm `tag` (and every earlier one when `multiple`); returns how many became confirmed. */
  confirm(tag: number, multiple: boolean): number {
    if (tag < this.low || tag >= this.next) return 0;
    let count = 0;
    if (multiple) {
      for (let t = this.low; t <= tag; t++) {
        const i = t & this.mask;
        if (this.done[i] === 0) {
          this.done[i] = 1;
          count++;
        }
      }
    } else {
      const i = tag & this.mask;
      if (this.done[i] === 0) {
        this.done[i] = 1;
        count = 1;
      }
    }
    while (this.low < this.next && this.done[this.low & this.mask] === 1) {
      this.done[this.low & this.mask] = 0;
      this.low++;
    }
    return count;
  }
}
