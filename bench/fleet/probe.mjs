/**
 * @module bench/fleet probe: measures agent send → dashboard update. One extra agent (agency
 * `probe`) connected to the first replica sends a one-rule results frame every 100 ms whose status
 * alternates (so every frame is a status change) with `scannedAt` = the send time; a dashboard
 * live socket of an agency-viewer of `probe` on the LAST replica (another replica when there are
 * two) receives the event, whose `at` is that scannedAt. Latency = receive time − send time (one
 * clock, one machine), split at the event's `sentAt` (when the ingesting replica committed and
 * published it) into send → commit and commit → dashboard. The viewer sees only the probe agency,
 * so the fleet's load never collapses the probe's events into summaries.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import WebSocket from 'ws';

async function json(url, init) {
  const res = await fetch(url, init);
  const body = await res.json();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 10) / 10;
}

export class Probe {
  constructor({ agentUrl, liveUrl, token, apiToken, intervalMs = 100 }) {
    Object.assign(this, { agentUrl, liveUrl, token, apiToken, intervalMs });
    this.seq = 0;
    this.sentAt = new Map();
    this.samples = [];
    this.sent = 0;
    this.measuring = false;
    this.timer = null;
  }

  async start() {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const enrolled = await json(`${this.agentUrl}/api/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: this.token, publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'), hostname: 'fleet-probe', agentVersion: 'bench' }),
    });
    this.agentId = enrolled.agentId;
    const { nonce } = await json(`${this.agentUrl}/api/v1/agent/challenge?agentId=${this.agentId}`);
    const signature = sign(null, Buffer.from(`rampart-agent-auth/v1\n${this.agentId}\n${nonce}`), privateKey).toString('base64');
    this.ws = new WebSocket(`${this.agentUrl.replace(/^http/, 'ws')}/api/v1/agent/ws`, {
      perMessageDeflate: false,
      headers: { 'x-rampart-protocol': '1', 'x-rampart-agent': this.agentId, 'x-rampart-nonce': nonce, 'x-rampart-signature': signature },
    });
    await new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
    this.ws.on('error', () => {});
    const welcomed = new Promise((resolve) => {
      this.ws.on('message', (data) => {
        const f = JSON.parse(String(data));
        if (f.type === 'welcome') resolve();
        else if (f.type === 'ack') this.sentAt.delete(f.seq);
      });
    });
    this.ws.send(JSON.stringify({ v: 1, type: 'hello', agentVersion: 'bench', host: { hostname: 'fleet-probe', os: { id: 'debian', idLike: [], versionId: '12', prettyName: 'Debian 12' }, mode: 'live', root: '/', container: true }, packs: [], lastAckedSeq: 0 }));
    await welcomed;

    const { ticket } = await json(`${this.liveUrl}/api/v1/live/ticket`, { method: 'POST', headers: { authorization: `Bearer ${this.apiToken}`, 'content-type': 'application/json' }, body: '{}' });
    this.live = new WebSocket(`${this.liveUrl.replace(/^http/, 'ws')}/api/v1/live?ticket=${ticket}`, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      this.live.once('open', resolve);
      this.live.once('error', reject);
    });
    this.live.on('error', () => {});
    this.live.on('message', (data) => {
      const now = Date.now();
      const e = JSON.parse(String(data));
      if (e.type !== 'result' || e.agentId !== this.agentId || !this.measuring) return;
      const sent = Date.parse(e.at);
      // e.sentAt: when the ingesting replica committed the frame and published the event.
      this.samples.push({ sent, total: now - sent, toCommit: e.sentAt - sent, toDashboard: now - e.sentAt });
    });
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  tick() {
    // At most a few frames unacknowledged: under saturation the probe waits like any agent.
    if (this.sentAt.size >= 4 || this.ws.readyState !== WebSocket.OPEN) return;
    const seq = ++this.seq;
    const scannedAt = new Date().toISOString();
    this.sentAt.set(seq, Date.now());
    if (this.measuring) this.sent++;
    const result = {
      ruleId: 'linux.bench.probe',
      packId: 'bench-pack',
      title: 'Probe rule',
      severity: 'low',
      status: seq % 2 ? 'fail' : 'pass',
      expected: 'x',
      observed: 'y',
      evidence: [],
      references: { directives: [], nist: [], stig: [], cis: [], cac: [], cve: [], other: [] },
      remediation: 'none',
      durationMs: 0,
    };
    this.ws.send(JSON.stringify({ v: 1, type: 'results', seq, scanId: `probe-${seq}`, scannedAt, packs: [], full: false, results: [result] }));
  }

  /** Start a measurement window; returns a function that ends it with the window's numbers. */
  window() {
    this.samples = [];
    this.sent = 0;
    this.measuring = true;
    return () => {
      this.measuring = false;
      const sorted = (k) => this.samples.map((x) => x[k]).sort((a, b) => a - b);
      const s = sorted('total');
      const c = sorted('toCommit');
      const d = sorted('toDashboard');
      return {
        dashboardP50Ms: percentile(s, 50),
        dashboardP99Ms: percentile(s, 99),
        dashboardMaxMs: s.length ? s[s.length - 1] : null,
        // Where the time goes: send → committed and published by the ingesting replica, and
        // from there → the dashboard socket (live hub flush; across replicas also NOTIFY).
        dashSplit: { toCommitP50Ms: percentile(c, 50), toCommitP99Ms: percentile(c, 99), toDashboardP50Ms: percentile(d, 50), toDashboardP99Ms: percentile(d, 99) },
        probeSent: this.sent,
        probeSeen: s.length,
        // The slowest samples with their send time (ms since epoch), to line up with diag series.
        probeSlowest: [...this.samples].sort((a, b) => b.total - a.total).slice(0, 5),
      };
    };
  }

  stop() {
    clearInterval(this.timer);
    this.ws?.terminate();
    this.live?.terminate();
  }
}
