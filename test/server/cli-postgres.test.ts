import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServerCli } from '../helpers/server-cli.js';
import { openPostgresStore } from '../../server/store/postgres/pg-store.js';
import { loadServerConfig } from '../../server/config.js';
import { TEST_PG_URL, dropSchema, newSchemaName, pgReachable, pgSkipAllowed } from '../helpers/pg-schema.js';

const reachable = await pgReachable();

describe('PostgreSQL for the CLI tests', () => {
  it('is reachable at 127.0.0.1:5432 (set RAMPART_SKIP_PG=1 to skip locally; never skipped in CI)', () => {
    if (!reachable && pgSkipAllowed()) return;
    expect(reachable, `PostgreSQL is not reachable at ${TEST_PG_URL}`).toBe(true);
  });
});

describe('database settings', () => {
  it('takes the database URL from --database or RAMPART_DATABASE_URL and refuses anything but postgres://', () => {
    expect(loadServerConfig({ databaseUrl: 'postgres://u@h/db' }, {}).databaseUrl).toBe('postgres://u@h/db');
    expect(loadServerConfig({}, { RAMPART_DATABASE_URL: 'postgresql://u@h/db', RAMPART_DATABASE_SCHEMA: 'ramp' })).toMatchObject({ databaseUrl: 'postgresql://u@h/db', databaseSchema: 'ramp' });
    expect(() => loadServerConfig({ databaseUrl: 'mysql://u@h/db' }, {})).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    expect(() => loadServerConfig({}, { RAMPART_DATABASE_URL: 'postgres://u@h/db', RAMPART_DATABASE_SCHEMA: 'x; drop table' })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });
});

describe.runIf(reachable)('rampart server CLI on PostgreSQL (--database)', () => {
  const schema = newSchemaName();
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rampart-cli-pg-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await dropSchema(schema);
  });

  function run(...argv: string[]) {
    return runServerCli(dir, [...argv, '--database', TEST_PG_URL], { RAMPART_DATABASE_SCHEMA: schema });
  }

  it('runs the administrative commands against PostgreSQL and writes nothing to the data directory', async () => {
    expect((await run('agency', 'add', 'dhs')).code).toBe(0);
    expect((await run('agency', 'add', 'cisa', '--parent', 'dhs')).code).toBe(0);
    expect((await run('agency', 'add', 'dhs')).code).toBe(2);
    const list = await run('agency', 'list', '--json');
    expect(JSON.parse(list.out).map((a: { name: string }) => a.name)).toEqual(['cisa', 'dhs']);
    const token = (await run('token', 'create', '--agency', 'dhs', '--uses', '2')).out.trim();
    expect(token).toMatch(/^rpe_/);
    expect((await run('user', 'add', 'ada', '--role', 'admin')).code).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
    const store = await openPostgresStore({ url: TEST_PG_URL, schema });
    try {
      expect((await store.listAgencies()).map((a) => a.name)).toEqual(['cisa', 'dhs']);
      expect(await store.findUserByTokenHash('nope')).toBeNull();
    } finally {
      await store.close();
    }
  });
});
