import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MqttCodecError,
  MqttDecoder,
  UnsupportedProtocolError,
  type ConnectPacket,
  type MqttPacket,
  type PublishPacket,
  type SubscribePacket,
} from '../../../src/codecs/mqtt/index.js';

const opts = { maxPacketSize: 1024 * 1024, maxFiltersPerPacket: 100 };

/** Decode everything in `chunks`, feeding them one at a time. */
function decodeAll(dec: MqttDecoder, ...chunks: Buffer[]): MqttPacket[] {
  const out: MqttPacket[] = [];
  for (const c of chunks) {
    dec.push(c);
    for (let p = dec.next(); p !== undefined; p = dec.next()) out.push(p);
  }
  return out;
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// MQTT 3.1.1 CONNECT, client id "c1", user "u", password "p", keep alive 60, clean session.
const CONNECT_311 = hex(`
  10 14          # fixed header: CONNECT, remaining length 20
  00 04 4d515454 # protocol name "MQTT"
  04             # protocol level 4 (3.1.1)
  c2             # flags: user name, password, clean session
  00 3c          # keep alive 60 s
  00 02 6331     # client id "c1"
  00 01 75       # user name "u"
  00 01 70       # password "p"
`.replace(/#.*$/gm, ''));

test('decodes a 3.1.1 CONNECT fixture', () => {
  const dec = new MqttDecoder(opts);
  const [p] = decodeAll(dec, CONNECT_311) as [ConnectPacket];
  assert.equal(p.type, 1);
  assert.equal(p.protocolName, 'MQTT');
  assert.equal(p.protocolLevel, 4);
  assert.equal(p.clean, true);
  assert.equal(p.keepAlive, 60);
  assert.equal(p.clientId, 'c1');
  assert.equal(p.username, 'u');
  assert.deepEqual(p.password, Buffer.from('p'));
  assert.equal(p.will, undefined);
  assert.equal(dec.level, 4);
});

// MQTT 3.1 CONNECT ("MQIsdp", level 3) with a will.
const CONNECT_31 = hex(`
  10 1a             # CONNECT, remaining 26
  00 06 4d5149736470 # "MQIsdp"
  03                # level 3
  2e                # flags: will retain(0x20), will QoS 1 (0x08), will flag(0x04), clean(0x02)
  00 0a             # keep alive 10
  00 02 6964        # client id "id"
  00 03 772f74      # will topic "w/t"
  00 03 627965      # will payload "bye"
`.replace(/#.*$/gm, ''));

test('decodes a 3.1 CONNECT with a will', () => {
  const [p] = decodeAll(new MqttDecoder(opts), CONNECT_31) as [ConnectPacket];
  assert.equal(p.protocolLevel, 3);
  assert.equal(p.protocolName, 'MQIsdp');
  assert.equal(p.will?.topic, 'w/t');
  assert.equal(p.will?.qos, 1);
  assert.equal(p.will?.retain, true);
  assert.equal(p.will?.payload.toString(), 'bye');
});

// MQTT 5 CONNECT with properties and will properties.
const CONNECT_5 = hex(`
  10 2d             # CONNECT, remaining 45
  00 04 4d515454    # "MQTT"
  05                # level 5
  06                # flags: will flag, clean start
  00 1e             # keep alive 30
  0b                # property length 11
  11 00000e10       #   session expiry interval 3600
  21 0010           #   receive maximum 16
  22 0005           #   topic alias maximum 5
  00 01 61          # client id "a"
  0c                # will property length 12
  18 00000005       #   will delay interval 5
  26 00 01 6b 00 01 76 # user property k=v
  00 01 74          # will topic "t"
  00 02 0001        # will payload (binary 00 01)
`.replace(/#.*$/gm, ''));

test('decodes an MQTT 5 CONNECT with properties and will properties', () => {
  const [p] = decodeAll(new MqttDecoder(opts), CONNECT_5) as [ConnectPacket];
  assert.equal(p.protocolLevel, 5);
  assert.equal(p.keepAlive, 30);
  assert.deepEqual({ ...p.properties }, { sessionExpiryInterval: 3600, receiveMaximum: 16, topicAliasMaximum: 5 });
  assert.equal(p.will?.properties.willDelayInterval, 5);
  assert.deepEqual(p.will?.properties.userProperties, [['k', 'v']]);
  assert.deepEqual(p.will?.payload, Buffer.from([0, 1]));
});

// MQTT 5 PUBLISH QoS 1 with properties (after a v5 CONNECT).
const PUBLISH_5 = hex(`
  32 18             # PUBLISH, QoS 1, remaining 24
  00 03 612f62      # topic "a/b"
  00 07             # packet id 7
  0e                # property length 14
  01 01             #   payload format indicator 1 (UTF-8)
  02 0000003c       #   message expiry 60 s
  03 00 04 74657874 #   content type "text"
  68 69             # payload "hi"
`.replace(/#.*$/gm, ''));

test('decodes an MQTT 5 PUBLISH with properties; payload is a slice of the chunk', () => {
  const dec = new MqttDecoder(opts);
  const chunk = Buffer.concat([CONNECT_5, PUBLISH_5]);
  const [, p] = decodeAll(dec, chunk) as [ConnectPacket, PublishPacket];
  assert.equal(p.topic, 'a/b');
  assert.equal(p.qos, 1);
  assert.equal(p.packetId, 7);
  assert.equal(p.properties.payloadFormatIndicator, 1);
  assert.equal(p.properties.messageExpiryInterval, 60);
  assert.equal(p.properties.contentType, 'text');
  assert.equal(p.payload.toString(), 'hi');
  assert.equal(p.payload.buffer, chunk.buffer, 'payload must share the received chunk memory');
});

test('reassembles packets split at every byte boundary, and several packets per chunk', () => {
  const all = Buffer.concat([CONNECT_5, PUBLISH_5, hex('c000'), PUBLISH_5]);
  const whole = decodeAll(new MqttDecoder(opts), all);
  assert.equal(whole.length, 4);
  for (let cut = 1; cut < all.length; cut++) {
    const parts = decodeAll(new MqttDecoder(opts), all.subarray(0, cut), all.subarray(cut));
    assert.deepEqual(parts, whole, `split at ${cut}`);
  }
  const bytewise = decodeAll(new MqttDecoder(opts), ...[...all].map((b) => Buffer.from([b])));
  assert.deepEqual(bytewise, whole);
});

// MQTT 3.1.1 SUBSCRIBE with two filters.
const SUBSCRIBE_311 = hex(`
  82 0e        # SUBSCRIBE, flags 0010, remaining 14
  00 0a        # packet id 10
  00 03 612f23 # filter "a/#"
  01           # QoS 1
  00 03 2b2f62 # filter "+/b"
  02           # QoS 2
`.replace(/#.*$/gm, ''));

test('decodes a 3.1.1 SUBSCRIBE', () => {
  const [, s] = decodeAll(new MqttDecoder(opts), CONNECT_311, SUBSCRIBE_311) as [ConnectPacket, SubscribePacket];
  assert.equal(s.packetId, 10);
  assert.deepEqual(
    s.subscriptions.map((x) => [x.topicFilter, x.qos]),
    [
      ['a/#', 1],
      ['+/b', 2],
    ],
  );
});

// MQTT 5 SUBSCRIBE with a subscription identifier and options.
const SUBSCRIBE_5 = hex(`
  82 0b        # SUBSCRIBE, remaining 11
  00 01        # packet id 1
  02           # property length 2
  0b 2a        #   subscription identifier 42
  00 03 782f79 # filter "x/y"
  2d           # options: retain handling 2 (0x20), retain as published (0x08), no local (0x04), QoS 1
`.replace(/#.*$/gm, ''));

test('decodes MQTT 5 subscription options and identifier', () => {
  const [, s] = decodeAll(new MqttDecoder(opts), CONNECT_5, SUBSCRIBE_5) as [ConnectPacket, SubscribePacket];
  assert.deepEqual(s.properties.subscriptionIdentifiers, [42]);
  assert.deepEqual(s.subscriptions[0], { topicFilter: 'x/y', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 2 });
});

function expectError(chunks: Buffer[], reason: number, re?: RegExp, o = opts): MqttCodecError {
  const dec = new MqttDecoder(o);
  try {
    decodeAll(dec, ...chunks);
  } catch (e) {
    assert.ok(e instanceof MqttCodecError, String(e));
    assert.equal(e.reasonCode, reason, e.message);
    if (re) assert.match(e.message, re);
    return e;
  }
  assert.fail('expected a decode error');
}

test('first packet other than CONNECT is refused at its first byte', () => {
  // PUBLISH first byte only: the decoder must not wait for the rest.
  expectError([hex('30')], 0x82, /first packet/);
});

test('remaining length longer than four bytes is malformed', () => {
  expectError([CONNECT_311, hex('30 ff ff ff ff 01')], 0x81, /4 bytes/);
});

test('over maximum packet size is refused before the body arrives', () => {
  // Header announces 2,000,000 bytes but only the header is sent: nothing is buffered.
  const dec = new MqttDecoder({ maxPacketSize: 1000, maxFiltersPerPacket: 10 });
  dec.push(CONNECT_311);
  dec.next();
  dec.push(hex('30 80 89 7a'));
  assert.throws(() => dec.next(), (e: unknown) => e instanceof MqttCodecError && e.reasonCode === 0x95);
});

test('reserved fixed-header flag bits are malformed', () => {
  // SUBSCRIBE must have flags 0010 [MQTT-3.8.1-1]; 0x80 has 0000.
  expectError([CONNECT_311, hex('80 06 0001 0001 61 00')], 0x81, /reserved flag/);
  // PUBACK with flag bit set.
  expectError([CONNECT_311, hex('41 02 0001')], 0x81, /reserved flag/);
  // Reserved CONNECT flag bit 0 [MQTT-3.1.2-3].
  const bad = Buffer.from(CONNECT_311);
  bad[9] = 0xc3;
  expectError([bad], 0x81, /reserved connect flag/);
});

test('invalid UTF-8 and U+0000 in strings are malformed', () => {
  // PUBLISH topic bytes c3 28 (invalid continuation).
  expectError([CONNECT_311, hex('30 04 0002 c328')], 0x81, /UTF-8/);
  // Encoded surrogate U+D800 (ed a0 80) [MQTT-1.5.4-1].
  expectError([CONNECT_311, hex('30 05 0003 eda080')], 0x81, /UTF-8/);
  // U+0000 [MQTT-1.5.4-2].
  expectError([CONNECT_311, hex('30 04 0002 6100')], 0x81, /U\+0000/);
});

test('PUBLISH QoS 3 and DUP on QoS 0 are malformed', () => {
  expectError([CONNECT_311, hex('36 05 0001 61 0001')], 0x81, /QoS 3/);
  expectError([CONNECT_311, hex('38 03 0001 61')], 0x81, /DUP/);
});

test('unsupported protocol level reports 0x84 with the level', () => {
  const bad = Buffer.from(CONNECT_311);
  bad[8] = 6;
  const e = expectError([bad], 0x84);
  assert.ok(e instanceof UnsupportedProtocolError);
  assert.equal(e.level, 6);
});

test('unknown, misplaced and repeated properties are refused', () => {
  // PUBLISH (v5) with property id 0x7f (unknown).
  expectError([CONNECT_5, hex('30 06 0001 61 02 7f00')], 0x81, /unknown property/);
  // Session expiry (0x11) inside a PUBLISH: not allowed there.
  expectError([CONNECT_5, hex('30 09 0001 61 05 1100000001')], 0x81, /not allowed/);
  // Content type twice.
  expectError([CONNECT_5, hex('30 0c 0001 61 08 030001 61 030001 62')], 0x82, /repeated/);
  // Property length pointing past the packet end.
  expectError([CONNECT_5, hex('30 04 0001 61 09')], 0x81, /property length/);
});

test('subscription option reserved bits and too many filters', () => {
  expectError([CONNECT_311, hex('82 06 0001 0001 61 04')], 0x81, /reserved subscription option/);
  expectError([CONNECT_5, hex('82 07 0001 00 0001 61 c0')], 0x81, /reserved subscription option/);
  expectError([CONNECT_5, hex('82 07 0001 00 0001 61 30')], 0x82, /retain handling 3/);
  // Three filters with a cap of two -> quota exceeded.
  expectError([CONNECT_311, hex('82 0e 0001 0001 61 00 0001 62 00 0001 63 00')], 0x97, /more than 2/, { maxPacketSize: 1000, maxFiltersPerPacket: 2 });
  expectError([CONNECT_311, hex('82 02 0001')], 0x82, /without topic filters/);
});

test('packet identifier 0 and trailing bytes are malformed', () => {
  expectError([CONNECT_311, hex('40 02 0000')], 0x81, /packet identifier 0/);
  expectError([CONNECT_311, hex('c0 01 00')], 0x81, /trailing/);
  expectError([CONNECT_311, hex('40 03 0001 00')], 0x81, /trailing/);
});

test('a second CONNECT is a protocol error', () => {
  expectError([CONNECT_311, CONNECT_311], 0x82, /second CONNECT/);
});

test('AUTH before MQTT 5 is malformed', () => {
  expectError([CONNECT_311, hex('f0 00')], 0x81, /packet type 15/);
});
