import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { runIdle } from './idle.js';
import { startNullSink } from './null-sink/index.js';
import { OptionError, USAGE, parseArgs, type BenchOptions } from './options.js';
import { describe, idleSummary, optionsForJson, summary } from './report.js';
import { fmtRate, runThroughput } from './run.js';

/**
 * `wharf bench`: entry point. Returns the process exit code:
 *   0 done, 1 error (connection refused, broker closed us...), 2 bad options,
 *   3 loss/duplicates seen with --strict.
 */
export async function runBenchCli(argv: string[]): Promise<number> {
  let o: BenchOptions;
  try {
    o = parseArgs(argv);
  } catch (err) {
    if (err instanceof OptionError) {
      process.stderr.write(`wharf bench: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  const out = (s: string): void => void process.stdout.write(`${s}\n`);
  if (o.mode === 'help') {
    out(USAGE);
    return 0;
  }
  if (o.mode === 'null-sink') return runSink(o, out);

  out(`wharf bench: ${describe(o)}`);
  if (o.mode === 'idle') {
    const r = await runIdle(o, { line: out });
    out(idleSummary(o, r));
    writeJson(o, { kind: 'idle', idle: r });
    return r.connected === 0 ? 1 : 0;
  }
  // First Ctrl-C: stop publishing, drain and print the summary; a second one exits at once.
  let onSigint: () => void = () => undefined;
  const interrupted = new Promise<void>((resolve) => {
    onSigint = (): void => {
      out('interrupted: stopping producers, draining (Ctrl-C again to quit)');
      process.once('SIGINT', () => process.exit(130));
      resolve();
    };
  });
  process.once('SIGINT', onSigint);
  const r = await runThroughput(o, { line: out }, interrupted).finally(() => process.removeListener('SIGINT', onSigint));
  out(summary(o, r));
  writeJson(o, { kind: 'run', ...r });
  if (r.errors.length > 0) return 1;
  const d = r.delivery;
  if (o.strict && (d.lost > 0 || d.duplicates > 0 || r.corrupt > 0)) return 3;
  return 0;
}

function writeJson(o: BenchOptions, result: Record<string, unknown>): void {
  if (o.json === '') return;
  const doc = { tool: 'wharf-bench', version: 1, at: new Date().toISOString(), options: optionsForJson(o), ...result };
  writeFileSync(o.json, `${JSON.stringify(doc, null, 2)}\n`);
}

async function runSink(o: BenchOptions, out: (s: string) => void): Promise<number> {
  const sink = await startNullSink(o.endpoint.protocol, o.endpoint.port, o.endpoint.host, { size: o.size });
  out(`null sink (${o.endpoint.protocol}) listening on ${o.endpoint.host}:${sink.port}`);
  const t0 = performance.now();
  let last = 0;
  const tick = setInterval(() => {
    const m = sink.stats.messages;
    if (!o.quiet) out(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(3)}s] ${fmtRate(m - last)} discarded, ${sink.stats.connections} connections so far`);
    last = m;
  }, 1000);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (o.duration > 0) setTimeout(stop, o.duration * 1000).unref();
  });
  clearInterval(tick);
  await sink.close();
  out(`null sink: ${sink.stats.messages} messages, ${sink.stats.bytes} bytes, ${sink.stats.connections} connections`);
  return 0;
}

// Direct execution (`node dist/src/bench/main.js ...`) until the CLI dispatches `wharf bench`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runBenchCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
