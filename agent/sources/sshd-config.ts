/**
 * @module The effective sshd configuration, read once per scan: `sshd -T` on a live host (Match
 * blocks evaluated for root from localhost), otherwise /etc/ssh/sshd_config parsed the way sshd
 * reads it — Include followed in place (globs in lexical order, relative to /etc/ssh), the first
 * value of a keyword wins, matching Match blocks override the global section — with OpenSSH's
 * compiled-in defaults for keywords left unset.
 */
import type { ScanContext } from '../engine/context.js';
import { readFileOnce } from '../engine/context.js';
import { globOnce } from './config-files.js';
import { findPackage, readPackageDb } from './packages.js';
import { SSHD_ALIASES, SSHD_KEYWORDS, SSHD_VALUE_ALIASES, type Keyword } from './sshd-keywords.js';

export const SSHD_CONFIG = '/etc/ssh/sshd_config';
const SSHD_BINARIES = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'];
const MAX_INCLUDE_DEPTH = 16;
/** The connection Match blocks are evaluated for (the same as the sshd-effective command). */
export const MATCH_CONTEXT = { user: 'root', group: 'root', host: 'localhost', addr: '127.0.0.1' } as const;

export type SshdValues = Record<string, string | number | string[]>;

export type SshdConfig =
  | { kind: 'config'; source: 'sshd -T' | 'parsed sshd_config'; values: SshdValues; files: string[]; notes: string[] }
  | { kind: 'absent'; reason: string; sources: string[] }
  | { kind: 'error'; reason: string; sources: string[] };

/** sshd_config(5) TIME FORMATS: 90, 1m30s, 2h, 1w. Undefined when malformed. */
export function parseSshTime(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const re = /(\d+)([sSmMhHdDwW])/g;
  const mult: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * mult[m[2]!.toLowerCase()]!;
    consumed += m[0].length;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}

function parseSize(text: string): number | undefined {
  const m = /^(\d+)([KMG]?)$/i.exec(text);
  if (!m) return undefined;
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
  return Number(m[1]) * mult[m[2]!.toLowerCase()]!;
}

/** RekeyLimit "1G 1h" → "1073741824 3600", as sshd -T prints it. */
function normalizeRekey(args: string[]): string {
  const data = args[0] === undefined || args[0] === 'default' ? 0 : parseSize(args[0]) ?? args[0];
  const time = args[1] === undefined || args[1] === 'none' ? 0 : parseSshTime(args[1]) ?? args[1];
  return `${data} ${time}`;
}

/** MaxStartups "10" → "10:30:10" (rate keeps its default of 30), as sshd -T prints it. */
function normalizeMaxStartups(arg: string): string {
  const parts = arg.split(':');
  if (parts.length === 1) return `${parts[0]}:30:${parts[0]}`;
  return arg;
}

function wildcardToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
}

/** Apply a `+`/`-`/`^` modified algorithm list to the current list (sshd_config(5) Ciphers). */
export function applyAlgorithmList(spec: string, base: readonly string[]): string[] {
  const body = spec.slice(1).split(',').filter(Boolean);
  if (spec.startsWith('+')) return [...base, ...body.filter((a) => !base.includes(a))];
  if (spec.startsWith('^')) return [...body, ...base.filter((a) => !body.includes(a))];
  if (spec.startsWith('-')) {
    const res = body.map(wildcardToRegExp);
    return base.filter((a) => !res.some((r) => r.test(a)));
  }
  return spec.split(',').filter(Boolean);
}

/** A value as sshd -T shows it, for one keyword from its raw arguments. */
function typedValue(name: string, kw: Keyword | undefined, args: string[]): string | number | string[] {
  const joined = args.join(' ');
  if (name === 'rekeylimit') return normalizeRekey(args);
  if (name === 'maxstartups') return normalizeMaxStartups(args[0] ?? '');
  switch (kw?.kind) {
    case 'word': {
      const w = (args[0] ?? '').toLowerCase();
      return SSHD_VALUE_ALIASES[name]?.[w] ?? w;
    }
    case 'upper':
      return (args[0] ?? '').toUpperCase();
    case 'number':
      return /^-?\d+$/.test(args[0] ?? '') ? Number(args[0]) : joined;
    case 'time':
      return parseSshTime(args[0] ?? '') ?? joined;
    case 'algorithms': {
      const base = kw.default?.split(',') ?? [];
      return applyAlgorithmList(args[0] ?? '', base);
    }
    case 'multi':
      // A subsystem is one "name command" value; other repeatable keywords list each word.
      return name === 'subsystem' ? [joined] : args;
    default:
      return joined;
  }
}

/** Parse `sshd -T` output: one "keyword value" per line, keywords lower-case. */
export function parseSshdT(text: string): SshdValues {
  const values: SshdValues = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const name = m[1]!.toLowerCase();
    const rest = m[2]!.trim();
    const kw = SSHD_KEYWORDS[name];
    if (kw?.kind === 'multi') {
      const list = (values[name] as string[] | undefined) ?? [];
      list.push(rest);
      values[name] = list;
    } else if (kw?.kind === 'algorithms') values[name] = rest.split(',').filter(Boolean);
    else if (kw?.kind === 'number' || kw?.kind === 'time') values[name] = /^-?\d+$/.test(rest) ? Number(rest) : rest;
    else values[name] = rest;
  }
  addDerived(values);
  return values;
}

/** Numeric parts of MaxStartups and RekeyLimit, so rules can compare them. */
function addDerived(values: SshdValues): void {
  const ms = typeof values.maxstartups === 'string' ? values.maxstartups.split(':').map(Number) : [];
  if (ms.length === 3 && ms.every(Number.isFinite)) {
    values.maxstartupsbegin = ms[0]!;
    values.maxstartupsrate = ms[1]!;
    values.maxstartupsfull = ms[2]!;
  }
  const rk = typeof values.rekeylimit === 'string' ? values.rekeylimit.split(/\s+/).map(Number) : [];
  if (rk.length === 2 && rk.every(Number.isFinite)) {
    values.rekeylimitdata = rk[0]!;
    values.rekeylimittime = rk[1]!;
  }
}

/** Split a config line into words: blanks separate, double quotes group, a word starting with # ends the line. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (const m of line.matchAll(re)) {
    const w = m[1] ?? m[2]!;
    if (m[1] === undefined && w.startsWith('#')) break;
    words.push(w);
  }
  return words;
}

function ipv4ToInt(ip: string): number | undefined {
  const p = ip.split('.');
  if (p.length !== 4 || !p.every((x) => /^\d{1,3}$/.test(x) && Number(x) < 256)) return undefined;
  return p.reduce((acc, x) => acc * 256 + Number(x), 0);
}

/** One element of a Match pattern list against a value: wildcards, or CIDR for addresses. */
function patternHit(pattern: string, value: string, isAddress: boolean): boolean {
  if (isAddress && pattern.includes('/')) {
    const [net, bits] = pattern.split('/');
    const n = ipv4ToInt(net ?? '');
    const v = ipv4ToInt(value);
    const b = Number(bits);
    if (n === undefined || v === undefined || !(b >= 0 && b <= 32)) return false;
    const mask = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
    return ((n & mask) >>> 0) === ((v & mask) >>> 0);
  }
  return wildcardToRegExp(pattern).test(value);
}

/** sshd's pattern-list semantics: any positive hit matches unless a negated (!) entry hits. */
function listMatches(list: string, value: string, isAddress = false): boolean {
  let hit = false;
  for (const raw of list.split(',')) {
    if (raw === '') continue;
    const negated = raw.startsWith('!');
    const pat = negated ? raw.slice(1) : raw;
    if (patternHit(pat, value, isAddress)) {
      if (negated) return false;
      hit = true;
    }
  }
  return hit;
}

/** Does a `Match` line apply to the evaluation context? Unknown criteria (LocalPort...) never match, as in `sshd -T -C`. */
export function matchApplies(words: string[], notes: string[]): boolean {
  if (words.length === 1 && words[0]!.toLowerCase() === 'all') return true;
  let ok = true;
  for (let i = 0; i < words.length; i += 2) {
    const crit = words[i]!.toLowerCase();
    const arg = words[i + 1] ?? '';
    if (crit === 'all') continue;
    if (crit === 'user') ok = listMatches(arg, MATCH_CONTEXT.user) && ok;
    else if (crit === 'group') ok = listMatches(arg, MATCH_CONTEXT.group) && ok;
    else if (crit === 'host') ok = listMatches(arg, MATCH_CONTEXT.host) && ok;
    else if (crit === 'address') ok = listMatches(arg, MATCH_CONTEXT.addr, true) && ok;
    else {
      notes.push(`Match ${crit} cannot be evaluated without a live connection; that block is treated as not matching`);
      ok = false;
    }
  }
  return ok;
}

interface ParseState {
  global: SshdValues;
  match: SshdValues;
  files: string[];
  notes: string[];
}

function assign(target: SshdValues, name: string, value: string | number | string[], kind: Keyword['kind'] | undefined): void {
  if (kind === 'multi') {
    const list = (target[name] as string[] | undefined) ?? [];
    list.push(...(value as string[]));
    target[name] = list;
    return;
  }
  // sshd keeps the first value it obtains for a keyword.
  if (!Object.hasOwn(target, name)) target[name] = value;
}

async function parseFile(ctx: ScanContext, path: string, state: ParseState, depth: number, inMatch: boolean | undefined): Promise<void> {
  const text = await readFileOnce(ctx, path);
  if (text === undefined) return;
  state.files.push(path);
  // undefined: global section; true/false: inside a Match block that does / does not apply.
  let active = inMatch;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    // "Keyword value", "Keyword=value" and "Keyword = value" are all accepted.
    const m = /^([A-Za-z0-9]+)\s*(?:=\s*|\s+)(.*)$/.exec(line) ?? /^([A-Za-z0-9]+)$/.exec(line);
    if (!m) continue;
    const keyword = m[1]!.toLowerCase();
    const args = splitWords(m[2] ?? '');
    if (keyword === 'match') {
      active = matchApplies(args, state.notes);
      continue;
    }
    if (keyword === 'include') {
      if (depth >= MAX_INCLUDE_DEPTH) {
        state.notes.push(`Include nesting deeper than ${MAX_INCLUDE_DEPTH} in ${path}; not followed`);
        continue;
      }
      for (const arg of args) {
        const pattern = arg.startsWith('/') ? arg : `/etc/ssh/${arg}`;
        for (const file of await globOnce(ctx, pattern)) await parseFile(ctx, file, state, depth + 1, active);
      }
      continue;
    }
    if (active === false) continue;
    const name = SSHD_ALIASES[keyword] ?? keyword;
    const kw = SSHD_KEYWORDS[name];
    const target = active === true ? state.match : state.global;
    assign(target, name, typedValue(name, kw, args), kw?.kind);
  }
}

/** Parse sshd_config and its includes into effective values (defaults filled in). */
export async function parseSshdConfig(ctx: ScanContext): Promise<{ values: SshdValues; files: string[]; notes: string[] }> {
  const state: ParseState = { global: {}, match: {}, files: [], notes: [] };
  await parseFile(ctx, SSHD_CONFIG, state, 0, undefined);
  const values: SshdValues = { ...state.global };
  // Values from matching Match blocks override the global section (sshd re-parses for the connection).
  for (const [k, v] of Object.entries(state.match)) {
    const kind = SSHD_KEYWORDS[k]?.kind;
    values[k] = kind === 'multi' && Array.isArray(values[k]) ? [...(values[k] as string[]), ...(v as string[])] : v;
  }
  for (const [name, kw] of Object.entries(SSHD_KEYWORDS)) {
    if (Object.hasOwn(values, name) || kw.default === undefined) continue;
    values[name] = typedValue(name, kw, kw.kind === 'algorithms' ? [kw.default] : kw.default.split(' '));
  }
  addDerived(values);
  return { values, files: state.files, notes: [...new Set(state.notes)] };
}

async function sshdInstalled(ctx: ScanContext): Promise<{ installed: boolean; why: string; sources: string[] }> {
  const [db, binaries, config] = await Promise.all([
    readPackageDb(ctx),
    Promise.all(SSHD_BINARIES.map((b) => ctx.memo(`lstat:${b}`, () => ctx.host.lstat(b)))),
    readFileOnce(ctx, SSHD_CONFIG),
  ]);
  const binary = binaries.some((b) => b !== undefined);
  if (db.kind === 'db') {
    const hit = findPackage(db, ['openssh-server']);
    if (hit.pkg?.installed) return { installed: true, why: 'openssh-server package', sources: [db.source] };
    // A locally built sshd counts; a config left behind by a removed package does not.
    if (binary) return { installed: true, why: 'sshd binary present', sources: SSHD_BINARIES };
    const state = hit.pkg ? ` (package state: ${hit.pkg.state})` : '';
    return { installed: false, why: `openssh-server is not installed${state}`, sources: [db.source] };
  }
  if (binary || config !== undefined) return { installed: true, why: 'sshd binary or sshd_config present', sources: [...SSHD_BINARIES, SSHD_CONFIG] };
  return { installed: false, why: 'openssh-server is not installed (no sshd binary, no sshd_config)', sources: [...SSHD_BINARIES, SSHD_CONFIG] };
}

/** The effective configuration, read once per scan. */
export function readSshdConfig(ctx: ScanContext): Promise<SshdConfig> {
  return ctx.memo('source:sshd-config', async (): Promise<SshdConfig> => {
    const inst = await sshdInstalled(ctx);
    if (!inst.installed) return { kind: 'absent', reason: inst.why, sources: inst.sources };
    const notes: string[] = [];
    const res = await ctx.host.run('sshd-effective');
    if (res !== undefined && res.exitCode === 0 && res.stdout.trim() !== '') {
      // sshd -T does not say which files it read; list them (cheap: each file is read once per scan).
      const files = await parseSshdConfig(ctx).then(
        (p) => p.files,
        () => [SSHD_CONFIG],
      );
      return { kind: 'config', source: 'sshd -T', values: parseSshdT(res.stdout), files, notes };
    }
    if (res !== undefined) notes.push(`sshd -T failed (exit ${res.exitCode}: ${res.stderr.trim().slice(0, 200)}); configuration parsed instead`);
    if ((await readFileOnce(ctx, SSHD_CONFIG)) === undefined) {
      return { kind: 'error', reason: `sshd is installed (${inst.why}) but ${SSHD_CONFIG} does not exist`, sources: [SSHD_CONFIG] };
    }
    const parsed = await parseSshdConfig(ctx);
    notes.push(...parsed.notes);
    return { kind: 'config', source: 'parsed sshd_config', values: parsed.values, files: parsed.files, notes };
  });
}
