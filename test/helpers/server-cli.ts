/**
 * @module Run `rampart server …` in-process against a data directory (and optionally PostgreSQL),
 * capturing what it prints: the server CLI tests' one way in.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach } from 'vitest';
import { serverCommand } from '../../server/cli/server-command.js';

export interface CliRun {
  code: number;
  out: string;
}

/** A Writable that keeps what a command printed. */
export function captureStdout(): { stdout: Writable; text: () => string } {
  let out = '';
  const stdout = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  });
  return { stdout, text: () => out };
}

/** `rampart server <argv> --data-dir <dir>` with an empty environment (plus `env`); returns the exit code and stdout. */
export async function runServerCli(dir: string, argv: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const { stdout, text } = captureStdout();
  const code = await serverCommand([...argv, '--data-dir', dir], { stdout, env });
  return { code, out: text() };
}

/** A fresh temp data directory for each test of the file (removed after it); read it through the getter. */
export function freshDataDir(prefix: string): () => string {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}
