/** Shared helpers for the store tests: temp dirs, a capturing logger, promisified sync. */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessageStore } from '../../../src/store/api.js';
import type { JournalLogger } from '../../../src/store/journal/index.js';

export function tempDir(t: { after(fn: () => void): void }, prefix = 'wharf-journal-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface LogLine {
  readonly level: 'warn' | 'error' | 'info';
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

export function captureLog(): JournalLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    warn: (obj, msg) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg: msg ?? '' }),
    error: (obj, msg) => lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg: msg ?? '' }),
    info: (obj, msg) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg: msg ?? '' }),
  };
}

export function synced(store: MessageStore): Promise<void> {
  return new Promise((resolve, reject) => store.sync((err) => (err ? reject(err) : resolve())));
}

/** Deterministic record content for id `id` of `size` bytes. */
export function recordFor(id: number, size = 16 + (id % 97)): Buffer {
  const b = Buffer.alloc(size);
  const head = Buffer.from(`m${id}:`);
  for (let i = 0; i < size; i++) b[i] = i < head.length ? head[i]! : (id * 31 + i * 7) & 0xff;
  return b;
}

export function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.wjl'))
    .sort();
}

export function dirBytes(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) n += statSync(join(dir, f)).size;
  return n;
}

/** A tiny seeded PRNG (mulberry32) so random damage is reproducible from the printed seed. */
export { seededRandom as rng } from '../../helpers/random.js';

export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
