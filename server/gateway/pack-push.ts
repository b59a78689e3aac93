/**
 * @module Pack distribution over the agent WebSocket. After `welcome`, an agent gets a `pack`
 * frame for every newest bundle of its agency that its hello did not list (same id and digest);
 * while connected, it gets each bundle published afterwards within one poll interval (publishing
 * happens in another process, `rampart server pack publish`, so new rows are polled like
 * revocations). The collector only carries bundles: agents verify them against their own keys.
 */
import type { Logger } from '../../shared/log.js';
import { PROTOCOL_VERSION, encodeFrame } from '../../shared/protocol.js';
import type { PackRef } from '../../shared/result.js';
import type { PublishedPack } from '../store/pack-bundles.js';
import type { Store } from '../store/store.js';
import type { AgentConnection } from './agent-connection.js';

/** A pack frame encoded once and shared by every socket it goes to (not one copy per agent). */
interface EncodedPack {
  pack: PublishedPack;
  data: Buffer;
}

function encode(p: PublishedPack): EncodedPack {
  return { pack: p, data: Buffer.from(encodeFrame({ v: PROTOCOL_VERSION, type: 'pack', bundle: p.bundle }), 'utf8') };
}

/**
 * The newest bundles per agency, encoded, reused across hellos until a new bundle is published
 * (checked with one cheap MAX(id) query), so a reconnect storm does not parse bundles per agent.
 */
const latestCache = new WeakMap<Store, { lastId: number; byAgency: Map<number, EncodedPack[]> }>();

async function latestEncoded(store: Store, agencyId: number): Promise<EncodedPack[]> {
  const packs = store.packs!;
  const lastId = await packs.lastPackBundleId();
  let cache = latestCache.get(store);
  if (!cache || cache.lastId !== lastId) {
    cache = { lastId, byAgency: new Map() };
    latestCache.set(store, cache);
  }
  let list = cache.byAgency.get(agencyId);
  if (!list) {
    list = lastId === 0 ? [] : (await packs.latestPackBundles(agencyId)).map(encode);
    cache.byAgency.set(agencyId, list);
  }
  return list;
}

function sendEncoded(conn: AgentConnection, e: EncodedPack): boolean {
  if (conn.closed || conn.ws.readyState !== conn.ws.OPEN) return false;
  conn.ws.send(e.data, { binary: false });
  return true;
}

/** Send the agency's newest bundles the agent does not already run (called right after welcome). */
export async function sendPublishedPacks(conn: AgentConnection, running: readonly PackRef[], store: Store): Promise<number> {
  lastPacks.set(conn, JSON.stringify(running));
  if (!store.packs) return 0;
  const have = new Set(running.map((p) => `${p.id}\n${p.sha256}`));
  let sent = 0;
  for (const e of await latestEncoded(store, conn.identity.agencyId)) {
    if (have.has(`${e.pack.packId}\n${e.pack.sha256}`)) continue;
    if (sendEncoded(conn, e)) sent++;
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

/** Connections sent to per event-loop turn when a new pack is pushed. */
const PUSH_SLICE = 256;

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
        const e = encode(p);
        const targets = [...this.connections()].filter((c) => !c.closed && c.ready && c.identity.agencyId === p.agencyId);
        let sent = 0;
        // In slices, yielding between them: a fleet-wide push never holds the event loop for long.
        for (let i = 0; i < targets.length; i += PUSH_SLICE) {
          for (const conn of targets.slice(i, i + PUSH_SLICE)) if (sendEncoded(conn, e)) sent++;
          await new Promise((r) => setImmediate(r));
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
