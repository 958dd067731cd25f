/** The deterministic parts of the crash-test workload, shared by the child and the checker. */
import { recordFor } from './helpers.js';

export const CRASH_QUEUES = ['/\u0000q0', '/\u0000q1', 'vh\u0000q2'] as const;

/** Size of message `id`: mostly small, one in twenty large (the zero-copy write path). */
export function crashSize(id: number): number {
  const h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return h % 20 === 0 ? 20_000 + (h % 50_000) : 10 + (h % 300);
}

export const crashRecord = (id: number): Buffer => recordFor(id, crashSize(id));
