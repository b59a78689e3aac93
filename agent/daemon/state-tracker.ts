/**
 * @module Delivery state: the last ACKNOWLEDGED rule state (persisted in acked-state.json
 * together with the highest acknowledged seq) and the baseline the next scan is compared
 * with = acknowledged state + every results frame still queued in the outbox, i.e. what the
 * collector will hold once the outbox drains. A resync request is persisted too, so a crash
 * between the request and the next scan still sends the full state.
 */
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import type { ResultsFrame } from '../../shared/protocol.js';
import type { StateDigest } from '../../shared/state-digest.js';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';
import type { Outbox } from './outbox.js';
import { applyResultsFrame, digestOf, RuleEntrySchema, stateFromJson, stateToJson, type RuleState } from './rule-state.js';

const ScanRefSchema = z.strictObject({ scanId: z.string(), scannedAt: z.string() });
export type ScanRef = z.infer<typeof ScanRefSchema>;

const AckedStateFileSchema = z.strictObject({
  ackedSeq: z.number().int().nonnegative(),
  rules: z.record(z.string(), RuleEntrySchema),
  lastScan: ScanRefSchema.optional(),
  /** The collector asked for a full resend (resync) that has not been queued yet. */
  fullRequested: z.boolean(),
});
type AckedStateFile = z.infer<typeof AckedStateFileSchema>;

export class StateTracker {
  /** State of the last acknowledged results, in seq order. */
  private acked: RuleState = new Map();
  private ackedScan: ScanRef | undefined;
  /** Acked state + queued frames: what the collector will hold after the outbox drains. */
  private base: RuleState = new Map();
  private baseScan: ScanRef | undefined;
  private seq = 0;
  private fullRequested = false;

  private constructor(private readonly file: string) {}

  static async open(file: string): Promise<StateTracker> {
    const tracker = new StateTracker(file);
    const text = await readFileIfExists(file);
    if (text !== undefined) {
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch (err) {
        throw new AppError('ERR_AGENT_STATE_CORRUPT', `${file} is not JSON`, { cause: err });
      }
      const parsed = AckedStateFileSchema.safeParse(data);
      if (!parsed.success) throw new AppError('ERR_AGENT_STATE_CORRUPT', `${file}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      tracker.acked = stateFromJson(parsed.data.rules);
      tracker.ackedScan = parsed.data.lastScan;
      tracker.seq = parsed.data.ackedSeq;
      tracker.fullRequested = parsed.data.fullRequested;
    }
    tracker.base = new Map(tracker.acked);
    tracker.baseScan = tracker.ackedScan;
    return tracker;
  }

  /** Highest seq the collector has acknowledged. */
  get ackedSeq(): number {
    return this.seq;
  }

  get baseline(): RuleState {
    return this.base;
  }

  get lastScan(): ScanRef | undefined {
    return this.baseScan;
  }

  get ackedRuleCount(): number {
    return this.acked.size;
  }

  /** True when the next scan must be sent in full (resync, or nothing acknowledged yet). */
  get mustSendFull(): boolean {
    return this.fullRequested || (this.seq === 0 && this.acked.size === 0);
  }

  /** Rebuild the baseline from the acknowledged state and the frames still queued. */
  async rebuild(outbox: Outbox): Promise<void> {
    this.base = new Map(this.acked);
    this.baseScan = this.ackedScan;
    for (const seq of outbox.seqs()) {
      const env = await outbox.read(seq);
      if (env?.frame.type === 'results') this.noteQueued(env.frame as unknown as ResultsFrame);
    }
  }

  /** A results frame was written to the outbox. */
  noteQueued(frame: ResultsFrame): void {
    applyResultsFrame(this.base, frame);
    this.baseScan = { scanId: frame.scanId, scannedAt: frame.scannedAt };
  }

  /** The collector acknowledged a frame: fold it into the acknowledged state and persist. */
  async noteAcked(frame: { seq: number; type: string }): Promise<void> {
    this.applyAcked(frame);
    await this.persist();
  }

  /** Fold an acknowledged frame in memory only; call persist() before removing it from the outbox. */
  applyAcked(frame: { seq: number; type: string }): void {
    if (frame.type === 'results') {
      const results = frame as unknown as ResultsFrame;
      applyResultsFrame(this.acked, results);
      this.ackedScan = { scanId: results.scanId, scannedAt: results.scannedAt };
    }
    this.seq = Math.max(this.seq, frame.seq);
  }

  /** The collector asked for the full state (resync), or results were dropped. */
  async requestFull(): Promise<void> {
    if (this.fullRequested) return;
    this.fullRequested = true;
    await this.persist();
  }

  /** A full state has been queued; the request is satisfied. */
  async fullQueued(): Promise<void> {
    if (!this.fullRequested) return;
    this.fullRequested = false;
    await this.persist();
  }

  digest(): StateDigest {
    return digestOf(this.base);
  }

  async persist(): Promise<void> {
    const body: AckedStateFile = { ackedSeq: this.seq, rules: stateToJson(this.acked), fullRequested: this.fullRequested };
    if (this.ackedScan) body.lastScan = this.ackedScan;
    await writeFileAtomic(this.file, JSON.stringify(body));
  }
}
