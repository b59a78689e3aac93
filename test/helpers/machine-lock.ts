/**
 * @module A lock across every test process on this machine, for tests that change the machine itself
 * (installing the agent package as root: /usr/lib/rampart-agent, /var/lib/rampart-agent, a system
 * user). Two runs of the suite at once then wait for each other instead of breaking each other.
 * The lock is a directory holding the owner's pid; a lock whose owner died is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Wait for and take the named machine-wide lock; returns its release. Throws after `timeoutMs`. */
export async function machineLock(name: string, timeoutMs = 15 * 60_000): Promise<() => void> {
  const dir = path.join('/tmp', `rampart-test-lock-${name}`);
  const pidFile = path.join(dir, 'pid');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(pidFile, String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(pidFile, 'utf8'));
    } catch {
      // Being created or removed right now: look again shortly.
    }
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) rmSync(dir, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`machine lock ${dir} is still held by pid ${owner} after ${timeoutMs} ms`);
    else await sleep(500);
  }
}
