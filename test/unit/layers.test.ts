/**
 * Enforces the import direction of DESIGN §2 over the source tree:
 *   cli -> server -> protocols/* -> codecs/* ; protocols/* -> core (api only) -> store (interfaces)
 * A violation names the file and the import so the fix is obvious.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.cwd(), 'src');

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

const importRe = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Node built-ins that mean I/O on the network: codecs and core must not touch them. */
const networkModules = new Set(['net', 'tls', 'http', 'https', 'http2', 'dgram', 'ws']);

interface Rule {
  /** Source-relative path prefixes this file may import (within src/). */
  readonly allow: readonly string[];
  readonly network: boolean;
}

function ruleFor(file: string): Rule | undefined {
  const [layer, sub] = file.split('/');
  switch (layer) {
    case 'codecs':
      return { allow: [`codecs/${sub}/`, 'codecs/shared/'], network: false };
    case 'core':
      return { allow: ['core/', 'store/api.ts'], network: false };
    case 'store':
      return { allow: ['store/'], network: false };
    case 'protocols':
      return {
        allow: [
          `protocols/${sub}/`,
          'protocols/shared/',
          'protocols/context.ts',
          `codecs/${sub}/`,
          'codecs/shared/',
          'core/api.ts',
          'core/message.ts',
          'core/errors.ts',
          'transport/byte-stream.ts',
        ],
        network: false,
      };
    case 'transport':
      return { allow: ['transport/'], network: true };
    case 'bench':
      return { allow: ['bench/', 'codecs/'], network: true };
    case 'management':
      return { allow: ['management/', 'core/api.ts', 'core/message.ts', 'core/errors.ts'], network: true };
    case 'server':
      return { allow: ['server/', 'core/', 'store/', 'protocols/', 'transport/', 'management/', 'codecs/'], network: true };
    case 'cli':
      return undefined; // the top: may import anything
    default:
      return { allow: [`${layer}/`], network: false };
  }
}

test('imports follow the layer direction of DESIGN §2', () => {
  const violations: string[] = [];
  for (const abs of walk(root)) {
    const file = relative(root, abs).split('\\').join('/');
    const rule = ruleFor(file);
    if (!rule) continue;
    const text = readFileSync(abs, 'utf8');
    for (const m of text.matchAll(importRe)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) {
        const target = relative(root, resolve(dirname(abs), spec)).split('\\').join('/').replace(/\.js$/, '.ts');
        if (!rule.allow.some((a) => target === a || target.startsWith(a))) violations.push(`${file} imports ${target}`);
      } else {
        const bare = spec.replace(/^node:/, '');
        if (!rule.network && networkModules.has(bare)) violations.push(`${file} imports network module ${spec}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test('the layer check notices a violation', () => {
  // Guards the checker itself: a codec importing the core must be refused.
  const rule = ruleFor('codecs/amqp091/frame.ts')!;
  assert.equal(rule.allow.some((a) => 'core/api.ts'.startsWith(a)), false);
  assert.equal(rule.network, false);
});
