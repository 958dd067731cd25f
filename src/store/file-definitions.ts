/**
 * Definitions (vhosts, exchanges, queues, bindings, users, permissions) as one JSON
 * document shaped like RabbitMQ's definitions.json, replaced atomically on each save:
 * temp file, fsync, rename, fsync of the directory (DESIGN §3). A crash at any moment
 * leaves the previous or the new document, never a partial one.
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DefinitionStore, Definitions } from './api.js';
import { isTempFor, writeFileAtomic } from './journal/atomic-file.js';

export class FileDefinitionStore implements DefinitionStore {
  /** Saves run one after another so the last call's document is the one left on disk. */
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  async load(): Promise<Definitions | undefined> {
    await this.removeTemps();
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      // Never treat a damaged file as "no definitions": that would silently start an
      // empty broker and then overwrite the only copy on the next save.
      throw new Error(`definitions file ${this.path} is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof doc !== 'object' || doc === null || (doc as { version?: unknown }).version !== 1) {
      throw new Error(`definitions file ${this.path} is not a version 1 definitions document`);
    }
    const d = doc as Partial<Record<keyof Definitions, unknown>>;
    for (const k of ['users', 'vhosts', 'permissions', 'exchanges', 'queues', 'bindings'] as const) {
      if (!Array.isArray(d[k])) throw new Error(`definitions file ${this.path}: "${k}" must be an array`);
    }
    return doc as Definitions;
  }

  save(defs: Definitions): Promise<void> {
    const text = `${JSON.stringify(defs, null, 2)}\n`;
    const run = this.chain.then(() => writeFileAtomic(this.path, text));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async removeTemps(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(dirname(this.path));
    } catch {
      return;
    }
    for (const n of names) if (isTempFor(this.path, n)) await unlink(join(dirname(this.path), n)).catch(() => undefined);
  }
}
