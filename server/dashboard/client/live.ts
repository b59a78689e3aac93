/**
 * @module Live updates: a browser WebSocket to the collector (authorized with a short-lived
 * ticket bought with the API token), reconnecting with backoff. Events are already filtered
 * by the collector to what this user may see.
 */
import { api } from './api.js';

export interface LiveEvent {
  type: 'result' | 'host';
  agency: string;
  agentId: string;
  hostname?: string;
  ruleId?: string;
  status?: string;
  online?: boolean;
  /** How many rule statuses changed (a summary event has no ruleId). */
  changes?: number;
  at: string;
}

export function connectLive(onEvent: (e: LiveEvent) => void, onState: (text: string) => void): () => void {
  let socket: WebSocket | undefined;
  let stopped = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const open = async () => {
    if (stopped) return;
    try {
      const { ticket } = await api<{ ticket: string }>('/api/v1/live/ticket', { method: 'POST', body: '{}' });
      const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
      socket = new WebSocket(`${proto}//${location.host}/api/v1/live?ticket=${encodeURIComponent(ticket)}`);
      socket.onopen = () => {
        attempt = 0;
        onState('Live: connected — results appear as agents report.');
      };
      socket.onmessage = (m) => {
        try {
          onEvent(JSON.parse(String(m.data)) as LiveEvent);
        } catch {
          /* ignore a malformed event */
        }
      };
      socket.onclose = () => retry();
    } catch {
      retry();
    }
  };
  const retry = () => {
    if (stopped) return;
    const delay = Math.min(30_000, 1000 * 2 ** attempt++) * (0.5 + Math.random() / 2);
    onState(`Live: disconnected — retrying in ${Math.round(delay / 1000)} s. Figures may be stale.`);
    timer = setTimeout(() => void open(), delay);
  };
  void open();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    socket?.close();
  };
}
