/**
 * CONNECT: the host header as virtual host, users and permissions, the default user,
 * and the listeners' default ports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSharedBroker } from '../../helpers/broker.js';
import { defaultConfig } from '../../../src/server/config.js';
import { defaultStompLimits } from '../../../src/protocols/stomp/index.js';
import { frame, rawConnected, RawClient } from './helpers.js';

const broker = useSharedBroker({}, (b) => {
  const core = b.server().broker;
  core.addVhost('tenant-a');
  core.setPermissions('guest', 'tenant-a', { configure: '.*', write: '.*', read: '.*' });
  core.addUser('alice', 'secret', []);
  core.setPermissions('alice', '/', { configure: '.*', write: '.*', read: '.*' });
  // May read and declare, and publish to the default exchange only (not to amq.topic).
  core.addUser('reader', 'pw', []);
  core.setPermissions('reader', '/', { configure: '.*', write: '^amq\\.default$', read: '.*' });
});
const strict = useSharedBroker({ config: { limits: { stomp: { defaultLogin: null } } } });

const queueIn = (vhost: string, name: string) => broker.server().broker.getVhost(vhost)?.getQueue(name);

test('host naming a virtual host selects it; its queues are separate from the default vhost', async () => {
  const a = await rawConnected(broker.ports.stomp, { 'accept-version': '1.2', host: 'tenant-a', login: 'guest', passcode: 'guest' });
  const d = await rawConnected(broker.ports.stomp, { 'accept-version': '1.2', host: '/', login: 'guest', passcode: 'guest' });
  try {
    a.write(frame('SUBSCRIBE', { id: 's', destination: '/queue/per-vhost', receipt: 'sa' }));
    await a.receipt('sa');
    d.write(frame('SUBSCRIBE', { id: 's', destination: '/queue/per-vhost', receipt: 'sd' }));
    await d.receipt('sd');
    d.write(frame('SEND', { destination: '/queue/per-vhost' }, 'for-default'));
    a.write(frame('SEND', { destination: '/queue/per-vhost' }, 'for-tenant'));
    assert.equal((await a.expect('MESSAGE')).body.toString(), 'for-tenant');
    assert.equal((await d.expect('MESSAGE')).body.toString(), 'for-default');
    assert.ok(queueIn('tenant-a', 'per-vhost'));
    assert.ok(queueIn('/', 'per-vhost'));
  } finally {
    a.close();
    d.close();
  }
});

test('a user without access to the named virtual host is refused', async () => {
  const c = await RawClient.connect(broker.ports.stomp);
  c.write(frame('CONNECT', { 'accept-version': '1.2', host: 'tenant-a', login: 'alice', passcode: 'secret' }));
  const e = await c.expect('ERROR');
  assert.equal(e.headers['message'], 'Access refused');
  assert.match(e.body.toString(), /tenant-a/);
  await c.waitClosed();
  // The same user on a host naming no virtual host lands in the default one.
  const ok = await rawConnected(broker.ports.stomp, { 'accept-version': '1.2', host: 'mq.example.com', login: 'alice', passcode: 'secret' });
  ok.write(frame('SEND', { destination: '/queue/alice-default', receipt: 'r' }, 'x'));
  await ok.receipt('r');
  assert.ok(queueIn('/', 'alice-default'));
  ok.close();
});

test('permissions apply per frame: SEND without write permission is an ERROR access_refused', async () => {
  const c = await rawConnected(broker.ports.stomp, { 'accept-version': '1.2', host: '/', login: 'reader', passcode: 'pw' });
  c.write(frame('SEND', { destination: '/queue/ro-allowed', receipt: 'ok' }, 'x'));
  await c.receipt('ok');
  c.write(frame('SEND', { destination: '/topic/forbidden', receipt: 'no' }, 'x'));
  const e = await c.expect('ERROR');
  assert.equal(e.headers['message'], 'access_refused');
  assert.equal(e.headers['receipt-id'], 'no');
  await c.waitClosed();
});

test('CONNECT without login uses the default user (guest, loopback); defaultLogin null requires a login', async () => {
  const c = await RawClient.connect(broker.ports.stomp);
  c.write(frame('CONNECT', { 'accept-version': '1.2', host: '/' }));
  assert.equal((await c.expect('CONNECTED')).headers['user-name'], 'guest');
  c.close();
  const d = await RawClient.connect(strict.ports.stomp);
  d.write(frame('CONNECT', { 'accept-version': '1.2', host: '/' }));
  assert.equal((await d.expect('ERROR')).headers['message'], 'Access refused');
  await d.waitClosed();
  const e = await rawConnected(strict.ports.stomp, { 'accept-version': '1.2', host: '/', login: 'guest', passcode: 'guest' });
  e.close();
});

test('default ports: STOMP 61613, WebSocket (shared with MQTT) 61618; frame limits are ActiveMQ defaults', () => {
  assert.equal(defaultConfig.listeners.stomp.port, 61613);
  assert.equal(defaultConfig.listeners.ws.port, 61618);
  // ActiveMQ StompWireFormat: MAX_HEADERS 1000, MAX_HEADER_LENGTH 10240, MAX_COMMAND_LENGTH 1024, maxDataLength 100 MiB.
  assert.equal(defaultStompLimits.maxHeaders, 1000);
  assert.equal(defaultStompLimits.maxHeaderLength, 10_240);
  assert.equal(defaultStompLimits.maxCommandLength, 1024);
  assert.equal(defaultStompLimits.maxBodySize, 104_857_600);
});
