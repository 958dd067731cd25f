import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BodyFields, HEADER_SIZE, makeBody, nowUs, patchBody, readHex, writeHex } from '../../../src/bench/payload.js';

test('a fresh body: size, magic, producer id, filler, no NUL byte', () => {
  const b = makeBody(64, 0xbeef);
  assert.equal(b.length, 64);
  // 'W', producer 'beef', seq 00000000, timestamp 13 zeros, '......', then 'x' filler
  assert.equal(b.toString('latin1'), `Wbeef${'0'.repeat(8)}${'0'.repeat(13)}......${'x'.repeat(32)}`);
  assert.equal(b.indexOf(0), -1);
  assert.throws(() => makeBody(HEADER_SIZE - 1, 0), RangeError);
});

test('patch then read round-trips sequence and a current timestamp', () => {
  const buf = Buffer.alloc(100, 0x20);
  makeBody(40, 7).copy(buf, 30);
  const ts = nowUs();
  patchBody(buf, 30, 0xfffffffe, ts);
  const f = new BodyFields();
  assert.equal(f.read(buf, 30, 40), true);
  assert.equal(f.producer, 7);
  assert.equal(f.seq, 0xfffffffe);
  assert.equal(f.tsUs, ts);
  // The bytes around the body are untouched.
  assert.equal(buf[29], 0x20);
  assert.equal(buf[70], 0x20);
});

test('timestamps above 2^32 and up to 2^52 stay exact in 13 hex digits', () => {
  const b = Buffer.alloc(13);
  for (const v of [0, 1, 2 ** 32, 2 ** 32 + 1, 1_700_000_000_123_456, 2 ** 52 - 1]) {
    writeHex(b, 0, 13, v);
    assert.equal(readHex(b, 0, 13), v);
  }
  writeHex(b, 0, 4, 0xabcd);
  assert.equal(b.toString('latin1', 0, 4), 'abcd');
});

test('readHex rejects non-hex digits and reads past the end', () => {
  assert.equal(readHex(Buffer.from('12g4'), 0, 4), -1);
  assert.equal(readHex(Buffer.from('12AB'), 0, 4), -1); // upper case is never written
  assert.equal(readHex(Buffer.from('12'), 0, 4), -1);
});

test('BodyFields rejects foreign, truncated and corrupted bodies', () => {
  const f = new BodyFields();
  const good = makeBody(32, 1);
  assert.equal(f.read(good, 0, 32), true);
  assert.equal(f.read(good, 0, 31), false, 'declared length shorter than the header');
  assert.equal(f.read(Buffer.from('hello world, this is not a bench body'), 0, 37), false);
  const bad = Buffer.from(good);
  bad[6] = 0x2d; // '-' inside the sequence digits
  assert.equal(f.read(bad, 0, 32), false);
  assert.equal(f.read(good.subarray(0, 20), 0, 32), false, 'buffer ends before the header');
});
