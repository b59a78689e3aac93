/**
 * @module The scan watchdog's limits and its fixed policy. The limits are agent configuration
 * (daemon/config.ts: RAMPART_SCAN_MEMORY_MB, RAMPART_SCAN_CPU_SECONDS, RAMPART_SCAN_TIMEOUT_SECONDS);
 * the policy below is not, like osquery's watcher table it is modelled on (osquery/core/watcher.cpp:
 * kWatchdogLimits; docs/agent.md compares the two).
 */

export interface ScanLimits {
  /** Resident set of the scan process, MB. */
  memoryMb: number;
  /** CPU time (user + system) of the scan process, seconds. */
  cpuSeconds: number;
  /** Wall time of the scan process, seconds. */
  timeoutSeconds: number;
}

/**
 * Defaults. osquery's normal level allows its worker 200 MB above the footprint it started with;
 * a scan process starts at ~40 MB (Node itself), so 256 MB of absolute RSS is the same allowance.
 * A baseline scan takes ~0.3 s of CPU; 30 s stops a runaway (a backtracking regex in a pack) long
 * before it matters and never a real scan. Commands run by probes time out on their own (≤ 30 s).
 */
export const SCAN_LIMIT_DEFAULTS: ScanLimits = { memoryMb: 256, cpuSeconds: 30, timeoutSeconds: 300 };

export const WATCHDOG_POLICY = {
  /** How often the scan process's /proc entry is sampled (osquery: every 3 s, for a long-lived worker). */
  sampleMs: 100,
  /** After SIGTERM, how long before SIGKILL (osquery: watchdog_forced_shutdown_delay, 4 s). */
  killGraceMs: 1000,
  /** How long a rule that was running when its scan was stopped is skipped (osquery denylists the query for 86400 s). */
  denylistSeconds: 86_400,
  /** Retry a stopped scan after 5 s × 2^(stops in a row − 1), at most 600 s (osquery: respawn delay 5 s, doubling, watchdog_max_delay 600 s)… */
  retryBaseSeconds: 5,
  retryCapSeconds: 600,
  /** …and at most this many times in a row; then the next scheduled scan tries again. */
  maxRetries: 3,
  /**
   * A stop is blamed on the rules still unfinished only when they are at most this share of the
   * scan: a scan stopped before it got going (limits too tight for the host) blames no rule.
   */
  maxBlameShare: 0.5,
} as const;
