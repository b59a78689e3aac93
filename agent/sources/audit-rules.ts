/**
 * @module Linux audit rules, read once per scan: the loaded rules from `auditctl -l` on a live
 * host, otherwise the persistent rule files (/etc/audit/rules.d/*.rules, which augenrules merges,
 * or /etc/audit/audit.rules). Each rule is normalised into watches and syscall rules.
 */
import type { ScanContext } from '../engine/context.js';
import { readFileOnce } from '../engine/context.js';
import { globOnce } from './config-files.js';

export interface AuditWatch {
  path: string;
  perms: string;
  key: string | null;
}

export interface AuditSyscallRule {
  action: string;
  list: string;
  arch: string | null;
  syscalls: string[];
  key: string | null;
  /** Other -F filters as "name=value" (or "name!=value", ...). */
  filters: string[];
}

export interface AuditRules {
  source: 'auditctl -l' | 'rule files';
  files: string[];
  rules: string[];
  watches: AuditWatch[];
  syscalls: AuditSyscallRule[];
  /** auditctl -s "enabled" (0 off, 1 on, 2 locked); null when not asked. */
  enabled: number | null;
  notes: string[];
}

const stripSlash = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);

/** Parse one rule line into a watch or a syscall rule; control lines (-D, -b, -e ...) are kept only as text. */
export function parseAuditRule(line: string, out: { watches: AuditWatch[]; syscalls: AuditSyscallRule[] }): void {
  const t = line.trim().split(/\s+/);
  let watch: string | undefined;
  let perms = 'rwxa';
  let key: string | null = null;
  let actionList: string | undefined;
  const syscalls: string[] = [];
  const filters: string[] = [];
  let arch: string | null = null;
  for (let i = 0; i < t.length; i++) {
    const opt = t[i]!;
    const val = t[i + 1];
    if (opt === '-w' && val) (watch = val), i++;
    else if (opt === '-p' && val) (perms = val), i++;
    else if (opt === '-k' && val) (key = val), i++;
    else if ((opt === '-a' || opt === '-A') && val) (actionList = val), i++;
    else if (opt === '-S' && val) syscalls.push(...val.split(',').filter(Boolean)), i++;
    else if (opt === '-F' && val) {
      i++;
      const m = /^([a-z_0-9]+)(=|!=|<=|>=|<|>|&=|&)(.*)$/.exec(val);
      if (!m) continue;
      if (m[1] === 'arch' && m[2] === '=') arch = m[3]!;
      else if ((m[1] === 'key' || m[1] === 'k') && m[2] === '=') key = m[3]!;
      else filters.push(val);
    }
  }
  if (watch !== undefined) {
    out.watches.push({ path: stripSlash(watch), perms, key });
    return;
  }
  if (actionList === undefined) return;
  const [a, b] = actionList.split(',');
  const lists = ['exit', 'task', 'user', 'exclude', 'filesystem', 'io_uring'];
  const list = lists.includes(a ?? '') ? a! : b ?? '';
  const action = list === a ? b ?? '' : a ?? '';
  // auditctl -l shows a directory/file watch as a syscall rule on dir=/path= with perm=.
  const dir = filters.find((f) => /^(dir|path)=/.test(f));
  const perm = filters.find((f) => f.startsWith('perm='));
  if (dir && perm && syscalls.length === 0) {
    out.watches.push({ path: stripSlash(dir.replace(/^(dir|path)=/, '')), perms: perm.slice(5), key });
    return;
  }
  out.syscalls.push({ action, list, arch, syscalls, key, filters });
}

export function parseAuditRules(text: string): { rules: string[]; watches: AuditWatch[]; syscalls: AuditSyscallRule[] } {
  const out = { rules: [] as string[], watches: [] as AuditWatch[], syscalls: [] as AuditSyscallRule[] };
  for (const raw of text.split('\n')) {
    const line = raw.trim().replace(/\s+/g, ' ');
    if (line === '' || line.startsWith('#') || line === 'No rules') continue;
    out.rules.push(line);
    parseAuditRule(line, out);
  }
  return out;
}

export function readAuditRules(ctx: ScanContext): Promise<AuditRules> {
  return ctx.memo('source:audit-rules', async (): Promise<AuditRules> => {
    const notes: string[] = [];
    const [loaded, status] = await Promise.all([ctx.host.run('auditctl-rules'), ctx.host.run('auditctl-status')]);
    const enabledText = status?.exitCode === 0 ? /^enabled\s+(\d+)/m.exec(status.stdout)?.[1] : undefined;
    const enabled = enabledText === undefined ? null : Number(enabledText);
    if (loaded !== undefined && loaded.exitCode === 0) {
      return { source: 'auditctl -l', files: [], ...parseAuditRules(loaded.stdout), enabled, notes };
    }
    if (loaded !== undefined) notes.push(`auditctl -l failed (exit ${loaded.exitCode}); persistent rule files read instead`);
    let files = await globOnce(ctx, '/etc/audit/rules.d/*.rules');
    if (files.length === 0) files = await globOnce(ctx, '/etc/audit/audit.rules');
    const texts: string[] = [];
    for (const f of files) texts.push((await readFileOnce(ctx, f)) ?? '');
    return { source: 'rule files', files, ...parseAuditRules(texts.join('\n')), enabled, notes };
  });
}
