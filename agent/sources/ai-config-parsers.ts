/**
 * @module Small, non-executing readers for the settings AI services take: command-line flags,
 * `c.Class.trait = literal` lines of Python config files (anything else is left unknown, never
 * run), Java-style properties, dotenv files, TOML/INI `key = value` under a section, and systemd
 * `Environment=` lines. Secret values are parsed only to test them (empty? default?) and are
 * never returned into evidence by callers.
 */

/** The value of a flag: `--x=v`, `--x v`, or `true` for a bare `--x`. Undefined when absent. Last one wins. */
export function flagValue(argv: readonly string[], names: readonly string[]): string | true | undefined {
  let found: string | true | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    for (const n of names) {
      if (a === n) {
        const next = argv[i + 1];
        found = next !== undefined && !next.startsWith('-') ? next : true;
      } else if (a.startsWith(`${n}=`)) found = a.slice(n.length + 1);
    }
  }
  return found;
}

/** True when a flag's value is empty, including shell quotes passed through literally (`--x=''`). */
export function isEmptyValue(v: string | true | undefined): boolean {
  return typeof v === 'string' && /^(''|""|)$/.test(v.trim());
}

export function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")))) return t.slice(1, -1);
  return t;
}

export function truthy(v: string | true | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === true) return true;
  const t = unquote(v).toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(t)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(t)) return false;
  return undefined;
}

export type PyLiteral = string | number | boolean | null;

/**
 * `c.Section.trait = literal` assignments of a Jupyter-style Python config. Values that are not a
 * plain literal (calls, names, expressions) are reported in `unparsed` so callers can say "unknown".
 */
export function parsePythonConfig(text: string): { values: Map<string, PyLiteral>; unparsed: string[] } {
  const values = new Map<string, PyLiteral>();
  const unparsed: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    const m = /^c\.([A-Za-z_][\w]*\.[A-Za-z_]\w*)\s*=\s*(.+)$/.exec(line);
    if (!m) continue;
    const key = m[1]!;
    const v = m[2]!.trim();
    if (/^(['"]).*\1$/.test(v) && !/^(['"]).*\1.+\1$/.test(v)) values.set(key, v.slice(1, -1));
    else if (/^[ru]?(['"])(.*)\1$/.test(v)) values.set(key, v.replace(/^[ru]?(['"])(.*)\1$/, '$2'));
    else if (v === 'True' || v === 'False') values.set(key, v === 'True');
    else if (v === 'None') values.set(key, null);
    else if (/^-?\d+(\.\d+)?$/.test(v)) values.set(key, Number(v));
    else unparsed.push(key);
  }
  return { values, unparsed };
}

/** A Jupyter JSON config ({"ServerApp": {"token": ""}}) flattened to "ServerApp.token". */
export function parseJsonConfig(text: string): Map<string, PyLiteral> {
  const out = new Map<string, PyLiteral>();
  try {
    const obj = JSON.parse(text) as Record<string, unknown>;
    for (const [section, traits] of Object.entries(obj)) {
      if (traits === null || typeof traits !== 'object') continue;
      for (const [k, v] of Object.entries(traits as Record<string, unknown>)) {
        if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out.set(`${section}.${k}`, v as PyLiteral);
      }
    }
  } catch {
    // unreadable JSON: nothing known
  }
  return out;
}

/** `key=value` / `key: value` lines (TorchServe config.properties); `#` and `!` comments. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!.trim());
  }
  return out;
}

/** dotenv / EnvironmentFile lines: `KEY=value`, optional `export`, quotes removed. */
export function parseEnvFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(raw);
    if (m) out.set(m[1]!, unquote(m[2]!.replace(/\s+#.*$/, '')));
  }
  return out;
}

/** `Environment=` assignments of a systemd unit or drop-in (several per line, optionally quoted). */
export function parseUnitEnvironment(text: string): { values: Map<string, string>; lines: { line: number; key: string }[] } {
  const values = new Map<string, string>();
  const lines: { line: number; key: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    const m = /^\s*Environment\s*=\s*(.*)$/.exec(raw);
    if (!m) return;
    const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
    let t: RegExpExecArray | null;
    while ((t = re.exec(m[1]!)) !== null) {
      const pair = t[1] ?? t[2] ?? t[3] ?? '';
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const key = pair.slice(0, eq);
      values.set(key, pair.slice(eq + 1));
      lines.push({ line: i + 1, key });
    }
  });
  return { values, lines };
}

/** `key = value` lines inside `[section]` of a TOML/INI file (dotted section names as written). */
export function parseSectionKeys(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[([^\]]+)\]$/.exec(line);
    if (s) {
      section = s[1]!.trim();
      continue;
    }
    const m = /^([A-Za-z0-9_.-]+)\s*=\s*(.*)$/.exec(line);
    if (m) out.set(section ? `${section}.${m[1]}` : m[1]!, unquote(m[2]!));
  }
  return out;
}
