import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StompDecoder, StompFrameError } from '../../../src/codecs/stomp/index.js';
import type { StompDecoderLimits, StompFrame } from '../../../src/codecs/stomp/index.js';

const LIMITS: StompDecoderLimits = { maxCommandLength: 1024, maxHeaders: 1000, maxHeaderLength: 10240, maxBodySize: 1 << 20 };

function decodeAll(dec: StompDecoder, ...chunks: Buffer[]): StompFrame[] {
  const out: StompFrame[] = [];
  for (const c of chunks) {
    dec.push(c);
    for (let f = dec.next(); f !== undefined; f = dec.next()) out.push(f);
  }
  return out;
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

test('CONNECT frame fixture: command, headers, empty body', () => {
  const bytes = Buffer.concat([
    b('CONNECT\n'), //            command line
    b('accept-version:1.2\n'), // header: versions offered
    b('host:/\n'), //             header: virtual host
    b('login:guest\n'), //        header: user
    b('passcode:guest\n'), //     header: password
    b('\n'), //                   end of headers
    b('\0'), //                   NUL: end of (empty) body
  ]);
  const [f, ...rest] = decodeAll(new StompDecoder(LIMITS), bytes);
  assert.equal(rest.length, 0);
  assert.equal(f!.command, 'CONNECT');
  assert.deepEqual({ ...f!.headers }, { 'accept-version': '1.2', host: '/', login: 'guest', passcode: 'guest' });
  assert.equal(f!.headerCount, 4);
  assert.equal(f!.body.length, 0);
});

test('SEND with content-length carries NUL octets in the body', () => {
  const body = Buffer.from([0x01, 0x00, 0x02, 0x00]);
  const bytes = Buffer.concat([b('SEND\ndestination:/queue/a\ncontent-length:4\n\n'), body, b('\0')]);
  const [f] = decodeAll(new StompDecoder(LIMITS), bytes);
  assert.equal(f!.command, 'SEND');
  assert.deepEqual([...f!.body], [1, 0, 2, 0]);
});

test('body without content-length ends at the first NUL', () => {
  const [f, g] = decodeAll(new StompDecoder(LIMITS), b('SEND\ndestination:/q\n\nhello\0SEND\ndestination:/r\n\n\0'));
  assert.equal(f!.body.toString(), 'hello');
  assert.equal(g!.headers['destination'], '/r');
  assert.equal(g!.body.length, 0);
});

test('body is a slice of the received chunk (no copy) when the frame arrives whole', () => {
  const chunk = b('SEND\ndestination:/q\n\nhello\0');
  const [f] = decodeAll(new StompDecoder(LIMITS), chunk);
  assert.equal(f!.body.buffer, chunk.buffer);
});

test('CR LF line endings (STOMP 1.2) are accepted and stripped', () => {
  const dec = new StompDecoder(LIMITS);
  dec.version = '1.2';
  const [f] = decodeAll(dec, b('SEND\r\ndestination:/queue/a\r\nfoo:bar\r\n\r\nx\0\r\n'));
  assert.equal(f!.command, 'SEND');
  assert.equal(f!.headers['destination'], '/queue/a');
  assert.equal(f!.headers['foo'], 'bar');
  assert.equal(f!.body.toString(), 'x');
});

test('repeated headers: the first value wins', () => {
  const [f] = decodeAll(new StompDecoder(LIMITS), b('SEND\ndestination:/a\nfoo:1\nfoo:2\n\n\0'));
  assert.equal(f!.headers['foo'], '1');
  assert.equal(f!.headerCount, 3);
});

test('1.1+ header escapes are decoded; CONNECT is never unescaped', () => {
  const dec = new StompDecoder(LIMITS);
  dec.version = '1.2';
  const [f] = decodeAll(dec, b('SEND\ndestination:/a\nk\\cey:a\\nb\\\\c\\cd\\re\n\n\0'));
  assert.equal(f!.headers['k:ey'], 'a\nb\\c:d\re');
  const dec2 = new StompDecoder(LIMITS);
  dec2.version = '1.2';
  const [g] = decodeAll(dec2, b('CONNECT\npasscode:a\\cb\n\n\0'));
  assert.equal(g!.headers['passcode'], 'a\\cb');
});

test('1.0 does not unescape and trims spaces around header names and values', () => {
  const dec = new StompDecoder(LIMITS);
  dec.version = '1.0';
  const [f] = decodeAll(dec, b('SEND\ndestination: /queue/a \nx:a\\nb\n\n\0'));
  assert.equal(f!.headers['destination'], '/queue/a');
  assert.equal(f!.headers['x'], 'a\\nb');
});

test('1.1 rejects \\r escape; any undefined escape is a protocol error', () => {
  const dec = new StompDecoder(LIMITS);
  dec.version = '1.1';
  assert.throws(() => decodeAll(dec, b('SEND\ndestination:/a\nx:a\\rb\n\n\0')), StompFrameError);
  const dec2 = new StompDecoder(LIMITS);
  dec2.version = '1.2';
  assert.throws(() => decodeAll(dec2, b('SEND\ndestination:/a\nx:a\\tb\n\n\0')), StompFrameError);
});

test('heart-beat EOLs between frames are counted and skipped', () => {
  const dec = new StompDecoder(LIMITS);
  const frames = decodeAll(dec, b('\n\r\n\n'), b('SEND\ndestination:/a\n\n\0\n'));
  assert.equal(frames.length, 1);
  assert.equal(dec.heartbeats, 4);
});

test('every split point of a two-frame stream yields the same frames', () => {
  const whole = Buffer.concat([
    b('SEND\ndestination:/queue/a\ncontent-length:3\nreceipt:r1\n\n'),
    Buffer.from([0, 1, 0]),
    b('\0\nSEND\r\ndestination:/b\r\n\r\ntext body\0'),
  ]);
  for (let i = 0; i <= whole.length; i++) {
    for (const j of [i, Math.min(whole.length, i + 1), Math.min(whole.length, i + 7)]) {
      const frames = decodeAll(new StompDecoder(LIMITS), whole.subarray(0, i), whole.subarray(i, j), whole.subarray(j));
      assert.equal(frames.length, 2, `split at ${i}/${j}`);
      assert.deepEqual([...frames[0]!.body], [0, 1, 0]);
      assert.equal(frames[0]!.headers['receipt'], 'r1');
      assert.equal(frames[1]!.body.toString(), 'text body');
    }
  }
});

test('byte-at-a-time feeding of a large body keeps earlier bodies intact', () => {
  const dec = new StompDecoder(LIMITS);
  const first = b('SEND\ndestination:/a\n\nfirst\0SEND\ndestination:/a\n\n');
  const frames = decodeAll(dec, first);
  assert.equal(frames.length, 1);
  const big = Buffer.alloc(100_000, 0x61);
  const rest: StompFrame[] = [];
  for (let i = 0; i < big.length; i += 997) rest.push(...decodeAll(dec, big.subarray(i, i + 997)));
  rest.push(...decodeAll(dec, b('\0')));
  assert.equal(rest.length, 1);
  assert.equal(rest[0]!.body.length, 100_000);
  assert.equal(frames[0]!.body.toString(), 'first');
  assert.equal(dec.pending, 0);
});

test('unknown command is rejected at the command line', () => {
  assert.throws(
    () => decodeAll(new StompDecoder(LIMITS), b('FOO\n\n\0')),
    (e: unknown) => e instanceof StompFrameError && e.summary === 'Unknown command',
  );
  // Commands are case-sensitive.
  assert.throws(() => decodeAll(new StompDecoder(LIMITS), b('send\n\n\0')), StompFrameError);
});

test('body longer than content-length (no NUL after it) is an error carrying the receipt', () => {
  assert.throws(
    () => decodeAll(new StompDecoder(LIMITS), b('SEND\ndestination:/a\nreceipt:77\ncontent-length:2\n\nabc\0')),
    (e: unknown) => e instanceof StompFrameError && e.receipt === '77' && /content-length/.test(e.message),
  );
});

test('invalid content-length values are rejected', () => {
  for (const v of ['-1', 'abc', '1e3', '']) {
    assert.throws(() => decodeAll(new StompDecoder(LIMITS), b(`SEND\ncontent-length:${v}\n\n\0`)), StompFrameError, v);
  }
});

test('limits: header count, header length, command length, body size', () => {
  const small: StompDecoderLimits = { maxCommandLength: 16, maxHeaders: 3, maxHeaderLength: 20, maxBodySize: 10 };
  assert.throws(() => decodeAll(new StompDecoder(small), b('SEND\na:1\nb:2\nc:3\nd:4\n\n\0')), /more than 3 headers/);
  assert.throws(() => decodeAll(new StompDecoder(small), b('SEND\nx:' + 'y'.repeat(30) + '\n\n\0')), /header line longer/);
  // An incomplete over-long line is refused before it is complete (no unbounded buffering).
  assert.throws(() => decodeAll(new StompDecoder(small), b('SEND\nx:' + 'y'.repeat(30))), /header line longer/);
  assert.throws(() => decodeAll(new StompDecoder(small), b('A'.repeat(40))), /command line longer/);
  // content-length above the maximum is refused before any body byte arrives.
  assert.throws(() => decodeAll(new StompDecoder(small), b('SEND\ncontent-length:11\n\n')), /exceeds the maximum/);
  // Without content-length, an unterminated body is refused once past the maximum.
  assert.throws(() => decodeAll(new StompDecoder(small), b('SEND\n\n'), b('0123456789AB')), /exceeds the maximum/);
  // Exactly at the limits is fine.
  const ok = decodeAll(new StompDecoder(small), b('SEND\na:1\nb:2\nc:3\n\n0123456789\0'));
  assert.equal(ok[0]!.body.length, 10);
});

test('header line without a colon is an error', () => {
  assert.throws(() => decodeAll(new StompDecoder(LIMITS), b('SEND\nnocolon\n\n\0')), /without a colon/);
});

test('UTF-8 header values and __proto__ names are plain data', () => {
  const dec = new StompDecoder(LIMITS);
  dec.version = '1.2';
  const [f] = decodeAll(dec, Buffer.from('SEND\n__proto__:x\ncafé:naïve ✓\n\n\0', 'utf8'));
  assert.equal(f!.headers['__proto__'], 'x');
  assert.equal(f!.headers['café'], 'naïve ✓');
  assert.equal(Object.getPrototypeOf(f!.headers), null);
});

test('maxFrameSize bounds the whole frame, complete or still arriving', () => {
  const limits: StompDecoderLimits = { ...LIMITS, maxFrameSize: 40 };
  assert.throws(() => decodeAll(new StompDecoder(limits), b('SEND\ndestination:/queue/a\n\n' + 'x'.repeat(30) + '\0')), /frame exceeds the maximum 40/);
  assert.throws(() => decodeAll(new StompDecoder(limits), b('SEND\ndestination:/queue/a\nk:' + 'v'.repeat(30))), /frame exceeds/);
  const ok = decodeAll(new StompDecoder(limits), b('SEND\ndestination:/queue/a\n\nxyz\0SEND\n\n\0'));
  assert.equal(ok.length, 2);
});
