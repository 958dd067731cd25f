/**
 * Child of file-definitions.test.ts: saves ever-growing definition documents in a loop
 * and appends "<n>\n" to <ops file> (synchronously) after save n resolved. The parent
 * kills it with SIGKILL at a random moment.
 * Usage: WHARF_DEFS_START=<n> node definitions-crash-child.js <definitions path> <ops file>
 */
import { openSync, writeSync } from 'node:fs';
import { FileDefinitionStore } from '../../../src/store/file-definitions.js';
import { definitionsNumber } from './definitions-sample.js';

const [path, opsFile] = process.argv.slice(2);
const ops = openSync(opsFile!, 'a');
const store = new FileDefinitionStore(path!);
// Numbering continues after the newest save the parent has seen.
const start = Number(process.env['WHARF_DEFS_START'] ?? 0);
process.stdout.write('READY\n');
for (let n = start; ; n++) {
  await store.save(definitionsNumber(n));
  writeSync(ops, `${n}\n`);
}
