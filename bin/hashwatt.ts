#!/usr/bin/env node
import { COMMANDS, type CommandEntry } from './command-registry.js';
import { EXIT } from '../shared/cli/command.js';
import { AppError, describeError } from '../shared/errors.js';

const TOP_HELP_HEAD = `hashwatt — power telemetry and curtailment for Bitcoin mining farms

Usage: hashwatt <command> [options]
       hashwatt <command> --help

Commands:`;

const TOP_HELP_TAIL = `
Exit codes: 0 success, 1 failure, 2 bad usage or configuration, 3 unsupported or unparseable target.`;

function listCommands(entries: readonly CommandEntry[]): string {
  const width = Math.max(...entries.map((e) => e.path.join(' ').length));
  return entries.map((e) => `  ${e.path.join(' ').padEnd(width)}  ${e.summary}`).join('\n');
}

/** The entry whose path is the longest prefix of argv. */
function findCommand(argv: string[]): { entry: CommandEntry; rest: string[] } | undefined {
  let best: CommandEntry | undefined;
  for (const entry of COMMANDS) {
    const matches = entry.path.every((word, i) => argv[i] === word);
    if (matches && (!best || entry.path.length > best.path.length)) best = entry;
  }
  return best ? { entry: best, rest: argv.slice(best.path.length) } : undefined;
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(`${TOP_HELP_HEAD}\n${listCommands(COMMANDS)}\n${TOP_HELP_TAIL}\n`);
    return argv.length === 0 ? EXIT.USAGE : EXIT.OK;
  }
  if (argv[0] === '--version') {
    process.stdout.write(`${process.env.npm_package_version ?? (await readVersion())}\n`);
    return EXIT.OK;
  }
  const found = findCommand(argv);
  if (!found) {
    const group = COMMANDS.filter((e) => e.path[0] === argv[0]);
    if (group.length > 0) {
      process.stdout.write(`Usage: hashwatt ${argv[0]} <command> [options]\n\nCommands:\n${listCommands(group)}\n`);
      return argv.includes('--help') || argv.includes('-h') ? EXIT.OK : EXIT.USAGE;
    }
    process.stderr.write(`hashwatt: unknown command '${argv[0]}'. Run 'hashwatt --help' for the list.\n`);
    return EXIT.USAGE;
  }
  const { command } = await found.entry.load();
  if (found.rest.includes('--help') || found.rest.includes('-h')) {
    process.stdout.write(`${command.help.trimEnd()}\n`);
    return EXIT.OK;
  }
  return command.run(found.rest);
}

async function readVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Operator mistakes get one clear line and exit 2; anything else is a bug or
    // an outside failure and gets exit 1 (still without a stack unless asked).
    const usage = err instanceof AppError && (err.code === 'USAGE' || err.code === 'CONFIG_INVALID' || err.code === 'CONFIG_NOT_FOUND');
    process.stderr.write(`hashwatt: ${describeError(err)}\n`);
    if (process.env.HASHWATT_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = usage ? EXIT.USAGE : EXIT.FAILURE;
  },
);
