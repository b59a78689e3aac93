/**
 * `rampart server user add|revoke` for every role: tokens printed once and stored hashed, agency
 * viewers need an agency, other roles refuse one, revoke ends the token at once.
 */
import { describe, expect, it } from 'vitest';
import { freshDataDir, runServerCli } from '../helpers/server-cli.js';
import { openSqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { hashToken } from '../../server/tokens.js';

const dataDir = freshDataDir('rampart-cli-users');

function run(...argv: string[]) {
  return runServerCli(dataDir(), argv);
}

async function userOf(token: string) {
  const store = await openSqliteStore(dataDir());
  try {
    return await store.findUserByTokenHash(hashToken(token));
  } finally {
    await store.close();
  }
}

describe('rampart server user', () => {
  it('creates admin, soc and agency-viewer users (a viewer of a component too) and prints each token once', async () => {
    await run('agency', 'add', 'DHS');
    await run('agency', 'add', 'CISA', '--parent', 'DHS');
    const admin = await run('user', 'add', 'ana', '--role', 'admin');
    const soc = await run('user', 'add', 'sam', '--role', 'soc');
    const viewer = await run('user', 'add', 'dana', '--role', 'agency-viewer', '--agency', 'DHS');
    const comp = await run('user', 'add', 'cara', '--role', 'agency-viewer', '--agency', 'CISA');
    for (const r of [admin, soc, viewer, comp]) expect(r.code).toBe(0);
    expect(await userOf(admin.out.trim())).toMatchObject({ name: 'ana', role: 'admin', agencyName: null });
    expect(await userOf(soc.out.trim())).toMatchObject({ name: 'sam', role: 'soc', agencyName: null });
    expect(await userOf(viewer.out.trim())).toMatchObject({ name: 'dana', role: 'agency-viewer', agencyName: 'DHS' });
    expect(await userOf(comp.out.trim())).toMatchObject({ name: 'cara', role: 'agency-viewer', agencyName: 'CISA' });
  });

  it('refuses a viewer without an agency, an agency on a role that reads everything, and an unknown agency, with exit 2', async () => {
    await run('agency', 'add', 'DHS');
    expect((await run('user', 'add', 'v', '--role', 'agency-viewer')).code).toBe(2);
    expect((await run('user', 'add', 's', '--role', 'soc', '--agency', 'DHS')).code).toBe(2);
    expect((await run('user', 'add', 'v', '--role', 'agency-viewer', '--agency', 'NASA')).code).toBe(2);
  });

  it('revokes a user: its token stops working at once; an unknown user is exit 2', async () => {
    const { out } = await run('user', 'add', 'sam', '--role', 'soc');
    expect(await userOf(out.trim())).not.toBeNull();
    const revoked = await run('user', 'revoke', 'sam');
    expect(revoked).toMatchObject({ code: 0 });
    expect(revoked.out).toContain('revoked');
    expect(await userOf(out.trim())).toBeNull();
    expect((await run('user', 'revoke', 'nobody')).code).toBe(2);
    expect((await run('user', 'revoke')).code).toBe(2);
  });
});
