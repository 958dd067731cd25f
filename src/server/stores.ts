import { join } from 'node:path';
import type { Logger } from '../core/api.js';
import type { DefinitionStore, MessageStore } from '../store/api.js';
import { FileDefinitionStore, JournalMessageStore } from '../store/journal/index.js';
import type { WharfConfig } from './config.js';

export interface Stores {
  readonly messages: MessageStore;
  readonly definitions: DefinitionStore;
}

/**
 * The stores for a data directory: the message journal under `<dataDir>/journal` and
 * the definitions document `<dataDir>/definitions.json` (RabbitMQ definitions shape).
 */
export function openStores(config: WharfConfig, dataDir: string, log: Logger): Stores {
  return {
    messages: new JournalMessageStore({
      dir: join(dataDir, 'journal'),
      segmentSize: config.store.segmentSize,
      fsync: config.store.fsync,
      log: log.child({ component: 'journal' }),
    }),
    definitions: new FileDefinitionStore(join(dataDir, 'definitions.json')),
  };
}
