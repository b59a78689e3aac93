/**
 * @module What every `rampart server` subcommand shares: the IO it writes to, the common
 * --data-dir option, opening the store for an administrative command, and duration parsing.
 */
import { AppError } from '../../shared/errors.js';
import { loadServerConfig, type ServerConfig } from '../config.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';

export interface ServerCommandIO {
  stdout: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export const DATA_DIR_OPTION = { 'data-dir': { type: 'string' }, database: { type: 'string' } } as const;
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

export const DATA_DIR_HELP =
  '  --data-dir DIR        Collector data directory (default ./.rampart/server, or RAMPART_DATA_DIR).\n' +
  '  --database URL        PostgreSQL instead of SQLite: postgres://user@host:5432/db (or RAMPART_DATABASE_URL).';

export function configFor(values: { 'data-dir'?: string; database?: string }, env: NodeJS.ProcessEnv, extra: Record<string, unknown> = {}): ServerConfig {
  return loadServerConfig({ dataDir: values['data-dir'], databaseUrl: values.database, ...extra }, env);
}

/** Open the configured store (SQLite data directory or PostgreSQL) for one command, and always close it. */
export async function withStore<T>(config: ServerConfig, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(config);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "7d", "12h", "30m", "45s", "2w" → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (!m || Number(m[1]) <= 0) throw new AppError('ERR_USAGE', `${flag} takes a duration like 7d, 12h, 30m or 45s, not "${text}"`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

export function positiveInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) <= 0) throw new AppError('ERR_USAGE', `${flag} takes a positive whole number, not "${text}"`);
  return Number(text);
}

/** Render rows as an aligned plain-text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
