/**
 * @module Background WAL checkpoints in a worker thread with its own connection, so the fsyncs a
 * checkpoint needs never run on the collector's event loop (auto-checkpoint is turned off on the
 * main connection). PASSIVE checkpoints never block the writer; a TRUNCATE now and then keeps the
 * WAL file from growing when the writer never pauses.
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
let n = 0;
const timer = setInterval(() => {
  if (busy) return;
  busy = true;
  try {
    // Every 20th run tries TRUNCATE (shrinks the file when the writer is idle); otherwise PASSIVE.
    db.pragma((++n % 20 === 0) ? 'wal_checkpoint(TRUNCATE)' : 'wal_checkpoint(PASSIVE)');
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
