import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSelector } from '../../../src/protocols/stomp/selector/compile.js';
import { StompError } from '../../../src/protocols/stomp/errors.js';
import type { Message, MessageId, MessageProperties } from '../../../src/core/message.js';

const msg = (properties: MessageProperties): Message => ({
  exchange: '',
  routingKey: 'q',
  properties,
  body: Buffer.alloc(0),
  id: 1 as MessageId,
});

const m = msg({ headers: { color: 'red', size: '12', weight: 7.5, flag: 'true', name: "o'brien" }, priority: 6, type: 'car', deliveryMode: 2 });
const sel = (s: string): boolean => compileSelector(s)(m);

test('comparisons on string headers and JMS header names', () => {
  assert.equal(sel("color = 'red'"), true);
  assert.equal(sel("color <> 'red'"), false);
  assert.equal(sel("JMSType = 'car'"), true);
  assert.equal(sel('JMSPriority > 5'), true);
  assert.equal(sel("JMSDeliveryMode = 'PERSISTENT'"), true);
  assert.equal(sel("name = 'o''brien'"), true);
});

test('numeric comparison against a numeric-looking STOMP header', () => {
  assert.equal(sel('size > 10'), true);
  assert.equal(sel('size >= 13'), false);
  assert.equal(sel('weight * 2 = 15'), true);
  assert.equal(sel('size BETWEEN 10 AND 12'), true);
  assert.equal(sel('size NOT BETWEEN 10 AND 12'), false);
  assert.equal(sel('-size < 0'), true);
});

test('AND / OR / NOT with three-valued logic for missing properties', () => {
  assert.equal(sel("color = 'red' AND size > 10"), true);
  assert.equal(sel("color = 'blue' OR size > 10"), true);
  assert.equal(sel("NOT color = 'blue'"), true);
  // missing = NULL: comparison unknown, NOT unknown still unknown -> no match
  assert.equal(sel("missing = 'x'"), false);
  assert.equal(sel("NOT missing = 'x'"), false);
  assert.equal(sel("missing = 'x' OR color = 'red'"), true);
  assert.equal(sel('missing IS NULL'), true);
  assert.equal(sel('color IS NOT NULL'), true);
});

test('LIKE with % and _ and ESCAPE; IN lists', () => {
  assert.equal(sel("color LIKE 'r%'"), true);
  assert.equal(sel("color LIKE '_e_'"), true);
  assert.equal(sel("color LIKE 'r_'"), false);
  assert.equal(sel("color NOT LIKE '%x%'"), true);
  assert.equal(compileSelector("k LIKE 'a!%b' ESCAPE '!'")(msg({ headers: { k: 'a%b' } })), true);
  assert.equal(compileSelector("k LIKE 'a!%b' ESCAPE '!'")(msg({ headers: { k: 'axb' } })), false);
  assert.equal(sel("color IN ('green', 'red')"), true);
  assert.equal(sel("color NOT IN ('green', 'red')"), false);
});

test('LIKE matcher stays linear-ish on adversarial patterns', () => {
  const long = 'a'.repeat(5000);
  const f = compileSelector("k LIKE '%a%a%a%a%a%a%a%a%b'");
  assert.equal(f(msg({ headers: { k: long } })), false);
});

test('syntax errors become StompError, never anything else', () => {
  for (const bad of ['color =', "color = 'x", 'AND', '(a = 1', 'a = 1)', 'a LIKE 3', 'a IN (1)', '@', "a NOT 'x'", '(((((('.repeat(20)]) {
    assert.throws(() => compileSelector(bad), StompError, bad);
  }
  assert.throws(() => compileSelector('a = 1 OR '.repeat(1000) + 'a = 1'), StompError);
});
