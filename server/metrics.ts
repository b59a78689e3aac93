/**
 * @module Prometheus metrics of one collector (GET /metrics, prom-client). Each collector owns its
 * own Registry, so several collectors in one process (tests, benchmarks) never share or clash.
 * Hot paths pay almost nothing: counters for frames and results are bumped in the pipeline's
 * after-commit hook, gauges (connected agents, outbox depth, live subscribers, queue depth) are
 * read only when scraped, and store latency is timed by a transparent wrapper around the Store.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AgentGateway } from './gateway/agent-gateway.js';
import type { IngestPipeline } from './ingest/ingest-pipeline.js';
import type { LiveHub } from './live/live-hub.js';
import type { Store } from './store/store.js';

export const METRICS_PATH = '/metrics';
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** Seconds: from 0.5 ms to 10 s (acks, store calls). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsSources {
  gateway: AgentGateway;
  pipeline: IngestPipeline;
  live?: LiveHub;
  /** Cross-replica live fan-out (PostgreSQL deployments). */
  fanout?: { stats: { sent: number; received: number; dropped: number } };
}

export class CollectorMetrics {
  readonly registry = new Registry();
  readonly framesIngested: Counter<'type'>;
  readonly framesDuplicate: Counter;
  readonly resultsIngested: Counter;
  readonly statusChanges: Counter;
  readonly rejected: Counter<'code' | 'stage'>;
  readonly ackLatency: Histogram;
  readonly storeLatency: Histogram<'op' | 'store'>;
  readonly storeErrors: Counter<'op' | 'store'>;
  private sources: MetricsSources | null = null;
  /** Totals already exported from counters kept elsewhere (pipeline stats, refused upgrades). */
  private readonly exported = new Map<string, number>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const self = this;
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'rampart_' });
    new Gauge({
      name: 'rampart_agents_connected',
      help: 'Agent WebSocket connections authenticated and open on this collector.',
      registers,
      collect() {
        this.set(self.sources?.gateway.connectedCount ?? 0);
      },
    });
    this.framesIngested = new Counter({ name: 'rampart_frames_ingested_total', help: 'Sequenced frames committed and acknowledged as stored, by type.', labelNames: ['type'], registers });
    this.framesDuplicate = new Counter({
      name: 'rampart_frames_duplicate_total',
      help: 'Sequenced frames acknowledged as duplicates (already stored: idempotent by agent and seq).',
      registers,
      collect() {
        self.exportDelta('dup', self.sources?.pipeline.stats.framesDuplicate ?? 0, (n) => this.inc(n));
      },
    });
    this.resultsIngested = new Counter({ name: 'rampart_results_ingested_total', help: 'Rule results committed (in stored results frames).', registers });
    this.statusChanges = new Counter({ name: 'rampart_status_changes_total', help: 'Rule status changes committed (new verdicts included).', registers });
    this.rejected = new Counter({
      name: 'rampart_rejected_total',
      help: 'Agent upgrades refused (stage="upgrade") and connections closed for a bad frame or protocol error (stage="frame"), by error code.',
      labelNames: ['code', 'stage'],
      registers,
      collect() {
        for (const [code, n] of self.sources?.gateway.refused ?? []) self.exportDelta(`refused:${code}`, n, (d) => this.inc({ code, stage: 'upgrade' }, d));
      },
    });
    this.ackLatency = new Histogram({
      name: 'rampart_ack_latency_seconds',
      help: 'From a frame being parsed at the edge to its acknowledgement after commit.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.storeLatency = new Histogram({ name: 'rampart_store_latency_seconds', help: 'Duration of store calls, by operation and store kind.', labelNames: ['op', 'store'], buckets: LATENCY_BUCKETS, registers });
    this.storeErrors = new Counter({ name: 'rampart_store_errors_total', help: 'Store calls that failed, by operation and store kind.', labelNames: ['op', 'store'], registers });
    new Gauge({
      name: 'rampart_ingest_queue_frames',
      help: 'Parsed frames waiting for their commit.',
      registers,
      collect() {
        this.set(self.sources?.pipeline.depth ?? 0);
      },
    });
    new Counter({
      name: 'rampart_inbox_stops_total',
      help: 'Times the backlog of unparsed frames (or of parsed frames awaiting commit) crossed its high-water mark and every agent socket was paused.',
      registers,
      collect() {
        self.exportDelta('inbox-stops', self.sources?.gateway.inboxStats().stops ?? 0, (n) => this.inc(n));
      },
    });
    const outbox = new Gauge({
      name: 'rampart_agent_outbox_depth',
      help: "Connected agents' unacknowledged outbox entries, from their heartbeats: sum and max over agents.",
      labelNames: ['stat'],
      registers,
      collect() {
        let sum = 0;
        let max = 0;
        let reporting = 0;
        for (const c of self.sources?.gateway.liveConnections() ?? []) {
          if (c.outboxDepth === undefined) continue;
          reporting++;
          sum += c.outboxDepth;
          if (c.outboxDepth > max) max = c.outboxDepth;
        }
        outbox.set({ stat: 'sum' }, sum);
        outbox.set({ stat: 'max' }, max);
        outbox.set({ stat: 'agents_reporting' }, reporting);
      },
    });
    new Counter({
      name: 'rampart_live_fanout_events_total',
      help: 'Live events sent to and received from other replicas (LISTEN/NOTIFY), and dropped.',
      labelNames: ['direction'],
      registers,
      collect() {
        const st = self.sources?.fanout?.stats;
        if (!st) return;
        for (const direction of ['sent', 'received', 'dropped'] as const) self.exportDelta(`fanout:${direction}`, st[direction], (n) => this.inc({ direction }, n));
      },
    });
    new Gauge({
      name: 'rampart_live_subscribers',
      help: 'Dashboard live WebSocket connections on this collector.',
      registers,
      collect() {
        this.set(self.sources?.live?.socketCount ?? 0);
      },
    });
  }

  private exportDelta(key: string, total: number, inc: (n: number) => void): void {
    const before = this.exported.get(key) ?? 0;
    if (total > before) inc(total - before);
    this.exported.set(key, total);
  }

  /** Wire the live sources: chains the pipeline's after-commit hook and the gateway's rejection hook. */
  attach(sources: MetricsSources): void {
    this.sources = sources;
    const { pipeline, gateway } = sources;
    const previous = pipeline.onStored;
    pipeline.onStored = (identity, item, outcome) => {
      const { frame } = item;
      this.framesIngested.inc({ type: frame.type });
      if (frame.type === 'results') this.resultsIngested.inc(frame.results.length);
      if (outcome.changes && outcome.changes.length > 0) this.statusChanges.inc(outcome.changes.length);
      const received = Date.parse(item.receivedAt);
      if (Number.isFinite(received)) this.ackLatency.observe(Math.max(0, Date.now() - received) / 1000);
      previous(identity, item, outcome);
    };
    const previousReject = gateway.onReject;
    gateway.onReject = (code) => {
      this.rejected.inc({ code, stage: 'frame' });
      previousReject(code);
    };
  }

  /** The exposition text for GET /metrics. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/**
 * The store with every async method timed into `rampart_store_latency_seconds{op}` (a Proxy:
 * properties, `instanceof` and implementation-specific members such as SqliteStore.db still work).
 */
export function timedStore<S extends Store>(store: S, metrics: CollectorMetrics): S {
  const kind = store.kind;
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || prop === 'constructor' || prop === 'close') return value;
      let fn = wrapped.get(prop);
      if (!fn) {
        const op = String(prop);
        fn = function timed(this: unknown, ...args: unknown[]) {
          const end = metrics.storeLatency.startTimer({ op, store: kind });
          let out: unknown;
          try {
            out = (value as (...a: unknown[]) => unknown).apply(target, args);
          } catch (err) {
            end();
            metrics.storeErrors.inc({ op, store: kind });
            throw err;
          }
          if (out instanceof Promise) {
            return out.then(
              (v) => {
                end();
                return v;
              },
              (err: unknown) => {
                end();
                metrics.storeErrors.inc({ op, store: kind });
                throw err;
              },
            );
          }
          end();
          return out;
        };
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}
