/**
 * @module Build a throw-away root filesystem for probe tests: plain files, and symlinks written as
 * `{ link: target }`. Returns the directory; remove it with `removeRoot`.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FixtureHost, offlineRootHost } from '../../agent/host/fs-host.js';
import { createScanContext, type ScanContext } from '../../agent/engine/context.js';
import { readHostFacts } from '../../agent/engine/facts.js';
import type { Host } from '../../agent/host/host.js';

export type RootSpec = Record<string, string | { link: string }>;

export function makeRoot(spec: RootSpec): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rampart-root-'));
  for (const [p, content] of Object.entries(spec)) {
    const full = path.join(dir, p);
    mkdirSync(path.dirname(full), { recursive: true });
    if (typeof content === 'string') writeFileSync(full, content);
    else symlinkSync(content.link, full);
  }
  return dir;
}

export function removeRoot(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A ScanContext over `dir`: a fixture (live unless told otherwise) or an offline root. */
export async function rootContext(dir: string, kind: 'live-fixture' | 'offline' = 'live-fixture'): Promise<ScanContext> {
  const host: Host = kind === 'offline' ? offlineRootHost(dir) : new FixtureHost(dir);
  return createScanContext(host, await readHostFacts(host), new Date('2026-11-26T12:00:00Z'));
}
