#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/cli to dist/src/cli.
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2))).catch((err) => {
  console.error(err);
  process.exit(1);
});
