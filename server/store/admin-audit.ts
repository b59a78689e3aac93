/**
 * @module Administrative actions in the append-only audit log (the table waivers and pack
 * publications use): agency creation, enrollment-token creation, user creation and revocation,
 * agent revocation, and a host's exposure tag (before and after). Entries never carry a token or
 * its hash; actors are `cli:<os user>` or `api:<user>`. Works on both stores without loading
 * either driver here.
 */
import os from 'node:os';
import type { Store } from './store.js';

export interface AdminAuditEntry {
  actor: string;
  action: 'agency.create' | 'token.create' | 'user.create' | 'user.revoke' | 'agent.revoke' | 'agent.exposure';
  objectType: 'agency' | 'enroll-token' | 'user' | 'agent';
  objectId: string;
  before?: unknown;
  after?: unknown;
  at?: string;
}

/** The actor of a command-line administrative action. */
export function cliActor(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return `cli:uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

interface SqliteLike {
  db: { prepare(sql: string): { run(...args: unknown[]): unknown } };
}
interface PgLike {
  pool: { query(sql: string, args: unknown[]): Promise<unknown> };
}

export async function auditAdmin(store: Store, e: AdminAuditEntry): Promise<void> {
  const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
  const row = [e.at ?? new Date().toISOString(), e.actor, e.action, e.objectType, e.objectId, json(e.before), json(e.after)];
  if (store.kind === 'sqlite' && 'db' in store) {
    (store as unknown as SqliteLike).db.prepare('INSERT INTO audit_log (at, actor, action, object_type, object_id, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?)').run(...row);
  } else if (store.kind === 'postgres' && 'pool' in store) {
    await (store as unknown as PgLike).pool.query('INSERT INTO audit_log (at, actor, action, object_type, object_id, before_json, after_json) VALUES ($1, $2, $3, $4, $5, $6, $7)', row);
  }
}
