/**
 * @module Turns committed ingest frames and agent presence into live events. A frame that
 * changed a few rules yields one event per change (so an open rule view can refresh); a frame
 * that changed many (a first full scan) yields one summary event. Frames without a status
 * change publish nothing: a re-scan that finds the same state is not news.
 */
import type { AgentIdentity } from '../gateway/agent-connection.js';
import type { IngestFrame, IngestOutcome } from '../store/store.js';
import type { LiveBus } from './bus.js';

/** Above this many changes in one frame, publish one summary event instead of one per change. */
export const PER_CHANGE_LIMIT = 5;

export function publishStored(bus: LiveBus, identity: AgentIdentity, item: IngestFrame, outcome: IngestOutcome): void {
  if (!bus.active || item.frame.type !== 'results') return;
  const changes = outcome.changes ?? [];
  if (changes.length === 0) return;
  const base = {
    type: 'result' as const,
    agency: identity.agencyName,
    agencyId: identity.agencyId,
    agentId: identity.agentId,
    hostname: identity.hostname,
    changes: changes.length,
    at: new Date(item.frame.scannedAt).toISOString(),
    sentAt: Date.now(),
  };
  if (changes.length > PER_CHANGE_LIMIT) {
    const worst = changes.some((c) => c.to === 'fail') ? 'fail' : changes.some((c) => c.to === 'error') ? 'error' : changes[0]!.to;
    bus.publish({ ...base, status: worst });
    return;
  }
  for (const c of changes) bus.publish({ ...base, ruleId: c.ruleId, status: c.to });
}

export function publishPresence(bus: LiveBus, identity: AgentIdentity, online: boolean): void {
  if (!bus.active) return;
  bus.publish({
    type: 'host',
    agency: identity.agencyName,
    agencyId: identity.agencyId,
    agentId: identity.agentId,
    hostname: identity.hostname,
    online,
    at: new Date().toISOString(),
    sentAt: Date.now(),
  });
}
