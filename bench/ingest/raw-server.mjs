#!/usr/bin/env node
/**
 * @module bench/ingest raw limit: the least a collector must do, measured on this machine in the
 * same run as Rampart — ws receive + JSON.parse + a batched SQLite upsert of every result (one
 * transaction per 10 ms or 4,000 results, WAL, synchronous=NORMAL), then an ack per frame.
 * No authentication, no validation, no history, no findings, no counters.
 *
 * Usage: node bench/ingest/raw-server.mjs --port 0 --data-dir DIR   (prints {"port":N} when ready)
 */
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { WebSocketServer } from 'ws';

const { values: o } = parseArgs({ options: { port: { type: 'string', default: '0' }, 'data-dir': { type: 'string' } } });
mkdirSync(o['data-dir'], { recursive: true });
const db = new Database(path.join(o['data-dir'], 'raw.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE IF NOT EXISTS results (agent INTEGER NOT NULL, rule TEXT NOT NULL, status TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (agent, rule))');
const upsert = db.prepare('INSERT INTO results (agent, rule, status, seq, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT(agent, rule) DO UPDATE SET status = excluded.status, seq = excluded.seq, body = excluded.body');

let pending = [];
let pendingResults = 0;
let timer = null;
const commit = db.transaction((batch) => {
  for (const { agent, frame } of batch) for (const r of frame.results) upsert.run(agent, r.ruleId, r.status, frame.seq, JSON.stringify(r));
});
function flush() {
  timer = null;
  const batch = pending;
  pending = [];
  pendingResults = 0;
  commit(batch);
  for (const { ws, frame } of batch) if (ws.readyState === 1) ws.send(`{"v":1,"type":"ack","seq":${frame.seq},"status":"stored"}`);
}

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"ok":true}');
});
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 4 * 1024 * 1024 });
wss.on('connection', (ws, req) => {
  const agent = Number(new URL(req.url, 'http://x').searchParams.get('agent'));
  ws.on('message', (data) => {
    const frame = JSON.parse(data);
    pending.push({ ws, agent, frame });
    pendingResults += frame.results.length;
    // Commit as soon as a batch is full (in the handler, so acks keep flowing and the sender stays
    // paced by its window), otherwise after 10 ms.
    if (pendingResults >= 4000) {
      if (timer) clearTimeout(timer);
      flush();
    } else if (!timer) timer = setTimeout(flush, 10);
  });
});
server.listen(Number(o.port), '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'));
process.on('SIGTERM', () => process.exit(0));
