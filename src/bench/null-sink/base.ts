import type { SinkOutput } from './flood.js';
import type { SinkConnection, SinkOptions, SinkStats } from './index.js';

/** What every null-sink connection is given: where to write, how to end, what to count. */
export abstract class SinkConnectionBase implements SinkConnection {
  protected readonly write: (b: Buffer) => void;

  constructor(
    protected readonly out: SinkOutput,
    protected readonly end: () => void,
    protected readonly stats: SinkStats,
    protected readonly opts: SinkOptions,
  ) {
    this.write = (b) => void out.write(b);
  }

  /** Consume whole frames, return bytes used; throw on garbage. */
  abstract parse(buf: Buffer): number;
}
