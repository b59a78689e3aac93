/**
 * `rampart server waiver ...` on a real data directory: add, list, update, remove and audit, with exit codes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serverCommand } from '../../server/cli/server-command.js';
import { parseDate } from '../../server/cli/waiver.js';
import { openSqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { hashToken } from '../../server/tokens.js';

let dir: string;
beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rampart-waiver-cli-'));
  const store = await openSqliteStore(dir);
  await store.createAgency('dhs');
  await store.createEnrollToken({ agencyName: 'dhs', tokenHash: hashToken('t'), expiresAt: null, uses: 2, now: new Date().toISOString() });
  await store.enrollAgent({ tokenHash: hashToken('t'), publicKey: 'k', hostname: 'web-1', agentVersion: '1', now: new Date().toISOString() });
  await store.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const stdout = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  });
  const code = await serverCommand([...argv, '--data-dir', dir], { stdout, env: {} });
  return { code, out };
}

const ADD = ['waiver', 'add', '--agency', 'dhs', '--rule', 'linux.ssh.root-login-disabled', '--justification', 'Console access needed until Q1', '--approver', 'ciso@dhs.example.gov', '--risk', 'medium'];

describe('rampart server waiver', () => {
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

  it('reads dates as UTC days or RFC 3339 instants', () => {
    expect(parseDate('2026-12-31', '--until')).toBe('2026-12-31T00:00:00.000Z');
    expect(parseDate('2026-12-31T17:00:00-05:00', '--until')).toBe('2026-12-31T22:00:00.000Z');
    expect(() => parseDate('12/31/2026', '--until')).toThrow(/--until takes a date/);
  });
});
