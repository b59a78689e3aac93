/**
 * @module Collector configuration: command-line flags over RAMPART_* environment variables over
 * defaults, validated once with zod (every problem reported at once) and frozen.
 * process.env is read here and nowhere else in server/.
 */
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../shared/errors.js';
import { PROTOCOL_DEFAULTS, MAX_RESULTS_PER_FRAME_LIMIT } from '../shared/protocol.js';

export const DEFAULT_DATA_DIR = path.join('.rampart', 'server');
export const DEFAULT_PORT = 8420;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const ServerConfigSchema = z.strictObject({
  /** Directory of the SQLite database (created if missing). */
  dataDir: z.string().min(1).default(DEFAULT_DATA_DIR),
  host: z.string().min(1).default('127.0.0.1'),
  /** 0 picks a free port (tests). */
  port: int(0, 65535).default(DEFAULT_PORT),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest agent frame in bytes. */
  maxFrameBytes: int(1024, 64 * 1024 * 1024).default(PROTOCOL_DEFAULTS.maxFrameBytes),
  /** Unacknowledged frames each agent may have in flight (announced in welcome). */
  window: int(1, 256).default(PROTOCOL_DEFAULTS.window),
  maxResultsPerFrame: int(1, MAX_RESULTS_PER_FRAME_LIMIT).default(PROTOCOL_DEFAULTS.maxResultsPerFrame),
  /** ws ping interval; a socket that missed a whole interval is terminated. */
  heartbeatSeconds: int(1, 3600).default(PROTOCOL_DEFAULTS.heartbeatSeconds),
  challengeSeconds: int(5, 3600).default(PROTOCOL_DEFAULTS.challengeSeconds),
  /** Results per ingest transaction (bounds how long one commit holds the event loop). */
  batchMaxResults: int(1, 100_000).default(2000),
  /** Longest a frame waits for its batch to fill before it is committed. */
  flushMs: int(0, 1000).default(10),
  /** Parsed frames waiting for a commit before the collector stops reading sockets. */
  maxPendingResults: int(100, 10_000_000).default(8000),
  /** Raw bytes queued before parsing, after which sockets are paused. */
  inboxHighWaterBytes: int(64 * 1024, 1024 * 1024 * 1024).default(8 * 1024 * 1024),
  /** How often last_seen is written (batched for all connected agents). */
  lastSeenFlushSeconds: int(1, 3600).default(5),
  /** How often revocations made by another process (the CLI) are picked up. */
  revocationPollMs: int(50, 60_000).default(500),
  /** Findings due within this many days count as "due soon". */
  dueSoonDays: int(1, 365).default(14),
  /** SQLite synchronous mode: NORMAL survives process crashes, FULL also power loss. */
  sqliteSync: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  busyTimeoutMs: int(0, 600_000).default(5000),
  /** PostgreSQL instead of SQLite: postgres://user@host:port/db (--database, RAMPART_DATABASE_URL). */
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//i, 'must be a postgres:// URL').optional(),
  /** PostgreSQL schema holding the tables (created if missing); default: the server's search_path. */
  databaseSchema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _').optional(),
  /** PostgreSQL connections per collector process. */
  databasePoolSize: int(1, 200).default(10),
  /** PostgreSQL: ingest batches committed at once (SQLite always commits one at a time). */
  ingestConcurrency: int(1, 32).default(4),
  /** `rampart server start`: V8 heap growth between full collections, in % of the live data (server/heap-growth.ts); 0 keeps V8's own heuristics. */
  heapGrowthPercent: int(0, 1000).default(50),
  /** TLS: PEM certificate chain and private key; both set → https and wss (docs/SECURITY.md). Reloaded on SIGHUP. */
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  /** Mutual TLS for agents: CA (PEM) that agent client certificates must chain to (enroll, challenge, WebSocket). */
  clientCa: z.string().min(1).optional(),
  /** Abuse limits (docs/SECURITY.md): frames per second per agent connection (burst: twice as many). */
  maxFramesPerSecond: int(1, 100_000).default(1000),
  /** An agent must send hello within this long after its WebSocket opened. */
  helloTimeoutMs: int(100, 600_000).default(10_000),
  /** Upgrade authentication (and the HTTP request headers) must complete within this long. */
  authTimeoutMs: int(100, 600_000).default(10_000),
  /** Agent sockets (open or upgrading) per source address (high by default: whole sites sit behind one NAT address). */
  maxConnectionsPerAddress: int(1, 1_000_000).default(10_000),
  /** Upgrade attempts per agent id per minute (a flapping or cloned agent cannot hammer the store). */
  maxUpgradesPerAgentPerMinute: int(1, 10_000).default(30),
  /** Bytes queued for one agent socket above which it counts as a slow consumer. */
  sendBufferLimitBytes: int(1024, 1024 * 1024 * 1024).default(16 * 1024 * 1024),
  /** A slow consumer over the limit this long is terminated. */
  slowConsumerMs: int(100, 600_000).default(15_000),
  /** Built dashboard assets (index.html, app.js, styles.css); default: dist/dashboard next to the built CLI. */
  dashboardDir: z.string().min(1).optional(),
});
export type ServerConfig = Readonly<z.infer<typeof ServerConfigSchema>>;
export type ServerConfigInput = z.input<typeof ServerConfigSchema>;

/** Environment variable for each setting: dataDir → RAMPART_DATA_DIR, maxFrameBytes → RAMPART_MAX_FRAME_BYTES ... */
export function envName(key: string): string {
  return `RAMPART_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/**
 * Build the frozen config: explicit values (flags) win over RAMPART_* variables, which win over
 * defaults. Throws ERR_CONFIG_INVALID naming every bad setting.
 */
export function loadServerConfig(flags: Partial<Record<keyof ServerConfigInput, unknown>> = {}, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(ServerConfigSchema.shape)) {
    const flag = (flags as Record<string, unknown>)[key];
    const fromEnv = env[envName(key)];
    if (flag !== undefined) input[key] = flag;
    else if (fromEnv !== undefined && fromEnv !== '') input[key] = fromEnv;
  }
  const parsed = ServerConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      return `${key} (--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} / ${envName(key)}): ${i.message}`;
    });
    throw new AppError('ERR_CONFIG_INVALID', `invalid collector settings: ${problems.join('; ')}`, { details: problems });
  }
  return Object.freeze({ ...parsed.data, dataDir: path.resolve(parsed.data.dataDir) });
}
