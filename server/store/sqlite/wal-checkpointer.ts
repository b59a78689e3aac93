/**
 * @module Background WAL checkpoints in a worker thread with its own connection, so the fsyncs a
 * checkpoint needs never run on the collector's event loop (auto-checkpoint is turned off on the
 * main connection). Only PASSIVE checkpoints: they never take the write lock, so the writer (whose
 * busy wait would block the event loop) never waits for them. A TRUNCATE every 10 s used to stall
 * ingest, acks and /healthz for ~300 ms each time under load. The WAL still stays small: once a
 * checkpoint has copied everything, the next write transaction starts the log again from its
 * beginning, and journal_size_limit on the main connection trims the file when that happens.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import { DB_FILE_NAME } from './open-database.js';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.modulePath);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 100');
let busy = false;
const timer = setInterval(() => {
  if (busy) return;
  busy = true;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    // SQLITE_BUSY: try again next tick.
  } finally {
    busy = false;
  }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'stop') {
    clearInterval(timer);
    try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
    db.close();
    parentPort.postMessage('stopped');
  }
});
`;

export class WalCheckpointer {
  private readonly worker: Worker;

  constructor(db: Database, dataDir: string, intervalMs = 500) {
    db.pragma('wal_autocheckpoint = 0');
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    const modulePath = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { modulePath, file: path.join(dataDir, DB_FILE_NAME), intervalMs } });
    this.worker.unref();
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 5000);
      this.worker.once('message', () => {
        clearTimeout(t);
        resolve();
      });
      this.worker.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      this.worker.postMessage('stop');
    });
    await this.worker.terminate();
  }
}
