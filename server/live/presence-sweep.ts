/**
 * @module Hosts go offline when their heartbeats stop. The API calls a host online while it is
 * connected or was seen within two heartbeats plus one last-seen flush; this sweep runs every
 * few seconds, finds the hosts whose last-seen time crossed that limit since the previous sweep
 * and are not connected, and publishes them offline — so a dashboard hears about a silent host
 * at the same moment the API starts reporting it offline. A connecting agent is touched at once
 * (last-seen written) and then published online, so the refresh it triggers already shows it.
 */
import type { Logger } from '../../shared/log.js';
import type { ServerConfig } from '../config.js';
import type { AgentIdentity } from '../gateway/agent-connection.js';
import type { Store } from '../store/store.js';
import type { LiveBus } from './bus.js';
import { publishPresence } from './live-feed.js';

export class PresenceSweep {
  private timer: NodeJS.Timeout | null = null;
  private last: number;

  constructor(
    private readonly store: Store,
    private readonly bus: LiveBus,
    private readonly config: ServerConfig,
    private readonly isConnected: (agentId: string) => boolean,
    private readonly log: Logger,
    readonly intervalMs = Math.min(5000, config.heartbeatSeconds * 1000),
  ) {
    this.last = Date.now();
  }

  private limitMs(): number {
    return (2 * this.config.heartbeatSeconds + this.config.lastSeenFlushSeconds) * 1000;
  }

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
  }

  /** Publish hosts whose last-seen time crossed the online limit since the previous sweep. */
  async sweep(now = Date.now()): Promise<number> {
    const from = new Date(this.last - this.limitMs()).toISOString();
    const to = new Date(now - this.limitMs()).toISOString();
    this.last = now;
    if (!this.bus.active) return 0;
    let n = 0;
    try {
      for (const a of await this.store.agentsLastSeenBetween(from, to)) {
        if (this.isConnected(a.agentId)) continue;
        publishPresence(this.bus, { agentId: a.agentId, agencyId: a.agencyId, agencyName: a.agency, hostname: a.hostname }, false);
        n++;
      }
    } catch (err) {
      this.log.warn({ err }, 'offline sweep failed');
    }
    return n;
  }

  /** An agent connected: record it as seen now, then tell the dashboards. */
  connected(identity: AgentIdentity): void {
    this.store.touchAgents([{ id: identity.agentId, lastSeenAt: new Date().toISOString() }]).then(
      () => publishPresence(this.bus, identity, true),
      (err: unknown) => this.log.warn({ err }, 'could not record a connecting agent'),
    );
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
