/** Content header <-> core MessageProperties (src/protocols/amqp091/message-adapter.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AmqpDecimal, AmqpTimestamp, WireReader, WireWriter, type AmqpFieldTable } from '../../../src/codecs/amqp091/index.js';
import { Decimal, Timestamp } from '../../../src/core/message.js';
import { tableToCore, tableToWire, toCoreProperties, toWireProperties } from '../../../src/protocols/amqp091/message-adapter.js';

test('Timestamp and Decimal convert both ways, nested in tables and arrays', () => {
  const wire: AmqpFieldTable = { t: new AmqpTimestamp(1700000000), d: new AmqpDecimal(2, 1234), list: [new AmqpTimestamp(5), { inner: new AmqpDecimal(1, 7) }], s: 'plain' };
  const core = tableToCore(wire);
  assert.ok(core['t'] instanceof Timestamp && core['t'].seconds === 1700000000);
  assert.ok(core['d'] instanceof Decimal && core['d'].scale === 2 && core['d'].digits === 1234);
  const list = core['list'] as unknown[];
  assert.ok(list[0] instanceof Timestamp);
  assert.ok((list[1] as Record<string, unknown>)['inner'] instanceof Decimal);
  const back = tableToWire(core);
  assert.deepEqual(back, wire);
  // and the bytes are those of the original table
  const w1 = new WireWriter();
  w1.table(wire);
  const w2 = new WireWriter();
  w2.table(back);
  assert.deepEqual(w1.buf.subarray(0, w1.pos), w2.buf.subarray(0, w2.pos));
});

test('tables without special values are shared, not copied', () => {
  const t: AmqpFieldTable = { a: 1, b: 'x', c: [1, 2], d: { e: true } };
  assert.equal(tableToCore(t), t);
  assert.equal(tableToWire(t as never), t);
});

test('properties map field by field; delivery-mode 2 is persistent, others transient', () => {
  const p = toCoreProperties({ contentType: 'text/plain', deliveryMode: 2, timestamp: 42, priority: 3, headers: { h: new AmqpTimestamp(1) } });
  assert.equal(p.contentType, 'text/plain');
  assert.equal(p.deliveryMode, 2);
  assert.ok(p.timestamp instanceof Timestamp && p.timestamp.seconds === 42);
  assert.ok(p.headers?.['h'] instanceof Timestamp);
  assert.equal(toCoreProperties({ deliveryMode: 7 }).deliveryMode, 1);
  // published over 0-9-1: delivered with the very header it came with
  const original = { contentType: 'a', messageId: 'm' };
  assert.equal(toWireProperties(toCoreProperties(original)), original);
  // normalised delivery-mode: not reused
  const odd = { deliveryMode: 7 };
  assert.deepEqual(toWireProperties(toCoreProperties(odd)), { deliveryMode: 1 });
  // the remembered header is not enumerable, so copies of the properties do not carry it
  const core = toCoreProperties({ appId: 'x' });
  const copy = { ...core, headers: { 'x-death': [] } };
  assert.deepEqual(toWireProperties(copy), { appId: 'x', headers: { 'x-death': [] } });
  assert.deepEqual(Object.keys(core), ['appId']);
});

test('strings from other protocols longer than a short string are cut to 255 octets', () => {
  const p = toWireProperties({ correlationId: 'é'.repeat(200), headers: { ['k'.repeat(300)]: 'v' } });
  assert.ok(Buffer.byteLength(p.correlationId!) <= 255);
  assert.ok(p.correlationId!.startsWith('éé'));
  assert.deepEqual(Object.keys(p.headers!), ['k'.repeat(255)]);
  // and the result encodes
  const w = new WireWriter();
  w.table(p.headers);
  const r = new WireReader();
  r.reset(w.buf, 0, w.pos);
  assert.deepEqual(r.table(), { ['k'.repeat(255)]: 'v' });
});
