/**
 * @module The in-process live event bus: the ingest path and the agent gateway publish (after
 * commit), the dashboard's live sockets subscribe. Synchronous fan-out to a handful of
 * subscribers; publishers check `active` first so nothing is built when no dashboard listens.
 */
import { z } from 'zod';

/** What a dashboard receives (server/dashboard/client/live.ts). */
export const LiveEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('result'),
    agency: z.string(),
    agencyId: z.number().int(),
    agentId: z.string(),
    hostname: z.string(),
    /** Present when the frame changed few rules; a frame with many changes is summarised. */
    ruleId: z.string().optional(),
    status: z.string().optional(),
    /** How many rule statuses this frame changed. */
    changes: z.number().int().nonnegative(),
    /** When the agent scanned. */
    at: z.string(),
    /** When the collector committed the frame and published this event (ms since epoch). */
    sentAt: z.number(),
  }),
  z.object({
    type: z.literal('host'),
    agency: z.string(),
    agencyId: z.number().int(),
    agentId: z.string(),
    hostname: z.string(),
    online: z.boolean(),
    at: z.string(),
    sentAt: z.number(),
  }),
]);
export type LiveEvent = z.infer<typeof LiveEventSchema>;

export type LiveListener = (event: LiveEvent) => void;

export class LiveBus {
  private readonly listeners = new Set<LiveListener>();
  published = 0;

  /** True when at least one subscriber listens (publishers skip work otherwise). */
  get active(): boolean {
    return this.listeners.size > 0;
  }

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: LiveEvent): void {
    this.published++;
    for (const l of this.listeners) l(event);
  }
}
