/** Frame rules per version end to end: escaping, repeated headers, CR LF, content-length, heart-beats. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSharedBroker } from '../../helpers/broker.js';
import { frame, rawConnected, RawClient } from './helpers.js';

const broker = useSharedBroker({ config: { limits: { stomp: { heartbeatSendMs: 100, heartbeatReceiveMs: 100 } } } });

/** Raw bytes of the next MESSAGE frame's header block as received (escapes visible). */
async function rawMessageHeader(c: RawClient): Promise<string> {
  const chunks: Buffer[] = [];
  const onData = (b: Buffer) => chunks.push(b);
  c.socket.on('data', onData);
  await c.expect('MESSAGE');
  c.socket.off('data', onData);
  const text = Buffer.concat(chunks).toString('utf8');
  return text.slice(text.indexOf('MESSAGE'), text.indexOf('\n\n'));
}

test('1.2: escaped header names/values decoded on SEND and re-escaped on MESSAGE', async () => {
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('SUBSCRIBE', { id: '1', destination: '/queue/esc12', receipt: 's' }));
  await c.receipt('s');
  // k:ey = "a:b\nc\\d\re" written with 1.2 escapes.
  c.write('SEND\ndestination:/queue/esc12\nk\\cey:a\\cb\\nc\\\\d\\re\n\n\0');
  const head = await rawMessageHeader(c);
  assert.match(head, /\nk\\cey:a\\cb\\nc\\\\d\\re(\n|$)/);
  c.close();
});

test('1.1: \\r escape is refused; 1.0: backslashes are literal and values trimmed', async () => {
  const a = await rawConnected(broker.ports.stomp, { 'accept-version': '1.1', host: '/' });
  a.write('SEND\ndestination:/queue/esc11\nv:a\\rb\n\n\0');
  assert.equal((await a.expect('ERROR')).headers['message'], 'Invalid header');
  await a.waitClosed();

  const b = await rawConnected(broker.ports.stomp, {});
  b.write('SUBSCRIBE\ndestination:/queue/esc10\nreceipt:s\n\n\0');
  await b.receipt('s');
  b.write('SEND\ndestination: /queue/esc10\nv:a\\nb\n\n\0');
  const head = await rawMessageHeader(b);
  assert.match(head, /\nv:a\\nb(\n|$)/, '1.0 value passes through unescaped');
  assert.match(head, /\ndestination:\/queue\/esc10(\n|$)/);
  b.close();
});

test('repeated headers: the first occurrence wins', async () => {
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('SUBSCRIBE', { id: '1', destination: '/queue/repeat', receipt: 's' }));
  await c.receipt('s');
  c.write('SEND\ndestination:/queue/repeat\ndestination:/queue/elsewhere\nfoo:first\nfoo:second\n\nx\0');
  const m = await c.expect('MESSAGE');
  assert.equal(m.headers['foo'], 'first');
  assert.equal(m.headers['destination'], '/queue/repeat');
  c.close();
});

test('1.2 CR LF line endings and EOLs between frames', async () => {
  const c = await RawClient.connect(broker.ports.stomp);
  c.write('CONNECT\r\naccept-version:1.2\r\nhost:/\r\n\r\n\0\r\n');
  await c.expect('CONNECTED');
  c.setVersion('1.2');
  c.write('SUBSCRIBE\r\nid:1\r\ndestination:/queue/crlf\r\nreceipt:s\r\n\r\n\0\r\n\r\n');
  await c.receipt('s');
  c.write('SEND\r\ndestination:/queue/crlf\r\ncontent-type:text/plain\r\n\r\nline\0');
  const m = await c.expect('MESSAGE');
  assert.equal(m.body.toString(), 'line');
  assert.equal(m.headers['content-type'], 'text/plain');
  c.close();
});

test('content-length: binary body with NULs, split over many TCP writes', async () => {
  const c = await rawConnected(broker.ports.stomp);
  c.write(frame('SUBSCRIBE', { id: '1', destination: '/queue/binary', receipt: 's' }));
  await c.receipt('s');
  const body = Buffer.alloc(70_000);
  for (let i = 0; i < body.length; i++) body[i] = i % 7 === 0 ? 0 : i & 0xff;
  const bytes = Buffer.concat([Buffer.from(`SEND\ndestination:/queue/binary\ncontent-length:${body.length}\n\n`), body, Buffer.from([0])]);
  for (let i = 0; i < bytes.length; i += 4099) c.write(bytes.subarray(i, i + 4099));
  const m = await c.expect('MESSAGE');
  assert.equal(m.headers['content-length'], String(body.length));
  assert.ok(m.body.equals(body));
  c.close();
});

test('receipts on every client frame that can carry one', async () => {
  const c = await rawConnected(broker.ports.stomp);
  const ids = ['sub', 'send', 'begin', 'ack-tx-send', 'commit', 'unsub'];
  c.write(frame('SUBSCRIBE', { id: '1', destination: '/queue/receipts', ack: 'client', receipt: 'sub' }));
  c.write(frame('SEND', { destination: '/queue/receipts', receipt: 'send' }, 'x'));
  c.write(frame('BEGIN', { transaction: 't', receipt: 'begin' }));
  c.write(frame('SEND', { destination: '/queue/receipts', transaction: 't', receipt: 'ack-tx-send' }, 'y'));
  c.write(frame('COMMIT', { transaction: 't', receipt: 'commit' }));
  for (const id of ids.slice(0, 5)) await c.receipt(id);
  const m = await c.take((f) => f.command === 'MESSAGE');
  c.write(frame('ACK', { id: m.headers['ack']!, receipt: 'ack' }));
  await c.receipt('ack');
  c.write(frame('UNSUBSCRIBE', { id: '1', receipt: 'unsub' }));
  await c.receipt('unsub');
  c.write(frame('DISCONNECT', { receipt: 'disc' }));
  await c.receipt('disc');
  await c.waitClosed();
});

test('heart-beat: the server sends EOLs at the negotiated interval', async () => {
  const c = await rawConnected(broker.ports.stomp, { 'accept-version': '1.2', host: '/', 'heart-beat': '0,100' });
  const connected = c.frames.length;
  assert.equal(connected, 0);
  await new Promise((r) => setTimeout(r, 600));
  assert.ok(c.heartbeats >= 2, `received ${c.heartbeats} heart-beats`);
  assert.equal(c.closed, false);
  c.close();
});

test('heart-beat: a client that promised beats and goes silent is disconnected; EOLs keep it alive', async () => {
  const alive = await rawConnected(broker.ports.stomp, { 'accept-version': '1.2', host: '/', 'heart-beat': '100,0' });
  const beat = setInterval(() => alive.write('\n'), 50);
  const silent = await rawConnected(broker.ports.stomp, { 'accept-version': '1.2', host: '/', 'heart-beat': '100,0' });
  try {
    await silent.waitClosed(5000);
    assert.equal(alive.closed, false, 'the client sending EOLs is still connected');
  } finally {
    clearInterval(beat);
    alive.close();
  }
});

test('CONNECTED announces the server heart-beat; 1.0 sessions get none enforced', async () => {
  const c = await RawClient.connect(broker.ports.stomp);
  c.write(frame('CONNECT', { 'accept-version': '1.1', host: '/', 'heart-beat': '5000,5000' }));
  const f = await c.expect('CONNECTED');
  assert.equal(f.headers['heart-beat'], '100,100');
  assert.equal(f.headers['version'], '1.1');
  c.close();
  const d = await RawClient.connect(broker.ports.stomp);
  d.write(frame('CONNECT', { 'heart-beat': '100,100' }));
  const g = await d.expect('CONNECTED');
  assert.equal(g.headers['heart-beat'], undefined);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(d.closed, false);
  assert.equal(d.heartbeats, 0);
  d.close();
});
