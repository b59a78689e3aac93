/**
 * @module The read API's answers "as of" a past instant (`?asOf=` on posture, hosts, findings and a
 * host's results): the same routes, rebuilt from the evidence models at that instant instead of the
 * live tables. Live-only facts (online, delivery completeness, the agent's own version) are absent.
 * docs/api.md ("As of a past date") describes the shapes.
 */
import { AppError } from '../../shared/errors.js';
import { SEVERITY_WEIGHT, type CheckStatus } from '../../shared/result.js';
import type { Severity } from '../../shared/rule-pack.js';
import type { EvidenceModel, EvidenceResult } from '../../shared/evidence/model.js';
import { subtree } from '../auth/scope.js';
import type { Agent, AgencyNode, FindingsFilter, Page, Paged, Posture, Store } from '../store/store.js';
import { agencyModelsAsOf, evidenceAsOf } from './agency-models.js';
import { filterFindingsAsOf, findingsAsOf, hostsAsOf, postureAsOf, type FindingAsOf, type HostAsOf, type PostureAsOf } from './posture-as-of.js';

export interface AgencyScope {
  id: number;
  name: string;
  parentName: string | null;
  /** The agency and its components the caller may see. */
  ids: number[];
  tree: AgencyNode[];
}

function paged<T>(all: readonly T[], page: Page): Paged<T> {
  const items = all.slice(page.offset, page.offset + page.limit);
  const next = page.offset + items.length;
  return { items, total: all.length, limit: page.limit, offset: page.offset, nextOffset: next < all.length ? next : null };
}

function agenciesOf(scope: AgencyScope): Array<{ id: number; name: string }> {
  return scope.tree.filter((a) => scope.ids.includes(a.id)).map((a) => ({ id: a.id, name: a.name }));
}

/** Hosts of the agencies that were enrolled and already revoked at `asOf`. */
async function revokedAt(store: Store, agencies: ReadonlyArray<{ name: string }>, asOf: string): Promise<number> {
  let n = 0;
  for (const a of agencies) {
    const agents: Agent[] = await store.listAgents(a.name);
    n += agents.filter((g) => g.enrolledAt <= asOf && g.revokedAt !== null && g.revokedAt <= asOf).length;
  }
  return n;
}

export interface PostureAsOfView extends PostureAsOf {
  hosts: PostureAsOf['hosts'] & { online: null };
  components: Array<{ name: string; score: number | null; hosts: number }>;
}

/** The posture of an agency rolled up over its visible components, as it stood at `asOf`. */
export async function postureView(store: Store, scope: AgencyScope, asOf: string, now: string, dueSoonDays: number): Promise<PostureAsOfView> {
  const agencies = agenciesOf(scope);
  const models = await agencyModelsAsOf(store, agencies, asOf, now);
  const agency: Posture['agency'] = { id: scope.id, name: scope.name, parentName: scope.parentName };
  const posture = postureAsOf([...models.values()], agency, asOf, dueSoonDays, await revokedAt(store, agencies, asOf));
  const children = scope.tree.filter((a) => a.parentId === scope.id && scope.ids.includes(a.id)).sort((a, b) => a.name.localeCompare(b.name));
  const components = children.map((c) => {
    const below = [...subtree(scope.tree, c.id)].map((id) => models.get(id)).filter((m): m is EvidenceModel => m !== undefined);
    const p = postureAsOf(below, { id: c.id, name: c.name, parentName: scope.name }, asOf, dueSoonDays, 0);
    return { name: c.name, score: p.score, hosts: p.hosts.total };
  });
  return { ...posture, hosts: { ...posture.hosts, online: null }, components };
}

/** The hosts of an agency (and its visible components) at `asOf`, with their counts then; `q` filters by hostname. */
export async function hostsView(store: Store, scope: AgencyScope, asOf: string, now: string, q: string | undefined, page: Page): Promise<Paged<HostAsOf & { agency: string }>> {
  const agencies = agenciesOf(scope);
  const models = await agencyModelsAsOf(store, agencies, asOf, now);
  const all = agencies.flatMap((a) => hostsAsOf([models.get(a.id)!]).map((h) => ({ ...h, agency: a.name })));
  const needle = q?.toLowerCase();
  const hosts = all
    .filter((h) => needle === undefined || h.hostname.toLowerCase().includes(needle))
    .sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : a.agentId < b.agentId ? -1 : 1));
  return paged(hosts, page);
}

/** The findings open at `asOf`, with the live list's filters (state `resolved` cannot be rebuilt and is refused). */
export async function findingsView(store: Store, scope: AgencyScope, asOf: string, now: string, filter: Omit<FindingsFilter, 'agencyIds'>, page: Page): Promise<Paged<FindingAsOf>> {
  if (filter.state === 'resolved') {
    throw new AppError('ERR_API_INVALID_REQUEST', 'state=resolved cannot be asked as of a past date: only the findings open then are rebuilt (ask state=open, overdue or all)');
  }
  const models = [...(await agencyModelsAsOf(store, agenciesOf(scope), asOf, now)).values()];
  const directives = new Map<string, readonly string[]>();
  for (const m of models) for (const r of m.results) directives.set(r.ruleId, r.references.directives);
  const list = filterFindingsAsOf(findingsAsOf(models), filter, (ruleId) => directives.get(ruleId) ?? []);
  // Overdue first, then by due date: the live list's order.
  return paged(list, page);
}

export interface ResultAsOf {
  ruleId: string;
  status: CheckStatus;
  severity: Severity;
  /** When the result in force at `asOf` was collected. */
  scannedAt: string;
  waived: boolean;
  result: EvidenceResult;
}

const STATUS_RANK: Record<CheckStatus, number> = { fail: 0, error: 1, pass: 2, 'not-applicable': 3 };

/** One host's results as they stood at `asOf`: failures first, then errors, passes, not-applicable; by severity, then rule id. */
export async function hostResultsView(
  store: Store,
  agent: Agent,
  asOf: string,
  now: string,
  filter: { status?: CheckStatus; severity?: Severity; directive?: string; q?: string },
  page: Page,
): Promise<{ host: { agentId: string; hostname: string; agency: string; asOf: string }; } & Paged<ResultAsOf>> {
  if (agent.enrolledAt > asOf) throw new AppError('ERR_NOT_FOUND', `host "${agent.hostname}" was not enrolled yet at ${asOf}`);
  const model = await evidenceAsOf(store, agent.agencyName, asOf, now, [agent.id]);
  const q = filter.q?.toLowerCase();
  const results = model.results
    .filter(
      (r) =>
        (filter.status === undefined || r.status === filter.status) &&
        (filter.severity === undefined || r.severity === filter.severity) &&
        (filter.directive === undefined || r.references.directives.includes(filter.directive)) &&
        (q === undefined || r.ruleId.toLowerCase().includes(q) || r.title.toLowerCase().includes(q)),
    )
    .sort((a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status] || SEVERITY_WEIGHT[b.severity] - SEVERITY_WEIGHT[a.severity] || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0))
    .map((r) => ({ ruleId: r.ruleId, status: r.status, severity: r.severity, scannedAt: r.collectedAt, waived: r.status === 'fail' && r.waiver !== undefined, result: r }));
  return { host: { agentId: agent.id, hostname: agent.hostname, agency: agent.agencyName, asOf }, ...paged(results, page) };
}
