/** The crash-safe journal store (DESIGN §3, docs/store.md). */
export { JournalMessageStore, JournalReadError, type JournalStats } from './journal-store.js';
export type { JournalIo, JournalLogger, JournalOptions } from './options.js';
export type { RecoveryReport } from './recovery.js';
export { UnsupportedJournalVersion } from './recovery.js';
export { FORMAT_VERSION } from './format.js';
export { DirLockedError } from './dir-lock.js';
export { FileDefinitionStore } from '../file-definitions.js';
export { PageFile, type PageFileOptions, type PageFileStats } from './page-file.js';
