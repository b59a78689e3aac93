/**
 * @module The agent state directory: where each file lives, creating the directory with
 * private permissions, and the pid lock that keeps two agents off one directory (several
 * agents on one machine each get their own --state-dir).
 *
 *   <state-dir>/identity.json      agentId, agency, collector URL (written by `agent enroll`)
 *   <state-dir>/agent-key.pem      Ed25519 private key, mode 0600
 *   <state-dir>/acked-state.json   last acknowledged state per rule + digest bookkeeping
 *   <state-dir>/outbox/            one file per unacknowledged frame + seq.json + drops.json
 *   <state-dir>/agent.lock         pid of the running agent
 */
import { promises as fs, constants as fsc } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../shared/errors.js';

export interface StatePaths {
  root: string;
  identity: string;
  privateKey: string;
  ackedState: string;
  outbox: string;
  lock: string;
}

export function statePaths(root: string): StatePaths {
  const abs = path.resolve(root);
  return {
    root: abs,
    identity: path.join(abs, 'identity.json'),
    privateKey: path.join(abs, 'agent-key.pem'),
    ackedState: path.join(abs, 'acked-state.json'),
    outbox: path.join(abs, 'outbox'),
    lock: path.join(abs, 'agent.lock'),
  };
}

/** Create the state directory (0700) and its outbox directory if missing. */
export async function ensureStateDir(paths: StatePaths): Promise<void> {
  await fs.mkdir(paths.root, { recursive: true, mode: 0o700 });
  await fs.mkdir(paths.outbox, { recursive: true, mode: 0o700 });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface StateLock {
  release(): Promise<void>;
}

/**
 * Take the pid lock. A lock left by a process that no longer exists (kill -9, reboot) is
 * taken over; a live holder is an ERR_AGENT_STATE_LOCKED error.
 */
export async function lockStateDir(paths: StatePaths): Promise<StateLock> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await fs.open(paths.lock, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return {
        release: async () => {
          await fs.rm(paths.lock, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt((await fs.readFile(paths.lock, 'utf8').catch(() => '')).trim(), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new AppError('ERR_AGENT_STATE_LOCKED', `another agent (pid ${holder}) is using the state directory ${paths.root}`);
    }
    await fs.rm(paths.lock, { force: true });
  }
  throw new AppError('ERR_AGENT_STATE_LOCKED', `could not lock the state directory ${paths.root}`);
}
