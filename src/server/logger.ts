import { pino } from 'pino';
import type { Logger } from '../core/api.js';

/** Structured JSON log lines on stdout (one object per line), pino's format. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'wharf' } }) as unknown as Logger;
}
