/**
 * The `wharf` command. `wharf start` runs the broker; `wharf bench` drives load at any
 * broker. Options come from flags, WHARF_* environment variables and a YAML file, in
 * that order of precedence (see src/server/config.ts).
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, settings } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { WharfServer } from '../server/server.js';

const usage = `Usage: wharf <command> [options]

Commands:
  start     run the broker (wharf start --help for its options)
  bench     drive load at a broker (wharf bench --help)
  version   print the version
`;

function startHelp(): string {
  const row = (left: string, help: string): string => `  ${left}`.padEnd(38) + help;
  const lines = [
    row('--config <file>', 'YAML configuration file [env WHARF_CONFIG]'),
    ...settings.map((s) => row(`--${s.flag} ${s.kind === 'bool' ? '<true|false>' : s.kind === 'int' ? '<n>' : '<value>'}`, `${s.help} [env ${s.env}]`)),
    row('-h, --help', 'show this help'),
  ];
  return `Usage: wharf start [options]

Starts the broker. Flags win over environment variables, which win over the YAML file.

Options:
${lines.join('\n')}
`;
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start(rest);
    case 'bench': {
      // Loaded on demand: the broker never pays for the load generator.
      const mod = await import('../bench/main.js');
      process.exitCode = await mod.runBenchCli(rest);
      return;
    }
    case 'version':
    case '--version': {
      const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
      console.log(pkg.version);
      return;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(usage);
      return;
    default:
      console.error(`wharf: unknown command '${command}'\n\n${usage}`);
      process.exitCode = 2;
  }
}

async function start(argv: string[]): Promise<void> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  };
  for (const s of settings) options[s.flag] = { type: 'string' };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    console.error(`wharf start: ${(err as Error).message}\n\n${startHelp()}`);
    process.exitCode = 2;
    return;
  }
  if (parsed.values.help) {
    console.log(startHelp());
    return;
  }
  let config;
  try {
    const configFile = (parsed.values.config as string | undefined) ?? process.env.WHARF_CONFIG;
    config = loadConfig({ flags: parsed.values, env: process.env, ...(configFile ? { configFile } : {}) });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`wharf start: ${err.message}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  const log = createLogger(config.log.level);
  // Handlers go in before the listeners open, so a signal that arrives while the
  // broker is still starting also ends in a clean stop.
  let signalled = false;
  let server: WharfServer | undefined;
  const stopNow = (): void => {
    if (!server) return;
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    log.info({ signal: sig }, 'stopping');
    stopNow();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  server = await WharfServer.start(config, log);
  if (signalled) stopNow();
}
