export { MemoryMessageStore } from './message-store.js';
export { MemoryDefinitionStore } from './definition-store.js';
