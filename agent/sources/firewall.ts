/**
 * @module The host firewall, read once per scan: which managers are active (firewalld, ufw,
 * nftables, iptables), the effective default policy for inbound and forwarded traffic per IP
 * family, and the rules that admit inbound connections. Live hosts are judged from the running
 * state (nft, iptables-save, ufw, firewall-cmd); offline roots from the configuration that would
 * load at boot. A kernel that merely supports iptables (/proc/net/ip_tables_names) is never
 * counted as a firewall: only a manager or loaded rules are.
 */
import { AppError } from '../../shared/errors.js';
import type { CommandId } from '../host/commands.js';
import type { CommandResult } from '../host/host.js';
import type { ScanContext } from '../engine/context.js';
import { expandGlob } from '../host/glob.js';
import {
  emptyRawState,
  looser,
  policyWord,
  stricter,
  type AllowRule,
  type FamilyPolicy,
  type FirewallManager,
  type Policy,
  type RawFilterState,
} from './firewall-model.js';
import { parseNftRuleset, type NftTable } from './firewall-nft.js';
import { parseIptablesSave } from './firewall-iptables.js';
import { parseShellVars, parseUfwStatus, parseUfwUserRules, ufwForwardPolicy } from './firewall-ufw.js';
import { parseFirewalldZoneXml, parseFirewalldZones, zoneAllowRules, type FirewalldZone } from './firewall-firewalld.js';
import { parseNftConfig } from './firewall-nft-config.js';

export interface FirewallState {
  /** runtime: read from the running firewall; config: judged from boot configuration (offline root). */
  basis: 'runtime' | 'config';
  /** Managers whose tools are present (live: the command exists; offline: their config or unit exists). */
  installed: FirewallManager[];
  /** Managers that are active and filtering, in FIREWALL_MANAGERS order. */
  managers: FirewallManager[];
  inputPolicy: FamilyPolicy;
  forwardPolicy: FamilyPolicy;
  /** ufw's "Default: ... (incoming)" word: deny, reject or allow; null when ufw is not active. */
  ufwDefaultIncoming: string | null;
  /** firewalld's default zone (running state, else DefaultZone= of firewalld.conf); null without firewalld. */
  firewalldDefaultZone: string | null;
  /** Zones firewalld applies (active zones; the default zone when none is bound). */
  firewalldZones: Array<Pick<FirewalldZone, 'name' | 'target' | 'interfaces' | 'sources' | 'services' | 'ports'>>;
  /** nftables tables and who owns them. */
  nftTables: NftTable[];
  /** Any manager active, or any rule or non-accept policy loaded. */
  rulesLoaded: boolean;
  /** Rules of the active managers that admit inbound connections. */
  allowRules: AllowRule[];
  /** Files and commands read. */
  sources: string[];
}

const FIREWALLD_CHAIN = /_(direct|ZONES|ZONES_SOURCE)$|^(IN|FWDI|FWDO|FWD|OUT|PRE|POST)_/;
const UFW_CHAIN = /^ufw6?-/;

function runOnce(ctx: ScanContext, id: CommandId): Promise<CommandResult | undefined> {
  return ctx.memo(`command:${id}`, () => ctx.host.run(id));
}

/** Output of a command that must succeed when present; a failure is an error, never "no firewall". */
function okOutput(id: CommandId, r: CommandResult | undefined): string | undefined {
  if (r === undefined) return undefined;
  if (r.exitCode !== 0) {
    const why = (r.stderr || r.stdout).trim().split('\n')[0] ?? '';
    const code = /permission|not permitted|root/i.test(why) ? 'ERR_PROBE_PERMISSION' : 'ERR_PROBE_FAILED';
    throw new AppError(code, `${id} exited ${r.exitCode}: ${why.slice(0, 200)}`);
  }
  return r.stdout;
}

function parseOrThrow<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new AppError('ERR_PROBE_PARSE', `cannot parse ${what}: ${(err as Error).message}`);
  }
}

export function readFirewall(ctx: ScanContext): Promise<FirewallState> {
  return ctx.memo('source:firewall', () => (ctx.host.live ? readRuntime(ctx) : readConfig(ctx)));
}

function targetPolicy(target: string): Policy {
  const t = target.toUpperCase();
  if (t === 'DROP') return 'drop';
  if (t === 'ACCEPT') return 'accept';
  return 'reject'; // REJECT, %%REJECT%% and "default" all reject what no rule admits
}

/** Zones that decide inbound traffic: active zones, or the default zone when none is active. */
function appliedZones(zones: FirewalldZone[], defaultZone: string | null): FirewalldZone[] {
  const active = zones.filter((z) => z.active || z.name === defaultZone);
  return active.length > 0 ? active : zones.filter((z) => z.name === defaultZone);
}

function firewalldPolicy(zones: FirewalldZone[], defaultZone: string | null): Policy {
  // Traffic lands in the default zone or in a zone bound to its interface: the loosest of those decides.
  const deciding = zones.filter((z) => z.name === defaultZone || z.interfaces.length > 0);
  let p: Policy | undefined;
  for (const z of deciding.length > 0 ? deciding : zones) p = p === undefined ? targetPolicy(z.target) : looser(p, targetPolicy(z.target));
  return p ?? null;
}

function zoneSummary(z: FirewalldZone) {
  return { name: z.name, target: z.target, interfaces: z.interfaces, sources: z.sources, services: z.services, ports: z.ports };
}

function combineRaw(layers: RawFilterState[]): RawFilterState {
  const out = emptyRawState();
  for (const l of layers) {
    out.input.v4 = stricter(out.input.v4, l.input.v4);
    out.input.v6 = stricter(out.input.v6, l.input.v6);
    out.forward.v4 = stricter(out.forward.v4, l.forward.v4);
    out.forward.v6 = stricter(out.forward.v6, l.forward.v6);
    out.rulesLoaded ||= l.rulesLoaded;
    out.allowRules.push(...l.allowRules);
  }
  return out;
}

type IptablesLayer = RawFilterState & { ownRule: boolean; ownPolicy: boolean };

/** iptables state as a raw layer, with ufw's and firewalld's own chains left to those managers. */
function iptablesLayer(text: string, family: 'v4' | 'v6', skip: (chain: string) => boolean): IptablesLayer {
  const s = parseIptablesSave(text, family, 'iptables', skip);
  const handover = /-j\s+(ufw6?-\S+|\S+_(direct|ZONES|ZONES_SOURCE))(\s|$)/;
  const ownRule = [...s.chains.entries()].some(([chain, rules]) => !skip(chain) && rules.some((r) => !handover.test(r)));
  const ownPolicy = ['INPUT', 'FORWARD'].some((c) => (s.policies.get(c) ?? 'ACCEPT') !== 'ACCEPT');
  const input: FamilyPolicy = { v4: null, v6: null };
  const forward: FamilyPolicy = { v4: null, v6: null };
  input[family] = s.input;
  forward[family] = s.forward;
  return { input, forward, allowRules: s.allowRules, rulesLoaded: s.rulesLoaded, ownRule, ownPolicy };
}

async function readRuntime(ctx: ScanContext): Promise<FirewallState> {
  const sources: string[] = [];
  const ids: CommandId[] = ['nft-ruleset', 'iptables-save', 'ip6tables-save', 'ufw-status', 'firewalld-state'];
  const [nftR, ipt4R, ipt6R, ufwR, fwdR] = await Promise.all(ids.map((id) => runOnce(ctx, id)));
  ids.forEach((id, i) => [nftR, ipt4R, ipt6R, ufwR, fwdR][i] !== undefined && sources.push(`command:${id}`));
  const [ufwDefaultsText, firewalldConf] = await Promise.all([ctx.host.readFile('/etc/default/ufw'), ctx.host.readFile('/etc/firewalld/firewalld.conf')]);
  if (ufwDefaultsText !== undefined) sources.push('/etc/default/ufw');
  const ufwDefaults = parseShellVars(ufwDefaultsText ?? '');

  const installed: FirewallManager[] = [];
  if (fwdR) installed.push('firewalld');
  if (ufwR) installed.push('ufw');
  if (nftR) installed.push('nftables');
  if (ipt4R || ipt6R) installed.push('iptables');

  // firewall-cmd --state exits 252 with "not running": that is an answer, not a failure.
  const firewalldRunning = fwdR !== undefined && fwdR.exitCode === 0 && fwdR.stdout.trim() === 'running';
  let zones: FirewalldZone[] = [];
  let defaultZone: string | null = null;
  if (firewalldRunning) {
    const text = okOutput('firewalld-list-all-zones', await runOnce(ctx, 'firewalld-list-all-zones'));
    sources.push('command:firewalld-list-all-zones');
    zones = parseOrThrow('firewall-cmd --list-all-zones', () => parseFirewalldZones(text ?? ''));
    defaultZone = zones.find((z) => z.isDefault)?.name ?? null;
  }
  if (defaultZone === null && firewalldConf !== undefined) {
    sources.push('/etc/firewalld/firewalld.conf');
    defaultZone = parseShellVars(firewalldConf).DefaultZone ?? 'public';
  }
  const ufw = ufwR === undefined ? undefined : parseUfwStatus(okOutput('ufw-status', ufwR) ?? '');
  const ufwActive = ufw?.active ?? false;

  const nftText = okOutput('nft-ruleset', nftR);
  const nft = nftText === undefined || nftText.trim() === '' ? undefined : parseOrThrow('nft -j list ruleset', () => parseNftRuleset(nftText));
  const skip = (chain: string) => UFW_CHAIN.test(chain) || (firewalldRunning && FIREWALLD_CHAIN.test(chain));
  const ipt4Text = okOutput('iptables-save', ipt4R);
  const ipt6Text = okOutput('ip6tables-save', ipt6R);
  const ipt4 = ipt4Text === undefined ? undefined : iptablesLayer(ipt4Text, 'v4', skip);
  const ipt6 = ipt6Text === undefined ? undefined : iptablesLayer(ipt6Text, 'v6', skip);

  const managers = new Set<FirewallManager>();
  if (firewalldRunning) managers.add('firewalld');
  if (ufwActive) managers.add('ufw');
  if (nft?.tables.some((t) => t.owner === 'nftables' && t.chains > 0)) managers.add('nftables');
  const ipts = [ipt4, ipt6].filter((l): l is IptablesLayer => l !== undefined);
  const iptOwn = ipts.some((l) => l.ownRule || (l.ownPolicy && !ufwActive && !firewalldRunning));
  const iptTablesOnlyInNft = ipts.length === 0 && (nft?.tables.some((t) => t.owner === 'iptables' && t.rules > 0) ?? false);
  if (iptOwn || iptTablesOnlyInNft) managers.add('iptables');

  const nftLayer: RawFilterState = nft
    ? { ...nft, allowRules: nft.allowRules.filter((r) => r.manager === 'nftables' || (r.manager === 'iptables' && ipt4 === undefined && ipt6 === undefined)) }
    : emptyRawState();
  const raw = combineRaw([nftLayer, ...(ipt4 ? [ipt4] : []), ...(ipt6 ? [ipt6] : [])]);

  let inputPolicy: FamilyPolicy;
  let forwardPolicy: FamilyPolicy;
  const applied = appliedZones(zones, defaultZone);
  if (firewalldRunning) {
    const p = firewalldPolicy(applied, defaultZone);
    inputPolicy = { v4: p, v6: p };
    forwardPolicy = { v4: p, v6: p };
  } else if (ufwActive && ufw) {
    const inP = policyWord(ufw.defaultIncoming ?? undefined);
    const fwdP = ufwForwardPolicy(ufw.defaultRouted, ufwDefaults);
    const v6 = (ufwDefaults.IPV6 ?? 'yes').toLowerCase() !== 'no';
    inputPolicy = { v4: inP, v6: v6 ? inP : raw.input.v6 };
    forwardPolicy = { v4: fwdP, v6: v6 ? fwdP : raw.forward.v6 };
  } else {
    inputPolicy = raw.input;
    forwardPolicy = raw.forward;
  }

  const allowRules: AllowRule[] = [];
  if (firewalldRunning) allowRules.push(...applied.flatMap(zoneAllowRules));
  if (ufwActive && ufw) allowRules.push(...ufw.allowRules);
  if (!firewalldRunning && !ufwActive) allowRules.push(...raw.allowRules);
  else allowRules.push(...raw.allowRules.filter((r) => managers.has(r.manager)));

  return {
    basis: 'runtime',
    installed,
    managers: order(managers),
    inputPolicy,
    forwardPolicy,
    ufwDefaultIncoming: ufwActive ? (ufw?.defaultIncoming ?? null) : null,
    firewalldDefaultZone: defaultZone,
    firewalldZones: firewalldRunning ? applied.map(zoneSummary) : [],
    nftTables: nft?.tables ?? [],
    rulesLoaded: firewalldRunning || ufwActive || raw.rulesLoaded,
    allowRules: dedupe(allowRules),
    sources,
  };
}

function order(set: Set<FirewallManager>): FirewallManager[] {
  return (['firewalld', 'ufw', 'nftables', 'iptables'] as const).filter((m) => set.has(m));
}

function dedupe(rules: AllowRule[]): AllowRule[] {
  const seen = new Set<string>();
  return rules.filter((r) => {
    const k = JSON.stringify(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const UNIT_DIRS = ['/etc/systemd/system/multi-user.target.wants', '/etc/systemd/system/sysinit.target.wants', '/etc/systemd/system/basic.target.wants'];

async function unitEnabled(ctx: ScanContext, unit: string, sources: string[]): Promise<boolean> {
  for (const dir of UNIT_DIRS) {
    if ((await ctx.host.lstat(`${dir}/${unit}`)) !== undefined) {
      sources.push(`${dir}/${unit}`);
      return true;
    }
  }
  return false;
}

async function readFirst(ctx: ScanContext, paths: string[], sources: string[]): Promise<string | undefined> {
  for (const p of paths) {
    const text = await ctx.host.readFile(p);
    if (text !== undefined) {
      sources.push(p);
      return text;
    }
  }
  return undefined;
}

/** Offline root: what would be filtering after boot, from unit enablement and configuration files. */
async function readConfig(ctx: ScanContext): Promise<FirewallState> {
  const sources: string[] = [];
  const installed = new Set<FirewallManager>();
  const managers = new Set<FirewallManager>();

  // ufw: ENABLED=yes in ufw.conf starts it at boot.
  const ufwConf = await readFirst(ctx, ['/etc/ufw/ufw.conf'], sources);
  const ufwDefaults = parseShellVars((await readFirst(ctx, ['/etc/default/ufw'], sources)) ?? '');
  if (ufwConf !== undefined) installed.add('ufw');
  const ufwActive = ufwConf !== undefined && (parseShellVars(ufwConf).ENABLED ?? '').toLowerCase() === 'yes';
  if (ufwActive) managers.add('ufw');

  // firewalld: the unit is enabled; default zone and zone files.
  const fwConf = await readFirst(ctx, ['/etc/firewalld/firewalld.conf'], sources);
  if (fwConf !== undefined || (await ctx.host.lstat('/usr/lib/firewalld')) !== undefined) installed.add('firewalld');
  const firewalldOn = installed.has('firewalld') && (await unitEnabled(ctx, 'firewalld.service', sources));
  if (firewalldOn) managers.add('firewalld');
  const defaultZone = installed.has('firewalld') ? (parseShellVars(fwConf ?? '').DefaultZone ?? 'public') : null;
  let zones: FirewalldZone[] = [];
  if (firewalldOn) zones = await readZoneFiles(ctx, defaultZone ?? 'public', sources);

  // nftables and iptables services load a saved ruleset at boot.
  const nftConf = await readFirst(ctx, ['/etc/nftables.conf', '/etc/sysconfig/nftables.conf'], sources);
  if (nftConf !== undefined) installed.add('nftables');
  const nftOn = nftConf !== undefined && (await unitEnabled(ctx, 'nftables.service', sources));
  const nft = nftOn ? parseNftConfig(nftConf) : undefined;
  if (nft && nft.chains > 0) managers.add('nftables');
  const ipt4Text = await readFirst(ctx, ['/etc/iptables/rules.v4', '/etc/sysconfig/iptables'], sources);
  const ipt6Text = await readFirst(ctx, ['/etc/iptables/rules.v6', '/etc/sysconfig/ip6tables'], sources);
  if (ipt4Text !== undefined || ipt6Text !== undefined) installed.add('iptables');
  const iptOn =
    (ipt4Text !== undefined || ipt6Text !== undefined) &&
    ((await unitEnabled(ctx, 'iptables.service', sources)) || (await unitEnabled(ctx, 'netfilter-persistent.service', sources)));
  const skip = (c: string) => UFW_CHAIN.test(c);
  const layers: RawFilterState[] = [];
  if (nft) layers.push(nft);
  if (iptOn && ipt4Text !== undefined) layers.push(iptablesLayer(ipt4Text, 'v4', skip));
  if (iptOn && ipt6Text !== undefined) layers.push(iptablesLayer(ipt6Text, 'v6', skip));
  if (iptOn && layers.some((l) => l.rulesLoaded && l !== nft)) managers.add('iptables');
  const raw = combineRaw(layers);

  let inputPolicy = raw.input;
  let forwardPolicy = raw.forward;
  const allowRules: AllowRule[] = [];
  const applied = appliedZones(zones, defaultZone);
  if (firewalldOn) {
    const p = firewalldPolicy(applied, defaultZone);
    inputPolicy = { v4: p, v6: p };
    forwardPolicy = { v4: p, v6: p };
    allowRules.push(...applied.flatMap(zoneAllowRules));
  } else if (ufwActive) {
    const inP = policyWord(ufwDefaults.DEFAULT_INPUT_POLICY ?? 'DROP');
    const fwdP = policyWord(ufwDefaults.DEFAULT_FORWARD_POLICY ?? 'DROP');
    const v6 = (ufwDefaults.IPV6 ?? 'yes').toLowerCase() !== 'no';
    inputPolicy = { v4: inP, v6: v6 ? inP : raw.input.v6 };
    forwardPolicy = { v4: fwdP, v6: v6 ? fwdP : raw.forward.v6 };
    const [u4, u6] = await Promise.all([
      readFirst(ctx, ['/etc/ufw/user.rules'], sources),
      readFirst(ctx, ['/etc/ufw/user6.rules'], sources),
    ]);
    allowRules.push(...parseUfwUserRules(u4 ?? '', 'v4'), ...(v6 ? parseUfwUserRules(u6 ?? '', 'v6') : []));
  }
  if (!firewalldOn && !ufwActive) allowRules.push(...raw.allowRules);

  const ufwIncoming = ufwActive ? (ufwDefaults.DEFAULT_INPUT_POLICY ?? 'DROP').toUpperCase() : undefined;
  return {
    basis: 'config',
    installed: order(installed),
    managers: order(managers),
    inputPolicy,
    forwardPolicy,
    ufwDefaultIncoming: ufwIncoming === undefined ? null : ufwIncoming === 'DROP' ? 'deny' : ufwIncoming === 'REJECT' ? 'reject' : 'allow',
    firewalldDefaultZone: defaultZone,
    firewalldZones: firewalldOn ? applied.map(zoneSummary) : [],
    nftTables: [],
    rulesLoaded: managers.size > 0 || raw.rulesLoaded,
    allowRules: dedupe(allowRules),
    sources,
  };
}

/** Zone definitions: /etc/firewalld/zones overrides /usr/lib/firewalld/zones. Bound zones count as active. */
async function readZoneFiles(ctx: ScanContext, defaultZone: string, sources: string[]): Promise<FirewalldZone[]> {
  const paths = [...(await expandGlob(ctx.host, '/usr/lib/firewalld/zones/*.xml')), ...(await expandGlob(ctx.host, '/etc/firewalld/zones/*.xml'))];
  const byName = new Map<string, string>();
  for (const p of paths) byName.set(p.replace(/^.*\//, '').replace(/\.xml$/, ''), p);
  const zones: FirewalldZone[] = [];
  for (const [name, path] of byName) {
    const xml = await ctx.host.readFile(path);
    if (xml === undefined) continue;
    const zone = parseFirewalldZoneXml(name, xml);
    zone.isDefault = name === defaultZone;
    zone.active = zone.isDefault || zone.interfaces.length > 0 || zone.sources.length > 0;
    if (zone.active) {
      sources.push(path);
      zones.push(zone);
    }
  }
  return zones;
}
