import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  connectPacket,
  findU16Property,
  lastVarintEnd,
  pidOfTag,
  publishTemplate,
  readVarint,
  subscribePacket,
  tagOfPid,
} from '../../../src/bench/clients/mqtt-wire.js';
import { varIntSize as varintSize, writeVarInt as writeVarint } from '../../../src/codecs/mqtt/varint.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('remaining length: boundaries of MQTT 3.1.1 §2.2.3 table', () => {
  const cases: [number, string][] = [
    [0, '00'],
    [127, '7f'],
    [128, '8001'],
    [16383, 'ff7f'],
    [16384, '808001'],
    [2097151, 'ffff7f'],
    [2097152, '80808001'],
    [268435455, 'ffffff7f'],
  ];
  for (const [n, h] of cases) {
    const b = Buffer.alloc(5);
    const end = writeVarint(b, 1, n);
    assert.equal(b.toString('hex', 1, end), h, `encode ${n}`);
    assert.equal(varintSize(n), end - 1);
    assert.equal(readVarint(b, 1, end), n, `decode ${n}`);
    assert.equal(lastVarintEnd, end);
    assert.equal(readVarint(b, 1, end - 1), -1, 'one byte short: need more');
  }
  assert.throws(() => readVarint(hex('ffffffff01'), 0, 5), /malformed/);
});

test('CONNECT 3.1.1 with clean session and credentials', () => {
  assert.deepEqual(
    connectPacket(4, 'c1', 'u', 'p', true),
    hex(`10 14` + // CONNECT, remaining 20
      `0004 4d515454` + // "MQTT"
      `04` + // level 4 = 3.1.1
      `c2` + // user, password, clean session
      `0000` + // keep-alive 0
      `0002 6331` + // client id "c1"
      `0001 75 0001 70`), // user "u", password "p"
  );
  const v5 = connectPacket(5, 'c', '', '', true);
  assert.deepEqual(v5, hex(`10 0e 0004 4d515454 05 02 0000 00 0001 63`)); // v5: empty properties after keep-alive
});

test('SUBSCRIBE v4 and v5', () => {
  assert.deepEqual(subscribePacket(4, 1, 'a/b', 1), hex(`82 08 0001 0003 612f62 01`));
  assert.deepEqual(subscribePacket(5, 1, 'a/b', 0), hex(`82 09 0001 00 0003 612f62 00`));
});

test('PUBLISH templates: QoS 0 v4 and QoS 1 v5 layouts', () => {
  const body = Buffer.from('xyz');
  const q0 = publishTemplate(4, 't/1', 0, body);
  assert.deepEqual(q0.bytes, hex(`30 08 0003 742f31 78797a`));
  assert.equal(q0.pidOffset, -1);
  assert.equal(q0.bodyOffset, 7);
  const q1 = publishTemplate(5, 't/1', 1, body);
  // 0x32 = PUBLISH QoS 1; topic; packet id (patched later); property length 0; payload
  assert.deepEqual(q1.bytes, hex(`32 0b 0003 742f31 0000 00 78797a`));
  assert.equal(q1.pidOffset, 7);
  assert.equal(q1.bodyOffset, 10);
  const big = publishTemplate(4, 't', 2, Buffer.alloc(200));
  assert.equal(big.bytes[0], 0x34);
  assert.equal(readVarint(big.bytes, 1, big.bytes.length), 3 + 2 + 200);
});

test('packet ids cycle 1..65535 and map back to window tags', () => {
  assert.equal(pidOfTag(1), 1);
  assert.equal(pidOfTag(65535), 65535);
  assert.equal(pidOfTag(65536), 1, 'packet id 0 is never used [MQTT-2.3.1-1]');
  for (const low of [1, 2, 65535, 65536, 100000, 5_000_000]) {
    for (const off of [0, 1, 999, 65533]) {
      const tag = low + off;
      assert.equal(tagOfPid(pidOfTag(tag), low), tag, `low ${low} tag ${tag}`);
    }
  }
});

test('MQTT 5 properties: find Receive Maximum among others (CONNACK properties)', () => {
  // property length 13: 0x22 Topic Alias Maximum = 10, 0x1f Reason String "ok", 0x21 Receive Maximum = 20, 0x24 Maximum QoS = 1
  const props = hex(`0d 22000a 1f00026f6b 210014 2401`);
  assert.equal(props.length, 14);
  assert.equal(findU16Property(props, 0, props.length, 0x21), 20);
  assert.equal(findU16Property(props, 0, props.length, 0x22), 10);
  assert.equal(findU16Property(props, 0, props.length, 0x23), -1, 'absent');
  assert.equal(findU16Property(hex(`03 ff0001`), 0, 4, 0x21), -1, 'unknown property id: give up');
  assert.equal(findU16Property(hex(`00`), 0, 1, 0x21), -1, 'no properties');
});
