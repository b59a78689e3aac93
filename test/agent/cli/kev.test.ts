/**
 * `rampart kev update` installs a valid catalog atomically and rejects a malformed one with a
 * coded error (exit 2), leaving the installed catalog untouched; `kev status` shows what scans use.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { kevCommand } from '../../../agent/cli/kev.js';
import { KEV_FIXTURE } from '../../helpers/ai-hosts.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'rampart-kev-cli-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function sink() {
  let text = '';
  const stream = new Writable({ write(chunk, _enc, cb) { text += String(chunk); cb(); } });
  return { stream, text: () => text };
}

describe('rampart kev', () => {
  it('installs a valid catalog into the data dir and status reports it', async () => {
    const dir = tmp();
    const out = sink();
    const code = await kevCommand(['update', KEV_FIXTURE, '--data-dir', path.join(dir, 'kev')], { stdout: out.stream, env: {} });
    expect(code).toBe(0);
    const installed = path.join(dir, 'kev', 'known_exploited_vulnerabilities.json');
    expect(readFileSync(installed, 'utf8')).toBe(readFileSync(KEV_FIXTURE, 'utf8'));
    expect(out.text()).toContain('2025.08.25 (1404 entries');
    const st = sink();
    expect(await kevCommand(['status', '--format', 'json'], { stdout: st.stream, env: { RAMPART_KEV_DIR: path.join(dir, 'kev') } })).toBe(0);
    expect(JSON.parse(st.text())).toMatchObject({ status: 'loaded', catalogVersion: '2025.08.25', count: 1404 });
  });

  it('rejects a malformed file with ERR_KEV_INVALID, exit 2, and keeps the installed catalog', async () => {
    const dir = tmp();
    const kevDir = path.join(dir, 'kev');
    await kevCommand(['update', KEV_FIXTURE, '--data-dir', kevDir], { stdout: sink().stream, env: {} });
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ catalogVersion: 'x', dateReleased: 'yesterday', count: 1, vulnerabilities: [{ cveID: 'nope' }] }));
    const err = sink();
    const code = await kevCommand(['update', bad, '--data-dir', kevDir], { stdout: sink().stream, stderr: err.stream, env: {} });
    expect(code).toBe(2);
    expect(err.text()).toMatch(/ERR_KEV_INVALID/);
    expect(readFileSync(path.join(kevDir, 'known_exploited_vulnerabilities.json'), 'utf8')).toBe(readFileSync(KEV_FIXTURE, 'utf8'));
  });

  it('reports a missing catalog with a non-zero status', async () => {
    const dir = tmp();
    const out = sink();
    expect(await kevCommand(['status'], { stdout: out.stream, env: { RAMPART_KEV_DIR: dir } })).toBe(3);
    expect(out.text()).toContain('rampart kev update FILE');
    expect(existsSync(path.join(dir, 'known_exploited_vulnerabilities.json'))).toBe(false);
  });

  it('refuses a missing FILE argument with ERR_USAGE', async () => {
    await expect(kevCommand(['update'], { stdout: sink().stream, env: {} })).rejects.toMatchObject({ code: 'ERR_USAGE' });
  });
});
