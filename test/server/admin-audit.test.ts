import { describe, expect, it } from 'vitest';
import { freshDataDir, runServerCli } from '../helpers/server-cli.js';
import { openSqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { startTestCollector } from '../helpers/test-collector.js';
import { TestAgent, httpJson } from '../helpers/test-agent.js';

const dataDir = freshDataDir('rampart-audit');

async function run(...argv: string[]): Promise<string> {
  const { code, out } = await runServerCli(dataDir(), argv);
  expect(code).toBe(0);
  return out;
}

async function audit(dataDir: string): Promise<Array<{ actor: string; action: string; object_id: string; after_json: string | null }>> {
  const store = await openSqliteStore(dataDir);
  try {
    return store.db.prepare('SELECT actor, action, object_id, after_json FROM audit_log ORDER BY id').all() as Array<{ actor: string; action: string; object_id: string; after_json: string | null }>;
  } finally {
    await store.close();
  }
}

describe('administrative actions in the audit log', () => {
  it('records agency, token, user and agent actions from the CLI, never the tokens themselves', async () => {
    await run('agency', 'add', 'dhs');
    const enrollToken = (await run('token', 'create', '--agency', 'dhs', '--uses', '2')).trim();
    const apiToken = (await run('user', 'add', 'alice', '--role', 'admin')).trim();
    await run('user', 'revoke', 'alice');
    const rows = await audit(dataDir());
    expect(rows.map((r) => [r.action, r.object_id])).toEqual([
      ['agency.create', 'dhs'],
      ['token.create', 'dhs'],
      ['user.create', 'alice'],
      ['user.revoke', 'alice'],
    ]);
    expect(rows.every((r) => r.actor.startsWith('cli:'))).toBe(true);
    const text = JSON.stringify(rows);
    expect(text).not.toContain(enrollToken);
    expect(text).not.toContain(apiToken);
    expect(JSON.parse(rows[1]!.after_json!)).toMatchObject({ agency: 'dhs', uses: 2 });
  });

  it('records an agent revoked through the API with the API user as actor', async () => {
    const c = await startTestCollector();
    try {
      const a = new TestAgent(c.url, 'audited-host');
      await a.enroll(await c.token('dhs'));
      const admin = await c.apiToken('root', 'admin');
      const res = await httpJson(`${c.url}/api/v1/agents/${a.agentId}/revoke`, { method: 'POST', token: admin, body: {} });
      expect(res.status).toBe(200);
      const rows = (c.store as unknown as { db: import('better-sqlite3').Database }).db.prepare("SELECT actor, action, object_id FROM audit_log WHERE action = 'agent.revoke'").all();
      expect(rows).toEqual([{ actor: 'api:root', action: 'agent.revoke', object_id: a.agentId }]);
    } finally {
      await c.dispose();
    }
  });
});
