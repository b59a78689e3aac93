/**
 * `rampart server waiver ...` on a real SQLite data directory and on PostgreSQL (--database): add,
 * list, update, remove and audit, with exit codes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDate } from '../../server/cli/waiver.js';
import { hashToken } from '../../server/tokens.js';
import { runServerCli, type CliRun } from '../helpers/server-cli.js';
import { STORE_KINDS, expectPgReachable, newStoreTarget, type StoreTarget } from '../helpers/store-targets.js';

const ADD = ['waiver', 'add', '--agency', 'dhs', '--rule', 'linux.ssh.root-login-disabled', '--justification', 'Console access needed until Q1', '--approver', 'ciso@dhs.example.gov', '--risk', 'medium'];

describe('PostgreSQL test server', () => expectPgReachable());

describe.each(STORE_KINDS)('rampart server waiver on %s', (kind) => {
  let target: StoreTarget;
  beforeEach(async () => {
    target = newStoreTarget(kind);
    const store = await target.open();
    await store.createAgency('dhs');
    await store.createEnrollToken({ agencyName: 'dhs', tokenHash: hashToken('t'), expiresAt: null, uses: 2, now: new Date().toISOString() });
    await store.enrollAgent({ tokenHash: hashToken('t'), publicKey: 'k', hostname: 'web-1', agentVersion: '1', now: new Date().toISOString() });
    await store.close();
  });
  afterEach(() => target.dispose());

  const run = (...argv: string[]): Promise<CliRun> => runServerCli(target.dataDir, [...argv, ...target.argv], target.env);

  it('adds a host waiver that counts now, lists it, updates it, removes it, and shows the audit trail', async () => {
    const add = await run(...ADD, '--host', 'web-1', '--expires', '90d', '--by', 'ana', '--json');
    expect(add.code).toBe(0);
    const w = JSON.parse(add.out);
    expect(w).toMatchObject({ id: 'W-1', scope: 'host', state: 'active', createdBy: 'ana' });
    expect(Date.parse(w.expiresAt) - Date.parse(w.startsAt)).toBe(90 * 86_400_000);
    const list = await run('waiver', 'list', '--agency', 'dhs');
    expect(list.out).toMatch(/W-1\s+active\s+linux\.ssh\.root-login-disabled\s+web-1\s+medium/);
    expect((await run('waiver', 'update', 'W-1', '--until', '2099-01-01', '--by', 'bob')).code).toBe(0);
    expect((await run('waiver', 'remove', 'W-1', '--reason', 'fixed', '--by', 'carol')).code).toBe(0);
    expect((await run('waiver', 'list')).out).not.toContain('W-1');
    expect((await run('waiver', 'list', '--all')).out).toMatch(/W-1\s+removed/);
    const audit = JSON.parse((await run('waiver', 'audit', '--waiver', 'W-1', '--json')).out);
    expect(audit.map((e: { action: string; actor: string }) => `${e.action} ${e.actor}`)).toEqual(['waiver.create ana', 'waiver.update bob', 'waiver.remove carol']);
  });

  it('adds an agency-wide waiver when no host is named, and refuses bad input with exit 2', async () => {
    const add = await run(...ADD, '--until', '2099-01-01', '--json');
    expect(JSON.parse(add.out)).toMatchObject({ scope: 'agency', createdBy: expect.stringMatching(/^cli:/) });
    expect((await run(...ADD)).code).toBe(2); // no end
    expect((await run(...ADD, '--until', '2099-01-01', '--expires', '9d')).code).toBe(2);
    expect((await run(...ADD, '--until', 'someday')).code).toBe(2);
    expect((await run(...ADD, '--until', '2099-01-01', '--host', 'nobody')).code).toBe(2);
    expect((await run('waiver', 'remove', 'W-77')).code).toBe(2);
    expect((await run('waiver', 'frobnicate')).code).toBe(2);
  });

});

describe('waiver dates', () => {
  it('reads dates as UTC days or RFC 3339 instants', () => {
    expect(parseDate('2026-12-31', '--until')).toBe('2026-12-31T00:00:00.000Z');
    expect(parseDate('2026-12-31T17:00:00-05:00', '--until')).toBe('2026-12-31T22:00:00.000Z');
    expect(() => parseDate('12/31/2026', '--until')).toThrow(/--until takes a date/);
  });
});
