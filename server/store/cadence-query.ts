/**
 * @module Assessment cadence of an agency from the scan history (migration 4), on either store
 * (through a SqlReader): for each cadence a directive sets (e.g. BOD 23-01, every host enumerated at
 * least every 14 days), whether every host was scanned in time over a period, with the scans as evidence.
 */
import { AppError } from '../../shared/errors.js';
import { cadenceReport, type HostCadence } from '../../shared/evidence/clocks.js';
import type { Directive } from '../../shared/directive.js';
import { agencyByRef, type SqlReader } from './sql-reader.js';

/**
 * The directive cadences a host scan is evidence of. BOD 23-01's other cadences (asset discovery,
 * dashboard upload) are about other systems, so Rampart does not claim them.
 */
export const HOST_SCAN_CADENCES: ReadonlyArray<{ directive: string; id: string }> = [{ directive: 'BOD-23-01', id: 'vulnerability-enumeration' }];

/** The host-scan cadences of the directives catalog (in force, and listed in HOST_SCAN_CADENCES). */
export function hostScanObligations(directives: Iterable<Directive>): CadenceObligation[] {
  const out: CadenceObligation[] = [];
  for (const d of directives) {
    if (d.status !== 'in-force') continue;
    for (const c of d.cadences ?? []) {
      if (HOST_SCAN_CADENCES.some((h) => h.directive === d.id && h.id === c.id)) out.push({ directive: d.id, id: c.id, everyDays: c.everyDays, what: c.what });
    }
  }
  return out;
}

export interface CadenceObligation {
  directive: string;
  id: string;
  everyDays: number;
  what: string;
}

export interface AgencyCadence extends CadenceObligation {
  from: string;
  to: string;
  /** Every host met the cadence. */
  met: boolean;
  hosts: Array<HostCadence & { hostname: string }>;
}

export interface AgencyCadenceOptions {
  /** Agency name or numeric id. */
  agency: string;
  from: string;
  to: string;
  obligations: readonly CadenceObligation[];
}

/** Cadence reports for one agency over [from, to], one per obligation. Hosts count from enrollment until revocation. */
export async function agencyCadence(reader: SqlReader, options: AgencyCadenceOptions): Promise<AgencyCadence[]> {
  const agency = await agencyByRef(reader, options.agency);
  if (!agency) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency "${options.agency}" does not exist`);
  const from = new Date(Date.parse(options.from)).toISOString();
  const to = new Date(Date.parse(options.to)).toISOString();
  if (!(Date.parse(to) >= Date.parse(from))) throw new AppError('ERR_USAGE', 'the cadence period must end at or after its start');
  const agents = await reader.all<{ key: number; id: string; hostname: string; enrolled_at: string; revoked_at: string | null }>(
    'SELECT key, id, hostname, enrolled_at, revoked_at FROM agents WHERE agency_id = ? AND enrolled_at <= ? AND (revoked_at IS NULL OR revoked_at > ?) ORDER BY hostname, id',
    [agency.id, to, from],
  );
  const scans = new Map<number, string[]>(agents.map((a) => [a.key, []]));
  // One read for the agency's scans (not one per host: a round trip each on PostgreSQL).
  for (const r of await reader.all<{ agent_key: number; scanned_at: string }>(
    'SELECT h.agent_key, h.scanned_at FROM host_scans h JOIN agents g ON g.key = h.agent_key WHERE g.agency_id = ? AND h.scanned_at <= ? ORDER BY h.agent_key, h.scanned_at',
    [agency.id, to],
  )) {
    scans.get(r.agent_key)?.push(r.scanned_at);
  }
  const hosts = agents.map((a) => ({ id: a.id, hostname: a.hostname, since: a.enrolled_at, ...(a.revoked_at ? { until: a.revoked_at } : {}), assessments: scans.get(a.key)! }));
  const names = new Map(hosts.map((h) => [h.id, h.hostname]));
  return options.obligations.map((o) => {
    const report = cadenceReport({ everyDays: o.everyDays, from, to, hosts }).map((r) => ({ ...r, hostname: names.get(r.hostId) ?? r.hostId }));
    return { ...o, from, to, met: report.every((r) => r.met), hosts: report };
  });
}
