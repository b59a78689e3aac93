/**
 * @module The channel between the agent daemon and a scan process (Node IPC, JSON): the one job
 * the daemon sends, and every message the scan process may send back. Both sides parse with these
 * schemas; the daemon never trusts a scan process's output beyond them.
 */
import { z } from 'zod';
import { PackRefSchema, ScanReportSchema } from '../../shared/result.js';

/**
 * The fixed arguments that make our own entry (dist/rampart.js, rampart-agent.mjs or the single
 * executable) a scan process. Nothing the collector sends ever reaches a command line.
 */
export const WORKER_ARGS = ['agent', 'scan-worker'] as const;

/** What a scan process needs of the agent configuration (validated again on its side). */
export const WorkerSettingsSchema = z.strictObject({
  stateDir: z.string().min(1),
  packs: z.array(z.string().min(1)),
  tailoring: z.string().min(1).optional(),
  trustedKeys: z.string().min(1),
  allowUnsigned: z.boolean(),
  fixtureRoot: z.string().min(1).optional(),
  logLevel: z.string().min(1),
});
export type WorkerSettings = z.infer<typeof WorkerSettingsSchema>;

/** A rule set aside after a scan that was evaluating it was stopped (agent/watchdog/strikes.ts). */
export const DenyEntrySchema = z.strictObject({
  ruleId: z.string().min(1),
  until: z.string(),
  code: z.string(),
  message: z.string(),
});
export type DenyEntry = z.infer<typeof DenyEntrySchema>;

export const JobSchema = z.strictObject({
  type: z.literal('job'),
  /** The daemon's version: a scan process of another version (upgraded files) refuses the job. */
  version: z.string(),
  /** scan: load the packs and scan; install: verify and install one pack bundle from the collector. */
  kind: z.enum(['scan', 'install']),
  agentId: z.string(),
  settings: WorkerSettingsSchema,
  denylist: z.array(DenyEntrySchema),
  /** install only: the bundle exactly as the collector's `pack` frame carried it (data, verified by signature). */
  bundle: z.unknown().optional(),
});
export type Job = z.infer<typeof JobSchema>;

export const PackUpdateOutcomeSchema = z.union([
  z.strictObject({ status: z.enum(['installed', 'unchanged']), packId: z.string(), version: z.string() }),
  z.strictObject({ status: z.literal('refused'), code: z.string(), message: z.string() }),
]);
export type PackUpdateOutcome = z.infer<typeof PackUpdateOutcomeSchema>;

const IdList = z.array(z.string()).max(100_000);

/** What became of the V8 code cache of the scan-worker bundle in one scan process (agent/worker/code-cache.ts). */
export const CodeCacheStatusSchema = z.enum(['accepted', 'written', 'rejected', 'off', 'unwritable']);
export type CodeCacheStatus = z.infer<typeof CodeCacheStatusSchema>;

export const WorkerMessageSchema = z.discriminatedUnion('type', [
  /** The packs this job runs with (sent as soon as they are loaded: the daemon's hello needs them). */
  z.strictObject({ type: z.literal('packs'), packs: z.array(PackRefSchema) }),
  /** The rules the scan is about to evaluate… */
  z.strictObject({ type: z.literal('rules'), ids: IdList }),
  /** …and those that finished: what is unfinished when the watchdog stops a scan is what it blames. */
  z.strictObject({ type: z.literal('done'), ids: IdList }),
  z.strictObject({ type: z.literal('report'), report: ScanReportSchema }),
  z.strictObject({ type: z.literal('installed'), outcome: PackUpdateOutcomeSchema, packs: z.array(PackRefSchema) }),
  /** A coded failure the scan process caught (broken local packs, a refused job). */
  z.strictObject({ type: z.literal('failed'), code: z.string(), message: z.string() }),
  /**
   * The last message: what the whole process cost (Node's start-up included), and where: CPU spent
   * before the job arrived (start-up, loading our code), loading the packs, and the job itself.
   */
  z.strictObject({
    type: z.literal('usage'),
    cpuMs: z.number().nonnegative(),
    childrenCpuMs: z.number().nonnegative(),
    maxRssKb: z.number().nonnegative(),
    phases: z.strictObject({ startupMs: z.number().nonnegative(), packsMs: z.number().nonnegative(), jobMs: z.number().nonnegative() }).optional(),
    codeCache: CodeCacheStatusSchema.optional(),
  }),
]);
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;
