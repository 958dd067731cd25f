import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameScanner, parseDecimal, sendTemplate, writeDecimal } from '../../../src/bench/clients/stomp-wire.js';

const WANTED = [Buffer.from('ack:'), Buffer.from('receipt-id:')];

test('scan a MESSAGE with content-length, binary body and CRLF header lines', () => {
  const body = Buffer.from([0x41, 0x00, 0x42]);
  const f = Buffer.concat([Buffer.from('MESSAGE\r\nsubscription:0\r\nack:T_0@@1\r\ncontent-length:3\r\n\r\n'), body, Buffer.from([0])]);
  const s = new FrameScanner(WANTED);
  assert.equal(s.scan(f, 0), true);
  const v = s.view;
  assert.equal(v.command, 'MESSAGE');
  assert.equal(f.toString('latin1', v.start[0]!, v.end[0]!), 'T_0@@1');
  assert.equal(v.start[1], -1);
  assert.deepEqual(f.subarray(v.bodyStart, v.bodyEnd), body);
  assert.equal(v.frameEnd, f.length);
});

test('without content-length the body ends at the first NUL; repeated headers: first wins', () => {
  const f = Buffer.from('RECEIPT\nreceipt-id:17\nreceipt-id:99\n\n\0\n\nCONNECTED\n\n\0');
  const s = new FrameScanner(WANTED);
  assert.equal(s.scan(f, 0), true);
  assert.equal(parseDecimal(f, s.view.start[1]!, s.view.end[1]!), 17);
  const next = FrameScanner.skipEols(f, s.view.frameEnd);
  assert.equal(s.scan(f, next), true);
  assert.equal(s.view.command, 'CONNECTED');
  assert.equal(s.view.frameEnd, f.length);
});

test('partial frames ask for more; a known length is reported as needHint', () => {
  const full = Buffer.from('MESSAGE\ncontent-length:5\n\nhello\0');
  const s = new FrameScanner(WANTED);
  for (let cut = 1; cut < full.length; cut++) {
    assert.equal(s.scan(full.subarray(0, cut), 0), false, `cut at ${cut}`);
    if (cut >= 'MESSAGE\ncontent-length:5\n\n'.length) assert.equal(s.needHint, full.length);
  }
  assert.equal(s.scan(full, 0), true);
});

test('malformed frames throw', () => {
  const s = new FrameScanner(WANTED);
  assert.throws(() => s.scan(Buffer.from('MESSAGE\ncontent-length:2\n\nabc\0'), 0), /NUL/);
  assert.throws(() => s.scan(Buffer.from('MESSAGE\ncontent-length:x\n\n\0'), 0), /content-length/);
  const tiny = new FrameScanner(WANTED, 16);
  assert.throws(() => tiny.scan(Buffer.from(`SEND\n${'a'.repeat(40)}`), 0), /too long/);
});

test('SEND template with receipt: patched receipt id and body offsets', () => {
  const body = Buffer.from('0123456789');
  const t = sendTemplate('/queue/q', body, true, true);
  assert.equal(t.bytes.toString('latin1'), 'SEND\ndestination:/queue/q\npersistent:true\ncontent-length:10\nreceipt:0000000000\n\n0123456789\0');
  writeDecimal(t.bytes, t.receiptOffset, 10, 4321);
  assert.equal(t.bytes.toString('latin1', t.receiptOffset, t.receiptOffset + 10), '0000004321');
  assert.equal(t.bytes.toString('latin1', t.bodyOffset, t.bodyOffset + 10), '0123456789');
  const plain = sendTemplate('/topic/a.b', body, false, false);
  assert.equal(plain.receiptOffset, -1);
  assert.equal(plain.bytes.toString('latin1'), 'SEND\ndestination:/topic/a.b\ncontent-length:10\n\n0123456789\0');
});

test('decimal helpers', () => {
  assert.equal(parseDecimal(Buffer.from('0042'), 0, 4), 42);
  assert.equal(parseDecimal(Buffer.from('4x'), 0, 2), -1);
  assert.equal(parseDecimal(Buffer.from(''), 0, 0), -1);
});
