/**
 * @module Agent daemon configuration: flags first, then RAMPART_AGENT_<KEY>, then RAMPART_<KEY>,
 * then defaults. Validated once with zod at start (every problem reported at once) and frozen.
 * `process.env` is read nowhere else in the daemon: callers pass `env` in.
 */
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { SCAN_LIMIT_DEFAULTS } from '../watchdog/limits.js';
import { scheduleProblem } from './cron-expression.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const HttpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'an http:// or https:// URL')
  .transform((u) => u.replace(/\/+$/, ''));

const Int = (min: number) => z.coerce.number().int().min(min);

export const AgentConfigSchema = z.strictObject({
  /** Where identity, key, acknowledged state and outbox live. */
  stateDir: z.string().min(1),
  /** Collector base URLs, tried in order (failover). Empty: use the URL stored at enrollment. */
  serverUrls: z.array(HttpUrl),
  /** Cron expression for scans, local time (a scan also runs once at start); the scheduler runs it with the same parser. */
  schedule: z.string().superRefine((s, ctx) => {
    const problem = scheduleProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  /** Random delay before each scheduled scan, so a fleet does not scan (and send) at once. */
  jitterSeconds: Int(0).max(86_400),
  outboxMaxFrames: Int(2),
  outboxMaxBytes: Int(64 * 1024),
  backoffBaseMs: Int(1),
  backoffCapMs: Int(1),
  /** How often the agent sends a digest of its full state (besides after each reconnect). */
  digestIntervalSeconds: Int(1),
  /** Give up connecting or upgrading after this long (then back off and retry). */
  connectTimeoutMs: Int(100),
  logLevel: z.enum(LOG_LEVELS),
  /** Rule packs to run; empty = every pack shipped in rules/. */
  packs: z.array(z.string().min(1)),
  tailoring: z.string().min(1).optional(),
  /** Tests only: scan this captured machine instead of the live host. */
  fixtureRoot: z.string().min(1).optional(),
  /** `--once`: seconds to wait for every frame to be acknowledged (exit 3 after). */
  onceTimeoutSeconds: Int(1),
  /** Public keys trusted to sign rule packs the collector distributes: a directory of .pub files (default <state-dir>/trusted-keys). */
  trustedKeys: z.string().min(1),
  /** Development only (`--allow-unsigned`, never from the environment): accept unsigned pack bundles, loudly. */
  allowUnsigned: z.boolean(),
  /** CA certificate(s) (PEM) to verify an https/wss collector with, instead of the system CAs. */
  caFile: z.string().min(1).optional(),
  /** Client certificate and key (PEM) for collectors that require mutual TLS. */
  clientCert: z.string().min(1).optional(),
  clientKey: z.string().min(1).optional(),
  /** HTTPS_PROXY / NO_PROXY (standard variables): an http:// CONNECT proxy for https collectors (proxy-tunnel.ts). */
  httpsProxy: z.string().min(1).optional(),
  noProxy: z.string().optional(),
  /**
   * Scan watchdog (agent/watchdog/): every scan runs in its own process, stopped when its resident
   * memory (MB), its CPU time (user + system seconds) or its wall time (seconds) exceeds these.
   */
  scanMemoryMb: Int(64).max(65_536),
  scanCpuSeconds: z.coerce.number().min(0.5).max(86_400),
  scanTimeoutSeconds: Int(1).max(86_400),
});
export type AgentConfig = Readonly<z.infer<typeof AgentConfigSchema>>;

/** Values from command-line flags (already parsed); undefined = not given. */
export interface AgentFlags {
  stateDir?: string;
  server?: string[];
  schedule?: string;
  jitterSeconds?: string;
  pack?: string[];
  tailoring?: string;
  logLevel?: string;
  timeout?: string;
  trustedKeys?: string;
  allowUnsigned?: boolean;
  ca?: string;
  clientCert?: string;
  clientKey?: string;
  scanMemoryMb?: string;
  scanCpuSeconds?: string;
  scanTimeoutSeconds?: string;
}

export function defaultStateDir(isRoot = process.getuid?.() === 0, cwd = process.cwd()): string {
  return isRoot ? '/var/lib/rampart-agent' : path.join(cwd, '.rampart', 'agent');
}

function list(value: string | undefined, separator: RegExp): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return value.split(separator).map((s) => s.trim()).filter(Boolean);
}

/** Build and freeze the configuration; throws ERR_CONFIG_INVALID listing every bad setting. */
export function loadAgentConfig(flags: AgentFlags, env: NodeJS.ProcessEnv): AgentConfig {
  const get = (key: string): string | undefined => {
    const v = env[`RAMPART_AGENT_${key}`] ?? env[`RAMPART_${key}`];
    return v === undefined || v === '' ? undefined : v;
  };
  const stateDir = path.resolve(flags.stateDir ?? get('STATE_DIR') ?? defaultStateDir());
  const file = (v: string | undefined) => (v === undefined ? undefined : path.resolve(v));
  const raw = {
    stateDir,
    trustedKeys: path.resolve(flags.trustedKeys ?? get('TRUSTED_KEYS') ?? path.join(stateDir, 'trusted-keys')),
    allowUnsigned: flags.allowUnsigned === true,
    caFile: file(flags.ca ?? get('CA_FILE')),
    clientCert: file(flags.clientCert ?? get('CLIENT_CERT')),
    clientKey: file(flags.clientKey ?? get('CLIENT_KEY')),
    httpsProxy: env.HTTPS_PROXY || env.https_proxy || undefined,
    noProxy: env.NO_PROXY || env.no_proxy || undefined,
    serverUrls: flags.server && flags.server.length > 0 ? flags.server : (list(get('SERVER'), /[,\s]+/) ?? []),
    schedule: flags.schedule ?? get('SCHEDULE') ?? '0 * * * *',
    jitterSeconds: flags.jitterSeconds ?? get('JITTER_SECONDS') ?? 600,
    outboxMaxFrames: get('OUTBOX_MAX_FRAMES') ?? 10_000,
    outboxMaxBytes: get('OUTBOX_MAX_BYTES') ?? 64 * 1024 * 1024,
    backoffBaseMs: get('BACKOFF_BASE_MS') ?? 1_000,
    backoffCapMs: get('BACKOFF_CAP_MS') ?? 300_000,
    digestIntervalSeconds: get('DIGEST_INTERVAL_SECONDS') ?? 6 * 3600,
    connectTimeoutMs: get('CONNECT_TIMEOUT_MS') ?? 15_000,
    logLevel: flags.logLevel ?? get('LOG_LEVEL') ?? 'info',
    packs: flags.pack && flags.pack.length > 0 ? flags.pack : (list(get('PACKS'), /[,:]/) ?? []),
    tailoring: flags.tailoring ?? get('TAILORING'),
    fixtureRoot: env.RAMPART_FIXTURE_ROOT || undefined,
    onceTimeoutSeconds: flags.timeout ?? get('ONCE_TIMEOUT_SECONDS') ?? 300,
    scanMemoryMb: flags.scanMemoryMb ?? get('SCAN_MEMORY_MB') ?? SCAN_LIMIT_DEFAULTS.memoryMb,
    scanCpuSeconds: flags.scanCpuSeconds ?? get('SCAN_CPU_SECONDS') ?? SCAN_LIMIT_DEFAULTS.cpuSeconds,
    scanTimeoutSeconds: flags.scanTimeoutSeconds ?? get('SCAN_TIMEOUT_SECONDS') ?? SCAN_LIMIT_DEFAULTS.timeoutSeconds,
  };
  const parsed = AgentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new AppError('ERR_CONFIG_INVALID', `invalid agent configuration:\n${lines.join('\n')}`, { details: parsed.error.issues });
  }
  const config = parsed.data;
  if ((config.clientCert === undefined) !== (config.clientKey === undefined)) {
    throw new AppError('ERR_CONFIG_INVALID', 'invalid agent configuration:\n  clientCert/clientKey: give both --client-cert and --client-key, or neither');
  }
  if (config.backoffCapMs < config.backoffBaseMs) {
    throw new AppError('ERR_CONFIG_INVALID', `invalid agent configuration:\n  backoffCapMs: must be at least backoffBaseMs (${config.backoffBaseMs})`);
  }
  return Object.freeze({ ...config, serverUrls: Object.freeze([...config.serverUrls]), packs: Object.freeze([...config.packs]) }) as AgentConfig;
}
