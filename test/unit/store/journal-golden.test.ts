/**
 * Golden files of journal format version 1 (test/fixtures/journal-v1/): today's code
 * must recover them to exactly the state their generator recorded, and today's writer
 * must still produce them byte for byte. If the second test fails because the format
 * changed on purpose, bump FORMAT_VERSION and add journal-v2 fixtures; the first test
 * must keep passing on the v1 files forever.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { FORMAT_VERSION, JournalMessageStore } from '../../../src/store/journal/index.js';
import { CASES, type Expected, generate } from '../../fixtures/journal-v1/generate.js';
import { captureLog, tempDir } from './helpers.js';

const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/journal-v1/', import.meta.url));

for (const name of Object.keys(CASES)) {
  test(`format v1 golden journal "${name}" recovers to its recorded contents`, async (t) => {
    const expected = JSON.parse(readFileSync(join(FIXTURES, name, 'expected.json'), 'utf8')) as Expected;
    assert.equal(expected.formatVersion, 1);
    const dir = tempDir(t);
    cpSync(join(FIXTURES, name, 'journal'), dir, { recursive: true });
    const log = captureLog();
    const s = new JournalMessageStore({ dir, log, checkpointIntervalMs: 0 });
    const st = await s.open();
    assert.equal(st.lastMessageId, expected.lastMessageId);
    assert.deepEqual([...st.queues.keys()].sort(), Object.keys(expected.queues).sort());
    for (const [q, want] of Object.entries(expected.queues)) {
      const got = st.queues.get(q)!.map((m) => ({
        id: m.id,
        delivered: m.delivered,
        length: m.record.length,
        sha256: createHash('sha256').update(m.record).digest('hex'),
      }));
      assert.deepEqual(got, want, `queue ${JSON.stringify(q)}`);
    }
    assert.deepEqual(
      log.lines.map((l) => l.msg.replace(/^journal: /, '')),
      expected.warnings,
    );
    await s.close();
  });
}

function listFiles(dir: string, base = ''): string[] {
  const out: string[] = [];
  for (const n of readdirSync(join(dir, base)).sort()) {
    const rel = join(base, n);
    if (statSync(join(dir, rel)).isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out;
}

test('today\'s writer still produces the v1 golden files byte for byte', async (t) => {
  assert.equal(FORMAT_VERSION, 1, 'format version changed: add journal-v2 fixtures and keep these');
  const out = tempDir(t);
  await generate(out);
  const want = listFiles(FIXTURES).filter((f) => !f.endsWith('.ts'));
  const got = listFiles(out);
  assert.deepEqual(got, want);
  for (const f of got) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(FIXTURES, f))), `${f} differs`);
});
