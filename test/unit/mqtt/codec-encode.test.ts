import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MqttDecoder,
  PUBLISH_INLINE_MAX,
  ackOrShort,
  encodeAck,
  encodeShortAcks,
  shortAck,
  encodeConnack,
  encodeConnect,
  encodeDisconnectOrAuth,
  encodePacket,
  encodePublish,
  encodeSuback,
  encodeUnsuback,
  publishSize,
  type MqttPacket,
  type ProtocolLevel,
} from '../../../src/codecs/mqtt/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/#.*$/gm, '').replace(/\s+/g, ''), 'hex');

function connect(level: ProtocolLevel): Buffer {
  return encodeConnect({
    protocolName: level === 3 ? 'MQIsdp' : 'MQTT',
    protocolLevel: level,
    clean: true,
    keepAlive: 0,
    properties: {},
    clientId: 'x',
    will: undefined,
    username: undefined,
    password: undefined,
  });
}

/** Decode `bytes` on a decoder that already saw a CONNECT of `level`. */
function decodeAfterConnect(level: ProtocolLevel, bytes: Buffer): MqttPacket {
  const dec = new MqttDecoder({ maxPacketSize: 1 << 20, maxFiltersPerPacket: 10 });
  dec.push(connect(level));
  assert.equal(dec.next()?.type, 1);
  dec.push(bytes);
  const p = dec.next();
  assert.ok(p);
  assert.equal(dec.next(), undefined);
  return p;
}

test('CONNACK 3.1.1 fixture', () => {
  assert.deepEqual(
    encodeConnack(4, { sessionPresent: true, reasonCode: 0, properties: {} }),
    hex(`20 02 # CONNACK, remaining 2
         01    # session present
         00    # return code 0 accepted`),
  );
});

test('CONNACK 5 fixture with properties', () => {
  assert.deepEqual(
    encodeConnack(5, { sessionPresent: false, reasonCode: 0, properties: { receiveMaximum: 10, assignedClientIdentifier: 'id' } }),
    hex(`20 0b      # CONNACK, remaining 11
         00        # no session present
         00        # reason success
         08        # property length 8
         21 000a   #   receive maximum 10
         12 0002 6964 # assigned client identifier "id"`),
  );
});

test('PUBACK: 3.1.1 is the id only, 5.0 omits a success reason and adds reason + string otherwise', () => {
  assert.deepEqual(encodeAck(4, 4, 5), hex('40 02 0005'));
  assert.deepEqual(encodeAck(5, 4, 5, 0), hex('40 02 0005'));
  assert.deepEqual(
    encodeAck(5, 4, 5, 0x87, { reasonString: 'no' }),
    hex(`40 09   # PUBACK, remaining 9
         0005    # packet id 5
         87      # reason not authorized
         05      # property length 5
         1f 0002 6e6f # reason string "no"`),
  );
  // PUBREL carries the mandatory 0010 flags.
  assert.deepEqual(encodeAck(4, 6, 1), hex('62 02 0001'));
});

test('short acks: a run encodes to the same bytes as one encodeAck each, only the run is read', () => {
  const run = [Buffer.alloc(1), shortAck(4, 1), shortAck(5, 0x1234), shortAck(6, 65535), shortAck(7, 2), Buffer.alloc(1)];
  assert.deepEqual(
    encodeShortAcks(run, 1, 5),
    Buffer.concat([encodeAck(4, 4, 1), encodeAck(4, 5, 0x1234), encodeAck(4, 6, 65535), encodeAck(4, 7, 2)]),
  );
  assert.deepEqual(encodeShortAcks(run, 2, 3), hex('50 02 1234'));
  assert.equal(encodeShortAcks(run, 1, 1).length, 0);
  // Short exactly where encodeAck writes 4 bytes; otherwise the encoded packet.
  assert.equal(ackOrShort(4, 4, 9, 0x87, { reasonString: 'no' }), shortAck(4, 9));
  assert.equal(ackOrShort(5, 7, 9, 0), shortAck(7, 9));
  assert.deepEqual(ackOrShort(5, 4, 9, 0x10), encodeAck(5, 4, 9, 0x10));
  assert.deepEqual(ackOrShort(5, 4, 9, 0, { reasonString: 'x' }), encodeAck(5, 4, 9, 0, { reasonString: 'x' }));
});

test('PUBLISH fixture and round trip with properties', () => {
  assert.deepEqual(
    encodePublish(4, 'a/b', 1, true, true, 9, undefined, Buffer.from('hi')),
    hex(`3b 09     # PUBLISH: DUP(8) QoS1(2) RETAIN(1), remaining 9
         0003 612f62 # topic "a/b"
         0009        # packet id 9
         6869        # payload "hi"`),
  );
  const props = { contentType: 'text/plain', correlationData: Buffer.from([1, 2]), subscriptionIdentifiers: [1, 300], userProperties: [['a', 'b'], ['a', 'c']] as Array<[string, string]> };
  const bytes = encodePublish(5, 't', 2, false, false, 65535, props, Buffer.from('body'));
  assert.equal(bytes.length, publishSize(5, 't', 2, props, 4));
  const p = decodeAfterConnect(5, bytes);
  assert.equal(p.type, 3);
  if (p.type !== 3) return;
  assert.equal(p.packetId, 65535);
  assert.equal(p.qos, 2);
  assert.deepEqual({ ...p.properties }, props);
  assert.equal(p.payload.toString(), 'body');
});

test('large PUBLISH payloads are not copied into the header buffer', () => {
  const payload = Buffer.alloc(PUBLISH_INLINE_MAX + 1, 7);
  const h = encodePublish(4, 'big', 0, false, false, 0, undefined, payload);
  assert.equal(h.length + payload.length, publishSize(4, 'big', 0, undefined, payload.length));
  const p = decodeAfterConnect(4, Buffer.concat([h, payload]));
  assert.ok(p.type === 3 && p.payload.equals(payload));
});

test('SUBACK and UNSUBACK in both levels', () => {
  assert.deepEqual(encodeSuback(4, { packetId: 2, properties: {}, reasonCodes: [0, 1, 0x80] }), hex('90 05 0002 00 01 80'));
  assert.deepEqual(encodeSuback(5, { packetId: 2, properties: {}, reasonCodes: [2] }), hex('90 04 0002 00 02'));
  assert.deepEqual(encodeUnsuback(4, { packetId: 3, properties: {}, reasonCodes: [0] }), hex('b0 02 0003'));
  assert.deepEqual(encodeUnsuback(5, { packetId: 3, properties: {}, reasonCodes: [0, 0x11] }), hex('b0 05 0003 00 00 11'));
});

test('DISCONNECT: 5.0 with reason and reason string; short form for normal', () => {
  assert.deepEqual(encodeDisconnectOrAuth(5, 14, 0), hex('e0 00'));
  assert.deepEqual(encodeDisconnectOrAuth(4, 14, 0x81), hex('e0 00'));
  assert.deepEqual(
    encodeDisconnectOrAuth(5, 14, 0x8e, { reasonString: 'x' }),
    hex(`e0 06  # DISCONNECT, remaining 6
         8e     # session taken over
         04     # property length 4
         1f 0001 78 # reason string "x"`),
  );
});

test('every packet round-trips through encodePacket and the decoder (MQTT 5)', () => {
  const packets: MqttPacket[] = [
    { type: 4, packetId: 1, reasonCode: 0x10, properties: { reasonString: 'none' } },
    { type: 5, packetId: 2, reasonCode: 0, properties: {} },
    { type: 6, packetId: 3, reasonCode: 0x92, properties: {} },
    { type: 7, packetId: 4, reasonCode: 0, properties: {} },
    { type: 8, packetId: 5, properties: { subscriptionIdentifiers: [7] }, subscriptions: [{ topicFilter: 'a/+', qos: 2, noLocal: true, retainAsPublished: false, retainHandling: 1 }] },
    { type: 9, packetId: 5, properties: {}, reasonCodes: [2, 0x87] },
    { type: 10, packetId: 6, properties: {}, topicFilters: ['a/+', 'b'] },
    { type: 11, packetId: 6, properties: {}, reasonCodes: [0, 0x11] },
    { type: 12 },
    { type: 13 },
    { type: 14, reasonCode: 4, properties: { sessionExpiryInterval: 0 } },
    { type: 15, reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM', authenticationData: Buffer.from('d') } },
  ];
  for (const p of packets) {
    const d = decodeAfterConnect(5, encodePacket(5, p));
    assert.deepEqual(JSON.parse(JSON.stringify(d)), JSON.parse(JSON.stringify(p)), `type ${p.type}`);
  }
});
