/**
 * @module Small helpers shared by every subcommand: argument parsing with coded usage errors,
 * and the exit codes scripts rely on.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AppError, isAppError } from '../../shared/errors.js';

export const EXIT = { ok: 0, findings: 1, usage: 2, failure: 3 } as const;

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new AppError('ERR_USAGE', (err as Error).message);
  }
}

/** Print an error the way every subcommand does: code, message, what to do. Returns the exit code. */
export function reportError(err: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (isAppError(err)) {
    stderr.write(`rampart: ${err.code}: ${err.message}\n  what to do: ${err.fix}\n`);
    return err.code === 'ERR_USAGE' || err.code.startsWith('ERR_PACK') || err.code.startsWith('ERR_TAILORING') || err.code === 'ERR_DIRECTIVES_INVALID' || err.code === 'ERR_FILE_NOT_FOUND' || err.code === 'ERR_ROOT_INVALID' || err.code === 'ERR_CONFIG_INVALID'
      ? EXIT.usage
      : EXIT.failure;
  }
  stderr.write(`rampart: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  return EXIT.failure;
}
