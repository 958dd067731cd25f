import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, encodeServerFrame, escapeHeader, unescapeHeader, StompDecoder, HEARTBEAT } from '../../../src/codecs/stomp/index.js';

test('MESSAGE fixture: headers in order, content-length added, NUL terminator', () => {
  const out = encodeFrame('MESSAGE', ['subscription', '0', 'message-id', '7', 'destination', '/queue/a'], Buffer.from('hi'), '1.2');
  assert.equal(
    out.toString('latin1'),
    'MESSAGE\n' + //            command
      'subscription:0\n' + //   headers as given
      'message-id:7\n' +
      'destination:/queue/a\n' +
      'content-length:2\n' + // added by the encoder
      '\n' + //                 end of headers
      'hi' + //                 body
      '\0', //                  terminator
  );
});

test('RECEIPT without body has no content-length', () => {
  assert.equal(encodeFrame('RECEIPT', ['receipt-id', 'r1'], undefined, '1.2').toString('latin1'), 'RECEIPT\nreceipt-id:r1\n\n\0');
});

test('escaping per version; CONNECTED never escaped; 1.0 strips CR/LF', () => {
  const v = 'a:b\nc\\d\re';
  assert.equal(escapeHeader(v, '1.2', false), 'a\\cb\\nc\\\\d\\re');
  assert.equal(escapeHeader(v, '1.1', false), 'a\\cb\\nc\\\\de');
  assert.equal(escapeHeader(v, '1.0', false), 'a:b c\\d e');
  assert.equal(escapeHeader('x:y', '1.2', true), 'x:y');
  const connected = encodeServerFrame('CONNECTED', { version: '1.2', server: 'a:b' }, undefined, '1.2');
  assert.match(connected.toString(), /server:a:b\n/);
});

test('escape/unescape round trip (1.2 and 1.1)', () => {
  for (const s of ['', 'plain', 'a:b', '\\', '\n\n', 'x\\cy', 'é:ü\n']) {
    assert.equal(unescapeHeader(escapeHeader(s, '1.2', false), '1.2'), s);
    assert.equal(unescapeHeader(escapeHeader(s, '1.1', false), '1.1'), s);
  }
});

test('encoder output decodes back to the same frame (binary body with NULs)', () => {
  const body = Buffer.from([0, 255, 0, 10, 13, 0]);
  const bytes = encodeFrame('MESSAGE', ['destination', '/topic/x:y', 'k\ney', 'v\\al'], body, '1.2');
  const dec = new StompDecoder({ maxCommandLength: 1024, maxHeaders: 10, maxHeaderLength: 1000, maxBodySize: 100 });
  dec.version = '1.2';
  dec.push(bytes);
  const f = dec.next();
  assert.ok(f);
  assert.equal(f.command, 'MESSAGE');
  assert.equal(f.headers['destination'], '/topic/x:y');
  assert.equal(f.headers['k\ney'], 'v\\al');
  assert.equal(f.headers['content-length'], '6');
  assert.deepEqual([...f.body], [...body]);
});

test('heart-beat is a single LF', () => {
  assert.deepEqual([...HEARTBEAT], [10]);
});
