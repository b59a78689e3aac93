/**
 * @module Pack distribution over the agent WebSocket. After `welcome`, an agent gets a `pack`
 * frame for every newest bundle of its agency that its hello did not list (same id and digest);
 * while connected, it gets each bundle published afterwards within one poll interval (publishing
 * happens in another process, `rampart server pack publish`, so new rows are polled like
 * revocations). The collector only carries bundles: agents verify them against their own keys.
 */
import type { Logger } from '../../shared/log.js';
import { PROTOCOL_VERSION } from '../../shared/protocol.js';
import type { PackRef } from '../../shared/result.js';
import type { PublishedPack } from '../store/pack-bundles.js';
import type { Store } from '../store/store.js';
import type { AgentConnection } from './agent-connection.js';

/** Send the agency's newest bundles the agent does not already run (called right after welcome). */
export async function sendPublishedPacks(conn: AgentConnection, running: readonly PackRef[], store: Store): Promise<number> {
  lastPacks.set(conn, JSON.stringify(running));
  if (!store.packs) return 0;
  const have = new Set(running.map((p) => `${p.id}\n${p.sha256}`));
  let sent = 0;
  for (const p of await store.packs.latestPackBundles(conn.identity.agencyId)) {
    if (have.has(`${p.packId}\n${p.sha256}`)) continue;
    conn.send({ v: PROTOCOL_VERSION, type: 'pack', bundle: p.bundle });
    sent++;
  }
  if (sent > 0) conn.log.info({ agentId: conn.agentId, packs: sent }, 'rule packs sent after welcome');
  return sent;
}

const lastPacks = new WeakMap<AgentConnection, string>();

/**
 * Results frames name the packs (id, version, sha256) they came from. When they differ from what
 * the collector last recorded for this connection (a pack was installed mid-connection), record
 * them, so evidence names the pack versions the results really came from.
 */
export function notePacks(conn: AgentConnection, packs: readonly PackRef[], store: Store): void {
  const json = JSON.stringify(packs);
  if (lastPacks.get(conn) === json || !store.packs) return;
  lastPacks.set(conn, json);
  store.packs.recordAgentPacks(conn.agentId, [...packs]).catch((err: unknown) => conn.log.warn({ err, agentId: conn.agentId }, 'could not record the packs of an agent'));
}

export class PackPush {
  private timer: NodeJS.Timeout | undefined;
  private lastId = -1;
  private busy = false;

  constructor(
    private readonly store: Store,
    private readonly connections: () => Iterable<AgentConnection>,
    private readonly pollMs: number,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    if (!this.store.packs) {
      this.log.warn({ store: this.store.kind }, 'this store does not keep rule packs yet; pack distribution is off');
      return;
    }
    this.lastId = await this.store.packs.lastPackBundleId();
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Push bundles published since the last poll to the ready connections of their agency. */
  async poll(): Promise<void> {
    if (this.busy || !this.store.packs || this.lastId < 0) return;
    this.busy = true;
    try {
      const fresh: PublishedPack[] = await this.store.packs.packBundlesAfter(this.lastId, 100);
      for (const p of fresh) {
        this.lastId = Math.max(this.lastId, p.id);
        let sent = 0;
        for (const conn of this.connections()) {
          if (conn.closed || !conn.ready || conn.identity.agencyId !== p.agencyId) continue;
          conn.send({ v: PROTOCOL_VERSION, type: 'pack', bundle: p.bundle });
          sent++;
        }
        this.log.info({ agency: p.agencyName, packId: p.packId, version: p.version, agents: sent }, 'published rule pack pushed to connected agents');
      }
    } catch (err) {
      this.log.warn({ err }, 'could not poll published rule packs');
    } finally {
      this.busy = false;
    }
  }
}
