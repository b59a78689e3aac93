/**
 * @module Debian's chromium driven by playwright-core for the browser tests, screenshots and
 * the dashboard bench: fixed flags (headless, no network side-channels), a fresh profile per
 * launch. Missing chromium fails under CI (`.ci/run` installs it) and skips loudly elsewhere.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why browser tests cannot run here, or null. Under CI a missing browser is an error, never a skip. */
export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const why = `${CHROMIUM} is missing (apt-get install -y chromium)`;
  if (process.env.CI === 'true') throw new Error(`browser tests cannot run: ${why}`);
  return why;
}

/**
 * Launch chromium. Playwright gives every launch() its own fresh temporary user-data-dir and
 * removes it on close, so no profile state leaks between tests.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}
