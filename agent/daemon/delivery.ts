/**
 * @module Delivery: turns scans into sequenced frames in the outbox (full or delta, split to the
 * collector's limits, plus digests) and drains the outbox over a Ready connection, keeping at
 * most `window` frames unacknowledged in flight. On every (re)connect everything still in the
 * outbox is sent again from the oldest seq (the collector dedupes by (agent, seq)); a frame
 * leaves the outbox only when its ack arrives, after the acknowledged state is persisted.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from '../../shared/log.js';
import {
  CLOSE_CODES,
  PROTOCOL_DEFAULTS,
  PROTOCOL_VERSION,
  type AckFrame,
  type DigestFrame,
  type ResultsFrame,
  type ResyncFrame,
  type WelcomeFrame,
} from '../../shared/protocol.js';
import type { PackRef, RuleResult, ScanReport } from '../../shared/result.js';
import type { Connection, ConnectionHandlers } from './connection.js';
import type { Outbox, SeqFrame } from './outbox.js';
import { planDelta, splitPlan } from './rule-state.js';
import type { StateTracker } from './state-tracker.js';

/** Closes with the same oldest frame in flight before that frame is set aside. */
const POISON_STRIKES = 3;

/** Bytes kept free in each frame for the envelope (packs, ids) around the results. */
const ENVELOPE_RESERVE = 64 * 1024;

export interface DeliveryEvents {
  /** The outbox became empty: everything produced so far is acknowledged. */
  drained: [];
  /** The collector asked for the full state; the daemon should scan now. */
  resync: [string];
}

export interface EnqueueSummary {
  full: boolean;
  frames: number;
  results: number;
  removed: number;
  seqs: number[];
}

export class Delivery extends EventEmitter<DeliveryEvents> {
  private conn: Connection | undefined;
  private readonly inFlight = new Set<number>();
  private readonly ackQueue: number[] = [];
  private suspect: { seq: number; strikes: number } | undefined;
  private window = 0;
  private maxResultsPerFrame: number = PROTOCOL_DEFAULTS.maxResultsPerFrame;
  private maxFrameBytes: number = PROTOCOL_DEFAULTS.maxFrameBytes;
  private pumping = false;
  private pumpAgain = false;
  /** Serialises every change to outbox and tracker. */
  private chain: Promise<unknown> = Promise.resolve();
  private sent = 0;
  private acked = 0;

  constructor(
    private readonly outbox: Outbox,
    private readonly tracker: StateTracker,
    private readonly log: Logger,
  ) {
    super();
  }

  attach(conn: Connection): void {
    this.conn = conn;
  }

  get stats(): { depth: number; inFlight: number; sent: number; acked: number; dropped: number } {
    return { depth: this.outbox.depth, inFlight: this.inFlight.size, sent: this.sent, acked: this.acked, dropped: this.outbox.dropped };
  }

  /** Connection callbacks owned by delivery. */
  handlers(): Pick<ConnectionHandlers, 'ready' | 'frame' | 'down'> {
    return {
      ready: (welcome) => void this.onWelcome(welcome),
      frame: (frame) => (frame.type === 'ack' ? this.onAck(frame) : this.onResync(frame)),
      down: (closeCode) => {
        this.window = 0;
        const oldest = Math.min(...this.inFlight);
        this.inFlight.clear();
        this.notePoison(closeCode, oldest);
      },
    };
  }

  /**
   * Queue the frames of one scan: the full state when owed, else what changed. If queueing the
   * delta itself overflowed the outbox (dropping older results), queue the full state right
   * after it, so the collector converges without waiting for another scan.
   */
  enqueueScan(report: ScanReport): Promise<EnqueueSummary> {
    return this.serial(async () => {
      let summary = await this.queuePlan(report, this.tracker.mustSendFull || this.outbox.needFull);
      if (!summary.full && this.outbox.needFull) summary = await this.queuePlan(report, true);
      this.pump();
      return summary;
    });
  }

  private async queuePlan(report: ScanReport, forceFull: boolean): Promise<EnqueueSummary> {
    const plan = planDelta(this.tracker.baseline, report.results, forceFull);
    const parts = splitPlan(plan, { maxResults: this.maxResultsPerFrame, maxBytes: Math.max(this.maxFrameBytes - ENVELOPE_RESERVE, this.maxFrameBytes / 2) });
    const seqs: number[] = [];
    for (const part of parts) {
      const env = await this.outbox.append((seq) => {
        const frame: ResultsFrame = {
          v: PROTOCOL_VERSION,
          type: 'results',
          seq,
          scanId: report.scanId,
          scannedAt: report.startedAt,
          packs: report.packs,
          full: plan.full,
          results: part.results,
        };
        if (part.part !== undefined) frame.part = part.part;
        if (part.parts !== undefined) frame.parts = part.parts;
        if (part.removed !== undefined && part.removed.length > 0) frame.removed = part.removed;
        return frame as unknown as SeqFrame;
      });
      this.tracker.noteQueued(env.frame as unknown as ResultsFrame);
      seqs.push(env.frame.seq);
    }
    // Owed full state satisfied, unless the overflow policy already dropped a part of this one.
    if (plan.full && seqs.every((s) => this.outbox.has(s))) {
      await this.tracker.fullQueued();
      await this.outbox.clearNeedFull();
    }
    const summary = { full: plan.full, frames: parts.length, results: plan.results.length, removed: plan.removed.length, seqs };
    this.log.info({ scanId: report.scanId, full: summary.full, frames: summary.frames, results: summary.results, removed: summary.removed, firstSeq: seqs[0], lastSeq: seqs.at(-1), depth: this.outbox.depth }, 'Scan queued');
    return summary;
  }

  /**
   * Queue one result that did not come from a finished scan (the watchdog stopped the scan): a
   * delta frame of its own that changes nothing else. A full state still owed stays owed.
   */
  enqueueEvent(result: RuleResult, packs: PackRef[], scannedAt: string): Promise<number> {
    return this.serial(async () => {
      const env = await this.outbox.append((seq) => {
        const frame: ResultsFrame = { v: PROTOCOL_VERSION, type: 'results', seq, scanId: randomUUID(), scannedAt, packs, full: false, results: [result] };
        return frame as unknown as SeqFrame;
      });
      this.tracker.noteQueued(env.frame as unknown as ResultsFrame);
      this.log.info({ seq: env.frame.seq, ruleId: result.ruleId, code: result.error?.code, depth: this.outbox.depth }, 'Watchdog event queued');
      this.pump();
      return env.frame.seq;
    });
  }

  /** Queue a digest of the state the collector will hold once the outbox drains. */
  enqueueDigest(): Promise<number | undefined> {
    return this.serial(async () => {
      const scan = this.tracker.lastScan;
      if (!scan) return undefined;
      // A digest is advisory: never let it push results out of a full outbox.
      if (this.outbox.atCapacity) {
        this.log.debug({ depth: this.outbox.depth }, 'Outbox full; digest skipped');
        return undefined;
      }
      const d = this.tracker.digest();
      const env = await this.outbox.append((seq) => {
        const frame: DigestFrame = { v: PROTOCOL_VERSION, type: 'digest', seq, scanId: scan.scanId, scannedAt: scan.scannedAt, count: d.count, sha256: d.sha256 };
        return frame as unknown as SeqFrame;
      });
      this.log.debug({ seq: env.frame.seq, count: d.count }, 'Digest queued');
      this.pump();
      return env.frame.seq;
    });
  }

  /** Resolves when every state change queued so far (acks, resync requests) is done. */
  async idle(): Promise<void> {
    let seen: Promise<unknown>;
    do {
      seen = this.chain;
      await seen;
    } while (seen !== this.chain);
  }

  /** Resolve true once the outbox is empty, false after `timeoutMs`. */
  waitDrained(timeoutMs: number): Promise<boolean> {
    if (this.outbox.depth === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.off('drained', done);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.once('drained', done);
    });
  }

  private onWelcome(welcome: WelcomeFrame): Promise<void> {
    return this.serial(async () => {
      this.inFlight.clear();
      this.maxResultsPerFrame = welcome.maxResultsPerFrame;
      this.maxFrameBytes = welcome.maxFrameBytes;
      // Frames the collector already committed (their ack was lost with the old connection).
      for (const seq of this.outbox.seqs()) {
        if (seq > welcome.lastSeq) break;
        await this.settle(seq);
      }
      if (welcome.lastSeq >= this.outbox.nextSeq) {
        this.log.error({ lastSeq: welcome.lastSeq, nextSeq: this.outbox.nextSeq }, 'Collector holds seqs this agent never wrote (state dir restored from an old copy?); skipping ahead and sending the full state');
        await this.outbox.advanceTo(welcome.lastSeq + 1);
        await this.tracker.requestFull();
      } else if (welcome.lastSeq < this.tracker.ackedSeq) {
        this.log.warn({ lastSeq: welcome.lastSeq, ackedSeq: this.tracker.ackedSeq }, 'Collector lost acknowledged frames (restored from backup?); the next scan sends the full state');
        await this.tracker.requestFull();
      }
      this.window = welcome.window;
    }).then(async () => {
      // After every reconnect, let the collector check it holds the same state.
      await this.enqueueDigest();
      this.pump();
      if (this.outbox.depth === 0) this.emit('drained');
    });
  }

  /**
   * Acks are folded in batches: every ack that arrived while the previous batch was being
   * written is applied in memory, the acknowledged state is persisted ONCE, and only then are
   * the frames removed from the outbox (one fsync pair per batch instead of per frame).
   */
  private onAck(ack: AckFrame): void {
    if (ack.status === 'duplicate') this.log.debug({ seq: ack.seq }, 'Collector already had this frame');
    this.ackQueue.push(ack.seq);
    if (this.ackQueue.length > 1) return;
    void this.serial(async () => {
      const seqs = this.ackQueue.splice(0).sort((a, b) => a - b);
      const present: number[] = [];
      for (const seq of seqs) {
        const env = await this.outbox.read(seq);
        if (env) {
          this.tracker.applyAcked(env.frame);
          present.push(seq);
        } else this.tracker.applyAcked({ seq, type: 'ack' });
      }
      await this.tracker.persist();
      for (const seq of present) await this.outbox.remove(seq);
      for (const seq of seqs) this.inFlight.delete(seq);
      this.acked += seqs.length;
    }).then(() => {
      this.pump();
      if (this.outbox.depth === 0) this.emit('drained');
    });
  }

  /** Fold an acknowledged frame into the acknowledged state, then remove it from the outbox. */
  private async settle(seq: number): Promise<void> {
    const env = await this.outbox.read(seq);
    if (!env) {
      // Dropped by overflow or already settled: still remember the collector has it.
      if (seq > this.tracker.ackedSeq) await this.tracker.noteAcked({ seq, type: 'ack' });
      return;
    }
    await this.tracker.noteAcked(env.frame);
    await this.outbox.remove(seq);
  }

  private onResync(frame: ResyncFrame): void {
    this.log.info({ reason: frame.reason }, 'Collector asked for the full state');
    void this.serial(() => this.tracker.requestFull()).then(() => this.emit('resync', frame.reason));
  }

  /**
   * A frame the collector refuses as invalid or too large (close 4400/4413) would be resent
   * after every reconnect forever. The collector handles frames in order, so the suspect is the
   * oldest frame in flight; after POISON_STRIKES closes in a row with the same suspect it is
   * set aside (outbox.quarantine: counted as dropped, full state owed) so delivery moves on.
   */
  private notePoison(closeCode: number, oldest: number): void {
    if ((closeCode !== CLOSE_CODES.invalidFrame && closeCode !== CLOSE_CODES.frameTooLarge && closeCode !== CLOSE_CODES.messageTooBig) || !Number.isFinite(oldest)) {
      this.suspect = undefined;
      return;
    }
    this.suspect = this.suspect?.seq === oldest ? { seq: oldest, strikes: this.suspect.strikes + 1 } : { seq: oldest, strikes: 1 };
    if (this.suspect.strikes < POISON_STRIKES) return;
    const seq = oldest;
    this.suspect = undefined;
    void this.serial(async () => {
      if (await this.outbox.quarantine(seq)) {
        this.log.error({ seq, closeCode, dropped: this.outbox.dropped }, 'Collector keeps refusing this frame; set aside as rejected, the next scan sends the full state');
      }
    });
  }

  /** Send queued frames in seq order while the window has room. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void (async () => {
      try {
        do {
          this.pumpAgain = false;
          for (const seq of this.outbox.seqs()) {
            if (!this.conn || this.window === 0 || this.inFlight.size >= this.window) break;
            if (this.inFlight.has(seq)) continue;
            const env = await this.outbox.read(seq);
            if (!env) continue;
            if (!this.conn.send(env.frame as unknown as ResultsFrame)) break;
            this.inFlight.add(seq);
            this.sent++;
          }
        } while (this.pumpAgain);
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'Sending from the outbox failed');
      } finally {
        this.pumping = false;
      }
    })();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'Delivery state update failed'));
    return run;
  }
}
