import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StompDecoder, StompFrameError, encodeFrame } from '../../../src/codecs/stomp/index.js';
import type { StompDecoderLimits } from '../../../src/codecs/stomp/index.js';
import { seededRandom } from '../../helpers/random.js';

const LIMITS: StompDecoderLimits = { maxCommandLength: 64, maxHeaders: 20, maxHeaderLength: 256, maxBodySize: 4096 };


const ALPHABET = Buffer.from('SENDCONNECTMESSAGE\n\r:\\\0abc-0123456789 \n\n');

test('random bytes never throw anything but StompFrameError and never buffer past the limits', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const r = seededRandom(seed);
    const dec = new StompDecoder(LIMITS);
    dec.version = r() < 0.5 ? '1.2' : '1.0';
    try {
      for (let i = 0; i < 50; i++) {
        const len = Math.floor(r() * 200);
        const chunk = Buffer.alloc(len);
        for (let k = 0; k < len; k++) chunk[k] = r() < 0.7 ? ALPHABET[Math.floor(r() * ALPHABET.length)]! : Math.floor(r() * 256);
        dec.push(chunk);
        while (dec.next() !== undefined);
        // Headers may hold maxHeaders * maxHeaderLength bytes plus one chunk; body maxBodySize plus one chunk.
        assert.ok(dec.pending <= LIMITS.maxHeaders * (LIMITS.maxHeaderLength + 2) + LIMITS.maxBodySize + 400, `seed ${seed}`);
      }
    } catch (e) {
      assert.ok(e instanceof StompFrameError, `seed ${seed}: ${String(e)}`);
    }
  }
});

test('random valid frames split at random points decode identically', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const r = seededRandom(seed);
    const frames: { h: string[]; body: Buffer }[] = [];
    const parts: Buffer[] = [];
    const n = 1 + Math.floor(r() * 5);
    for (let i = 0; i < n; i++) {
      const h = ['destination', '/queue/q' + i, 'x-k:' + i, 'v\n' + Math.floor(r() * 1000)];
      const body = Buffer.alloc(Math.floor(r() * 300));
      for (let k = 0; k < body.length; k++) body[k] = Math.floor(r() * 256);
      frames.push({ h, body });
      parts.push(encodeFrame('SEND', h, body, '1.2'));
      if (r() < 0.5) parts.push(Buffer.from('\n'));
    }
    const all = Buffer.concat(parts);
    const dec = new StompDecoder(LIMITS);
    dec.version = '1.2';
    const got = [];
    let p = 0;
    while (p < all.length) {
      const q = Math.min(all.length, p + 1 + Math.floor(r() * 64));
      dec.push(all.subarray(p, q));
      for (let f = dec.next(); f !== undefined; f = dec.next()) got.push(f);
      p = q;
    }
    assert.equal(got.length, n, `seed ${seed}`);
    got.forEach((f, i) => {
      assert.equal(f.headers['destination'], frames[i]!.h[1]);
      assert.equal(f.headers['x-k:' + i], frames[i]!.h[3]);
      assert.ok(f.body.equals(frames[i]!.body), `seed ${seed} frame ${i}`);
    });
  }
});
