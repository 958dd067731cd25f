import assert from 'node:assert/strict';
import { crc32c as native } from '@node-rs/crc32';
import { test } from 'node:test';
import { crc32c, crc32cRange, jsCrc32c } from '../../../src/store/journal/crc32c.js';
import { rng } from './helpers.js';

test('crc32c: known vector (RFC 3720 B.4 check value for "123456789")', () => {
  assert.equal(jsCrc32c(Buffer.from('123456789'), 0, 9), 0xe3069283);
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  // RFC 3720 B.4: 32 bytes of zeroes
  assert.equal(jsCrc32c(Buffer.alloc(32), 0, 32), 0x8a9136aa);
});

test('crc32c: the JavaScript and native paths agree on every length, offset and seed', () => {
  const rand = rng(0xc3c);
  const buf = Buffer.alloc(4096);
  for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(rand() * 256);
  for (let len = 0; len <= 600; len++) {
    const start = Math.floor(rand() * 64);
    const seed = len % 3 === 0 ? 0 : Math.floor(rand() * 2 ** 32);
    const want = native(buf.subarray(start, start + len), seed);
    assert.equal(jsCrc32c(buf, start, start + len, seed), want, `len ${len}`);
    assert.equal(crc32cRange(buf, start, start + len, seed), want, `len ${len}`);
  }
  // Chaining: crc(a+b) == crc(b, seed = crc(a))
  const a = buf.subarray(0, 77);
  const b = buf.subarray(77, 1000);
  assert.equal(crc32c(b, crc32c(a)), native(buf.subarray(0, 1000)));
});
