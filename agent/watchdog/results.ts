/**
 * @module How watchdog events reach the collector with the protocol as it is: as `error`
 * results. A rule set aside by the denylist is reported with ERR_WATCHDOG_DENYLISTED in place of
 * its verdict; a stopped scan that could not be blamed on any rule is reported as the result of
 * the agent's own check `rampart.agent.scan-watchdog`, which the next finished scan removes again
 * (it is not in any pack, so the delta marks it removed).
 */
import type { References, Rule } from '../../shared/rule-pack.js';
import type { RuleResult } from '../../shared/result.js';
import type { ScanLimits } from './limits.js';
import type { DenyEntry } from './messages.js';

export const WATCHDOG_RULE_ID = 'rampart.agent.scan-watchdog';
export const WATCHDOG_PACK_ID = 'rampart-agent';

const NO_REFERENCES: References = { directives: [], nist: [], stig: [], cis: [], cac: [], cve: [], other: [] };

/** The result of a rule the scan skipped because it is on the watchdog's denylist. */
export function denylistedResult(packId: string, rule: Pick<Rule, 'id' | 'title' | 'severity' | 'references' | 'remediation'>, entry: DenyEntry): RuleResult {
  const message = `not evaluated until ${entry.until}: a scan that was evaluating this rule was stopped by the watchdog (${entry.code}: ${entry.message})`;
  return {
    ruleId: rule.id,
    packId,
    title: rule.title,
    severity: rule.severity,
    status: 'error',
    expected: 'a verdict',
    observed: message,
    evidence: [],
    error: { code: 'ERR_WATCHDOG_DENYLISTED', message },
    references: rule.references,
    remediation: rule.remediation,
    durationMs: 0,
  };
}

/** The agent's own check: its last scan finished within the watchdog limits. */
export function scanStoppedResult(stop: { code: string; message: string }, limits: ScanLimits): RuleResult {
  return {
    ruleId: WATCHDOG_RULE_ID,
    packId: WATCHDOG_PACK_ID,
    title: 'Agent scans finish within the watchdog limits',
    severity: 'medium',
    status: 'error',
    expected: `a scan within ${limits.memoryMb} MB, ${limits.cpuSeconds} s of CPU and ${limits.timeoutSeconds} s`,
    observed: `the last scan was stopped: ${stop.message}`,
    evidence: [],
    error: { code: stop.code, message: stop.message },
    references: NO_REFERENCES,
    remediation: 'Read the agent log around this scan (journalctl -u rampart-agent); raise the limits (RAMPART_SCAN_MEMORY_MB, RAMPART_SCAN_CPU_SECONDS, RAMPART_SCAN_TIMEOUT_SECONDS) only if the host needs more. docs/agent.md, "Scan watchdog".',
    durationMs: 0,
  };
}
