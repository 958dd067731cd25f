/**
 * The broker-wide budget for messages held in memory by queues (config
 * `store.maxBodyMemory`, docs/store.md "Paging"). Every ready message a queue keeps
 * as an object costs its body size plus a fixed estimate of the objects around it;
 * once the budget is spent, new messages page out (their bodies leave the heap).
 */

/** Rough heap cost of an in-memory entry besides its body: Entry, Message, properties. */
export const ENTRY_OVERHEAD = 320;

export class MemoryBudget {
  used = 0;
  constructor(readonly limit: number) {}

  get exhausted(): boolean {
    return this.used >= this.limit;
  }
}

/** A queue keeps at most this many persistent messages per priority level in memory
 *  before paging them (their bodies are in the journal already, so paging is free). */
export const PERSISTENT_HEAD_WINDOW = 1024;
/** Entries read back per refill of a level's in-memory head, and a byte cap per refill. */
export const REFILL_COUNT = 256;
export const REFILL_BYTES = 4 * 1024 * 1024;
