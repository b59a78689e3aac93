/**
 * @module The dashboard's API client: bearer token from the sign-in, JSON in and out, coded errors.
 */

const TOKEN_KEY = 'rampart.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const token = getToken();
  const res = await fetch(path, {
    ...init,
    headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  const text = await res.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? res.statusText);
  }
  return body as T;
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

// Shapes of the collector's JSON (docs/api.md).
export interface Me { name: string; role: 'admin' | 'soc' | 'agency-viewer'; agency: string | null; latestAgentVersion?: string }
export interface Paged<T> { items: T[]; total: number; limit: number; offset: number; nextOffset: number | null }
export interface Counts { pass: number; fail: number; error: number; notApplicable: number }
export interface OverviewAgency {
  name: string;
  parentName: string | null;
  score: number | null;
  /** online is null as of a past date. */
  hosts: { total: number; online: number | null };
  findings: { open: number; overdue: number };
  trend: Array<{ day: string; score: number | null }>;
}
export interface Finding { id: number | null; agentId: string; hostname: string; ruleId: string; title: string; severity: string; directive: string | null; firstSeenAt: string; dueAt: string | null; overdue: boolean; resolvedAt: string | null; waived?: boolean; tier?: string | null; forensicTriage?: boolean }
export interface Posture {
  agency: { id: number; name: string; parentName: string | null };
  asOf: string;
  hosts: { total: number; revoked: number; online?: number };
  score: number | null;
  counts: Counts & { total: number };
  failBySeverity: Record<string, number>;
  directives: Array<{ directive: string; rules: number; pass: number; fail: number; error: number; percent: number | null }>;
  failingRules: Array<{ ruleId: string; title: string; severity: string; failingHosts: number; errorHosts: number; passingHosts: number; directives: string[] }>;
  findings: { open: number; overdue: number; dueSoon: number; dueSoonDays: number };
  components?: Array<{ name: string; score: number | null; hosts: number }>;
}
export interface HostSummary {
  agentId: string; hostname: string; os: string | null; agentVersion: string | null; enrolledAt: string; revoked: boolean;
  lastSeenAt: string | null; lastScanAt: string | null; online?: boolean; counts: Counts & { waived?: number };
  /** Absent as of a past date (live-only). */
  delivery?: { maxSeq: number; received: number; missing: number; complete: boolean };
}
/** seq, scanId and changedAt are absent as of a past date; waived is set there. */
export interface StoredResult { ruleId: string; status: string; severity: string; seq?: number; scanId?: string; scannedAt: string; changedAt?: string; waived?: boolean; result: ResultBody }
export interface ResultBody { title?: string; expected?: string; observed?: string; remediation?: string; references?: Record<string, string[]>; evidence?: unknown[]; error?: { code: string; message: string }; reason?: string }
export interface StatusChange { ruleId: string; from: string | null; to: string; at: string; seq: number }
export interface RuleHost { agentId: string; hostname: string; agency: string; status: string; since: string | null }
