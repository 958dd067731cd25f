/**
 * Bad input: every case gets an ERROR frame (message header + body) and the close of
 * that connection only; the server keeps serving others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSharedBroker } from '../../helpers/broker.js';
import { frame, rawConnected, RawClient } from './helpers.js';
import type { StompFrame } from '../../../src/codecs/stomp/index.js';

const broker = useSharedBroker({
  config: { limits: { stomp: { maxBodySize: 4096, connectTimeoutMs: 300, maxConnectFrameSize: 2048, maxSubscriptions: 3, maxTransactionBytes: 5000, maxTransactionFrames: 5 } } },
});

/** The next frame is an ERROR with a message header and a non-empty body, then the server closes. */
async function expectErrorAndClose(c: RawClient, message?: RegExp): Promise<StompFrame> {
  const f = await c.expect('ERROR');
  assert.ok(f.headers['message'], 'ERROR has a message header');
  assert.ok(f.body.length > 0, 'ERROR has a body');
  if (message !== undefined) assert.match(f.headers['message']!, message);
  await c.waitClosed();
  return f;
}

/** The listener still works for a new, well-behaved client. */
async function stillServing(): Promise<void> {
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('SUBSCRIBE', { id: '0', destination: '/queue/alive', receipt: 'alive' }));
  assert.equal((await c.expect('RECEIPT')).headers['receipt-id'], 'alive');
  c.close();
}

test('a frame before CONNECT', async () => {
  const c = await RawClient.connect(broker.ports.stomp);
  c.write(frame('SEND', { destination: '/queue/x' }, 'early'));
  await expectErrorAndClose(c);
  await stillServing();
});

test('unknown command', async () => {
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('PUBLISH', { destination: '/queue/x' }));
  await expectErrorAndClose(c, /Unknown command/);
  await stillServing();
});

test('a server command sent by a client', async () => {
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('MESSAGE', { destination: '/queue/x' }));
  await expectErrorAndClose(c, /Unknown command/);
});

test('no common version: ERROR carries the supported versions', async () => {
  const c = await RawClient.connect(broker.ports.stomp);
  c.write(frame('CONNECT', { 'accept-version': '2.0,3.1', host: '/' }));
  const f = await expectErrorAndClose(c);
  assert.equal(f.headers['version'], '1.0,1.1,1.2');
});

test('missing required headers, with receipt-id on the ERROR', async () => {
  const cases: Array<[string, Record<string, string>]> = [
    ['SEND', { receipt: 'm1' }],
    ['SUBSCRIBE', { destination: '/queue/a', receipt: 'm2' }],
    ['SUBSCRIBE', { id: 'x', receipt: 'm3' }],
    ['UNSUBSCRIBE', { receipt: 'm4' }],
    ['ACK', { receipt: 'm5' }],
    ['NACK', { receipt: 'm6' }],
    ['BEGIN', { receipt: 'm7' }],
    ['COMMIT', { receipt: 'm8' }],
    ['ABORT', { receipt: 'm9' }],
  ];
  for (const [command, headers] of cases) {
    const c = await rawConnected(broker.ports.stomp);
    c.write(frame(command, headers));
    const f = await expectErrorAndClose(c, /Missing header/);
    assert.equal(f.headers['receipt-id'], headers['receipt'], command);
  }
});

test('body longer than content-length (no NUL after it)', async () => {
  const c = await rawConnected(broker.ports.stomp);
  c.write('SEND\ndestination:/queue/x\ncontent-length:3\nreceipt:r\n\nabcdef\0');
  const f = await expectErrorAndClose(c, /Invalid frame/);
  assert.equal(f.headers['receipt-id'], 'r');
});

test('oversize body (configured maxBodySize), by content-length and without it', async () => {
  const a = await rawConnected(broker.ports.stomp);
  a.write('SEND\ndestination:/queue/x\ncontent-length:5000\n\n');
  await expectErrorAndClose(a, /Frame too large/);
  const b = await rawConnected(broker.ports.stomp);
  b.write('SEND\ndestination:/queue/x\n\n' + 'z'.repeat(5000));
  await expectErrorAndClose(b, /Frame too large/);
  await stillServing();
});

test('too many headers (ActiveMQ default 1000)', async () => {
  const c = await rawConnected(broker.ports.stomp);
  let s = 'SEND\ndestination:/queue/x\n';
  for (let i = 0; i < 1001; i++) s += `h${i}:v\n`;
  c.write(s + '\n\0');
  await expectErrorAndClose(c, /Too many headers/);
});

test('header line too long (ActiveMQ default 10240)', async () => {
  const c = await rawConnected(broker.ports.stomp);
  c.write('SEND\ndestination:/queue/x\nbig:' + 'v'.repeat(10_240) + '\n\n\0');
  await expectErrorAndClose(c, /Header too long/);
});

test('undefined escape sequence in a 1.2 header', async () => {
  const c = await rawConnected(broker.ports.stomp);
  c.write('SEND\ndestination:/queue/x\nbad:a\\tb\n\n\0');
  await expectErrorAndClose(c, /Invalid header/);
});

test('oversize CONNECT before authentication', async () => {
  const c = await RawClient.connect(broker.ports.stomp);
  c.write(frame('CONNECT', { 'accept-version': '1.2', pad: 'p'.repeat(3000) }));
  await expectErrorAndClose(c, /Frame too large/);
});

test('no CONNECT within the pre-authentication time budget', async () => {
  const c = await RawClient.connect(broker.ports.stomp);
  await expectErrorAndClose(c, /timeout/i);
});

test('bad credentials', async () => {
  const c = await RawClient.connect(broker.ports.stomp);
  c.write(frame('CONNECT', { 'accept-version': '1.2', host: '/', login: 'guest', passcode: 'wrong' }));
  await expectErrorAndClose(c, /Access refused/);
  const d = await RawClient.connect(broker.ports.stomp);
  d.write(frame('CONNECT', { 'accept-version': '1.2', host: '/', login: 'nobody', passcode: 'x' }));
  await expectErrorAndClose(d, /Access refused/);
});

test('second CONNECT on a connected session', async () => {
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('CONNECT', { 'accept-version': '1.2' }));
  await expectErrorAndClose(c, /Already connected/);
});

test('invalid destination and unknown exchange / queue', async () => {
  const a = await rawConnected(broker.ports.stomp);
  a.write(frame('SEND', { destination: 'nowhere' }, 'x'));
  await expectErrorAndClose(a, /Unknown destination/);
  const b = await rawConnected(broker.ports.stomp);
  b.write(frame('SUBSCRIBE', { id: '1', destination: '/amq/queue/does-not-exist' }));
  await expectErrorAndClose(b, /not_found/);
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('SEND', { destination: '/exchange/no-such-exchange/k' }, 'x'));
  await expectErrorAndClose(c, /not_found/);
});

test('duplicate subscription id, unknown unsubscribe id, bad ack mode, too many subscriptions', async () => {
  const a = await rawConnected(broker.ports.stomp);
  a.write(frame('SUBSCRIBE', { id: 'dup', destination: '/queue/e1' }));
  a.write(frame('SUBSCRIBE', { id: 'dup', destination: '/queue/e2' }));
  await expectErrorAndClose(a, /Duplicated subscription/);
  const b = await rawConnected(broker.ports.stomp);
  b.write(frame('UNSUBSCRIBE', { id: 'never' }));
  await expectErrorAndClose(b, /Unknown subscription/);
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('SUBSCRIBE', { id: '1', destination: '/queue/e1', ack: 'sometimes' }));
  await expectErrorAndClose(c, /Invalid ack mode/);
  const d = await rawConnected(broker.ports.stomp);
  for (let i = 0; i < 4; i++) d.write(frame('SUBSCRIBE', { id: String(i), destination: `/queue/e${i}` }));
  await expectErrorAndClose(d, /Too many subscriptions/);
});

test('ACK of an id that is not outstanding; unknown transaction', async () => {
  const a = await rawConnected(broker.ports.stomp);
  a.write(frame('ACK', { id: '99-99' }));
  await expectErrorAndClose(a, /Unknown subscription|Invalid ack/);
  const b = await rawConnected(broker.ports.stomp);
  b.write(frame('SEND', { destination: '/queue/e1', transaction: 'nope' }, 'x'));
  await expectErrorAndClose(b, /Invalid transaction/);
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('COMMIT', { transaction: 'nope' }));
  await expectErrorAndClose(c, /Invalid transaction/);
});

test('invalid selector', async () => {
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('SUBSCRIBE', { id: '1', destination: '/queue/e1', selector: "color = 'red" }));
  await expectErrorAndClose(c, /Invalid selector/);
  await stillServing();
});

test('transaction limits: buffered frames and buffered body bytes', async () => {
  const a = await rawConnected(broker.ports.stomp);
  a.write(frame('BEGIN', { transaction: 't' }));
  for (let i = 0; i < 6; i++) a.write(frame('SEND', { destination: '/queue/txl', transaction: 't' }, 'x'));
  await expectErrorAndClose(a, /Transaction too large/);
  const b = await rawConnected(broker.ports.stomp);
  b.write(frame('BEGIN', { transaction: 't1' }));
  b.write(frame('BEGIN', { transaction: 't2' }));
  b.write(frame('SEND', { destination: '/queue/txl', transaction: 't1' }, 'y'.repeat(3000)));
  b.write(frame('SEND', { destination: '/queue/txl', transaction: 't2' }, 'y'.repeat(3000)));
  await expectErrorAndClose(b, /Transaction too large/);
});
