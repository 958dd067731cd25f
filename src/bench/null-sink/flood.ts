import { makeBody, nowUs, patchBody } from '../payload.js';

/** Writable side of a sink connection, with backpressure. */
export interface SinkOutput {
  write(b: Buffer): boolean;
  onceDrain(cb: () => void): void;
  closed(): boolean;
}

/**
 * Streams pre-encoded deliveries to a subscriber as fast as the socket takes them, so
 * the bench's consumer side (frame parsing, loss tracking, latency math) can be
 * measured without a broker. Each message is a copy of `template` with the sequence
 * number, timestamp and (optionally) a 64-bit tag patched in.
 */
export class Flood {
  private seq = 0;
  private readonly perBatch: number;

  constructor(
    private readonly out: SinkOutput,
    private readonly template: Buffer,
    private readonly bodyOffset: number,
    /** Offset of a big-endian u64 to patch with 1, 2, 3... (AMQP delivery tag), -1 for none. */
    private readonly tagOffset: number,
  ) {
    this.perBatch = Math.max(1, Math.floor(65536 / template.length));
  }

  start(): void {
    setImmediate(this.run);
  }

  private readonly run = (): void => {
    if (this.out.closed()) return;
    const len = this.template.length;
    const buf = Buffer.allocUnsafe(len * this.perBatch);
    const ts = nowUs();
    for (let i = 0, off = 0; i < this.perBatch; i++, off += len) {
      this.template.copy(buf, off);
      if (this.tagOffset >= 0) {
        const tag = this.seq + 1;
        buf.writeUInt32BE(Math.floor(tag / 0x100000000), off + this.tagOffset);
        buf.writeUInt32BE(tag % 0x100000000, off + this.tagOffset + 4);
      }
      patchBody(buf, off + this.bodyOffset, this.seq++ % 0x100000000, ts);
    }
    if (this.out.write(buf)) setImmediate(this.run);
    else this.out.onceDrain(this.run);
  };
}

/** A bench body for producer 0 (the flood's messages). */
export const floodBody = (size: number): Buffer => makeBody(size, 0);
