/**
 * The project as a newcomer runs it, seen by an AMQP client: `wharf start --config` with
 * users and limits from YAML, environment variables and flags on top (flags win), and the
 * limits arriving on the wire in connection.tune.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import { PROTOCOL_HEADER } from '../../../src/codecs/amqp091/index.js';
import { spawnBroker, tempDataDir } from '../../helpers/broker.js';
import { errorOf } from './helpers.js';
import { RawAmqp } from './raw-amqp.js';

test('wharf start --config: YAML users and limits, environment over YAML, flags over both', async () => {
  const dir = tempDataDir('wharf-setup-');
  const file = join(dir, 'wharf.yaml');
  writeFileSync(
    file,
    [
      'users:',
      '  - { name: app, password: s3cret, tags: [] }',
      'limits:',
      '  amqp091: { channelMax: 5, frameMax: 8192, heartbeat: 20 }',
      '',
    ].join('\n'),
  );
  const broker = await spawnBroker({
    dataDir: join(dir, 'data'),
    args: ['--config', file, '--channel-max', '9'],
    env: { WHARF_CHANNEL_MAX: '7', WHARF_HEARTBEAT: '30' },
  });
  try {
    const raw = await RawAmqp.open(broker.ports.amqp);
    raw.write(PROTOCOL_HEADER);
    await raw.expectMethod('connection.start');
    raw.method(0, 'connection.start-ok', { clientProperties: {}, mechanism: 'PLAIN', response: Buffer.from('\0app\0s3cret'), locale: 'en_US' });
    const tune = await raw.expectMethod('connection.tune');
    assert.ok(tune.name === 'connection.tune');
    // channel_max: flag 9 beats env 7 beats YAML 5; heartbeat: env 30 beats YAML 20; frame_max from YAML
    assert.deepEqual({ channelMax: tune.channelMax, frameMax: tune.frameMax, heartbeat: tune.heartbeat }, { channelMax: 9, frameMax: 8192, heartbeat: 30 });
    raw.destroy();
    // the YAML user can log in with amqplib; a wrong password cannot
    const c = await amqp.connect(`amqp://app:s3cret@127.0.0.1:${broker.ports.amqp}`);
    const ch = await c.createChannel();
    await ch.checkExchange('amq.topic');
    await c.close();
    const e = await errorOf(amqp.connect(`amqp://app:wrong@127.0.0.1:${broker.ports.amqp}`));
    assert.match(e.message, /ACCESS_REFUSED/);
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the README's first command starts the broker, its second runs the suite, and .ci/run runs exactly that", () => {
  const root = process.cwd();
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
  assert.equal(blocks[0], 'npm ci && npm start');
  assert.equal(blocks[1], 'npm ci && npm test');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };
  assert.match(pkg.scripts['start']!, /wharf\.js start$/);
  assert.match(pkg.scripts['test']!, /scripts\/run-tests\.mjs$/);
  assert.equal(pkg.bin['wharf'], 'bin/wharf.js');
  const ci = readFileSync(join(root, '.ci/run'), 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  assert.equal(ci[ci.length - 1]!.trim(), blocks[1]);
});
