/**
 * @module What the watchdog remembers across scans and restarts, in <state-dir>/watchdog.json:
 * how many scans in a row it had to stop (for the retry backoff) and the rules it set aside
 * because a scan stopped while evaluating them, each until its expiry (osquery keeps the same
 * denylist of queries that were running when its worker was killed, for 24 hours).
 */
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { readFileIfExists, writeFileAtomic } from '../daemon/atomic-file.js';
import { WATCHDOG_POLICY } from './limits.js';
import type { DenyEntry } from './messages.js';

const StrikesFileSchema = z.strictObject({
  /** Scans stopped in a row (0 after a scan that finished). */
  stopsInARow: z.number().int().nonnegative(),
  lastStop: z.strictObject({ at: z.string(), code: z.string(), message: z.string() }).optional(),
  denylist: z.record(z.string(), z.strictObject({ until: z.string(), code: z.string(), message: z.string() })),
});
type StrikesFile = z.infer<typeof StrikesFileSchema>;

export class Strikes {
  private constructor(
    private readonly file: string,
    private data: StrikesFile,
  ) {}

  static empty(file: string): Strikes {
    return new Strikes(file, { stopsInARow: 0, denylist: {} });
  }

  /** Read <state-dir>/watchdog.json (none yet: empty); ERR_AGENT_STATE_CORRUPT if unreadable. */
  static async open(file: string): Promise<Strikes> {
    const text = await readFileIfExists(file);
    if (text === undefined) return Strikes.empty(file);
    let parsed;
    try {
      parsed = StrikesFileSchema.safeParse(JSON.parse(text));
    } catch (err) {
      throw new AppError('ERR_AGENT_STATE_CORRUPT', `${file} is not JSON`, { cause: err });
    }
    if (!parsed.success) throw new AppError('ERR_AGENT_STATE_CORRUPT', `${file}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return new Strikes(file, parsed.data);
  }

  get stopsInARow(): number {
    return this.data.stopsInARow;
  }

  /** Rules set aside now (expired entries are left out). */
  denylist(now = Date.now()): DenyEntry[] {
    return Object.entries(this.data.denylist)
      .filter(([, e]) => Date.parse(e.until) > now)
      .map(([ruleId, e]) => ({ ruleId, ...e }))
      .sort((a, b) => (a.ruleId < b.ruleId ? -1 : 1));
  }

  /** A scan was stopped; `blamed` rules are set aside for WATCHDOG_POLICY.denylistSeconds. */
  async noteStop(stop: { code: string; message: string }, blamed: readonly string[], now = Date.now()): Promise<void> {
    this.data.stopsInARow++;
    this.data.lastStop = { at: new Date(now).toISOString(), ...stop };
    const until = new Date(now + WATCHDOG_POLICY.denylistSeconds * 1000).toISOString();
    for (const ruleId of blamed) this.data.denylist[ruleId] = { until, code: stop.code, message: stop.message };
    await this.persist(now);
  }

  /** A scan finished: the run of stops is over (the denylist keeps its expiries). */
  async noteFinished(now = Date.now()): Promise<void> {
    const expired = Object.values(this.data.denylist).some((e) => Date.parse(e.until) <= now);
    if (this.data.stopsInARow === 0 && !expired) return;
    this.data.stopsInARow = 0;
    await this.persist(now);
  }

  private async persist(now: number): Promise<void> {
    for (const [id, e] of Object.entries(this.data.denylist)) if (Date.parse(e.until) <= now) delete this.data.denylist[id];
    await writeFileAtomic(this.file, JSON.stringify(this.data, null, 2) + '\n');
  }
}
