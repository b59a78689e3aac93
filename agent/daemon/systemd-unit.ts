/**
 * @module The systemd unit `rampart agent install-service` writes. Hardened as far as a
 * compliance scanner allows: it must READ the whole host as root (sshd_config, /etc/shadow
 * modes, /proc, sockets), so ProtectSystem=strict (everything read-only) with only the state
 * directory writable, NoNewPrivileges, no capabilities beyond reading (CAP_DAC_READ_SEARCH,
 * CAP_SYS_PTRACE for other processes' /proc entries, CAP_NET_ADMIN to list firewall rules),
 * private /tmp, no device access.
 * ProtectHome=read-only (not yes) because rules inspect dotfiles such as ~/.ssh/authorized_keys.
 * Exit code 4 (refused by the collector: revoked, unknown) must not restart the agent.
 */
import { AGENT_EXIT } from './exit-codes.js';

export interface UnitOptions {
  /** Absolute path of the node binary. */
  nodePath: string;
  /** Absolute path of the rampart entry (dist/rampart.js); omitted for a single executable (nodePath is the agent). */
  entryPath?: string;
  stateDir: string;
  /** Run as this user (default root: reading the host needs it). */
  user?: string;
  /** Extra `agent run` arguments (e.g. --server URL). */
  extraArgs?: string[];
}

function quote(arg: string): string {
  // systemd splits ExecStart on whitespace and honours double quotes; reject what we cannot express safely.
  if (/["\\\n$%]/.test(arg)) throw new Error(`argument not allowed in a unit file: ${arg}`);
  return /\s/.test(arg) ? `"${arg}"` : arg;
}

export function renderUnit(o: UnitOptions): string {
  const user = o.user ?? 'root';
  const exec = [o.nodePath, ...(o.entryPath === undefined ? [] : [o.entryPath]), 'agent', 'run', '--state-dir', o.stateDir, ...(o.extraArgs ?? [])].map(quote).join(' ');
  const lines = [
    '# Written by `rampart agent install-service`. Edit with `systemctl edit rampart-agent`.',
    '[Unit]',
    'Description=Rampart compliance agent (streams rule results to the collector)',
    'Documentation=file://' + (o.entryPath ?? o.nodePath).replace(/dist\/rampart\.js$/, 'docs/agent.md'),
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `User=${user}`,
    `ExecStart=${exec}`,
    'Restart=always',
    'RestartSec=10s',
    `RestartPreventExitStatus=${AGENT_EXIT.refused} ${AGENT_EXIT.usage}`,
    'Environment=NODE_ENV=production',
    '# Hardening: read the whole host, write only the state directory.',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    `ReadWritePaths=${o.stateDir}`,
    'ProtectHome=read-only',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'RestrictSUIDSGID=yes',
    'RestrictRealtime=yes',
    'RestrictNamespaces=yes',
    'LockPersonality=yes',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK',
    'SystemCallArchitectures=native',
    'UMask=0077',
    '# Read any file and /proc entry; CAP_NET_ADMIN lets firewall commands (nft, iptables) list rules.',
    'CapabilityBoundingSet=CAP_DAC_READ_SEARCH CAP_SYS_PTRACE CAP_NET_ADMIN',
    ...(user === 'root' ? [] : ['AmbientCapabilities=CAP_DAC_READ_SEARCH CAP_SYS_PTRACE CAP_NET_ADMIN']),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}
