import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { FileDefinitionStore } from '../../../src/store/file-definitions.js';
import { definitionsNumber, numberOf } from './definitions-sample.js';
import { rng, tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./definitions-crash-child.js', import.meta.url));

test('definitions: missing file loads as undefined; save then load round-trips', async (t) => {
  const dir = tempDir(t, 'wharf-defs-');
  const path = join(dir, 'definitions.json');
  const s = new FileDefinitionStore(path);
  assert.equal(await s.load(), undefined);
  await s.save(definitionsNumber(7));
  assert.deepEqual(await new FileDefinitionStore(path).load(), definitionsNumber(7));
  assert.deepEqual(readdirSync(dir), ['definitions.json'], 'no temporary file left behind');
});

test('definitions: a damaged or foreign file is an error, never "no definitions"', async (t) => {
  const dir = tempDir(t, 'wharf-defs-');
  const path = join(dir, 'definitions.json');
  writeFileSync(path, '{"version": 1, "users": [');
  await assert.rejects(new FileDefinitionStore(path).load(), /not valid JSON/);
  writeFileSync(path, JSON.stringify({ ...definitionsNumber(1), version: 2 }));
  await assert.rejects(new FileDefinitionStore(path).load(), /version 1/);
  writeFileSync(path, JSON.stringify({ ...definitionsNumber(1), queues: 'x' }));
  await assert.rejects(new FileDefinitionStore(path).load(), /"queues" must be an array/);
});

test('definitions: concurrent saves are applied in call order; leftover temp files are cleaned', async (t) => {
  const dir = tempDir(t, 'wharf-defs-');
  const path = join(dir, 'definitions.json');
  writeFileSync(join(dir, '.definitions.json.tmp-999999-1'), 'half a docu');
  const s = new FileDefinitionStore(path);
  const order: number[] = [];
  await Promise.all([1, 2, 3, 4, 5].map((n) => s.save(definitionsNumber(n)).then(() => order.push(n))));
  assert.deepEqual(order, [1, 2, 3, 4, 5]);
  assert.equal(numberOf((await s.load())!), 5);
  assert.deepEqual(readdirSync(dir), ['definitions.json']);
});

test('definitions: SIGKILL during saves never leaves a partial document (20 kills)', async (t) => {
  const dir = tempDir(t, 'wharf-defs-');
  const path = join(dir, 'definitions.json');
  const rand = rng(0xdef5);
  let lastConfirmed = -1;
  let saves = 0;
  for (let cycle = 0; cycle < 20; cycle++) {
    const ops = join(dir, `ops-${cycle}.txt`);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [CHILD, path, ops], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, WHARF_DEFS_START: String(lastConfirmed + 1) },
      });
      let stderr = '';
      const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), Math.floor(rand() * 150)));
      child.on('error', reject);
      child.on('close', (_code, signal) => {
        clearTimeout(guard);
        if (signal === 'SIGKILL') resolve();
        else reject(new Error(`child ended by itself: ${stderr}`));
      });
    });
    const confirmed = existsSync(ops) ? readFileSync(ops, 'utf8').split('\n').filter(Boolean).map(Number) : [];
    saves += confirmed.length;
    if (confirmed.length > 0) lastConfirmed = confirmed[confirmed.length - 1]!;
    const loaded = await new FileDefinitionStore(path).load();
    if (lastConfirmed < 0 && loaded === undefined) continue;
    assert.ok(loaded, `cycle ${cycle}: definitions vanished`);
    const n = numberOf(loaded);
    // The last confirmed save, or one the child started after it (rename happened, confirm line did not).
    assert.ok(n >= lastConfirmed, `cycle ${cycle}: loaded save ${n} older than confirmed ${lastConfirmed}`);
    assert.deepEqual(loaded, definitionsNumber(n), `cycle ${cycle}: document ${n} is intact`);
    lastConfirmed = Math.max(lastConfirmed, n);
    assert.deepEqual(
      readdirSync(dir).filter((f) => !f.startsWith('ops-')),
      ['definitions.json'],
      'temp files cleaned by load',
    );
  }
  t.diagnostic(`confirmed saves: ${saves}`);
  assert.ok(saves > 20, `too few saves to mean anything: ${saves}`);
});
