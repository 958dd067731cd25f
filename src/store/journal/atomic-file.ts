/**
 * Atomic file replace: write a temporary file, fsync it, rename it over the target,
 * fsync the directory. A crash at any point leaves either the old or the new content,
 * never a mix (POSIX rename(2) is atomic for the name; the fsyncs make both the data
 * and the new name durable before we report success).
 */
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let tmpCounter = 0;

export async function writeFileAtomic(path: string, data: Buffer | string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${++tmpCounter}`);
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dirname(path));
}

export async function fsyncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** Temporary files a crash may have left behind for `path` (to delete at start). */
export function isTempFor(path: string, name: string): boolean {
  return name.startsWith(`.${basename(path)}.tmp-`);
}
