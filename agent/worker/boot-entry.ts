/**
 * @module Entry of scan-worker-boot.cjs, the script a node-run scan process starts
 * (agent/watchdog/scan-process.ts): agent/worker/boot.ts and nothing else (~20 KB), so the scan
 * process goes straight to the scan-worker bundle and its code cache without parsing the CLI.
 * Errors end it as they end any command (coded message on standard error, exit 2 or 3).
 */
import { reportError } from '../cli/args.js';
import { bootScanWorker } from './boot.js';

bootScanWorker().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportError(err);
    // The open IPC channel would keep the process alive.
    if (process.connected) process.disconnect();
  },
);
