/**
 * @module `rampart agent run`: wire identity, outbox, delivery, connection, schedule and the scan
 * watchdog together, and decide the exit code. Long-running by default; `--once` scans once,
 * waits until every queued frame is acknowledged and exits (0, or 3 on timeout or a stopped scan).
 * The daemon itself never loads a rule pack, a probe or the YAML parser: every scan and every pack
 * install runs in a scan process under the watchdog (agent/watchdog/), so what stays resident
 * between scans is the connection and the delivery state.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { AppError, isErrorCode } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { PROTOCOL_VERSION, type HeartbeatFrame, type HelloFrame } from '../../shared/protocol.js';
import type { HostFacts, PackRef } from '../../shared/result.js';
import { VERSION } from '../../shared/version.js';
import { readHostFacts } from '../engine/facts.js';
import { FixtureHost, liveHost } from '../host/fs-host.js';
import { ownWorkerCommand, type WorkerCommand } from '../watchdog/scan-process.js';
import { ScanSupervisor, type ScanAttempt } from '../watchdog/supervisor.js';
import { loadAgentTls } from './tls-client.js';
import type { AgentConfig } from './config.js';
import { Connection, ConnectionState } from './connection.js';
import { AGENT_EXIT } from './exit-codes.js';
import { Delivery } from './delivery.js';
import { requireIdentity } from './identity.js';
import { Outbox } from './outbox.js';
import { ScanScheduler, type ScanReason } from './scheduler.js';
import { ensureStateDir, lockStateDir, statePaths } from './state-dir.js';
import { StateTracker } from './state-tracker.js';

export interface RunOptions {
  once: boolean;
  /** Resolves when the daemon should stop (signals); the CLI passes SIGINT/SIGTERM. */
  stopSignal?: Promise<string>;
  /** How to start scan processes (default: this process's own command; tests pass a built entry). */
  worker?: WorkerCommand;
}

/** Longest the connection waits for the first scan once its packs are loaded. */
const FIRST_SCAN_WAIT_MS = 10_000;

function coded(failure: { code: string; message: string }): AppError {
  return new AppError(isErrorCode(failure.code) ? failure.code : 'ERR_INTERNAL', failure.message);
}

export async function runAgent(config: AgentConfig, options: RunOptions, rootLog: Logger): Promise<number> {
  const paths = statePaths(config.stateDir);
  await ensureStateDir(paths);
  const { identity, keys } = await requireIdentity(paths);
  const lock = await lockStateDir(paths);
  const log = rootLog.child({ agentId: identity.agentId });
  const timers: NodeJS.Timeout[] = [];
  let retryTimer: NodeJS.Timeout | undefined;
  let conn: Connection | undefined;
  let scheduler: ScanScheduler | undefined;
  let supervisor: ScanSupervisor | undefined;
  try {
    let facts: HostFacts = await readHostFacts(config.fixtureRoot ? new FixtureHost(config.fixtureRoot) : liveHost());
    const tracker = await StateTracker.open(paths.ackedState);
    const outbox = await Outbox.open(paths.outbox, { maxFrames: config.outboxMaxFrames, maxBytes: config.outboxMaxBytes }, log.child({ module: 'outbox' }), tracker.ackedSeq);
    await tracker.rebuild(outbox);
    supervisor = new ScanSupervisor({
      agentId: identity.agentId,
      settings: {
        stateDir: paths.root,
        packs: [...config.packs],
        ...(config.tailoring ? { tailoring: config.tailoring } : {}),
        trustedKeys: config.trustedKeys,
        allowUnsigned: config.allowUnsigned,
        ...(config.fixtureRoot ? { fixtureRoot: config.fixtureRoot } : {}),
        logLevel: config.logLevel,
      },
      limits: { memoryMb: config.scanMemoryMb, cpuSeconds: config.scanCpuSeconds, timeoutSeconds: config.scanTimeoutSeconds },
      command: options.worker ?? ownWorkerCommand(),
      log: log.child({ module: 'watchdog' }),
    });
    log.info(
      { stateDir: paths.root, agency: identity.agency, outboxDepth: outbox.depth, dropped: outbox.dropped, ackedSeq: tracker.ackedSeq, scanMemoryMb: config.scanMemoryMb, scanCpuSeconds: config.scanCpuSeconds, scanTimeoutSeconds: config.scanTimeoutSeconds },
      'Agent starting',
    );
    // The packs the hello announces: what the last scan process loaded (the collector pushes what is missing).
    let packs: PackRef[] = [];
    let packsKnown: () => void = () => undefined;
    const firstPacks = new Promise<void>((resolve) => (packsKnown = resolve));
    let failFatal: (err: AppError) => void = () => undefined;
    const workerFatal = new Promise<AppError>((resolve) => (failFatal = resolve));
    let last: ScanAttempt | undefined;

    const delivery = new Delivery(outbox, tracker, log.child({ module: 'delivery' }));
    conn = new Connection({
      identity,
      keys,
      serverUrls: config.serverUrls.length > 0 ? config.serverUrls : [identity.serverUrl],
      backoffBaseMs: config.backoffBaseMs,
      backoffCapMs: config.backoffCapMs,
      connectTimeoutMs: config.connectTimeoutMs,
      tls: await loadAgentTls(config),
      log: log.child({ module: 'connection' }),
      handlers: {
        ...delivery.handlers(),
        hello: (): HelloFrame => ({ v: PROTOCOL_VERSION, type: 'hello', agentId: identity.agentId, agentVersion: VERSION, host: facts, packs, lastAckedSeq: tracker.ackedSeq }),
        pack: (frame) =>
          void supervisor!.install(frame.bundle).then((r) => {
            if (r.packs) packs = r.packs;
            if (r.failure?.code === 'ERR_AGENT_RESTART_REQUIRED') failFatal(coded(r.failure));
            if (r.outcome.status === 'installed') void scheduler?.trigger('pack');
          }),
        heartbeat: (): HeartbeatFrame => ({ v: PROTOCOL_VERSION, type: 'heartbeat', sentAt: new Date().toISOString(), outboxDepth: outbox.depth, dropped: outbox.dropped }),
      },
    });
    delivery.attach(conn);
    const fatal = Promise.race([new Promise<AppError>((resolve) => conn!.once('fatal', resolve)), workerFatal]);

    const scanLog = log.child({ module: 'scan' });
    scheduler = new ScanScheduler(async (reason: ScanReason) => {
      const startedAt = new Date().toISOString();
      const attempt = await supervisor!.scan((p) => {
        packs = p;
        packsKnown();
      });
      last = attempt;
      const { usage } = attempt;
      const phases = usage.phases ? { startupCpuMs: Math.round(usage.phases.startupMs), packsCpuMs: Math.round(usage.phases.packsMs), scanCpuMs: Math.round(usage.phases.jobMs) } : {};
      const cost = { cpuMs: Math.round(usage.cpuMs), ...phases, commandsCpuMs: Math.round(usage.childrenCpuMs), peakRssMb: Math.round(usage.peakRssKb / 1024), wallMs: usage.wallMs, codeCache: usage.codeCache };
      if (attempt.cancelled) return;
      if (attempt.report) {
        const report = attempt.report;
        facts = report.host;
        packs = report.packs;
        scanLog.info({ reason, scanId: report.scanId, durationMs: report.durationMs, ...report.summary, failBySeverity: undefined, ...cost }, 'Scan finished');
        await delivery.enqueueScan(report);
      } else if (attempt.failure) {
        scanLog.error({ reason, code: attempt.failure.code, message: attempt.failure.message }, 'Scan failed');
        // Broken packs at start stop the agent as before; another version on disk always does (restart).
        if (reason === 'start' || attempt.failure.code === 'ERR_AGENT_RESTART_REQUIRED') failFatal(coded(attempt.failure));
      } else if (attempt.event) {
        await delivery.enqueueEvent(attempt.event, packs, startedAt);
      }
      if (attempt.retryInMs !== undefined && !options.once) {
        clearTimeout(retryTimer);
        retryTimer = setTimeout(() => void scheduler!.trigger('watchdog'), attempt.retryInMs);
      }
    }, scanLog);
    delivery.on('resync', () => void scheduler!.trigger('resync'));
    const firstScan = scheduler.trigger('start');
    // Connect once the first scan is queued, as when it ran inside the daemon: what is still in the
    // outbox then goes out after it, so an overflow makes room before sending, never under a frame in
    // flight (agent-crash.test.ts counts the gaps). A slow first scan holds the connection back at most
    // FIRST_SCAN_WAIT_MS, and only once its packs are known (the hello lists them).
    const waited = new AbortController();
    const early = await Promise.race([
      firstScan.then(() => undefined),
      firstPacks.then(() => delay(FIRST_SCAN_WAIT_MS, undefined, { signal: waited.signal }).catch(() => undefined)),
      workerFatal,
    ]);
    waited.abort();
    if (early instanceof AppError) throw early;
    conn.start();

    if (options.once) {
      await firstScan;
      // A stop that named its culprits: scan once more without them, so this run still delivers the rest.
      if (last?.stopped && last.stopped.blamed.length > 0) await scheduler.trigger('watchdog');
      const deadline = Date.now() + config.onceTimeoutSeconds * 1000;
      for (;;) {
        const outcome = await Promise.race([
          delivery.waitDrained(Math.max(0, deadline - Date.now())).then((ok) => (ok ? ('drained' as const) : ('timeout' as const))),
          fatal,
          ...(options.stopSignal ? [options.stopSignal.then(() => 'signal' as const)] : []),
        ]);
        if (outcome instanceof AppError) throw outcome;
        if (outcome === 'timeout') {
          throw new AppError('ERR_AGENT_ACK_TIMEOUT', `${outbox.depth} frame(s) still unacknowledged after ${config.onceTimeoutSeconds} s (connection ${conn.state})`);
        }
        if (outcome === 'signal') return AGENT_EXIT.failure;
        // A resync the collector sends right after the last ack (digest mismatch) must still be honoured.
        await new Promise((r) => setTimeout(r, 100));
        await delivery.idle();
        // Pack bundles the collector sent after welcome are verified (and installed) before --once exits.
        await supervisor.idle();
        await scheduler.idle();
        await delivery.idle();
        if (outbox.depth > 0) continue;
        if (!tracker.mustSendFull && !outbox.needFull) break;
        await scheduler.trigger('resync');
      }
      log.info({ ...delivery.stats }, 'Everything acknowledged');
      // Delivered, but the scan itself did not finish: say so in the exit code.
      if (last?.stopped) throw new AppError(last.stopped.code, `${last.stopped.message} (the collector has the watchdog's error result)`);
      if (last?.failure) throw coded(last.failure);
      return AGENT_EXIT.ok;
    }

    scheduler.start(config.schedule, config.jitterSeconds);
    const digestTimer = setInterval(() => void delivery.enqueueDigest(), config.digestIntervalSeconds * 1000);
    timers.push(digestTimer);
    const outcome = await Promise.race([fatal, options.stopSignal ?? new Promise<never>(() => undefined)]);
    if (outcome instanceof AppError) throw outcome;
    log.info({ signal: outcome, ...delivery.stats }, 'Agent stopping');
    return AGENT_EXIT.ok;
  } finally {
    for (const t of timers) clearInterval(t);
    clearTimeout(retryTimer);
    supervisor?.cancel();
    await scheduler?.stop().catch(() => undefined);
    if (conn && conn.state !== ConnectionState.Refused) await conn.stop();
    await lock.release();
  }
}
