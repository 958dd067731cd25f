import type { Logger } from '../core/api.js';
import type { DefinitionStore, MessageStore } from '../store/api.js';
import { MemoryDefinitionStore, MemoryMessageStore } from '../store/memory/index.js';
import type { WharfConfig } from './config.js';

export interface Stores {
  readonly messages: MessageStore;
  readonly definitions: DefinitionStore;
}

/** Chooses the store implementations for a data directory. */
export function openStores(_config: WharfConfig, _dataDir: string, _log: Logger): Stores {
  // Interim: replaced by the journal + file definitions store when they land.
  return { messages: new MemoryMessageStore(), definitions: new MemoryDefinitionStore() };
}
