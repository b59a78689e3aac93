/**
 * What the watchdog remembers in <state-dir>/watchdog.json: stops in a row (reset by a finished
 * scan), the denylist with its 24-hour expiry, and that a damaged file is a coded error.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATCHDOG_POLICY } from '../../../agent/watchdog/limits.js';
import { Strikes } from '../../../agent/watchdog/strikes.js';
import { isAppError } from '../../../shared/errors.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-strikes-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('watchdog strikes', () => {
  it('counts stops in a row, denylists the blamed rules for 24 h, and survives a restart', async () => {
    const file = path.join(tmp, 'a.json');
    const now = Date.parse('2026-11-26T12:00:00Z');
    const s = await Strikes.open(file);
    expect(s.stopsInARow).toBe(0);
    expect(s.denylist(now)).toEqual([]);
    await s.noteStop({ code: 'ERR_WATCHDOG_CPU', message: 'used 31 s' }, ['b.rule', 'a.rule'], now);
    await s.noteStop({ code: 'ERR_WATCHDOG_MEMORY', message: '300 MB' }, [], now + 1000);
    const again = await Strikes.open(file);
    expect(again.stopsInARow).toBe(2);
    const until = new Date(now + WATCHDOG_POLICY.denylistSeconds * 1000).toISOString();
    expect(again.denylist(now + 5000)).toEqual([
      { ruleId: 'a.rule', until, code: 'ERR_WATCHDOG_CPU', message: 'used 31 s' },
      { ruleId: 'b.rule', until, code: 'ERR_WATCHDOG_CPU', message: 'used 31 s' },
    ]);
    // Expired entries are not handed to scans, and are dropped from the file at the next write.
    expect(again.denylist(now + WATCHDOG_POLICY.denylistSeconds * 1000 + 1)).toEqual([]);
    await again.noteFinished(now + WATCHDOG_POLICY.denylistSeconds * 1000 + 1);
    const after = JSON.parse(await fs.readFile(file, 'utf8')) as { stopsInARow: number; denylist: Record<string, unknown> };
    expect(after).toMatchObject({ stopsInARow: 0, denylist: {} });
  });

  it('refuses a damaged file with ERR_AGENT_STATE_CORRUPT', async () => {
    const file = path.join(tmp, 'b.json');
    await fs.writeFile(file, '{"stopsInARow": "many"}');
    const err = await Strikes.open(file).catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe('ERR_AGENT_STATE_CORRUPT');
    await fs.writeFile(file, 'not json');
    expect(isAppError(await Strikes.open(file).catch((e: unknown) => e))).toBe(true);
  });
});
