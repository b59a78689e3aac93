/**
 * @module `agent scan-worker`: the scan process the daemon's watchdog starts for every scan and
 * every pack install (agent/watchdog/); agent/worker/boot.ts starts it (from the scan-worker
 * bundle, with its code cache) with the one job it read from the IPC channel. It loads the
 * packs (local + signed installed ones, verified again; compiled packs cached under
 * <state-dir>/cache), sends the pack list, scans (rules on the watchdog's denylist become
 * ERR_WATCHDOG_DENYLISTED results), reports progress rule by rule, sends the report and what it
 * cost, and exits. Without the daemon's IPC channel it refuses to run; if the daemon goes away it
 * exits at once.
 */
import path from 'node:path';
import { AppError, isAppError } from '../../shared/errors.js';
import { createLogger, type Logger } from '../../shared/log.js';
import type { RuleResult, ScanReport } from '../../shared/result.js';
import { VERSION } from '../../shared/version.js';
import { PackUpdates } from '../daemon/pack-updates.js';
import { runScan, summarize } from '../engine/runner.js';
import { FixtureHost, liveHost } from '../host/fs-host.js';
import { packCacheIn } from '../rules/pack-cache.js';
import { JobSchema, type Job, type WorkerMessage } from '../watchdog/messages.js';
import { childrenCpuMs } from '../watchdog/proc-usage.js';
import { denylistedResult } from '../watchdog/results.js';
import type { CodeCacheStatus } from '../watchdog/messages.js';

/** What agent/worker/boot.ts hands the scan worker. */
export interface WorkerBoot {
  /** The job message as it arrived (validated here). */
  job: unknown;
  /** Called once the job is done, before its cost is reported: saves the code cache if it should. */
  codeCache(scanned: boolean): CodeCacheStatus;
}

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(message, undefined, {}, () => resolve());
  });
}

const cpuNow = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
/** CPU (ms) when the job was taken up and after the packs were loaded. */
const marks = { job: 0, packs: 0 };

async function scanJob(job: Job, packUpdates: PackUpdates, log: Logger): Promise<ScanReport> {
  const { settings } = job;
  const loaded = packUpdates.current;
  const deny = new Map(job.denylist.map((e) => [e.ruleId, e]));
  const skipped: RuleResult[] = [];
  const packs = loaded.packs.map((p) => {
    if (!p.rules.some((r) => deny.has(r.rule.id))) return p;
    const rules = p.rules.filter((r) => {
      const entry = deny.get(r.rule.id);
      if (entry) skipped.push(denylistedResult(r.packId, r.rule, entry));
      return entry === undefined;
    });
    return { ...p, rules };
  });
  if (skipped.length > 0) log.warn({ rules: skipped.map((r) => r.ruleId) }, 'Rules on the watchdog denylist are skipped this scan');
  // The command cache lives in the state directory: the only place the systemd unit lets the agent write.
  const host = settings.fixtureRoot ? new FixtureHost(settings.fixtureRoot) : liveHost({ cacheDir: path.join(settings.stateDir, 'cache') });
  void send({ type: 'rules', ids: packs.flatMap((p) => p.rules.map((r) => r.rule.id)) });
  const tailoring = loaded.tailoring;
  const report = await runScan({
    host,
    packs,
    ...(tailoring ? { hostTags: tailoring.tailoring.hostTags, tailoring: { id: tailoring.tailoring.tailoring.id, sha256: tailoring.sha256 } } : {}),
    // Sent one by one and at once: if a later rule hangs the event loop, the daemon still knows these finished.
    onResult: (r) => void send({ type: 'done', ids: [r.ruleId] }),
  });
  if (skipped.length > 0) {
    report.results.push(...skipped);
    report.summary = summarize(report.results);
  }
  return report;
}

async function runJob(job: Job): Promise<void> {
  const { settings } = job;
  const log = createLogger({ level: settings.logLevel, name: 'rampart-agent' }).child({ agentId: job.agentId, module: job.kind === 'scan' ? 'scan' : 'packs', pid: process.pid });
  if (job.version !== VERSION) {
    throw new AppError('ERR_AGENT_RESTART_REQUIRED', `the agent daemon runs ${job.version} but the files on disk are ${VERSION}`);
  }
  const cache = packCacheIn(path.join(settings.stateDir, 'cache')) ?? null;
  const packUpdates = new PackUpdates(settings, settings.stateDir, log, undefined, cache);
  await packUpdates.init();
  marks.packs = cpuNow();
  await send({ type: 'packs', packs: packUpdates.refs });
  if (job.kind === 'install') {
    const outcome = await packUpdates.receive(job.bundle);
    await send({ type: 'installed', outcome, packs: packUpdates.refs });
    return;
  }
  await send({ type: 'report', report: await scanJob(job, packUpdates, log) });
}

/**
 * Run the one job (the process was started by agent/worker/boot.ts, which checked the IPC channel).
 * Resolves with the exit code (it normally exits itself first).
 */
export async function runScanWorker(boot: WorkerBoot): Promise<number> {
  marks.job = cpuNow();
  const parsed = JobSchema.safeParse(boot.job);
  let code = 0;
  try {
    if (!parsed.success) throw new AppError('ERR_USAGE', `scan-worker job: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    await runJob(parsed.data);
  } catch (err) {
    code = 3;
    await send({ type: 'failed', code: isAppError(err) ? err.code : 'ERR_INTERNAL', message: (err as Error).message });
  }
  // After the job, so the cache holds the functions the scan compiled; counted in the job's CPU.
  const codeCache = boot.codeCache(code === 0 && parsed.success && parsed.data.kind === 'scan');
  const packs = marks.packs || marks.job;
  const phases = { startupMs: marks.job, packsMs: packs - marks.job, jobMs: cpuNow() - packs };
  await send({ type: 'usage', cpuMs: cpuNow(), childrenCpuMs: await childrenCpuMs(), maxRssKb: process.resourceUsage().maxRSS, phases, codeCache });
  process.removeAllListeners('disconnect');
  process.disconnect();
  process.exit(code);
}
