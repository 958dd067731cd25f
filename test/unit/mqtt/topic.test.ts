import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultMqttLimits } from '../../../src/protocols/mqtt/limits.js';
import { MemoryRetainedStore } from '../../../src/protocols/mqtt/retained-store.js';
import { checkTopicFilter, checkTopicName, filterMatches, filterToBindingKey, parseShared, swapSeparators } from '../../../src/protocols/mqtt/topic.js';

test("topic <-> routing key swaps '/' and '.' and is its own inverse", () => {
  assert.equal(swapSeparators('a/b/c'), 'a.b.c');
  assert.equal(swapSeparators('a.b/c'), 'a/b.c');
  assert.equal(swapSeparators(swapSeparators('x.y/z/.w')), 'x.y/z/.w');
  assert.equal(swapSeparators('/lead'), '.lead');
  assert.equal(filterToBindingKey('a/+/#'), 'a.*.#');
  assert.equal(filterToBindingKey('+'), '*');
  assert.equal(filterToBindingKey('a+/b'), 'a+.b', 'a + inside a level is not a wildcard');
});

test('topic name and filter rules', () => {
  const l = { ...defaultMqttLimits, maxTopicLevels: 3, maxTopicLength: 10 };
  assert.equal(checkTopicName('a/b/c', l), undefined);
  assert.equal(checkTopicName('', l), 0x90);
  assert.equal(checkTopicName('a/+', l), 0x90);
  assert.equal(checkTopicName('a/#', l), 0x90);
  assert.equal(checkTopicName('a/b/c/d', l), 0x90, 'too many levels');
  assert.equal(checkTopicName('abcdefghijk', l), 0x90, 'too long');
  assert.equal(checkTopicFilter('a/+/#', l), undefined);
  assert.equal(checkTopicFilter('#', l), undefined);
  assert.equal(checkTopicFilter('a/#/b', l), 0x8f);
  assert.equal(checkTopicFilter('a#', l), 0x8f);
  assert.equal(checkTopicFilter('a/b+', l), 0x8f);
  assert.equal(checkTopicFilter('', l), 0x8f);
});

test('shared subscription syntax', () => {
  assert.deepEqual(parseShared('$share/g/a/b'), { group: 'g', filter: 'a/b' });
  assert.equal(parseShared('a/b'), undefined);
  assert.equal(parseShared('$share/g'), null);
  assert.equal(parseShared('$share//a'), null);
  assert.equal(parseShared('$share/g+/a'), null);
});

test('filter matching, including the $ rule and "a/#" matching "a"', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a/b', 'a/b', true],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['#', 'x/y', true],
    ['#', '$SYS/x', false],
    ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/x', true],
    ['+/+', '/x', true],
    ['a/+/c', 'a//c', true],
    ['a/b', 'a/bc', false],
  ];
  for (const [f, t, want] of cases) assert.equal(filterMatches(f, t), want, `${f} vs ${t}`);
});

test('retained trie: exact, *, #, repeated paths deduplicated, clear prunes, capacity', () => {
  const s = new MemoryRetainedStore(3);
  const P = {};
  assert.ok(s.set('x', 'a.b', P, Buffer.from('1')));
  assert.ok(s.set('x', 'a.b.c', P, Buffer.from('2')));
  assert.ok(s.set('x', 'b.b', P, Buffer.from('3')));
  assert.equal(s.set('x', 'c', P, Buffer.from('4')), false, 'capacity refuses a new key');
  assert.ok(s.set('x', 'a.b', P, Buffer.from('1b')), 'replacing an existing key is fine at capacity');
  const keys = (pattern: string): string[] => s.match('x', pattern).map((m) => m.routingKey).sort();
  assert.deepEqual(keys('#'), ['a.b', 'a.b.c', 'b.b']);
  assert.deepEqual(keys('a.*'), ['a.b']);
  assert.deepEqual(keys('a.#'), ['a.b', 'a.b.c']);
  assert.deepEqual(keys('#.b.#'), ['a.b', 'a.b.c', 'b.b']);
  assert.deepEqual(keys('*.b'), ['a.b', 'b.b']);
  assert.deepEqual(keys('other'), []);
  assert.deepEqual(s.match('y', '#'), [], 'exchanges are separate');
  assert.equal(s.match('x', 'a.b')[0]?.body.toString(), '1b');
  s.clear('x', 'a.b.c');
  assert.deepEqual(keys('#'), ['a.b', 'b.b']);
  assert.equal(s.size, 2);
});
