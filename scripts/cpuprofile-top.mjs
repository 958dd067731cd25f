#!/usr/bin/env node
// Summarise a V8 .cpuprofile (node --cpu-prof): self time per function, and total
// (inclusive) time for the heaviest functions. Used to find the hot path; see docs/performance.md.
// Usage: node scripts/cpuprofile-top.mjs <file.cpuprofile> [rows=30]
import { readFileSync } from 'node:fs';

const [file, rowsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: cpuprofile-top.mjs <file.cpuprofile> [rows]');
  process.exit(2);
}
const rows = Number(rowsArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Sample counts per node; time per sample from the time deltas.
const hits = new Map();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const total = profile.samples.length;
const name = (n) => {
  const f = n.callFrame;
  const where = f.url ? `${f.url.replace(/^.*\/(dist|node:internal)\//, '$1/')}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
};
const self = new Map();
const incl = new Map();
for (const [id, count] of hits) {
  const n = byId.get(id);
  const key = name(n);
  self.set(key, (self.get(key) ?? 0) + count);
  // Inclusive: every distinct function on the stack gets the sample once.
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = name(byId.get(cur));
    if (seen.has(k)) continue;
    seen.add(k);
    incl.set(k, (incl.get(k) ?? 0) + count);
  }
}
const pct = (c) => `${((100 * c) / total).toFixed(1).padStart(5)}%`;
const show = (title, m) => {
  console.log(`\n${title} (${total} samples)`);
  for (const [k, c] of [...m].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`${pct(c)}  ${k}`);
};
show('self', self);
show('inclusive', incl);
