import { mkdtempSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCachedCommand, writeCachedCommand } from '../../../agent/host/command-cache.js';

function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'rampart-cmdcache-'));
  const state = path.join(dir, 'state');
  mkdirSync(state);
  writeFileSync(path.join(state, 'status'), 'x');
  const old = new Date(Date.now() - 3600_000);
  utimesSync(path.join(state, 'status'), old, old);
  utimesSync(state, old, old);
  return { cache: path.join(dir, 'cache'), state };
}

describe('command cache', () => {
  it('answers from the cache while fresh, saying when the command really ran', async () => {
    const { cache, state } = setup();
    const at = new Date();
    await writeCachedCommand(cache, 'apt-upgrade-simulate', { exitCode: 0, stdout: 'Inst x', stderr: '' }, at);
    const hit = await readCachedCommand(cache, 'apt-upgrade-simulate', { maxAgeSeconds: 60, invalidatedBy: [state] });
    expect(hit).toEqual({ exitCode: 0, stdout: 'Inst x', stderr: '', cachedAt: at.toISOString() });
  });

  it('drops an entry older than its maximum age', async () => {
    const { cache, state } = setup();
    await writeCachedCommand(cache, 'c', { exitCode: 0, stdout: '', stderr: '' }, new Date(Date.now() - 120_000));
    expect(await readCachedCommand(cache, 'c', { maxAgeSeconds: 60, invalidatedBy: [state] })).toBeUndefined();
  });

  it('drops an entry as soon as a file it depends on changes (packages installed, lists refreshed)', async () => {
    const { cache, state } = setup();
    await writeCachedCommand(cache, 'c', { exitCode: 0, stdout: '', stderr: '' });
    writeFileSync(path.join(state, 'status'), 'changed');
    expect(await readCachedCommand(cache, 'c', { maxAgeSeconds: 3600, invalidatedBy: [state] })).toBeUndefined();
  });

  it('treats a corrupt or missing entry as a miss, and never fails when it cannot write', async () => {
    const { cache, state } = setup();
    mkdirSync(cache, { recursive: true });
    writeFileSync(path.join(cache, 'c.json'), '{not json');
    expect(await readCachedCommand(cache, 'c', { maxAgeSeconds: 3600, invalidatedBy: [state] })).toBeUndefined();
    const notADir = path.join(state, 'status', 'cache');
    await expect(writeCachedCommand(notADir, 'c', { exitCode: 0, stdout: '', stderr: '' })).resolves.toBeUndefined();
  });
});
