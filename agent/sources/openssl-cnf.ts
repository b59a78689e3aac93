/**
 * @module A reader for OpenSSL configuration files (openssl.cnf): sections, `name = value` pairs,
 * and `.include` of files or directories, resolved through the Host so RHEL's crypto-policy
 * back-end (`.include /etc/crypto-policies/back-ends/opensslcnf.config`) is followed.
 */
import type { Host } from '../host/host.js';

/** Section name → key → value ("" is the default section before the first [header]). */
export type OpensslConf = Map<string, Map<string, string>>;

const MAX_INCLUDE_DEPTH = 8;

export async function readOpensslConf(host: Host, path: string): Promise<{ conf: OpensslConf; files: string[] } | undefined> {
  const conf: OpensslConf = new Map([['', new Map()]]);
  const files: string[] = [];
  let section = '';
  async function load(file: string, depth: number): Promise<boolean> {
    const text = await host.readFile(file);
    if (text === undefined) return false;
    files.push(file);
    for (const raw of text.split('\n')) {
      const line = raw.replace(/(^|[^\\])#.*$/, '$1').trim();
      if (line === '') continue;
      const inc = /^\.include\s*=?\s*(.+)$/.exec(line);
      if (inc) {
        if (depth >= MAX_INCLUDE_DEPTH) continue;
        const target = inc[1]!.trim();
        const st = await host.stat(target);
        if (st?.type === 'dir') {
          for (const name of (await host.readDir(target)) ?? []) {
            if (/\.(cnf|conf)$/.test(name)) await load(`${target}/${name}`, depth + 1);
          }
        } else await load(target, depth + 1);
        continue;
      }
      const header = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
      if (header) {
        section = header[1]!;
        if (!conf.has(section)) conf.set(section, new Map());
        continue;
      }
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      conf.get(section)!.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
    }
    return true;
  }
  if (!(await load(path, 0))) return undefined;
  return { conf, files };
}
