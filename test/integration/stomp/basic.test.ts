import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSharedBroker } from '../../helpers/broker.js';
import { frame, rawConnected, runPython, RawClient } from './helpers.js';

const broker = useSharedBroker();

test('stomp.py: the issue 5 program receives its own message', async () => {
  const r = await runPython('issue_example.py', ['127.0.0.1', String(broker.ports.stomp)]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Received: Hello STOMP!$/m);
});

test('raw 1.2: CONNECT, SUBSCRIBE, SEND with receipt, MESSAGE, DISCONNECT receipt', async () => {
  const c = await RawClient.connect(broker.ports.stomp);
  c.write(frame('CONNECT', { 'accept-version': '1.0,1.1,1.2', host: '/', login: 'guest', passcode: 'guest' }));
  const connected = await c.expect('CONNECTED');
  assert.equal(connected.headers['version'], '1.2');
  assert.ok(connected.headers['server']?.startsWith('Wharf/'));
  c.setVersion('1.2');
  c.write(frame('SUBSCRIBE', { id: 's1', destination: '/queue/raw-basic', receipt: 'sub-1' }));
  assert.equal((await c.expect('RECEIPT')).headers['receipt-id'], 'sub-1');
  c.write(frame('SEND', { destination: '/queue/raw-basic', receipt: 'send-1', 'content-type': 'text/plain' }, 'hello'));
  const frames = [await c.next(), await c.next()];
  const msg = frames.find((f) => f.command === 'MESSAGE');
  const rcpt = frames.find((f) => f.command === 'RECEIPT');
  assert.ok(msg && rcpt);
  assert.equal(rcpt.headers['receipt-id'], 'send-1');
  assert.equal(msg.body.toString(), 'hello');
  assert.equal(msg.headers['subscription'], 's1');
  assert.equal(msg.headers['destination'], '/queue/raw-basic');
  assert.equal(msg.headers['content-type'], 'text/plain');
  assert.ok(msg.headers['message-id']);
  c.write(frame('DISCONNECT', { receipt: 'bye' }));
  assert.equal((await c.expect('RECEIPT')).headers['receipt-id'], 'bye');
  await c.waitClosed();
});

test('STOMP frame works as CONNECT; 1.0 client without accept-version gets 1.0', async () => {
  const a = await rawConnected(broker.ports.stomp, { 'accept-version': '1.1', host: '/' });
  a.close();
  const c = await RawClient.connect(broker.ports.stomp);
  c.write(frame('STOMP', { 'accept-version': '1.2', host: 'localhost' }));
  assert.equal((await c.expect('CONNECTED')).headers['version'], '1.2');
  c.close();
  const d = await RawClient.connect(broker.ports.stomp);
  d.write(frame('CONNECT', { login: 'guest', passcode: 'guest' }));
  const f = await d.expect('CONNECTED');
  assert.equal(f.headers['version'], undefined);
  d.close();
});

for (const scenario of ['v12_client_individual', 'v11_heartbeats_and_ack', 'v10_basic', 'transactions', 'topic_and_receipt', 'error_frame']) {
  test(`stomp.py: ${scenario}`, async () => {
    const r = await runPython('scenarios.py', ['127.0.0.1', String(broker.ports.stomp), scenario]);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^OK ${scenario}$`, 'm'));
  });
}
