/**
 * The scan processes' V8 code cache: the file rules (owner-only, never a foreign or loose file,
 * one per bundle and runtime) on a real directory, then real scan processes started as the
 * daemon starts them: the first writes the cache after its scan, the next one runs from it, and a
 * damaged cache is rejected by V8 and written again.
 */
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCAN_LIMIT_DEFAULTS } from '../../../agent/watchdog/limits.js';
import type { Job } from '../../../agent/watchdog/messages.js';
import { runScanProcess } from '../../../agent/watchdog/scan-process.js';
import { codeCacheFile, openCodeCache } from '../../../agent/worker/code-cache.js';
import { VERSION } from '../../../shared/version.js';
import { buildWorkerEntry, REPO, type WorkerEntry } from '../helpers/worker-entry.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rampart-code-cache-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const source = Buffer.from('module.exports = 42;\n');
const produced = Buffer.from('v8 code cache bytes');
const fresh = () => mkdtempSync(path.join(tmp, 'cache-'));

describe('the code cache file', () => {
  it('is off without a cache directory', () => {
    const c = openCodeCache(undefined, source);
    expect(c.data).toBeUndefined();
    expect(c.finish(false, true, () => produced)).toBe('off');
  });

  it('is written owner-only after a scan, read back by the next process, and accepted', () => {
    const dir = path.join(fresh(), 'cache');
    const first = openCodeCache(dir, source);
    expect(first.data).toBeUndefined();
    expect(first.finish(false, true, () => produced)).toBe('written');
    const file = codeCacheFile(dir, source);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(path.basename(file)).toContain(process.version);
    const second = openCodeCache(dir, source);
    expect(second.data?.equals(produced)).toBe(true);
    expect(second.finish(true, true, () => Buffer.from('other'))).toBe('accepted');
    expect(readdirSync(dir)).toEqual([path.basename(file)]);
  });

  it('is not written after a job that did not scan (a pack install compiles other functions)', () => {
    const dir = fresh();
    expect(openCodeCache(dir, source).finish(false, false, () => produced)).toBe('off');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('is never read when group or others may write it, and is replaced after the next scan', () => {
    const dir = fresh();
    openCodeCache(dir, source).finish(false, true, () => produced);
    chmodSync(codeCacheFile(dir, source), 0o666);
    const c = openCodeCache(dir, source);
    expect(c.data).toBeUndefined();
    expect(c.finish(false, true, () => produced)).toBe('written');
    expect(statSync(codeCacheFile(dir, source)).mode & 0o777).toBe(0o600);
  });

  it('belongs to one bundle: another build gets its own file and the old one is removed', () => {
    const dir = fresh();
    openCodeCache(dir, source).finish(false, true, () => produced);
    const other = Buffer.from('module.exports = 43;\n');
    expect(codeCacheFile(dir, other)).not.toBe(codeCacheFile(dir, source));
    const c = openCodeCache(dir, other);
    expect(c.data).toBeUndefined();
    expect(c.finish(false, true, () => produced)).toBe('written');
    expect(readdirSync(dir)).toEqual([path.basename(codeCacheFile(dir, other))]);
  });

  it('reports a directory it cannot write as unwritable and leaves no temporary file', () => {
    const parent = fresh();
    const dir = path.join(parent, 'cache');
    writeFileSync(dir, 'a file where the directory should be');
    expect(openCodeCache(dir, source).finish(false, true, () => produced)).toBe('unwritable');
    expect(readdirSync(parent)).toEqual(['cache']);
  });
});

describe('scan processes with the code cache', { timeout: 60_000 }, () => {
  let worker: WorkerEntry;
  beforeAll(async () => {
    worker = await buildWorkerEntry();
  });
  afterAll(() => worker?.dispose());

  const scan = async (stateDir: string, env: NodeJS.ProcessEnv = {}) => {
    const job: Job = {
      type: 'job',
      version: VERSION,
      kind: 'scan',
      agentId: '00000000-0000-4000-8000-000000000001',
      settings: { stateDir, packs: [path.join(REPO, 'test/fixtures/packs/agent-stream.yaml')], trustedKeys: path.join(stateDir, 'trusted-keys'), allowUnsigned: false, fixtureRoot: path.join(REPO, 'test/fixtures/hosts/debian12-default'), logLevel: 'warn' },
      denylist: [],
    };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      return await runScanProcess(job, { command: worker.command, limits: SCAN_LIMIT_DEFAULTS });
    } finally {
      process.env = saved;
    }
  };
  const cacheFiles = (stateDir: string) => readdirSync(path.join(stateDir, 'cache')).filter((n) => n.endsWith('.v8cache'));

  it('writes the cache after the first scan, runs the next from it with the same report, and rewrites a damaged one', async () => {
    const stateDir = fresh();
    const first = await scan(stateDir);
    expect(first.report?.summary.total).toBeGreaterThan(0);
    expect(first.usage.codeCache).toBe('written');
    const [file] = cacheFiles(stateDir);
    expect(file).toMatch(/^scan-worker-v\d+\.\d+\.\d+-x64-[0-9a-f]{24}\.v8cache$/);

    const second = await scan(stateDir);
    expect(second.usage.codeCache).toBe('accepted');
    expect(second.report?.results.map((r) => [r.ruleId, r.status])).toEqual(first.report?.results.map((r) => [r.ruleId, r.status]));

    // Same length, other bytes: V8's own checks refuse it, the scan runs anyway and the file is written again.
    const full = path.join(stateDir, 'cache', file!);
    writeFileSync(full, Buffer.alloc(statSync(full).size, 7), { mode: 0o600 });
    const third = await scan(stateDir);
    expect(third.report?.summary.total).toBe(first.report?.summary.total);
    expect(third.usage.codeCache).toBe('rejected');
    expect((await scan(stateDir)).usage.codeCache).toBe('accepted');
  });

  it('a boot script without its scan-worker bundle beside it fails the job with ERR_AGENT_FILES_MISSING', async () => {
    const dir = fresh();
    copyFileSync(worker.command.entry!, path.join(dir, path.basename(worker.command.entry!)));
    const stateDir = fresh();
    const job: Job = { type: 'job', version: VERSION, kind: 'scan', agentId: '00000000-0000-4000-8000-000000000001', settings: { stateDir, packs: [], trustedKeys: path.join(stateDir, 'keys'), allowUnsigned: false, logLevel: 'warn' }, denylist: [] };
    const r = await runScanProcess(job, { command: { execPath: process.execPath, entry: path.join(dir, path.basename(worker.command.entry!)) }, limits: SCAN_LIMIT_DEFAULTS, stderr: new Writable({ write: (_c, _e, cb) => cb() }) });
    expect(r.failed?.code).toBe('ERR_AGENT_FILES_MISSING');
    expect(r.failed?.message).toContain('scan-worker.cjs');
    expect(r.report).toBeUndefined();
  });

  it('is off with RAMPART_CODE_CACHE=off: nothing written, the scan the same', async () => {
    const stateDir = fresh();
    const r = await scan(stateDir, { RAMPART_CODE_CACHE: 'off' });
    expect(r.usage.codeCache).toBe('off');
    expect(r.report?.summary.total).toBeGreaterThan(0);
    expect(existsSync(path.join(stateDir, 'cache')) ? cacheFiles(stateDir) : []).toEqual([]);
  });
});
