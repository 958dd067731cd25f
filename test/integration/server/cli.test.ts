import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { settings } from '../../../src/server/config.js';
import { freePort, spawnBroker, startTestBroker } from '../../helpers/broker.js';

const bin = resolve(process.cwd(), 'bin/wharf.js');

test('wharf start --help lists every option with its environment variable', () => {
  const r = spawnSync(process.execPath, [bin, 'start', '--help'], { encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 0, r.stderr);
  for (const s of settings) {
    assert.match(r.stdout, new RegExp(`--${s.flag}\\b`));
    assert.match(r.stdout, new RegExp(s.env));
  }
  for (const required of ['--amqp-port', '--data-dir', '--config']) assert.ok(r.stdout.includes(required), required);
});

test('wharf start refuses an unknown flag and a bad value with exit code 2', () => {
  const unknown = spawnSync(process.execPath, [bin, 'start', '--no-such-flag'], { encoding: 'utf8', timeout: 20000 });
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /no-such-flag/);
  const bad = spawnSync(process.execPath, [bin, 'start', '--amqp-port', 'x'], { encoding: 'utf8', timeout: 20000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--amqp-port/);
});

const canConnect = (port: number): Promise<boolean> =>
  new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });

test('the real command starts, logs JSON lines, and stops cleanly on SIGTERM', async () => {
  const broker = await spawnBroker();
  assert.equal(await canConnect(broker.ports.amqp), true);
  const code = await broker.stop();
  assert.equal(code, 0, broker.output());
  const lines = broker.output().trim().split('\n');
  const parsed = lines.map((l) => JSON.parse(l) as { msg?: string });
  assert.ok(parsed.some((l) => l.msg === 'wharf started'));
  assert.ok(parsed.some((l) => l.msg === 'wharf stopped'));
});

test('port 0 disables a listener', async () => {
  const mqtt = await freePort();
  const broker = await spawnBroker({ args: ['--stomp-port', '0'], ports: { amqp: await freePort(), mqtt, stomp: await freePort(), ws: await freePort() } });
  try {
    assert.equal(await canConnect(broker.ports.mqtt), true);
    assert.equal(await canConnect(broker.ports.stomp), false);
  } finally {
    await broker.stop();
  }
});

test('in-process harness binds ephemeral ports and restarts on them', async () => {
  const b = await startTestBroker();
  try {
    assert.ok(b.ports.amqp > 0 && b.ports.mqtt > 0 && b.ports.stomp > 0 && b.ports.ws > 0);
    await b.restart();
    assert.equal(await canConnect(b.ports.amqp), true);
  } finally {
    await b.stop();
  }
});
