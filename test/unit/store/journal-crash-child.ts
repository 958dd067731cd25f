/**
 * Child process of journal-crash.test.ts: opens the journal (recovering whatever the
 * previous, killed, child left), then publishes, acks and marks deliveries as fast as
 * it can. It prints READY <lastMessageId> on stdout once recovered, and appends one line
 * per operation to <ops file> with fs.writeSync: process.stdout on a pipe is
 * asynchronous when the pipe is full, so lines queued there could die with the process
 * (which would make the checker think an issued ack never happened). A synchronous
 * write to a regular file is in the page cache before the call returns and survives
 * SIGKILL.
 *   E <queue index> <id>     enqueue confirmed durable
 *   I <queue index> <id>     dequeue issued (printed before the call: from here on the
 *                            message may legitimately be gone after a crash)
 *   D <queue index> <id>     dequeue confirmed durable
 *   M <queue index> <id>     delivered mark confirmed durable
 *   S <checkpoints> <segments deleted> <messages compacted>   (progress, after each sync)
 * Like a publisher with a bounded confirm window, it keeps at most a few syncs
 * outstanding.
 * The parent kills it with SIGKILL at a random moment.
 * Usage: node journal-crash-child.js <dir> <seed> <checkpointIntervalMs> <ops file>
 */
import { openSync, writeSync } from 'node:fs';
import { JournalMessageStore } from '../../../src/store/journal/index.js';
import { CRASH_QUEUES, crashRecord } from './crash-workload.js';
import { rng } from './helpers.js';

const [dir, seedArg, intervalArg, opsFile] = process.argv.slice(2);
const ops = openSync(opsFile!, 'a');
const out = (text: string): void => {
  writeSync(ops, text);
};
const rand = rng(Number(seedArg));
const store = new JournalMessageStore({
  dir: dir!,
  segmentSize: 64 * 1024,
  checkpointIntervalMs: Number(intervalArg),
  cacheBytes: 256 * 1024,
  log: { warn: () => undefined, error: (o, m) => process.stderr.write(`${m} ${JSON.stringify(o)}\n`) },
});

const state = await store.open();
let nextId = state.lastMessageId + 1;
/** The child's view of each queue: ids in order. */
const queues: number[][] = CRASH_QUEUES.map((q) => (state.queues.get(q) ?? []).map((m) => m.id));
process.stdout.write(`READY ${state.lastMessageId}\n`);

const MAX_OUTSTANDING = 4;
let outstanding = 0;
let paused = false;

function tick(): void {
  if (outstanding >= MAX_OUTSTANDING) {
    paused = true;
    return;
  }
  const lines: string[] = [];
  const publishes = 1 + Math.floor(rand() * 40);
  for (let i = 0; i < publishes; i++) {
    const id = nextId++;
    store.writeMessage(id, crashRecord(id));
    const qi = Math.floor(rand() * CRASH_QUEUES.length);
    const targets = rand() < 0.1 ? [qi, (qi + 1) % CRASH_QUEUES.length] : [qi];
    for (const t of targets) {
      store.enqueue(CRASH_QUEUES[t]!, id);
      queues[t]!.push(id);
      lines.push(`E ${t} ${id}`);
    }
  }
  for (let qi = 0; qi < CRASH_QUEUES.length; qi++) {
    const q = queues[qi]!;
    // Ack from the head (usual consumer), sometimes out of order; keep a backlog so
    // that old segments stay partly live and get compacted.
    const acks = q.length > 2000 ? Math.floor(rand() * 30) : Math.floor(rand() * 12);
    for (let i = 0; i < acks && q.length > 50; i++) {
      const at = rand() < 0.2 ? Math.floor(rand() * q.length) : 0;
      const [id] = q.splice(at, 1);
      out(`I ${qi} ${id}\n`); // on disk before the dequeue is even issued
      store.dequeue(CRASH_QUEUES[qi]!, id!);
      lines.push(`D ${qi} ${id}`);
    }
    if (q.length > 60 && rand() < 0.3) {
      const id = q[Math.floor(rand() * 10)]!;
      store.markDelivered(CRASH_QUEUES[qi]!, id);
      lines.push(`M ${qi} ${id}`);
    }
  }
  outstanding++;
  store.sync((err) => {
    if (err) {
      process.stderr.write(`sync failed: ${err.message}\n`);
      process.exit(3);
    }
    const st = store.stats();
    lines.push(`S ${st.checkpoints} ${st.segmentsDeleted} ${st.compactedMessages}`);
    out(`${lines.join('\n')}\n`);
    outstanding--;
    if (paused) {
      paused = false;
      setImmediate(tick);
    }
  });
  setImmediate(tick);
}
tick();
