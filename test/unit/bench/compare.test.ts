import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Broker } from '../../../src/bench/compare/brokers.js';
import { render, targetRows } from '../../../src/bench/compare/markdown.js';
import { aggregate, extract, type RunRecord } from '../../../src/bench/compare/results.js';
import { plan, scenarios, type Case } from '../../../src/bench/compare/scenarios.js';
import { median, ratio, rotation } from '../../../src/bench/compare/stats.js';
import { parseArgs } from '../../../src/bench/options.js';

test('median, ratio and the alternating run order', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([NaN, 5]), 5);
  assert.ok(Number.isNaN(median([])));
  assert.equal(ratio(3, 2), 1.5);
  assert.ok(Number.isNaN(ratio(1, 0)));
  assert.deepEqual(rotation(['a', 'b', 'c'], 0), ['a', 'b', 'c']);
  assert.deepEqual(rotation(['a', 'b', 'c'], 1), ['b', 'c', 'a']);
  assert.deepEqual(rotation(['a', 'b', 'c'], 5), ['c', 'a', 'b']);
});

test('every scenario case is a valid wharf bench command line', () => {
  for (const quick of [true, false]) {
    const s = scenarios(plan(quick));
    assert.deepEqual(s.map((x) => x.n), [1, 2, 3, 4, 5, 6, 7, 8]);
    for (const c of s.flatMap((x) => x.cases)) {
      const o = parseArgs([...c.args, '--port', '1', '--broker-pid', '1', '--json', '/tmp/x.json']);
      assert.equal(o.endpoint.protocol, c.protocol, c.id);
      assert.equal(o.mode, c.kind === 'idle' ? 'idle' : 'run', c.id);
      if (c.consumerProtocol) assert.equal(o.consumeEndpoint.protocol, c.consumerProtocol);
    }
    const ids = s.flatMap((x) => x.cases.map((c) => c.id));
    assert.equal(new Set(ids).size, ids.length, 'case ids are unique');
  }
  const full = scenarios(plan(false));
  assert.ok(full[4]!.cases[0]!.args.includes('1000000'), 'scenario 5 publishes one million messages');
  assert.ok(full[5]!.cases[0]!.args.includes('10000'), 'scenario 6 opens 10,000 connections');
  assert.ok(full[1]!.cases[0]!.brokers.includes('wharf-write'), 'scenario 2 runs Wharf in both durability modes');
});

const broker = (id: Broker['id'], peer: boolean): Broker => ({ id, label: id, ports: { amqp: 1 }, pidPort: 1, pid: 1, peer });
const amqpCase = (): Case => scenarios(plan(true))[0]!.cases[0]!;

function record(c: Case, b: string, run: number, rate: number, p99: number, ok = true, lost = 0): RunRecord {
  const doc = {
    received: { rate },
    sent: { rate },
    latencyMs: { p50: p99 / 2, p99, p999: p99 * 2 },
    broker: { cpuSecondsPerMillion: 10, rssPeakBytes: 100 * 2 ** 20 },
    delivery: { lost, duplicates: 0 },
    corrupt: 0,
    errors: ok ? [] : ['boom'],
  };
  return { caseId: c.id, broker: b, run, ok, ...extract(c, doc) };
}

test('aggregate: medians over successful runs, losses summed over all runs', () => {
  const c = amqpCase();
  const recs = [record(c, 'wharf', 0, 100, 5), record(c, 'wharf', 1, 300, 7), record(c, 'wharf', 2, 200, 6, true, 4), record(c, 'wharf', 3, 9999, 1, false, 1)];
  const a = aggregate(c.id, broker('wharf', false), recs);
  assert.equal(a.runs, 4);
  assert.equal(a.okRuns, 3);
  assert.equal(a.medians.rate, 200);
  assert.equal(a.medians.p99, 6);
  assert.equal(a.medians.rssPeakMiB, 100);
  assert.equal(a.lost, 5);
  assert.deepEqual(a.errors, ['boom']);
});

test('targets: 1.5x RabbitMQ throughput, p99 no worse than the best peer', () => {
  const c = amqpCase();
  const recs = [record(c, 'wharf', 0, 150, 1), record(c, 'rabbitmq', 0, 100, 2)];
  const aggs = [aggregate(c.id, broker('wharf', false), recs), aggregate(c.id, broker('rabbitmq', true), recs)];
  const rows = targetRows(c, aggs);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.met, true);
  assert.equal(rows[0]!.value, '1.50×');
  const slower = [record(c, 'wharf', 0, 149, 1), record(c, 'rabbitmq', 0, 100, 2)];
  assert.equal(targetRows(c, [aggregate(c.id, broker('wharf', false), slower), aggregate(c.id, broker('rabbitmq', true), slower)])[0]!.met, false);
  const lat = scenarios(plan(true))[3]!.cases[0]!;
  const lr = [record(lat, 'wharf', 0, 1000, 3), record(lat, 'rabbitmq', 0, 1000, 2)];
  const row = targetRows(lat, [aggregate(lat.id, broker('wharf', false), lr), aggregate(lat.id, broker('rabbitmq', true), lr)]);
  assert.equal(row[0]!.met, false, 'p99 3 ms is worse than the best peer 2 ms');
  const failed = [record(c, 'wharf', 0, 0, 0, false), record(c, 'rabbitmq', 0, 100, 2)];
  assert.equal(targetRows(c, [aggregate(c.id, broker('wharf', false), failed), aggregate(c.id, broker('rabbitmq', true), failed)])[0]!.met, null, 'no Wharf result: n/a, not a pass');
});

test('the report has machine, versions, commands, targets and one table per case; loss is bold', () => {
  const p = plan(true);
  const s = scenarios(p).slice(0, 1);
  const c = s[0]!.cases[0]!;
  const recs = [record(c, 'wharf', 0, 150, 1, true, 3), record(c, 'rabbitmq', 0, 100, 2)];
  const md = render({
    plan: p,
    runs: 1,
    scenarios: s,
    aggregates: new Map([[c.id, [aggregate(c.id, broker('wharf', false), recs), aggregate(c.id, broker('rabbitmq', true), recs)]]]),
    machine: { nproc: 2, cpuModel: 'cpu', memoryGiB: 8, kernel: 'k', disk: 'd', fsyncMs: 1, loadAvgAtStart: '0 0 0' },
    versions: { node: 'v20', wharf: '0.1.0', rabbitmq: '3.10', erlang: '25', activemq: '5.17', java: 'j', mosquitto: '2.0' },
    command: 'npm run bench:compare -- --quick',
    benchCommand: () => 'wharf bench ...',
    notes: ['a note'],
    label: 'preliminary',
    startedAt: new Date(0),
    finishedAt: new Date(1000),
    loadAvgAtEnd: '1 1 1',
  });
  for (const want of ['## Machine', 'nproc 2', '## Versions', 'RabbitMQ 3.10', '```sh', 'npm run bench:compare -- --quick', '## Against the targets', '| 1. AMQP | Wharf | rabbitmq | 1.50× | ≥ 1.5× | yes |', '### AMQP', '**3**', '> **preliminary**', '- a note']) {
    assert.ok(md.includes(want), `missing ${want}`);
  }
});
