/**
 * A filesystem whose free space a test controls: a small tmpfs when the test may
 * mount one (root), else a directory on the temp filesystem. Free space is taken away
 * with a ballast file and given back by deleting it.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestDisk {
  /** A fresh directory on the filesystem under test. */
  readonly dir: string;
  /** True when `dir` is on a tmpfs of its own (free space is ours alone). */
  readonly isolated: boolean;
  freeBytes(): number;
  /** Write a ballast file of about `bytes` (stops early, without error, when the disk is full). */
  addBallast(name: string, bytes: number): number;
  removeBallast(name: string): void;
  cleanup(): void;
}

export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

function tryMountTmpfs(sizeMiB: number): string | undefined {
  // WHARF_TEST_NO_TMPFS=1 exercises the unprivileged path on a machine that could mount.
  if (process.getuid?.() !== 0 || process.env.WHARF_TEST_NO_TMPFS === '1') return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'wharf-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

/** `preferTmpfsMiB`: size of the tmpfs to mount when possible. */
export function openTestDisk(preferTmpfsMiB: number): TestDisk {
  const mounted = tryMountTmpfs(preferTmpfsMiB);
  const root = mounted ?? mkdtempSync(join(tmpdir(), 'wharf-disk-'));
  const dir = join(root, 'data');
  mkdirSync(dir);
  const ballasts = join(root, 'ballast');
  mkdirSync(ballasts);
  return {
    dir,
    isolated: mounted !== undefined,
    freeBytes: () => freeBytes(root),
    addBallast(name, bytes) {
      const fd = openSync(join(ballasts, name), 'w');
      const chunk = Buffer.alloc(1024 * 1024, 0x5a);
      let written = 0;
      try {
        while (written < bytes) {
          const n = Math.min(chunk.length, bytes - written);
          written += writeSync(fd, chunk, 0, n);
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        closeSync(fd);
      }
      return written;
    },
    removeBallast(name) {
      rmSync(join(ballasts, name), { force: true });
    },
    cleanup() {
      if (mounted !== undefined) {
        try {
          execFileSync('umount', [mounted], { stdio: 'ignore' });
        } catch {
          execFileSync('umount', ['-l', mounted], { stdio: 'ignore' });
        }
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
