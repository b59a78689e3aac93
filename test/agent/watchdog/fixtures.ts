/**
 * @module Expensive fixtures for watchdog tests, written into a temp dir: a machine root with a
 * file of millions of short lines (reading it into lines costs hundreds of MB) and a line on which
 * the regex ^(a+)+$ backtracks exponentially (seconds of CPU), and a pack whose rules touch them.
 * Both are pack DATA: exactly what the watchdog must contain if a pack or a host turns out costly.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export async function expensiveRoot(dir: string): Promise<string> {
  await fs.mkdir(path.join(dir, 'etc'), { recursive: true });
  await fs.mkdir(path.join(dir, 'var/lib/rampart-test'), { recursive: true });
  await fs.writeFile(path.join(dir, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n');
  await fs.writeFile(path.join(dir, 'etc/hostname'), 'watchdog-host\n');
  await fs.writeFile(path.join(dir, 'etc/machine-id'), `${'ab'.repeat(16)}\n`);
  // 6 M lines of "x": 12 MB on disk, several hundred MB once split into strings.
  await fs.writeFile(path.join(dir, 'etc/huge.conf'), 'x\n'.repeat(6_000_000));
  // 34 a's then b: ^(a+)+$ tries 2^34 ways to split the a's before giving up.
  await fs.writeFile(path.join(dir, 'etc/backtrack.conf'), `${'a'.repeat(34)}b\n`);
  for (let i = 0; i < 4; i++) await fs.writeFile(path.join(dir, `var/lib/rampart-test/marker-0${i}`), '');
  return dir;
}

const cheap = (i: number) => `
  - id: test.watchdog.cheap-${i}
    title: Marker ${i} is present
    rationale: A cheap rule that finishes at once.
    severity: low
    references: {}
    check:
      probe: file
      params: { path: /var/lib/rampart-test/marker-0${i} }
      expect: { exists: { eq: true } }
    remediation: touch /var/lib/rampart-test/marker-0${i}`;

const lines = (id: string, file: string, match: string) => `
  - id: ${id}
    title: Lines of ${file} are read
    rationale: An expensive rule for the watchdog tests.
    severity: medium
    references: {}
    check:
      probe: file-lines
      params: { paths: [${file}], match: '${match}' }
      expect: { count: { eq: 0 } }
    remediation: none`;

export type ExpensiveKind = 'cheap' | 'memory' | 'cpu' | 'memory-everywhere';

/** A pack of four cheap rules plus, by kind, one rule that is costly in memory or CPU; or only two memory hogs (nothing to blame). */
export async function expensivePack(dir: string, kind: ExpensiveKind): Promise<string> {
  const extra =
    kind === 'memory'
      ? lines('test.watchdog.memory-hog', '/etc/huge.conf', '^y$')
      : kind === 'cpu'
        ? lines('test.watchdog.backtracking', '/etc/backtrack.conf', '^(a+)+$')
        : kind === 'memory-everywhere'
          ? lines('test.watchdog.memory-hog', '/etc/huge.conf', '^y$') + lines('test.watchdog.memory-hog-2', '/etc/huge.conf', '^z$')
          : '';
  const file = path.join(dir, `watchdog-${kind}.yaml`);
  await fs.writeFile(
    file,
    `pack:\n  id: test-watchdog-${kind}\n  title: Watchdog test pack (${kind})\n  version: 1.0.0\n  description: Cheap rules and, maybe, an expensive one.\nrules:${kind === 'memory-everywhere' ? '' : [0, 1, 2, 3].map(cheap).join('')}${extra}\n`,
  );
  return file;
}
