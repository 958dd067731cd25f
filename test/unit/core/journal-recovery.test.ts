import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrokerHandle, Principal, User, VirtualHost } from '../../../src/core/api.js';
import { createBroker } from '../../../src/core/index.js';
import { FileDefinitionStore, JournalMessageStore } from '../../../src/store/journal/index.js';
import { silentLog } from './helpers.js';

async function open(dir: string): Promise<{ b: BrokerHandle; vh: VirtualHost; p: Principal }> {
  const b = await createBroker({
    messageStore: new JournalMessageStore({ dir: join(dir, 'journal'), checkpointIntervalMs: 0 }),
    definitionStore: new FileDefinitionStore(join(dir, 'definitions.json')),
    initialUsers: [{ name: 'guest', password: 'guest', tags: ['administrator'] }],
    loopbackUsers: ['guest'],
    limits: { maxQueues: 0, maxMessageSize: 1 << 20 },
    log: silentLog,
  });
  const vh = b.getVhost('/') as VirtualHost;
  return { b, vh, p: { user: b.authenticate('guest', 'guest', '127.0.0.1') as User, connectionId: 1 as never } };
}

test('recovery through the journal store and file definitions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-core-'));
  try {
    const a = await open(dir);
    a.vh.declareQueue(a.p, 'jq', { durable: true, exclusive: false, autoDelete: false, arguments: { 'x-max-priority': 2 } }, false);
    a.vh.declareQueue(a.p, 'tq', { durable: false, exclusive: false, autoDelete: false, arguments: {} }, false);
    a.vh.bind(a.p, { source: 'amq.topic', destinationKind: 'queue', destination: 'jq', routingKey: 'j.#', arguments: {} });
    let needsSync = false;
    for (let i = 0; i < 50; i++) {
      needsSync = a.vh.publish(a.p, 'amq.topic', `j.${i}`, { deliveryMode: 2, headers: { i } }, Buffer.from(`m${i}`), { mandatory: false }).needsSync || needsSync;
    }
    assert.ok(needsSync);
    a.vh.publish(a.p, 'amq.topic', 'j.t', { deliveryMode: 1 }, Buffer.from('transient'), { mandatory: false });
    // Ack the first ten.
    for (let i = 0; i < 10; i++) {
      const d = a.vh.get(a.p, 'jq', false);
      assert.ok(d);
      a.vh.settle('jq', d.tag, { kind: 'ack' });
    }
    await new Promise<void>((r) => a.b.afterSync(r));
    await a.b.close();

    const b = await open(dir);
    assert.equal(b.vh.getQueue('tq'), undefined);
    const info = b.vh.getQueue('jq');
    assert.equal(info?.messageCount, 40);
    const first = b.vh.get(b.p, 'jq', true);
    assert.equal(first?.message.body.toString(), 'm10');
    assert.equal(first?.message.properties.headers?.['i'], 10);
    assert.equal(first?.message.routingKey, 'j.10');
    // The binding survived: new publishes route.
    assert.equal(b.vh.publish(b.p, 'amq.topic', 'j.x', {}, Buffer.from('n'), { mandatory: false }).routed, 1);
    await b.b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
