/**
 * @module Where the agent keeps its copy of the CISA KEV catalog, and reading it once per scan.
 * The catalog is agent data (like the rule packs), not host data: it is read from the agent's own
 * filesystem even when the scan targets an offline root. `rampart kev update FILE` puts it here,
 * so an air-gapped site refreshes it from a file; RAMPART_KEV_FILE names another path.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ScanContext } from '../engine/context.js';
import { indexKev, parseKevCatalog, type KevCatalog, type KevEntry } from '../../shared/kev.js';
import { isAppError } from '../../shared/errors.js';

export const KEV_FILE_NAME = 'known_exploited_vulnerabilities.json';
export const SYSTEM_KEV_DIR = '/var/lib/rampart-agent/kev';
export const LOCAL_KEV_DIR = '.rampart/kev';

/** The directory `kev update` writes to by default: the system data dir for root, else ./.rampart/kev. */
export function defaultKevDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (env.RAMPART_KEV_DIR) return path.resolve(env.RAMPART_KEV_DIR);
  return typeof process.getuid === 'function' && process.getuid() === 0 ? SYSTEM_KEV_DIR : path.resolve(cwd, LOCAL_KEV_DIR);
}

/** Files a scan looks at, in order: RAMPART_KEV_FILE alone when set, else the local then the system data dir. */
export function kevCandidates(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  if (env.RAMPART_KEV_FILE) return [path.resolve(cwd, env.RAMPART_KEV_FILE)];
  const dirs = env.RAMPART_KEV_DIR ? [path.resolve(env.RAMPART_KEV_DIR)] : [path.resolve(cwd, LOCAL_KEV_DIR), SYSTEM_KEV_DIR];
  return dirs.map((d) => path.join(d, KEV_FILE_NAME));
}

export type LoadedKev =
  | { status: 'loaded'; file: string; catalog: Omit<KevCatalog, 'vulnerabilities'>; index: Map<string, KevEntry> }
  | { status: 'missing'; tried: string[] }
  | { status: 'invalid'; file: string; message: string };

/** Load the first catalog found; a present but malformed file is reported, never silently skipped. */
export async function loadKev(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<LoadedKev> {
  const tried = kevCandidates(env, cwd);
  for (const file of tried) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    try {
      const catalog = parseKevCatalog(text, file);
      const { vulnerabilities, ...meta } = catalog;
      return { status: 'loaded', file, catalog: meta, index: indexKev({ ...meta, vulnerabilities }) };
    } catch (err) {
      return { status: 'invalid', file, message: isAppError(err) ? err.message : String(err) };
    }
  }
  return { status: 'missing', tried };
}

/** The scan's KEV catalog, read once per scan however many rules consult it. */
export function readKev(ctx: ScanContext): Promise<LoadedKev> {
  return ctx.memo('source:kev', () => loadKev());
}
