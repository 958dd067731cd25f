import { join } from 'node:path';
import type { Logger } from '../core/api.js';
import type { DefinitionStore, MessageStore, PageStore } from '../store/api.js';
import { FileDefinitionStore, JournalMessageStore, PageFile } from '../store/journal/index.js';
import type { WharfConfig } from './config.js';
import { memoryLimitBytes } from './resource-monitor.js';

export interface Stores {
  readonly messages: MessageStore;
  readonly definitions: DefinitionStore;
  /** Where transient message bodies go when queues exceed `maxBodyMemory` (docs/store.md "Paging"). */
  readonly pages: PageStore;
  /** Bytes of message bodies queues keep in memory before paging. */
  readonly maxBodyMemory: number;
}

const MiB = 1024 * 1024;

/**
 * store.maxBodyMemory, or when it is 0 ("auto"): 256 MiB, but never more than half of
 * the memory high watermark, so that paging starts well before the memory alarm
 * would block publishers.
 */
export function resolveMaxBodyMemory(config: WharfConfig): number {
  const configured = config.store.maxBodyMemory;
  if (configured > 0) return configured;
  return Math.max(16 * MiB, Math.min(256 * MiB, Math.floor(memoryLimitBytes(config.alarms.memoryHighWatermark) / 2)));
}

/**
 * The stores for a data directory: the message journal under `<dataDir>/journal`, the
 * definitions document `<dataDir>/definitions.json` (RabbitMQ definitions shape), and
 * the page file under `<dataDir>/paging` (wiped at every start: nothing in it survives
 * a restart, by design).
 */
export function openStores(config: WharfConfig, dataDir: string, log: Logger): Stores {
  const pages = new PageFile({ dir: join(dataDir, 'paging'), log: log.child({ component: 'paging' }) });
  pages.open();
  return {
    messages: new JournalMessageStore({
      dir: join(dataDir, 'journal'),
      segmentSize: config.store.segmentSize,
      fsync: config.store.fsync,
      log: log.child({ component: 'journal' }),
    }),
    definitions: new FileDefinitionStore(join(dataDir, 'definitions.json')),
    pages,
    maxBodyMemory: resolveMaxBodyMemory(config),
  };
}
