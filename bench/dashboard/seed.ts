/**
 * @module Realistic dashboard data written straight into a collector's store: agencies (with
 * components), enrolled hosts whose results are REAL scan reports of the six fixture hosts
 * (`rampart scan --root test/fixtures/hosts/X --format json`: real rule ids, titles, evidence,
 * references, clocks), a first full scan weeks ago and later scans that flip some rules (so
 * history, findings, overdue findings and "since" dates exist), last-seen times (most hosts
 * online), and a 30-day posture trend. Everything goes through Store.ingest, so the maintained
 * counters are exactly what a live collector would hold.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RuleResult, HostFacts } from '../../shared/result.js';
import { PROTOCOL_VERSION, type ResultsFrame } from '../../shared/protocol.js';
import type { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { ENROLL_TOKEN_PREFIX, generateToken, hashToken } from '../../server/tokens.js';

export const FIXTURES = ['debian12-default', 'debian12-hardened', 'rhel9-default', 'rhel9-hardened', 'ubuntu2204-default', 'ubuntu2204-hardened'] as const;
const DAY = 86_400_000;

export interface FixtureReport {
  name: string;
  host: HostFacts;
  packs: Array<{ id: string; title: string; version: string; sha256: string; ruleCount: number }>;
  results: RuleResult[];
}

/** Scan the six fixture hosts with a built CLI (dist/rampart.js) once; cached as JSON in cacheDir. */
export function fixtureReports(repo: string, cli: string, cacheDir: string): FixtureReport[] {
  return FIXTURES.map((name) => {
    const out = path.join(cacheDir, `${name}.json`);
    if (!existsSync(out)) {
      const r = spawnSync(process.execPath, [cli, 'scan', '--root', path.join(repo, 'test/fixtures/hosts', name), '--pack', path.join(repo, 'rules/linux-network-baseline.yaml'), '--format', 'json', '--output', out], {
        cwd: repo,
        encoding: 'utf8',
      });
      if (!existsSync(out)) throw new Error(`scan of ${name} failed: ${r.stderr}`);
    }
    const report = JSON.parse(readFileSync(out, 'utf8')) as FixtureReport;
    return { ...report, name };
  });
}

export interface AgencySpec {
  name: string;
  parent?: string;
  hosts: number;
  /** Share of hosts built from a hardened fixture (0..1): drives the agency's score. */
  hardened: number;
  /** Share of hosts offline (last seen a day ago). */
  offline?: number;
}

export interface SeedOptions {
  agencies: AgencySpec[];
  reports: FixtureReport[];
  /** Results per host (applicable rules first). */
  rulesPerHost?: number;
  now?: Date;
  /** Days of trend to synthesise (score drifting towards today's). */
  trendDays?: number;
  /** Hostname domain suffix. */
  domain?: string;
}

export interface SeededHost {
  agentId: string;
  hostname: string;
  agency: string;
  fixture: string;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ROLES = ['web', 'app', 'db', 'dns', 'mail', 'vpn', 'jump', 'ci', 'log', 'file'];

export async function seedDashboard(store: SqliteStore, opts: SeedOptions): Promise<SeededHost[]> {
  const now = opts.now ?? new Date();
  const rand = rng(42);
  const perHost = opts.rulesPerHost ?? 100;
  const publicKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const byName = new Map(opts.reports.map((r) => [r.name, r]));
  // Applicable rules first, so ~100 rules per host are mostly pass/fail, like a real fleet.
  const pick = (r: FixtureReport): RuleResult[] => {
    const order = (x: RuleResult) => (x.status === 'not-applicable' ? 1 : 0);
    return [...r.results].sort((a, b) => order(a) - order(b) || (a.ruleId < b.ruleId ? -1 : 1)).slice(0, perHost);
  };
  const hosts: SeededHost[] = [];
  const seen: Array<{ id: string; lastSeenAt: string }> = [];
  for (const spec of opts.agencies) {
    if (!(await store.findAgency(spec.name))) await store.createAgency(spec.name, spec.parent);
    const token = generateToken(ENROLL_TOKEN_PREFIX);
    await store.createEnrollToken({ agencyName: spec.name, tokenHash: hashToken(token), expiresAt: null, uses: spec.hosts, now: now.toISOString() });
    const slug = spec.name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    let frames: Parameters<SqliteStore['ingest']>[0] = [];
    const agency = (await store.findAgency(spec.name))!;
    for (let i = 0; i < spec.hosts; i++) {
      const family = FIXTURES[Math.floor(rand() * 3) * 2]!.replace('-default', '');
      const hardened = rand() < spec.hardened;
      const fixture = `${family}-${hardened ? 'hardened' : 'default'}`;
      const other = `${family}-${hardened ? 'default' : 'hardened'}`;
      const report = byName.get(fixture)!;
      const hostname = `${ROLES[i % ROLES.length]}-${String(i + 1).padStart(4, '0')}.${slug}.${opts.domain ?? 'example.gov'}`;
      const agent = await store.enrollAgent({ tokenHash: hashToken(token), publicKey, hostname, agentVersion: '0.1.0', os: report.host.os.prettyName, now: new Date(now.getTime() - 40 * DAY).toISOString() });
      await store.recordHello(agent.id, { agentVersion: '0.1.0', host: { ...report.host, hostname, mode: 'live', root: '/' }, packs: report.packs });
      hosts.push({ agentId: agent.id, hostname, agency: spec.name, fixture });
      // First full scan 20–35 days ago, then one delta scan where some rules took the other
      // fixture's verdict (drift or a fix), a few days ago.
      const first = new Date(now.getTime() - (20 + rand() * 15) * DAY);
      const results = pick(report);
      const scanId = (n: number) => `${agent.id.slice(0, 8)}-${n}`;
      frames.push({
        agentId: agent.id,
        agencyId: agency.id,
        receivedAt: first.toISOString(),
        frame: { v: PROTOCOL_VERSION, type: 'results', seq: 1, scanId: scanId(1), scannedAt: first.toISOString(), full: true, results } as ResultsFrame,
      });
      const otherResults = new Map(byName.get(other)!.results.map((r) => [r.ruleId, r]));
      const changed = results.filter(() => rand() < 0.08).map((r) => otherResults.get(r.ruleId) ?? r);
      const later = new Date(now.getTime() - (1 + rand() * 6) * DAY);
      frames.push({
        agentId: agent.id,
        agencyId: agency.id,
        receivedAt: later.toISOString(),
        frame: { v: PROTOCOL_VERSION, type: 'results', seq: 2, scanId: scanId(2), scannedAt: later.toISOString(), full: false, results: changed } as ResultsFrame,
      });
      const offline = rand() < (spec.offline ?? 0.04);
      seen.push({ id: agent.id, lastSeenAt: new Date(now.getTime() - (offline ? DAY + rand() * 3 * DAY : rand() * 5000)).toISOString() });
      if (frames.length >= 100) {
        await store.ingest(frames);
        frames = [];
      }
    }
    if (frames.length > 0) await store.ingest(frames);
  }
  for (let i = 0; i < seen.length; i += 1000) await store.touchAgents(seen.slice(i, i + 1000));
  await seedTrend(store, now, opts.trendDays ?? 30, rand);
  return hosts;
}

/** Past days of posture_daily: each agency's score drifting up towards today's, with noise. */
async function seedTrend(store: SqliteStore, now: Date, days: number, rand: () => number): Promise<void> {
  const today = now.toISOString().slice(0, 10);
  await store.snapshotDailyPosture(today);
  const rows = store.db.prepare('SELECT agency_id, won, possible FROM posture_daily WHERE day = ?').all(today) as Array<{ agency_id: number; won: number; possible: number }>;
  const upsert = store.db.prepare('INSERT OR REPLACE INTO posture_daily (agency_id, day, won, possible, updated_at) VALUES (?, ?, ?, ?, ?)');
  store.db.transaction(() => {
    for (const r of rows) {
      if (r.possible === 0) continue;
      const score = r.won / r.possible;
      const start = Math.max(0.05, score - 0.08 - rand() * 0.12);
      for (let d = days - 1; d >= 1; d--) {
        const day = new Date(now.getTime() - d * DAY).toISOString().slice(0, 10);
        const t = (days - 1 - d) / (days - 1);
        const s = Math.min(1, Math.max(0, start + (score - start) * t + (rand() - 0.5) * 0.015));
        upsert.run(r.agency_id, day, s * r.possible, r.possible, now.toISOString());
      }
    }
  })();
}
