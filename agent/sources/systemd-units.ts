/**
 * @module systemd unit state, read once per scan. Enablement comes from the files themselves
 * (unit files, `*.wants`/`*.requires` symlinks, masks), so it is known offline too; the active
 * state comes from `systemctl list-units` and only when systemd is PID 1 on a live host.
 */
import type { ScanContext } from '../engine/context.js';
import { readDirOnce, readFileOnce } from '../engine/context.js';

/** Unit search path in systemd's precedence order (system manager; see systemd.unit(5)). */
export const UNIT_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/local/lib/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
];
/** Directories where `systemctl enable` (persistent) and `--runtime` put their symlinks. */
const ENABLE_DIRS: ReadonlyArray<{ dir: string; state: 'enabled' | 'enabled-runtime' }> = [
  { dir: '/etc/systemd/system', state: 'enabled' },
  { dir: '/run/systemd/system', state: 'enabled-runtime' },
];
const MASK_DIRS: ReadonlyArray<{ dir: string; state: 'masked' | 'masked-runtime' }> = [
  { dir: '/etc/systemd/system', state: 'masked' },
  { dir: '/run/systemd/system', state: 'masked-runtime' },
];

export interface UnitRuntime {
  load: string;
  active: string;
  sub: string;
}

/** What the running systemd says, or why it cannot be asked. */
export type SystemdRuntime =
  | { kind: 'running'; units: Map<string, UnitRuntime>; source: string }
    /** cause: offline root, systemd not PID 1 (container), or systemctl missing/failing on a systemd host. */
  | { kind: 'unknown'; reason: string; cause: 'offline' | 'not-pid1' | 'systemctl' };

export interface UnitState {
  unit: string;
  /** A unit file (or mask) exists for it. */
  exists: boolean;
  /** enabled, enabled-runtime, disabled, static, masked, masked-runtime, alias, not-found. */
  enabled: string;
  masked: boolean;
  /** Path of the unit file that systemd would load. */
  fragment?: string;
  /** active, inactive, failed, activating, ...; null when it cannot be known. */
  active: string | null;
  sub: string | null;
}

/** Normalise a unit name: a bare name means `.service`. */
export function unitName(name: string): string {
  return /\.(service|socket|timer|target|path|mount|automount|swap|slice|scope|device)$/.test(name) ? name : `${name}.service`;
}

/** Parse `systemctl list-units --all --no-legend --plain --full`: UNIT LOAD ACTIVE SUB DESCRIPTION. */
export function parseListUnits(text: string): Map<string, UnitRuntime> {
  const out = new Map<string, UnitRuntime>();
  for (const raw of text.split('\n')) {
    const cols = raw.replace(/^[\s●*]+/, '').split(/\s+/);
    if (cols.length < 4 || cols[0] === '') continue;
    out.set(cols[0]!, { load: cols[1]!, active: cols[2]!, sub: cols[3]! });
  }
  return out;
}

/** Is systemd present on this host at all (any unit directory)? Read once per scan. */
export function systemdInstalled(ctx: ScanContext): Promise<boolean> {
  return ctx.memo('source:systemd-installed', async () => {
    for (const dir of ['/usr/lib/systemd/system', '/lib/systemd/system', '/etc/systemd/system']) {
      if ((await readDirOnce(ctx, dir)) !== undefined) return true;
    }
    return false;
  });
}

/** The running manager's view, asked only when PID 1 is systemd on a live host. */
export function readSystemdRuntime(ctx: ScanContext): Promise<SystemdRuntime> {
  return ctx.memo('source:systemd-runtime', async (): Promise<SystemdRuntime> => {
    if (!ctx.host.live) return { kind: 'unknown', reason: 'offline root: no running service manager to ask', cause: 'offline' };
    const pid1 = (await readFileOnce(ctx, '/proc/1/comm'))?.trim();
    if (pid1 !== 'systemd') {
      return {
        kind: 'unknown',
        reason: `systemd is not running (PID 1 is ${pid1 ? `"${pid1}"` : 'unknown'}, e.g. a container), so unit active state is unknown`,
        cause: 'not-pid1',
      };
    }
    const res = await ctx.host.run('systemctl-units');
    if (res === undefined) return { kind: 'unknown', reason: 'systemctl is not available', cause: 'systemctl' };
    if (res.exitCode !== 0) return { kind: 'unknown', reason: `systemctl list-units failed (exit ${res.exitCode})`, cause: 'systemctl' };
    return { kind: 'running', units: parseListUnits(res.stdout), source: 'systemctl list-units' };
  });
}

async function isMaskLink(ctx: ScanContext, path: string): Promise<boolean> {
  const link = await ctx.memo(`link:${path}`, () => ctx.host.readLink(path));
  if (link === '/dev/null') return true;
  if (link !== undefined) return false;
  // An empty regular file masks too (systemd.unit(5)).
  const st = await ctx.memo(`lstat:${path}`, () => ctx.host.lstat(path));
  return st?.type === 'file' && st.size === 0;
}

/** Names of symlinks found in any `<dir>/*.wants` or `*.requires` directory (the enablement links). */
function enablementLinks(ctx: ScanContext, dir: string): Promise<Set<string>> {
  return ctx.memo(`source:systemd-links:${dir}`, async () => {
    const names = new Set<string>();
    const entries = (await readDirOnce(ctx, dir)) ?? [];
    for (const sub of entries.filter((e) => e.endsWith('.wants') || e.endsWith('.requires'))) {
      for (const name of (await readDirOnce(ctx, `${dir}/${sub}`)) ?? []) names.add(name);
    }
    return names;
  });
}

function hasInstallSection(text: string): boolean {
  return /^\s*\[Install\]\s*$/m.test(text) && /^\s*(WantedBy|RequiredBy|Alias|Also|UpheldBy)\s*=\s*\S/m.test(text.slice(text.search(/^\s*\[Install\]/m)));
}

/** The state of one unit, from files plus (when known) the running manager. */
export function readUnitState(ctx: ScanContext, name: string): Promise<UnitState> {
  const unit = unitName(name);
  return ctx.memo(`source:systemd-unit:${unit}`, async (): Promise<UnitState> => {
    const runtime = await readSystemdRuntime(ctx);
    let masked: 'masked' | 'masked-runtime' | undefined;
    for (const { dir, state } of MASK_DIRS) {
      if (await isMaskLink(ctx, `${dir}/${unit}`)) {
        masked = state;
        break;
      }
    }
    let fragment: string | undefined;
    let isAlias = false;
    for (const dir of UNIT_DIRS) {
      const path = `${dir}/${unit}`;
      const entries = await readDirOnce(ctx, dir);
      if (!entries?.includes(unit)) continue;
      if (await isMaskLink(ctx, path)) continue;
      fragment = path;
      // A symlink in /etc/systemd/system to another unit name is an Alias= created by enable.
      const link = await ctx.memo(`link:${path}`, () => ctx.host.readLink(path));
      if (link !== undefined && dir.startsWith('/etc/') && !link.endsWith(`/${unit}`)) isAlias = true;
      break;
    }
    // Template instances (getty@tty1.service) load from the template file.
    if (fragment === undefined && /@[^.]+\./.test(unit)) {
      const template = unit.replace(/@[^.]+\./, '@.');
      for (const dir of UNIT_DIRS) {
        if ((await readDirOnce(ctx, dir))?.includes(template)) {
          fragment = `${dir}/${template}`;
          break;
        }
      }
    }
    let enabled: string;
    if (masked) enabled = masked;
    else if (fragment === undefined) enabled = 'not-found';
    else {
      let linked: 'enabled' | 'enabled-runtime' | undefined;
      for (const { dir, state } of ENABLE_DIRS) {
        if ((await enablementLinks(ctx, dir)).has(unit)) {
          linked = state;
          break;
        }
      }
      if (linked) enabled = linked;
      else if (isAlias) enabled = 'alias';
      else {
        const text = (await readFileOnce(ctx, fragment)) ?? '';
        enabled = hasInstallSection(text) ? 'disabled' : 'static';
      }
    }
    const state: UnitState = {
      unit,
      exists: fragment !== undefined || masked !== undefined,
      enabled,
      masked: masked !== undefined,
      active: null,
      sub: null,
    };
    if (fragment !== undefined) state.fragment = fragment;
    if (runtime.kind === 'running') {
      const rt = runtime.units.get(unit);
      // list-units --all lists every loaded unit; one it does not list is not loaded, hence inactive.
      state.active = rt?.active ?? 'inactive';
      state.sub = rt?.sub ?? 'dead';
    }
    return state;
  });
}
