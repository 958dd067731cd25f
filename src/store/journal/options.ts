/**
 * Options of the journal store and the small I/O seam tests use for fault injection.
 */
import { fdatasync, fsync, writev } from 'node:fs';

/** Structured logger (pino and the core's Logger satisfy it). */
export interface JournalLogger {
  warn(obj: object, msg?: string): void;
  error?(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
}

/** The asynchronous file operations group commit performs; replaceable in tests. */
export interface JournalIo {
  writev(fd: number, buffers: readonly Buffer[], position: number, cb: (err: NodeJS.ErrnoException | null, bytesWritten: number) => void): void;
  fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void;
  fsync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void;
}

export const nodeIo: JournalIo = {
  writev: (fd, buffers, position, cb) => writev(fd, buffers as Buffer[], position, cb),
  fdatasync: (fd, cb) => fdatasync(fd, cb),
  fsync: (fd, cb) => fsync(fd, cb),
};

export interface JournalOptions {
  /** Directory of segment files and the checkpoint; created if missing. */
  readonly dir: string;
  /** Target segment file size in bytes (default 64 MiB). A larger single record gets a segment of its own. */
  readonly segmentSize?: number;
  /**
   * true (default): `sync` callbacks fire after fdatasync. false: after the write
   * returns (RabbitMQ-like "confirm after write"; survives a process crash, not power loss).
   */
  readonly fsync?: boolean;
  readonly log?: JournalLogger;
  /** Checkpoint at most this often when something changed (default 30 s; 0 = only by size and at close). */
  readonly checkpointIntervalMs?: number;
  /**
   * Also checkpoint once this many bytes were appended since the last checkpoint.
   * Default: adaptive, max(2 × segmentSize, 2 × size of the last checkpoint file), which
   * bounds replay length while keeping snapshot cost a constant fraction of writes.
   * 0 disables (tests that need segments left un-checkpointed).
   */
  readonly checkpointBytes?: number;
  /** Bytes of the in-memory LRU of recent message records (default 16 MiB). */
  readonly cacheBytes?: number;
  /** Largest accepted message record (default 512 MiB; the length field is u32). */
  readonly maxRecordSize?: number;
  /** Compact a segment older than the checkpoint once its live bytes fall below this fraction of its size (default 0.25). */
  readonly compactRatio?: number;
  /** Test seam: replace the asynchronous file operations (fault injection). */
  readonly io?: Partial<JournalIo>;
}

export interface ResolvedJournalOptions {
  readonly dir: string;
  readonly segmentSize: number;
  readonly fsync: boolean;
  readonly log: JournalLogger;
  readonly checkpointIntervalMs: number;
  /** undefined = adaptive */
  readonly checkpointBytes: number | undefined;
  readonly cacheBytes: number;
  readonly maxRecordSize: number;
  readonly compactRatio: number;
  readonly io: JournalIo;
}

const MiB = 1024 * 1024;

/** Default logger: one JSON line on stderr, so damage found at recovery is never silent. */
const stderrLog: JournalLogger = {
  warn: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: 'warn', msg, ...obj })}\n`),
  error: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: 'error', msg, ...obj })}\n`),
};

export function resolveOptions(o: JournalOptions): ResolvedJournalOptions {
  const segmentSize = o.segmentSize ?? 64 * MiB;
  if (!Number.isInteger(segmentSize) || segmentSize < 4096 || segmentSize > 1024 * MiB) {
    throw new RangeError(`journal segmentSize must be an integer in [4096, 1 GiB], got ${segmentSize}`);
  }
  const maxRecordSize = o.maxRecordSize ?? 512 * MiB;
  if (!Number.isInteger(maxRecordSize) || maxRecordSize < 1 || maxRecordSize > 2 ** 32 - 64) {
    throw new RangeError(`journal maxRecordSize out of range: ${maxRecordSize}`);
  }
  const compactRatio = o.compactRatio ?? 0.25;
  if (!(compactRatio >= 0 && compactRatio < 1)) throw new RangeError(`journal compactRatio must be in [0, 1), got ${compactRatio}`);
  return {
    dir: o.dir,
    segmentSize,
    fsync: o.fsync ?? true,
    log: o.log ?? stderrLog,
    checkpointIntervalMs: o.checkpointIntervalMs ?? 30_000,
    checkpointBytes: o.checkpointBytes,
    cacheBytes: o.cacheBytes ?? 16 * MiB,
    maxRecordSize,
    compactRatio,
    io: { ...nodeIo, ...o.io },
  };
}
