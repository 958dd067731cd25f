/**
 * The set of segment files of one journal directory and what the store knows of each.
 */
import { closeSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { segmentFileName } from './format.js';

export interface Segment {
  readonly id: number;
  readonly path: string;
  /** Open descriptor, read-write for segments created by this process, else read-only; opened lazily. */
  fd: number | undefined;
  /** Next byte offset to assign (the file's logical size once all writes finish). */
  appendOffset: number;
  /** Bytes [0, writtenOffset) have been written by completed writes and may be read back. */
  writtenOffset: number;
  /** Live message records located here and their bytes (for deletion and compaction). */
  liveCount: number;
  liveBytes: number;
}

export class SegmentSet {
  private readonly byId = new Map<number, Segment>();

  constructor(readonly dir: string) {}

  get count(): number {
    return this.byId.size;
  }

  get(id: number): Segment | undefined {
    return this.byId.get(id);
  }

  /** Ascending by id. */
  list(): Segment[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }

  /** Register an existing file (found at recovery). */
  addExisting(id: number, size: number): Segment {
    const s: Segment = { id, path: join(this.dir, segmentFileName(id)), fd: undefined, appendOffset: size, writtenOffset: size, liveCount: 0, liveBytes: 0 };
    this.byId.set(id, s);
    return s;
  }

  /** Create a new, empty segment file; fails if it exists (names are never reused). */
  create(id: number): Segment {
    const path = join(this.dir, segmentFileName(id));
    const fd = openSync(path, 'wx+');
    const s: Segment = { id, path, fd, appendOffset: 0, writtenOffset: 0, liveCount: 0, liveBytes: 0 };
    this.byId.set(id, s);
    return s;
  }

  readFd(s: Segment): number {
    if (s.fd === undefined) s.fd = openSync(s.path, 'r');
    return s.fd;
  }

  closeFd(s: Segment): void {
    if (s.fd === undefined) return;
    closeSync(s.fd);
    s.fd = undefined;
  }

  /** Close and unlink; the caller has made sure nothing references it any more. */
  remove(s: Segment): void {
    this.byId.delete(s.id);
    if (s.fd !== undefined) {
      closeSync(s.fd);
      s.fd = undefined;
    }
    unlinkSync(s.path);
  }

  closeAll(): void {
    for (const s of this.byId.values()) {
      if (s.fd !== undefined) {
        try {
          closeSync(s.fd);
        } catch {
          // already closed: nothing to release
        }
        s.fd = undefined;
      }
    }
  }
}
