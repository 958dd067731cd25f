/**
 * kill -9 at random moments, at least 20 cycles: after each restart every operation
 * whose sync callback had fired must be there (enqueues present exactly once and in
 * order, acks gone), and every recovered body must be intact.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { JournalMessageStore } from '../../../src/store/journal/index.js';
import { CRASH_QUEUES, crashRecord } from './crash-workload.js';
import { captureLog, rng, tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./journal-crash-child.js', import.meta.url));
const CYCLES = 24;

interface ChildRun {
  readonly enqueued: Array<[number, number]>;
  readonly dequeued: Array<[number, number]>;
  readonly issued: Array<[number, number]>;
  readonly delivered: Array<[number, number]>;
  /** Last progress line: checkpoints, segments deleted, messages compacted by this child. */
  readonly progress: [number, number, number];
  readonly exitSignal: NodeJS.Signals | null;
}

function runChild(dir: string, opsFile: string, seed: number, interval: number, killAfterMs: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(seed), String(interval), opsFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const enqueued: Array<[number, number]> = [];
    const dequeued: Array<[number, number]> = [];
    const issued: Array<[number, number]> = [];
    const delivered: Array<[number, number]> = [];
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      if (killTimer === undefined && d.toString().includes('READY')) killTimer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (killTimer) clearTimeout(killTimer);
      if (signal !== 'SIGKILL') {
        reject(new Error(`child exited by itself (code ${code}, signal ${signal}): ${stderr}`));
        return;
      }
      let progress: [number, number, number] = [0, 0, 0];
      for (const line of readFileSync(opsFile, 'utf8').split('\n')) {
        const [kind, a, b, c] = line.split(' ');
        if (kind === 'E') enqueued.push([Number(a), Number(b)]);
        else if (kind === 'D') dequeued.push([Number(a), Number(b)]);
        else if (kind === 'I') issued.push([Number(a), Number(b)]);
        else if (kind === 'M') delivered.push([Number(a), Number(b)]);
        else if (kind === 'S') progress = [Number(a), Number(b), Number(c)];
      }
      resolve({ enqueued, dequeued, issued, delivered, progress, exitSignal: signal });
    });
  });
}

test(`journal survives ${CYCLES} SIGKILLs at random moments without losing a confirmed operation`, async (t) => {
  const dir = tempDir(t);
  const opsDir = tempDir(t, 'wharf-crash-ops-');
  const seed = 0xc0ffee;
  const rand = rng(seed);
  // Model: per queue, ids confirmed enqueued and not since acked, and ids whose ack was confirmed.
  const present = CRASH_QUEUES.map(() => new Set<number>());
  const acked = CRASH_QUEUES.map(() => new Set<number>());
  const marked = CRASH_QUEUES.map(() => new Set<number>());
  let totalConfirmed = 0;
  const work = [0, 0, 0];
  let lost = 0;
  let duplicates = 0;
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const killAfter = rand() < 0.2 ? Math.floor(rand() * 5) : 20 + Math.floor(rand() * 500);
    const interval = 5 + Math.floor(rand() * 60);
    const run = await runChild(dir, join(opsDir, `ops-${cycle}.txt`), seed + cycle, interval, killAfter);
    run.progress.forEach((n, i) => (work[i]! += n));
    for (const [q, id] of run.enqueued) {
      present[q]!.add(id);
      totalConfirmed++;
    }
    // An issued ack may or may not have reached the disk before the kill; either is right.
    for (const [q, id] of run.issued) present[q]!.delete(id);
    for (const [q, id] of run.delivered) marked[q]!.add(id);
    for (const [q, id] of run.dequeued) {
      present[q]!.delete(id);
      acked[q]!.add(id);
    }
    // Check after every other kill; in between, the next child recovers from the raw crash.
    if (cycle % 2 === 1 || cycle === CYCLES - 1) {
      const log = captureLog();
      const s = new JournalMessageStore({ dir, segmentSize: 64 * 1024, checkpointIntervalMs: 0, log });
      const st = await s.open();
      for (let q = 0; q < CRASH_QUEUES.length; q++) {
        const list = st.queues.get(CRASH_QUEUES[q]!) ?? [];
        const ids = list.map((m) => m.id);
        const seen = new Set<number>();
        for (let i = 0; i < ids.length; i++) {
          if (seen.has(ids[i]!)) duplicates++;
          seen.add(ids[i]!);
          assert.ok(i === 0 || ids[i - 1]! < ids[i]!, `cycle ${cycle} queue ${q}: order broken at ${i}: ${ids[i - 1]} then ${ids[i]}`);
        }
        const missing = [...present[q]!].filter((id) => !seen.has(id));
        if (missing.length > 0) t.diagnostic(`cycle ${cycle} queue ${q}: lost ${missing.length}: ${missing.slice(0, 20).join(',')} recovery ${JSON.stringify(s.recovery)} log ${JSON.stringify(log.lines)}`);
        lost += missing.length;
        for (const id of acked[q]!) assert.ok(!seen.has(id), `cycle ${cycle} queue ${q}: acked id ${id} came back`);
        for (const m of list) {
          assert.deepEqual(m.record, crashRecord(m.id), `cycle ${cycle}: body of ${m.id}`);
          if (marked[q]!.has(m.id)) assert.ok(m.delivered, `cycle ${cycle} queue ${q}: confirmed delivery mark of ${m.id} lost`);
        }
      }
      assert.ok(!log.lines.some((l) => l.level === 'error'), JSON.stringify(log.lines));
      assert.equal(lost, 0, `cycle ${cycle}: confirmed messages lost`);
      assert.equal(duplicates, 0, `cycle ${cycle}: duplicates`);
      // Leave the directory as the crash left it (no checkpoint), for the next child.
      await s.close({ checkpoint: false });
    }
  }
  t.diagnostic(`confirmed enqueues ${totalConfirmed}, lost ${lost}, duplicates ${duplicates}; checkpoints ${work[0]}, segments deleted ${work[1]}, messages compacted ${work[2]} (seen by the children)`);
  assert.ok(totalConfirmed > 500, `workload too small to mean anything: ${totalConfirmed}`);
  // The kills must have landed on a store that was checkpointing, deleting and compacting.
  assert.ok(work[0]! > 0 && work[1]! > 0 && work[2]! > 0, `background work too rare: ${work.join(',')}`);
});
