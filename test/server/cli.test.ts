import { describe, expect, it } from 'vitest';
import { freshDataDir, runServerCli } from '../helpers/server-cli.js';
import { openSqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { hashToken } from '../../server/tokens.js';

const dataDir = freshDataDir('rampart-cli');

function run(...argv: string[]) {
  return runServerCli(dataDir(), argv);
}

describe('rampart server CLI', () => {
  it('adds agencies with a parent and lists them', async () => {
    expect((await run('agency', 'add', 'dhs')).code).toBe(0);
    expect((await run('agency', 'add', 'cisa', '--parent', 'dhs')).code).toBe(0);
    const list = await run('agency', 'list', '--json');
    expect(JSON.parse(list.out).map((a: { name: string; parentName: string | null }) => [a.name, a.parentName])).toEqual([
      ['cisa', 'dhs'],
      ['dhs', null],
    ]);
  });

  it('refuses a duplicate agency and an unknown parent with exit 2', async () => {
    await run('agency', 'add', 'dhs');
    expect((await run('agency', 'add', 'dhs')).code).toBe(2);
    expect((await run('agency', 'add', 'x', '--parent', 'nope')).code).toBe(2);
  });

  it('prints an enrollment token once and stores only its hash, with expiry and uses', async () => {
    await run('agency', 'add', 'dhs');
    const { code, out } = await run('token', 'create', '--agency', 'dhs', '--expires', '2h', '--uses', '3');
    expect(code).toBe(0);
    const token = out.trim();
    expect(token).toMatch(/^rpe_[A-Za-z0-9_-]{43}$/);
    const store = await openSqliteStore(dataDir());
    const row = store.db.prepare('SELECT token_hash, uses_left, expires_at FROM enroll_tokens').get() as { token_hash: string; uses_left: number; expires_at: string };
    await store.close();
    expect(row.token_hash).toBe(hashToken(token));
    expect(row.uses_left).toBe(3);
    const hours = (Date.parse(row.expires_at) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(1.9);
    expect(hours).toBeLessThanOrEqual(2);
  });

  it('rejects bad durations, missing --agency and unknown subcommands as usage errors', async () => {
    expect((await run('token', 'create', '--agency', 'dhs', '--expires', 'soon')).code).toBe(2);
    expect((await run('token', 'create')).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
    expect((await run('user', 'add', 'bob', '--role', 'root')).code).toBe(2);
  });

  it('creates an admin user and prints its API token once', async () => {
    const { code, out } = await run('user', 'add', 'alice', '--role', 'admin');
    expect(code).toBe(0);
    const store = await openSqliteStore(dataDir());
    expect(await store.findUserByTokenHash(hashToken(out.trim()))).toMatchObject({ name: 'alice', role: 'admin' });
    await store.close();
  });

  it('lists and revokes agents, and says so for an unknown id', async () => {
    await run('agency', 'add', 'dhs');
    const store = await openSqliteStore(dataDir());
    await store.createEnrollToken({ agencyName: 'dhs', tokenHash: hashToken('t'), expiresAt: null, uses: 1, now: new Date().toISOString() });
    const agent = await store.enrollAgent({ tokenHash: hashToken('t'), publicKey: 'k', hostname: 'web-1', agentVersion: '1', now: new Date().toISOString() });
    await store.close();
    expect((await run('agent', 'list')).out).toContain('web-1');
    expect((await run('agent', 'revoke', agent.id)).code).toBe(0);
    expect(JSON.parse((await run('agent', 'list', '--json')).out)[0].revokedAt).toEqual(expect.any(String));
    expect((await run('agent', 'revoke', '00000000-0000-4000-8000-000000000000')).code).toBe(2);
  });

  it('prints help for every subcommand', async () => {
    for (const sub of ['start', 'agency', 'token', 'user', 'agent']) {
      const { code, out } = await run(sub, '--help');
      expect(code).toBe(0);
      expect(out).toContain(`rampart server ${sub}`);
      expect(out).toContain('--data-dir');
    }
  });
});
