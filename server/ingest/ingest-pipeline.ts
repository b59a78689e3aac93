/**
 * @module The ingest pipeline: validated sequenced frames wait here until a batch fills
 * (batchMaxResults) or flushMs passes, are committed in one bounded transaction, and only then
 * acknowledged. One commit at a time, in arrival order; setImmediate between batches keeps the
 * event loop free for health checks, pings and revocations.
 */
import { AppError, isAppError } from '../../shared/errors.js';
import { PROTOCOL_VERSION, type DigestFrame, type ResultsFrame } from '../../shared/protocol.js';
import type { Logger } from '../../shared/log.js';
import type { IngestFrame, IngestOutcome, Store } from '../store/store.js';
import type { AgentConnection } from '../gateway/agent-connection.js';

export interface PipelineOptions {
  batchMaxResults: number;
  flushMs: number;
  maxPendingResults: number;
  /**
   * Batches committed at once (default 1). Above 1 (PostgreSQL: the commit waits on the network
   * and on fsync, so overlapping commits raise throughput), an agent's frames are never in two
   * batches in flight: its acks keep their order.
   */
  concurrency?: number;
}

interface Pending {
  conn: AgentConnection;
  item: IngestFrame;
  weight: number;
}

export interface PipelineStats {
  framesStored: number;
  framesDuplicate: number;
  resultsStored: number;
  batches: number;
  failures: number;
  /** Most batches ever committing at once (1 unless `concurrency` allows more). */
  peakConcurrent: number;
}

export class IngestPipeline {
  private queue: Pending[] = [];
  private head = 0;
  private pendingResults = 0;
  /** Batches being committed now, and the agents they hold. */
  private committing = 0;
  private readonly busy = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  /** Called when the pipeline drains below its high-water mark (the inbox resumes parsing). */
  onDrain: () => void = () => {};
  /** Called for each frame after it is committed and acknowledged (live updates; must be cheap and never throw). */
  onStored: (identity: AgentConnection['identity'], item: IngestFrame, outcome: IngestOutcome) => void = () => {};
  readonly stats: PipelineStats = { framesStored: 0, framesDuplicate: 0, resultsStored: 0, batches: 0, failures: 0, peakConcurrent: 0 };

  constructor(
    private readonly store: Store,
    private readonly options: PipelineOptions,
    private readonly log: Logger,
  ) {}

  /** True when enough is pending that the inbox should stop parsing more frames. */
  get full(): boolean {
    return this.pendingResults >= this.options.maxPendingResults;
  }

  get depth(): number {
    return this.queue.length - this.head;
  }

  enqueue(conn: AgentConnection, frame: ResultsFrame | DigestFrame): void {
    const weight = frame.type === 'results' ? Math.max(1, frame.results.length) : 1;
    this.queue.push({ conn, weight, item: { agentId: conn.agentId, agencyId: conn.identity.agencyId, frame, receivedAt: new Date().toISOString() } });
    this.pendingResults += weight;
    this.schedule();
  }

  private schedule(): void {
    if (this.committing >= (this.options.concurrency ?? 1) || this.closed) return;
    if (this.pendingResults >= this.options.batchMaxResults || this.options.flushMs === 0) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      this.immediate ??= setImmediate(() => {
        this.immediate = null;
        void this.flush();
      });
    } else if (!this.timer && !this.immediate) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, this.options.flushMs);
    }
  }

  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const deferred: Pending[] = [];
    let results = 0;
    while (this.head < this.queue.length) {
      const p = this.queue[this.head]!;
      if (batch.length > 0 && results + p.weight > this.options.batchMaxResults) break;
      // Drop the queue's reference at once: a parsed frame is large and must not outlive its batch.
      this.queue[this.head] = undefined as unknown as Pending;
      this.head++;
      // An agent with a batch in flight waits for it (only when commits overlap).
      if (this.busy.has(p.conn.agentId)) {
        deferred.push(p);
        continue;
      }
      this.pendingResults -= p.weight;
      // A revoked agent's frames are never stored, even if they were already parsed.
      if (p.conn.revoked) continue;
      batch.push(p);
      results += p.weight;
    }
    // Deferred frames go back in front of the rest, in their order (their slots are free).
    this.head -= deferred.length;
    for (let i = 0; i < deferred.length; i++) this.queue[this.head + i] = deferred[i]!;
    if (this.head > 256 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  private async flush(): Promise<void> {
    if (this.committing >= (this.options.concurrency ?? 1)) return;
    const batch = this.takeBatch();
    if (batch.length === 0) {
      // Nothing takeable: the queue is empty, or every frame waits for its agent's batch in
      // flight (whose completion schedules the next flush).
      if (this.committing === 0) for (const w of this.idleWaiters.splice(0)) w();
      if (!this.full) this.onDrain();
      return;
    }
    this.committing++;
    if (this.committing > this.stats.peakConcurrent) this.stats.peakConcurrent = this.committing;
    for (const p of batch) this.busy.add(p.conn.agentId);
    // Room for another commit: let the next batch start while this one runs.
    if (this.depth > 0) this.schedule();
    try {
      await this.commit(batch);
    } finally {
      this.committing--;
      for (const p of batch) this.busy.delete(p.conn.agentId);
    }
    if (this.depth > 0) this.schedule();
    else if (this.committing === 0) for (const w of this.idleWaiters.splice(0)) w();
    if (!this.full) this.onDrain();
  }

  private async commit(batch: Pending[]): Promise<void> {
    let outcomes: IngestOutcome[];
    try {
      outcomes = await this.store.ingest(batch.map((p) => p.item));
    } catch (err) {
      this.stats.failures++;
      this.log.error({ err, frames: batch.length }, 'ingest batch failed; retrying frame by frame');
      // Find the frame that breaks the batch; the others are stored and acknowledged.
      for (const p of batch) {
        try {
          const [one] = await this.store.ingest([p.item]);
          this.acknowledge(p, one!);
        } catch (e) {
          const appErr = isAppError(e) ? e : new AppError('ERR_STORE_WRITE', (e as Error).message);
          p.conn.inflight--;
          // 1011: internal error; the agent keeps the frame and resends after reconnecting.
          p.conn.fail(appErr.code, appErr.message, 1011);
        }
      }
      return;
    }
    this.stats.batches++;
    for (let i = 0; i < batch.length; i++) this.acknowledge(batch[i]!, outcomes[i]!);
  }

  private acknowledge(p: Pending, outcome: IngestOutcome): void {
    const { conn, item } = p;
    conn.inflight--;
    if (outcome.status === 'stored') {
      this.stats.framesStored++;
      if (item.frame.type === 'results') this.stats.resultsStored += item.frame.results.length;
    } else this.stats.framesDuplicate++;
    conn.send({ v: PROTOCOL_VERSION, type: 'ack', seq: item.frame.seq, status: outcome.status });
    if (outcome.status === 'stored') {
      try {
        this.onStored(conn.identity, item, outcome);
      } catch (err) {
        this.log.warn({ err }, 'live update hook failed');
      }
    }
    if (outcome.digestMismatch) {
      conn.log.info({ agentId: conn.agentId, seq: item.frame.seq }, 'digest mismatch; asking for a full resend');
      conn.send({ v: PROTOCOL_VERSION, type: 'resync', reason: 'digest-mismatch' });
    }
  }

  /** Resolves when everything queued so far has been committed. */
  async idle(): Promise<void> {
    if (this.depth === 0 && this.committing === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Commit what is queued (bounded), then stop accepting work. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    while (this.committing > 0) await new Promise((r) => setImmediate(r));
    while (this.depth > 0) {
      const batch = this.takeBatch();
      if (batch.length > 0) await this.commit(batch);
    }
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
