import type { DefinitionStore, Definitions } from '../api.js';

/** Definitions kept in memory (as a JSON string, so callers never share objects with it). */
export class MemoryDefinitionStore implements DefinitionStore {
  private doc: string | undefined;
  saves = 0;

  async load(): Promise<Definitions | undefined> {
    return this.doc === undefined ? undefined : (JSON.parse(this.doc) as Definitions);
  }

  async save(defs: Definitions): Promise<void> {
    this.doc = JSON.stringify(defs);
    this.saves++;
  }
}
