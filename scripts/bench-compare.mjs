#!/usr/bin/env node
// `npm run bench:compare`: Wharf against RabbitMQ, ActiveMQ and Mosquitto (issue 6).
// The logic is TypeScript in src/bench/compare/ (compiled by `npm run build`); see docs/bench.md.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/bench/compare/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('bench-compare: dist/ is missing; run `npm run build` first (npm run bench:compare does)');
  process.exit(2);
}
const { runCompare } = await import(entry.href);
process.exit(await runCompare(process.argv.slice(2)));
