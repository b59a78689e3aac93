/**
 * @module The complete list of commands a probe may run: fixed argument lists, chosen by
 * probe code, never by rule data or by the server. Adding a command means adding it here.
 */

export interface CommandSpec {
  /** Program name, looked up in the fixed search path below (never a shell). */
  readonly file: string;
  readonly args: readonly string[];
  readonly timeoutMs: number;
  /**
   * Expensive commands (seconds, e.g. a simulated upgrade) may be answered from the scan cache:
   * for at most `maxAgeSeconds`, and never once any of `invalidatedBy` changed after the capture
   * (installing or removing packages, refreshing package lists). Evidence shows the capture time.
   */
  readonly cache?: { readonly maxAgeSeconds: number; readonly invalidatedBy: readonly string[] };
}

const APT_STATE = ['/var/lib/dpkg/status', '/var/lib/apt/lists', '/var/lib/apt/extended_states'];
const RPM_STATE = ['/var/lib/rpm', '/var/cache/dnf'];

/** The only directories commands are looked up in; PATH from the environment is ignored. */
export const COMMAND_SEARCH_PATH = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];

export const COMMANDS = {
  /** Effective sshd configuration (with Match blocks evaluated for root from localhost). */
  'sshd-effective': { file: 'sshd', args: ['-T', '-C', 'user=root,host=localhost,addr=127.0.0.1'], timeoutMs: 5000 },
  /** nftables ruleset as JSON. */
  'nft-ruleset': { file: 'nft', args: ['-j', 'list', 'ruleset'], timeoutMs: 5000 },
  'iptables-save': { file: 'iptables-save', args: [], timeoutMs: 5000 },
  'ip6tables-save': { file: 'ip6tables-save', args: [], timeoutMs: 5000 },
  'ufw-status': { file: 'ufw', args: ['status', 'verbose'], timeoutMs: 5000 },
  'firewalld-state': { file: 'firewall-cmd', args: ['--state'], timeoutMs: 5000 },
  'firewalld-default-zone': { file: 'firewall-cmd', args: ['--get-default-zone'], timeoutMs: 5000 },
  'firewalld-active-zones': { file: 'firewall-cmd', args: ['--get-active-zones'], timeoutMs: 5000 },
  /** Every zone with target, bindings, services, ports and rich rules; "(default, active)" flags on the name line. */
  'firewalld-list-all-zones': { file: 'firewall-cmd', args: ['--list-all-zones'], timeoutMs: 10000 },
  /** Every unit systemd knows, with load/active/sub state. */
  'systemctl-units': { file: 'systemctl', args: ['list-units', '--all', '--no-legend', '--no-pager', '--plain', '--full'], timeoutMs: 5000 },
  /** Every unit file with its enablement state. */
  'systemctl-unit-files': { file: 'systemctl', args: ['list-unit-files', '--no-legend', '--no-pager', '--plain', '--full'], timeoutMs: 5000 },
  /** Simulated upgrade: lists what apt would install, with the pocket each comes from. */
  'apt-upgrade-simulate': {
    file: 'apt-get',
    args: ['-s', '-o', 'Debug::NoLocking=1', 'upgrade'],
    timeoutMs: 20000,
    cache: { maxAgeSeconds: 6 * 3600, invalidatedBy: APT_STATE },
  },
  'dnf-security-updates': {
    file: 'dnf',
    args: ['-q', '--cacheonly', 'updateinfo', 'list', '--security', '--available'],
    timeoutMs: 30000,
    cache: { maxAgeSeconds: 6 * 3600, invalidatedBy: RPM_STATE },
  },
  /** Every available update from the cached metadata (exit 100 when there are updates). */
  'dnf-check-update': {
    file: 'dnf',
    args: ['-q', '--cacheonly', 'check-update'],
    timeoutMs: 30000,
    cache: { maxAgeSeconds: 6 * 3600, invalidatedBy: RPM_STATE },
  },
  'crypto-policy': { file: 'update-crypto-policies', args: ['--show'], timeoutMs: 5000 },
  'auditctl-status': { file: 'auditctl', args: ['-s'], timeoutMs: 5000 },
  'auditctl-rules': { file: 'auditctl', args: ['-l'], timeoutMs: 5000 },
  'chronyc-tracking': { file: 'chronyc', args: ['-n', 'tracking'], timeoutMs: 5000 },
  /** Every installed rpm as NAME<TAB>EPOCH:VERSION-RELEASE (epoch 0 when unset). */
  /** Ollama's own version line ("ollama version is 0.6.2"); AI workload pack. */
  'ollama-version': { file: 'ollama', args: ['--version'], timeoutMs: 5000 },
  'rpm-packages': { file: 'rpm', args: ['-qa', '--queryformat', '%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\n'], timeoutMs: 30000 },
} as const satisfies Record<string, CommandSpec>;

export type CommandId = keyof typeof COMMANDS;
export const COMMAND_IDS = Object.keys(COMMANDS) as CommandId[];
