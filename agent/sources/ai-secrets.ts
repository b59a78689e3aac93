/**
 * @module Model-provider credentials in places other users can read: a bounded set of files
 * (/etc/environment, /etc/profile.d, /etc/default, systemd units and drop-ins, .env and
 * docker-compose files in service directories, Streamlit secrets, Hugging Face token files),
 * and command lines of AI processes. Findings name the file, line and key NAME (or the value's
 * shape, e.g. "openai-key"); the secret value itself is never kept.
 */
import type { ScanContext } from '../engine/context.js';
import { readFileOnce } from '../engine/context.js';
import { expandGlob } from '../host/glob.js';
import { PROVIDER_KEY_NAMES, PROVIDER_VALUE_PATTERNS } from './ai-signatures.js';
import { readAiProcessTable } from './ai-services.js';
import { readProcessEnviron } from './processes.js';

export interface SecretFinding {
  path: string;
  line: number;
  /** The variable name, or the value shape when only the shape matched. */
  key: string;
  mode: string;
  groupReadable: boolean;
  worldReadable: boolean;
  /** Where it was: a plain file, a systemd unit Environment= line. */
  kind: 'file' | 'unit-environment';
}

export interface SecretScan {
  filesScanned: number;
  findings: SecretFinding[];
  /** "pid comm: flag" for AI processes passing a credential on the command line. */
  cmdline: string[];
  /** Hugging Face token files with group/other permission bits. */
  hfTokenFiles: { path: string; mode: string; loose: boolean }[];
}

const MAX_FILE_BYTES = 256 * 1024;

const FILE_GLOBS = [
  '/etc/environment',
  '/etc/profile.d/*.sh',
  '/etc/default/*',
  '/etc/systemd/system/*.service',
  '/etc/systemd/system/*.service.d/*.conf',
  '/opt/*/.env',
  '/opt/*/*.env',
  '/opt/*/docker-compose*.yml',
  '/opt/*/docker-compose*.yaml',
  '/srv/*/.env',
  '/srv/*/docker-compose*.yml',
  '/srv/*/docker-compose*.yaml',
  '/root/.env',
  '/home/*/.env',
  '/home/*/.streamlit/secrets.toml',
  '/root/.streamlit/secrets.toml',
  '/home/*/.config/openai/*',
  '/app/.env',
  '/app/backend/.env',
];

const HF_TOKEN_GLOBS = ['/root/.cache/huggingface/token', '/home/*/.cache/huggingface/token', '/root/.huggingface/token', '/home/*/.huggingface/token'];

const NAME_RE = new RegExp(`(?:^|[\\s"'{,;]|export\\s+|Environment=)(${PROVIDER_KEY_NAMES.join('|')})\\s*[=:]\\s*["']?([^\\s"'#]*)`);
const CMD_FLAGS = /^--?(api[-_]key|token|hf[-_]token|openai[-_]api[-_]key|(IdentityProvider|ServerApp|NotebookApp)\.token)(=|$)/i;

/** Key names (or value shapes) found on one line; values that are empty or placeholders do not count. */
export function keysInLine(line: string): string[] {
  const out: string[] = [];
  const m = NAME_RE.exec(line);
  if (m && m[2] && !/^(\$\{?[A-Z_]+\}?|<.*>|changeme|xxx+|\.\.\.)$/i.test(m[2])) out.push(m[1]!);
  if (out.length === 0) for (const p of PROVIDER_VALUE_PATTERNS) if (p.re.test(line)) out.push(p.label);
  return out;
}

async function candidateFiles(ctx: ScanContext): Promise<string[]> {
  const lists = await Promise.all(FILE_GLOBS.map((g) => expandGlob(ctx.host, g)));
  const files = new Set(lists.flat());
  const table = await readAiProcessTable(ctx);
  for (const p of table.processes.filter((x) => table.byPid.has(x.pid)).slice(0, 64)) {
    const cwd = await ctx.memo(`source:cwd:${p.pid}`, () => ctx.host.readLink(`/proc/${p.pid}/cwd`).catch(() => undefined));
    if (!cwd || cwd === '/') continue;
    for (const n of ['.env', '.streamlit/secrets.toml', 'docker-compose.yml', 'docker-compose.yaml']) files.add(`${cwd}/${n}`);
  }
  return [...files].sort().slice(0, 512);
}

export function scanSecrets(ctx: ScanContext): Promise<SecretScan> {
  return ctx.memo('source:ai-secrets', async () => {
    const result: SecretScan = { filesScanned: 0, findings: [], cmdline: [], hfTokenFiles: [] };
    for (const f of await candidateFiles(ctx)) {
      const st = await ctx.host.stat(f).catch(() => undefined);
      if (!st || st.type !== 'file' || st.size > MAX_FILE_BYTES) continue;
      const text = await readFileOnce(ctx, f).catch(() => undefined);
      if (text === undefined) continue;
      result.filesScanned++;
      const isUnit = /\/systemd\/system\//.test(f);
      text.split('\n').forEach((line, i) => {
        if (/^\s*[#;]/.test(line)) return;
        if (isUnit && !/^\s*Environment\s*=/.test(line)) return;
        for (const key of keysInLine(line)) {
          result.findings.push({
            path: f,
            line: i + 1,
            key,
            mode: st.mode.toString(8).padStart(4, '0'),
            groupReadable: (st.mode & 0o040) !== 0,
            worldReadable: (st.mode & 0o004) !== 0,
            kind: isUnit ? 'unit-environment' : 'file',
          });
        }
      });
    }
    const table = await readAiProcessTable(ctx);
    for (const p of table.processes.filter((x) => table.byPid.has(x.pid) || /^frpc_/.test(x.comm))) {
      p.cmdline.forEach((a, i) => {
        const m = CMD_FLAGS.exec(a);
        if (m) {
          const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : (p.cmdline[i + 1] ?? '');
          if (value !== '' && !/^(''|"")$/.test(value) && !value.startsWith('-')) result.cmdline.push(`pid ${p.pid} ${p.comm}: ${a.split('=')[0]}`);
        } else if (/[?&](api_key|token|key)=[^&\s]+/i.test(a)) result.cmdline.push(`pid ${p.pid} ${p.comm}: URL with a credential query parameter`);
        else for (const pat of PROVIDER_VALUE_PATTERNS) if (pat.re.test(a)) result.cmdline.push(`pid ${p.pid} ${p.comm}: ${pat.label} value in argv`);
      });
    }
    const hf = new Set((await Promise.all(HF_TOKEN_GLOBS.map((g) => expandGlob(ctx.host, g)))).flat());
    for (const p of table.processes.filter((x) => table.byPid.has(x.pid))) {
      const env = await readProcessEnviron(ctx, p.pid);
      if (env?.HF_TOKEN_PATH) hf.add(env.HF_TOKEN_PATH);
      if (env?.HF_HOME) hf.add(`${env.HF_HOME}/token`);
    }
    for (const f of [...hf].sort()) {
      const st = await ctx.host.stat(f).catch(() => undefined);
      if (!st || st.type !== 'file') continue;
      result.hfTokenFiles.push({ path: f, mode: st.mode.toString(8).padStart(4, '0'), loose: (st.mode & 0o077) !== 0 });
    }
    return result;
  });
}
