/**
 * One journal directory, one writer. Two brokers appending to the same segments would
 * interleave records and destroy both histories, so open() takes a lock file holding
 * the owner's pid and refuses a directory whose lock names a live process (or another
 * store in this process). A lock left by a killed process is taken over: recovery is
 * exactly what that situation needs.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const LOCK_FILE = 'LOCK';

const heldHere = new Set<string>();

export class DirLockedError extends Error {}

export function lockDir(dir: string): () => void {
  const key = resolve(dir);
  if (heldHere.has(key)) throw new DirLockedError(`journal directory ${dir} is already open in this process`);
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new DirLockedError(`journal directory ${dir} is in use by process ${owner}`);
      }
      unlinkSync(path); // stale: its owner is gone
    }
  }
  heldHere.add(key);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    heldHere.delete(key);
    try {
      unlinkSync(path);
    } catch {
      // already gone: nothing to release
    }
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
