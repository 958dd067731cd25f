import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, defaultConfig, loadConfig } from '../../../src/server/config.js';

const yamlFile = (text: string): string => {
  const f = join(mkdtempSync(join(tmpdir(), 'wharf-cfg-')), 'wharf.yaml');
  writeFileSync(f, text);
  return f;
};

test('embedded defaults: loopback listeners on the engines\' ports, guest, ./data', () => {
  const c = loadConfig({ flags: {}, env: {} });
  assert.equal(c.listeners.amqp.port, 5672);
  assert.equal(c.listeners.amqp.host, '127.0.0.1');
  assert.equal(c.listeners.mqtt.port, 1883);
  assert.equal(c.listeners.stomp.port, 61613);
  assert.equal(c.listeners.ws.port, 61618);
  assert.equal(c.dataDir, './data');
  assert.deepEqual(c.users.map((u) => u.name), ['guest']);
  assert.deepEqual(c.loopbackUsers, ['guest']);
  assert.equal(c.store.fsync, true);
});

test('precedence: flags over environment over YAML over defaults', () => {
  const file = yamlFile('dataDir: /from/yaml\nlisteners:\n  amqp:\n    port: 1111\n  mqtt:\n    port: 2222\nlimits:\n  maxQueues: 7\n');
  const fromYaml = loadConfig({ flags: {}, env: {}, configFile: file });
  assert.equal(fromYaml.dataDir, '/from/yaml');
  assert.equal(fromYaml.listeners.amqp.port, 1111);
  assert.equal(fromYaml.listeners.amqp.host, '127.0.0.1', 'unset keys keep their defaults');
  assert.equal(fromYaml.limits.maxQueues, 7);

  const fromEnv = loadConfig({ flags: {}, env: { WHARF_AMQP_PORT: '3333', WHARF_DATA_DIR: '/from/env' }, configFile: file });
  assert.equal(fromEnv.listeners.amqp.port, 3333);
  assert.equal(fromEnv.dataDir, '/from/env');
  assert.equal(fromEnv.listeners.mqtt.port, 2222);

  const fromFlags = loadConfig({ flags: { 'amqp-port': '4444', 'data-dir': '/from/flags' }, env: { WHARF_AMQP_PORT: '3333' }, configFile: file });
  assert.equal(fromFlags.listeners.amqp.port, 4444);
  assert.equal(fromFlags.dataDir, '/from/flags');
});

test('port 0 is accepted (disables a listener); bad values are refused with the setting named', () => {
  assert.equal(loadConfig({ flags: { 'mqtt-port': '0' }, env: {} }).listeners.mqtt.port, 0);
  assert.throws(() => loadConfig({ flags: { 'amqp-port': 'abc' }, env: {} }), (e: Error) => e instanceof ConfigError && /--amqp-port/.test(e.message));
  assert.throws(() => loadConfig({ flags: { 'amqp-port': '70000' }, env: {} }), (e: Error) => e instanceof ConfigError && /listeners\.amqp\.port/.test(e.message));
  assert.throws(() => loadConfig({ flags: {}, env: { WHARF_FSYNC: 'maybe' } }), (e: Error) => e instanceof ConfigError && /WHARF_FSYNC/.test(e.message));
  assert.throws(() => loadConfig({ flags: {}, env: {}, configFile: yamlFile('- a\n- b\n') }), ConfigError);
});

test('users and per-protocol limits come from YAML', () => {
  const file = yamlFile('users:\n  - name: app\n    password: s3cret\n    tags: [management]\nlimits:\n  amqp091:\n    channelMax: 16\n');
  const c = loadConfig({ flags: { 'frame-max': '65536' }, env: {}, configFile: file });
  assert.deepEqual(c.users, [{ name: 'app', password: 's3cret', tags: ['management'] }]);
  assert.deepEqual(c.limits.amqp091, { channelMax: 16, frameMax: 65536 });
  assert.deepEqual(defaultConfig.limits.amqp091, {}, 'defaults are not mutated');
});
