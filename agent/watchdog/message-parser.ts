/**
 * @module Parsing what a scan process sends (WorkerMessageSchema), without validating the same
 * result twice. Validating a whole scan report is most of the interpreter-only daemon's CPU per
 * scan, and most results are the same from one scan to the next: a result whose JSON text is
 * exactly that of a result the previous report validated is given the value zod produced for it
 * then (zod is a function of that text), so nothing the schema would refuse gets through. The
 * rest of the report, and every other message, is parsed with the schema as always. A rule's
 * durationMs changes every scan: it is left out of the text compared and validated on its own.
 * Only the last report is remembered: a sha256 per result, and the validated results the daemon
 * holds anyway.
 */
import { createHash } from 'node:crypto';
import { RuleResultSchema, type RuleResult } from '../../shared/result.js';
import { inheritHash } from '../daemon/rule-state.js';
import { WorkerMessageSchema, type WorkerMessage } from './messages.js';

const DurationSchema = RuleResultSchema.shape.durationMs;

export type WorkerMessageParse = { success: true; data: WorkerMessage } | { success: false; message: string };

interface Known {
  digest: string;
  value: RuleResult;
}

function reportResults(raw: unknown): unknown[] | undefined {
  if (typeof raw !== 'object' || raw === null || (raw as { type?: unknown }).type !== 'report') return undefined;
  const report = (raw as { report?: unknown }).report;
  if (typeof report !== 'object' || report === null) return undefined;
  const results = (report as { results?: unknown }).results;
  return Array.isArray(results) ? results : undefined;
}

export class WorkerMessageParser {
  private known = new Map<string, Known>();

  /** How many results of the last report were reused rather than validated again (for tests and logs). */
  reused = 0;

  parse(raw: unknown): WorkerMessageParse {
    const results = reportResults(raw);
    if (results === undefined) {
      const parsed = WorkerMessageSchema.safeParse(raw);
      return parsed.success ? { success: true, data: parsed.data } : { success: false, message: parsed.error.issues[0]?.message ?? 'invalid' };
    }
    // Everything but the results, against the same schema.
    const report = (raw as { report: object }).report;
    const head = WorkerMessageSchema.safeParse({ ...(raw as object), report: { ...report, results: [] } });
    if (!head.success || head.data.type !== 'report') return { success: false, message: head.success ? 'invalid' : (head.error.issues[0]?.message ?? 'invalid') };
    const next = new Map<string, Known>();
    const values: RuleResult[] = [];
    let reused = 0;
    for (const r of results) {
      let digest: string | undefined;
      let durationMs: unknown;
      if (typeof r === 'object' && r !== null && !Array.isArray(r)) {
        const { durationMs: d, ...rest } = r as { durationMs?: unknown };
        durationMs = d;
        digest = createHash('sha256').update(JSON.stringify(rest)).digest('base64');
      }
      const id = (r as { ruleId?: unknown } | null)?.ruleId;
      const prev = typeof id === 'string' ? this.known.get(id) : undefined;
      let value: RuleResult;
      if (prev !== undefined && prev.digest === digest && DurationSchema.safeParse(durationMs).success) {
        value = { ...prev.value, durationMs: durationMs as number };
        inheritHash(prev.value, value);
        reused++;
      } else {
        const parsed = RuleResultSchema.safeParse(r);
        if (!parsed.success) return { success: false, message: parsed.error.issues[0]?.message ?? 'invalid' };
        value = parsed.data;
      }
      values.push(value);
      if (digest !== undefined) next.set(value.ruleId, { digest, value });
    }
    this.known = next;
    this.reused = reused;
    head.data.report.results = values;
    return { success: true, data: head.data };
  }
}
