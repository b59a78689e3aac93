/**
 * The watchdog with real scan processes (our own entry, bundled from sources): a scan within its
 * limits reports; one that passes a tiny memory limit, a tiny CPU budget or its wall time is
 * stopped with the matching code, and the rule that was still running is named.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCAN_LIMIT_DEFAULTS, type ScanLimits } from '../../../agent/watchdog/limits.js';
import { WORKER_ARGS, type Job } from '../../../agent/watchdog/messages.js';
import { runScanProcess } from '../../../agent/watchdog/scan-process.js';
import { VERSION } from '../../../shared/version.js';
import { buildWorkerEntry, REPO, type WorkerEntry } from '../helpers/worker-entry.js';
import { expensivePack, expensiveRoot, type ExpensiveKind } from './fixtures.js';

let tmp: string;
let root: string;
let worker: WorkerEntry;
const logs: string[] = [];
const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => (logs.push(chunk.toString()), cb()) });

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-watchdog-'));
  root = await expensiveRoot(path.join(tmp, 'root'));
  worker = await buildWorkerEntry();
});

afterAll(async () => {
  worker?.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Our own scan processes (children of this test process running `agent scan-worker`). */
function ourScanProcesses(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('scan-worker');
      } catch {
        return false;
      }
    });
}

async function job(kind: ExpensiveKind, overrides: Partial<Job> = {}): Promise<Job> {
  const stateDir = path.join(tmp, `state-${kind}-${Math.random().toString(36).slice(2)}`);
  await fs.mkdir(stateDir, { recursive: true });
  return {
    type: 'job',
    version: VERSION,
    kind: 'scan',
    agentId: '00000000-0000-4000-8000-000000000001',
    settings: { stateDir, packs: [await expensivePack(tmp, kind)], trustedKeys: path.join(stateDir, 'trusted-keys'), allowUnsigned: false, fixtureRoot: root, logLevel: 'warn' },
    denylist: [],
    ...overrides,
  };
}

const run = async (j: Job, limits: Partial<ScanLimits> = {}) => runScanProcess(j, { command: worker.command, limits: { ...SCAN_LIMIT_DEFAULTS, ...limits }, stderr: sink });

describe('a scan process under the watchdog', { timeout: 60_000 }, () => {
  it('within the default limits reports its packs, a valid report and what it cost', async () => {
    const r = await run(await job('cheap'));
    expect(r.stopped).toBeUndefined();
    expect(r.packs?.map((p) => p.id)).toEqual(['test-watchdog-cheap']);
    expect(r.report?.summary).toMatchObject({ total: 4, pass: 4 });
    expect(r.report?.host.hostname).toBe('watchdog-host');
    expect(r.usage.cpuMs).toBeGreaterThan(0);
    expect(r.usage.phases!.startupMs).toBeGreaterThan(0);
    expect(r.usage.phases!.startupMs + r.usage.phases!.packsMs + r.usage.phases!.jobMs).toBeLessThanOrEqual(r.usage.cpuMs + 1);
    expect(r.usage.peakRssKb).toBeGreaterThan(10 * 1024);
  });

  it('is stopped with ERR_WATCHDOG_MEMORY when it passes a tiny memory limit, naming the rule that was running', async () => {
    const r = await run(await job('memory'), { memoryMb: 96 });
    expect(r.report).toBeUndefined();
    expect(r.stopped?.code).toBe('ERR_WATCHDOG_MEMORY');
    expect(r.ruleCount).toBe(5);
    expect(r.unfinished).toEqual(['test.watchdog.memory-hog']);
  });

  it('is stopped with ERR_WATCHDOG_CPU when it passes a tiny CPU budget, naming the rule that was running', async () => {
    const r = await run(await job('cpu'), { cpuSeconds: 1 });
    expect(r.report).toBeUndefined();
    expect(r.stopped?.code).toBe('ERR_WATCHDOG_CPU');
    expect(r.stopped?.message).toMatch(/over the limit of 1 s/);
    expect(r.usage.cpuMs).toBeGreaterThan(1000);
    expect(r.unfinished).toEqual(['test.watchdog.backtracking']);
  });

  it('is stopped with ERR_WATCHDOG_TIMEOUT when it runs longer than its wall-time limit', async () => {
    const r = await run(await job('cpu'), { timeoutSeconds: 1 });
    expect(r.stopped?.code).toBe('ERR_WATCHDOG_TIMEOUT');
    expect(r.unfinished).toEqual(['test.watchdog.backtracking']);
  });

  it('ended by its daemon (shutting down) or by a SIGTERM from outside is cancelled, not stopped', async () => {
    const abort = new AbortController();
    const r = await runScanProcess(await job('cpu'), { command: worker.command, limits: SCAN_LIMIT_DEFAULTS, stderr: sink, signal: abort.signal, onPacks: () => setTimeout(() => abort.abort(), 200) });
    expect(r.cancelled).toBe(true);
    expect(r.stopped).toBeUndefined();

    // systemd stopping the unit signals every process in it, the scan process included.
    const outside = await runScanProcess(await job('cpu'), {
      command: worker.command,
      limits: SCAN_LIMIT_DEFAULTS,
      stderr: sink,
      onPacks: () => {
        for (const pid of ourScanProcesses()) process.kill(pid, 'SIGTERM');
      },
    });
    expect(outside.cancelled).toBe(true);
    expect(outside.stopped).toBeUndefined();
  });

  it('skips denylisted rules and reports them as ERR_WATCHDOG_DENYLISTED errors', async () => {
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const r = await run(await job('cpu', { denylist: [{ ruleId: 'test.watchdog.backtracking', until, code: 'ERR_WATCHDOG_CPU', message: 'used 1.2 s' }] }), { cpuSeconds: 1 });
    expect(r.stopped).toBeUndefined();
    expect(r.report?.summary).toMatchObject({ total: 5, pass: 4, error: 1 });
    const skipped = r.report!.results.find((x) => x.ruleId === 'test.watchdog.backtracking')!;
    expect(skipped).toMatchObject({ status: 'error', packId: 'test-watchdog-cpu', error: { code: 'ERR_WATCHDOG_DENYLISTED' } });
    expect(skipped.error!.message).toContain(until);
  });

  it('of another version refuses the job with ERR_AGENT_RESTART_REQUIRED', async () => {
    const r = await run(await job('cheap', { version: '0.0.0-other' }));
    expect(r.failed?.code).toBe('ERR_AGENT_RESTART_REQUIRED');
    expect(r.report).toBeUndefined();
  });

  it('refuses to run without the daemon\'s IPC channel', () => {
    const r = spawnSync(process.execPath, [worker.command.entry!, ...WORKER_ARGS], { cwd: REPO, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('ERR_USAGE');
  });
});
