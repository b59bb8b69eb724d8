import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AppError } from '../errors.js';

/** Exit codes scripts can trust; documented in the README. */
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  /** Bad usage or bad configuration: the operator must fix the input. */
  USAGE: 2,
  /** The thing asked about could not be handled (unsupported / unparseable). */
  UNSUPPORTED: 3,
} as const;

export interface Command {
  /** Words after `hashwatt`, e.g. `['keys', 'generate']`. */
  readonly path: readonly string[];
  readonly summary: string;
  /** The full `--help` text. */
  readonly help: string;
  run(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with a usage error that names the bad flag instead of a stack trace. */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (err) {
    throw new AppError('USAGE', (err as Error).message, { cause: err });
  }
}
