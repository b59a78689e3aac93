/**
 * @module `rampart agent run`: wire identity, packs, host, outbox, delivery, connection and
 * schedule together, and decide the exit code. Long-running by default; `--once` scans once,
 * waits until every queued frame is acknowledged and exits (0, or 3 on timeout).
 */
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { PROTOCOL_VERSION, type HeartbeatFrame, type HelloFrame } from '../../shared/protocol.js';
import type { HostFacts } from '../../shared/result.js';
import { VERSION } from '../../shared/version.js';
import { runScan } from '../engine/runner.js';
import { readHostFacts } from '../engine/facts.js';
import { FixtureHost, liveHost } from '../host/fs-host.js';
import type { Host } from '../host/host.js';
import type { LoadedPacks } from '../rules/load-packs.js';
import { PackUpdates } from './pack-updates.js';
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
}

export async function runAgent(config: AgentConfig, options: RunOptions, rootLog: Logger): Promise<number> {
  const paths = statePaths(config.stateDir);
  await ensureStateDir(paths);
  const { identity, keys } = await requireIdentity(paths);
  const lock = await lockStateDir(paths);
  const log = rootLog.child({ agentId: identity.agentId });
  const timers: NodeJS.Timeout[] = [];
  let conn: Connection | undefined;
  let scheduler: ScanScheduler | undefined;
  try {
    const host: Host = config.fixtureRoot ? new FixtureHost(config.fixtureRoot) : liveHost();
    // Local packs plus the signed packs the collector distributed (verified again at every start).
    const packUpdates = new PackUpdates(config, paths.root, log.child({ module: 'packs' }), () => void scheduler?.trigger('pack'));
    const loaded: LoadedPacks = await packUpdates.init();
    let facts: HostFacts = await readHostFacts(host);
    const tracker = await StateTracker.open(paths.ackedState);
    const outbox = await Outbox.open(paths.outbox, { maxFrames: config.outboxMaxFrames, maxBytes: config.outboxMaxBytes }, log.child({ module: 'outbox' }), tracker.ackedSeq);
    await tracker.rebuild(outbox);
    log.info(
      { stateDir: paths.root, agency: identity.agency, packs: loaded.packs.map((p) => p.ref.id), rules: loaded.packs.reduce((n, p) => n + p.rules.length, 0), outboxDepth: outbox.depth, dropped: outbox.dropped, ackedSeq: tracker.ackedSeq },
      'Agent starting',
    );
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
        hello: (): HelloFrame => ({ v: PROTOCOL_VERSION, type: 'hello', agentId: identity.agentId, agentVersion: VERSION, host: facts, packs: packUpdates.refs, lastAckedSeq: tracker.ackedSeq }),
        pack: (frame) => void packUpdates.receive(frame.bundle),
        heartbeat: (): HeartbeatFrame => ({ v: PROTOCOL_VERSION, type: 'heartbeat', sentAt: new Date().toISOString(), outboxDepth: outbox.depth, dropped: outbox.dropped }),
      },
    });
    delivery.attach(conn);
    const fatal = new Promise<AppError>((resolve) => conn!.once('fatal', resolve));

    const scanLog = log.child({ module: 'scan' });
    scheduler = new ScanScheduler(async (reason: ScanReason) => {
      const loaded = packUpdates.current;
      const report = await runScan({
        host,
        packs: loaded.packs,
        ...(loaded.tailoring
          ? { hostTags: loaded.tailoring.tailoring.hostTags, tailoring: { id: loaded.tailoring.tailoring.tailoring.id, sha256: loaded.tailoring.sha256 } }
          : {}),
      });
      facts = report.host;
      scanLog.info({ reason, scanId: report.scanId, durationMs: report.durationMs, ...report.summary, failBySeverity: undefined }, 'Scan finished');
      await delivery.enqueueScan(report);
    }, scanLog);
    delivery.on('resync', () => void scheduler!.trigger('resync'));
    conn.start();
    const firstScan = scheduler.trigger('start');

    if (options.once) {
      await firstScan;
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
        await scheduler.idle();
        await delivery.idle();
        if (outbox.depth > 0) continue;
        if (!tracker.mustSendFull && !outbox.needFull) break;
        await scheduler.trigger('resync');
      }
      log.info({ ...delivery.stats }, 'Everything acknowledged');
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
    await scheduler?.stop().catch(() => undefined);
    if (conn && conn.state !== ConnectionState.Refused) await conn.stop();
    await lock.release();
  }
}
