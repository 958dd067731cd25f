/** Field tables: every RabbitMQ type letter as a byte fixture, plus random round trips. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AmqpDecimal, AmqpTimestamp, TypedField, WireReader, WireWriter, type AmqpFieldTable, type AmqpFieldValue, type FieldTypeLetter } from '../../../src/codecs/amqp091/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/#.*$/gm, '').replace(/\s+/g, ''), 'hex');

function decodeValue(bytes: Buffer): AmqpFieldValue {
  const r = new WireReader();
  r.reset(bytes, 0, bytes.length);
  const v = r.fieldValue(0);
  assert.equal(r.remaining, 0, 'all octets consumed');
  return v;
}

function encodeTyped(type: FieldTypeLetter, v: AmqpFieldValue): Buffer {
  const w = new WireWriter(8);
  w.fieldValue(new TypedField(type, v), 0);
  return w.buf.subarray(0, w.pos);
}

// [letter, bytes, decoded value]
const CASES: Array<[FieldTypeLetter, string, AmqpFieldValue]> = [
  ['t', '74 01', true], // boolean true
  ['t', '74 00', false],
  ['b', '62 ff', -1], // signed 8-bit
  ['B', '42 ff', 255], // unsigned 8-bit
  ['s', '73 8000', -32768], // RabbitMQ: signed 16-bit
  ['u', '75 ffff', 65535], // unsigned 16-bit
  ['I', '49 80000000', -2147483648], // signed 32-bit
  ['i', '69 ffffffff', 4294967295], // unsigned 32-bit
  ['l', '6c ffffffffffffffff', -1], // signed 64-bit
  ['l', '6c 7fffffffffffffff', 9223372036854775807n], // beyond 2^53: bigint
  ['L', '4c 0000000000000005', 5], // 'L' read as signed 64-bit, like RabbitMQ
  ['f', '66 3fc00000', 1.5], // float
  ['d', '64 3ff8000000000000', 1.5], // double
  ['S', '53 00000003 616263', 'abc'], // long string
  ['x', '78 00000002 0102', Buffer.from([1, 2])], // byte array
  ['V', '56', null], // void
];

test('every field type letter decodes and encodes', () => {
  for (const [letter, bytes, value] of CASES) {
    const b = hex(bytes);
    assert.deepEqual(decodeValue(b), value, `decode '${letter}'`);
    assert.deepEqual(encodeTyped(letter, value), b, `encode '${letter}'`);
  }
});

test("'D' decimal, 'T' timestamp, 'A' array, 'F' table", () => {
  const dec = hex('44 02 000004d2'); // scale 2, digits 1234 -> 12.34
  const d = decodeValue(dec);
  assert.ok(d instanceof AmqpDecimal);
  assert.equal(d.scale, 2);
  assert.equal(d.digits, 1234);
  assert.deepEqual(encodeTyped('D', new AmqpDecimal(2, 1234)), dec);

  const ts = hex('54 0000000065000000'); // seconds 0x65000000
  const t = decodeValue(ts);
  assert.ok(t instanceof AmqpTimestamp);
  assert.equal(t.seconds, 0x65000000);
  const w = new WireWriter();
  w.fieldValue(new AmqpTimestamp(0x65000000), 0);
  assert.deepEqual(w.buf.subarray(0, w.pos), ts);

  const arr = hex(`41 0000000b   # array, 11 octets
    49 00000001              # I 1
    53 00000001 78           # S "x"`);
  assert.deepEqual(decodeValue(arr), [1, 'x']);

  const tbl = hex(`46 00000007   # table, 7 octets
    01 6b                    # key "k"
    74 01                    # t true
    01 6e 56                 # key "n", V`);
  assert.deepEqual(decodeValue(tbl), { k: true, n: null });
});

test('plain JS values pick the documented wire types', () => {
  const w = new WireWriter(4);
  w.table({ i: 7, big: 2 ** 40, frac: 0.5, s: 'é', b: Buffer.from('z'), n: null, t: true, bi: -5n });
  const r = new WireReader();
  r.reset(w.buf, 0, w.pos);
  const t = r.table();
  assert.deepEqual(t, { i: 7, big: 2 ** 40, frac: 0.5, s: 'é', b: Buffer.from('z'), n: null, t: true, bi: -5 });
  // Check the letters chosen: find each key's type octet.
  const bytes = w.buf.subarray(0, w.pos);
  const typeOf = (key: string): string => {
    const at = bytes.indexOf(Buffer.concat([Buffer.from([key.length]), Buffer.from(key)]));
    return String.fromCharCode(bytes[at + 1 + key.length]!);
  };
  assert.equal(typeOf('i'), 'I');
  assert.equal(typeOf('big'), 'l');
  assert.equal(typeOf('frac'), 'd');
  assert.equal(typeOf('s'), 'S');
  assert.equal(typeOf('b'), 'x');
  assert.equal(typeOf('n'), 'V');
  assert.equal(typeOf('t'), 't');
  assert.equal(typeOf('bi'), 'l');
});

test('unknown type letter is a 502 syntax error; truncation is a 501 frame error', () => {
  assert.throws(() => decodeValue(hex('7a 00')), (e: Error & { replyCode?: number }) => e.replyCode === 502);
  // table claims 100 octets but only 2 follow
  const r = new WireReader();
  const b = hex('00000064 0000');
  r.reset(b, 0, b.length);
  assert.throws(() => r.table(), (e: Error & { replyCode?: number }) => e.replyCode === 501);
  // key longer than the table
  const b2 = hex('00000002 05 61');
  r.reset(b2, 0, b2.length);
  assert.throws(() => r.table(), (e: Error & { replyCode?: number }) => e.replyCode === 501);
});

test('deeply nested tables are refused, not a stack overflow', () => {
  // 1000 nested 'F' tables, each wrapping the next.
  let inner = hex('00000000');
  for (let i = 0; i < 1000; i++) {
    const entry = Buffer.concat([hex('01 6b 46'), inner]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(entry.length);
    inner = Buffer.concat([len, entry]);
  }
  const r = new WireReader();
  r.reset(inner, 0, inner.length);
  assert.throws(() => r.table(), (e: Error & { replyCode?: number }) => e.replyCode === 502);
});

test('__proto__ keys stay plain data', () => {
  const b = hex('0000000c 09 5f5f70726f746f5f5f 74 01');
  const r = new WireReader();
  r.reset(b, 0, b.length);
  const t = r.table();
  assert.equal(Object.getPrototypeOf(t), Object.prototype);
  assert.deepEqual(Object.keys(t), ['__proto__']);
});

// --- property test: random tables round-trip ---

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function randomValue(r: () => number, depth: number): AmqpFieldValue {
  const k = Math.floor(r() * (depth > 3 ? 8 : 11));
  switch (k) {
    case 0: return r() < 0.5;
    case 1: return Math.floor(r() * 4294967296) - 2147483648; // int32
    case 2: return Math.floor(r() * 2 ** 52) * (r() < 0.5 ? -1 : 1); // int64 range, safe
    case 3: return r() * 1e6 + 0.25; // double
    case 4: return Array.from({ length: Math.floor(r() * 20) }, () => String.fromCharCode(32 + Math.floor(r() * 2000))).join('');
    case 5: return Buffer.from(Array.from({ length: Math.floor(r() * 20) }, () => Math.floor(r() * 256)));
    case 6: return null;
    case 7: return new AmqpTimestamp(Math.floor(r() * 2 ** 40));
    case 8: return randomTable(r, depth + 1);
    case 9: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: return new AmqpDecimal(Math.floor(r() * 10), Math.floor(r() * 4294967296));
  }
}

function randomTable(r: () => number, depth: number): AmqpFieldTable {
  const t: AmqpFieldTable = {};
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) t[`k${i}-${Math.floor(r() * 1000)}`] = randomValue(r, depth);
  return t;
}

test('random field tables round-trip (500 seeds)', () => {
  for (let seed = 1; seed <= 500; seed++) {
    const r = rng(seed);
    const table = randomTable(r, 0);
    const w = new WireWriter(16);
    w.table(table);
    const rd = new WireReader();
    rd.reset(w.buf, 0, w.pos);
    assert.deepEqual(rd.table(), table, `seed ${seed}`);
    assert.equal(rd.remaining, 0);
  }
});
