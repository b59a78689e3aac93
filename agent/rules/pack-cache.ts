/**
 * @module Validated-pack cache: the compiled form of a pack (and of the directives catalog), stored
 * as JSON under a key made of the sha256 of every input (pack text, directives text, tailoring
 * parameters) and of the Rampart build that validated it. A hit skips YAML parsing and schema
 * validation; it yields exactly what compiling the same bytes with the same code yields, because
 * only packs that compiled without a single issue are stored and any change to an input or to the
 * code changes the key. Best-effort: every cache problem falls back to compiling.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Directive } from '../../shared/directive.js';
import type { Expect } from '../../shared/expectation.js';
import type { Rule } from '../../shared/rule-pack.js';
import type { PackRef } from '../../shared/result.js';
import { getProbe } from '../probes/index.js';
import type { CompiledCheck, CompiledPack, CompiledRule } from './compiled.js';
import type { DirectiveIndex } from './directives.js';

/** Set by the build (tsup `define`): a digest of the sources and dependency versions of this build. */
declare const __RAMPART_BUILD_ID__: string | undefined;

const FORMAT = 1;

export interface PackCache {
  dir: string;
  /** Identifies the code that validated an entry; entries of another build are never read. */
  buildId: string;
}

/**
 * The cache of this installation: on for a built Rampart (it knows its build id), off when running
 * from sources (tests, where code changes under the cache) or when RAMPART_PACK_CACHE=off.
 * Location: $RAMPART_CACHE_DIR/packs, else $XDG_CACHE_HOME/rampart/packs, else ~/.cache/rampart/packs.
 */
export function defaultPackCache(env: NodeJS.ProcessEnv = process.env): PackCache | undefined {
  const base = env.RAMPART_CACHE_DIR ?? path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'rampart');
  return packCacheIn(base, env);
}

/** The pack cache under a Rampart cache directory (`rampart scan --cache-dir DIR` puts it in DIR/packs). */
export function packCacheIn(cacheDir: string, env: NodeJS.ProcessEnv = process.env): PackCache | undefined {
  const buildId = typeof __RAMPART_BUILD_ID__ === 'string' ? __RAMPART_BUILD_ID__ : undefined;
  if (!buildId || env.RAMPART_PACK_CACHE === 'off') return undefined;
  return { dir: path.join(cacheDir, 'packs'), buildId };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function cacheKey(cache: PackCache, kind: 'pack' | 'directives', parts: readonly string[]): string {
  return sha256Hex(JSON.stringify([FORMAT, cache.buildId, kind, ...parts])).slice(0, 40);
}

/**
 * The directory may hold only entries this user wrote: it must be a real directory owned by us and
 * writable by nobody else (a cache others can write would let them change the rules a scan runs).
 */
function trustedDir(cache: PackCache, create: boolean): boolean {
  try {
    if (create) mkdirSync(cache.dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(cache.dir);
    const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
    // The parent too: whoever can write it can swap the whole directory.
    const parent = lstatSync(path.dirname(cache.dir));
    const safeParent = (parent.uid === uid || parent.uid === 0) && (parent.mode & 0o022) === 0;
    return st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0 && safeParent;
  } catch {
    return false;
  }
}

function readEntry(cache: PackCache, key: string): unknown {
  if (!trustedDir(cache, false)) return undefined;
  try {
    const file = path.join(cache.dir, `${key}.json`);
    const st = lstatSync(file);
    const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
    if (!st.isFile() || st.uid !== uid || (st.mode & 0o022) !== 0) return undefined;
    const entry = JSON.parse(readFileSync(file, 'utf8')) as { format?: unknown; key?: unknown; body?: unknown };
    return entry.format === FORMAT && entry.key === key ? entry.body : undefined;
  } catch {
    return undefined;
  }
}

function writeEntry(cache: PackCache, key: string, body: unknown): void {
  const json = JSON.stringify({ format: FORMAT, key, body });
  // Store only what survives JSON unchanged (no NaN, Infinity, undefined members, Dates, RegExps).
  if (!isDeepStrictEqual((JSON.parse(json) as { body: unknown }).body, body)) return;
  if (!trustedDir(cache, true)) return;
  const file = path.join(cache.dir, `${key}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, json, { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // a read-only home or a full disk only costs speed
  }
}

// ---- directives ----

export function readCachedDirectives(cache: PackCache, key: string): DirectiveIndex | undefined {
  const body = readEntry(cache, key);
  if (!Array.isArray(body)) return undefined;
  return new Map((body as Directive[]).map((d) => [d.id, d]));
}

export function writeCachedDirectives(cache: PackCache, key: string, index: DirectiveIndex): void {
  writeEntry(cache, key, [...index.values()]);
}

// ---- packs ----

type StoredCheck =
  | { kind: 'probe'; probe: string; rawParams: Record<string, unknown>; params?: unknown; expect: Expect; description?: string; key: string }
  | { kind: 'all' | 'any' | 'none'; children: StoredCheck[] };

interface StoredRule {
  rule: Rule;
  check: StoredCheck;
  applicability?: StoredCheck;
  clockDays?: number;
  clockDirective?: string;
}

interface StoredPack {
  ref: PackRef;
  rules: StoredRule[];
}

function storeCheck(c: CompiledCheck): StoredCheck {
  if (c.kind !== 'probe') return { kind: c.kind, children: c.children.map(storeCheck) };
  const out: StoredCheck = { kind: 'probe', probe: c.probe.type, rawParams: c.rawParams, expect: c.expect, key: c.key };
  // Params a probe schema transformed into something JSON cannot carry are parsed again on load.
  if (isDeepStrictEqual(JSON.parse(JSON.stringify(c.params ?? null)), c.params ?? null)) out.params = c.params;
  if (c.description !== undefined) out.description = c.description;
  return out;
}

function loadCheck(s: StoredCheck): CompiledCheck | undefined {
  if (s.kind !== 'probe') {
    const children = s.children.map(loadCheck);
    return children.every((c): c is CompiledCheck => c !== undefined) ? { kind: s.kind, children } : undefined;
  }
  const probe = getProbe(s.probe);
  if (!probe) return undefined;
  let params = s.params;
  if (!('params' in s)) {
    const parsed = probe.params.safeParse(s.rawParams);
    if (!parsed.success) return undefined;
    params = parsed.data;
  }
  const c: CompiledCheck = { kind: 'probe', probe, rawParams: s.rawParams, params, expect: s.expect, key: s.key };
  if (s.description !== undefined) c.description = s.description;
  return c;
}

export function readCachedPack(cache: PackCache, key: string, file: string): CompiledPack | undefined {
  const body = readEntry(cache, key) as StoredPack | undefined;
  if (!body || typeof body !== 'object' || !Array.isArray(body.rules) || typeof body.ref?.id !== 'string') return undefined;
  const rules: CompiledRule[] = [];
  for (const s of body.rules) {
    const check = loadCheck(s.check);
    const applicability = s.applicability ? loadCheck(s.applicability) : undefined;
    if (!check || (s.applicability && !applicability)) return undefined;
    const r: CompiledRule = { packId: body.ref.id, rule: s.rule, check };
    if (applicability) r.applicability = applicability;
    if (s.clockDays !== undefined) r.clockDays = s.clockDays;
    if (s.clockDirective !== undefined) r.clockDirective = s.clockDirective;
    rules.push(r);
  }
  return { file, ref: body.ref, rules };
}

export function writeCachedPack(cache: PackCache, key: string, pack: CompiledPack): void {
  const body: StoredPack = {
    ref: pack.ref,
    rules: pack.rules.map((r) => {
      const s: StoredRule = { rule: r.rule, check: storeCheck(r.check) };
      if (r.applicability) s.applicability = storeCheck(r.applicability);
      if (r.clockDays !== undefined) s.clockDays = r.clockDays;
      if (r.clockDirective !== undefined) s.clockDirective = r.clockDirective;
      return s;
    }),
  };
  writeEntry(cache, key, body);
}
