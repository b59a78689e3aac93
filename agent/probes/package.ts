/**
 * @module Probe `package`: whether a package is installed, by one name or any of several
 * (one rule can then cover Debian's `telnetd` and RHEL's `telnet-server`).
 */
import { z } from 'zod';
import { defineProbe, notApplicable, observed, probeError } from './probe.js';
import { findPackage, readPackageDb } from '../sources/packages.js';

const PackageName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9+._-]*$/, 'a package name such as openssh-server');

export const packageProbe = defineProbe({
  type: 'package',
  summary: 'Whether a package (or any of several alternative names) is installed, from the dpkg status file or rpm.',
  params: () => z
    .strictObject({
      name: PackageName.optional(),
      /** Any of these names counts (first installed one is reported). */
      names: z.array(PackageName).min(1).optional(),
    })
    .refine((p) => (p.name === undefined) !== (p.names === undefined), 'give exactly one of name or names'),
  fields: {
    installed: 'true when one of the named packages has its files on disk (dpkg "config-files" counts as not installed)',
    name: 'the package name that matched (the first installed one, else the first name asked for)',
    version: 'installed version (dpkg Version, or rpm EPOCH:VERSION-RELEASE); null when not installed',
    versions: 'every installed version of the matched name (several for kernels)',
    state: 'dpkg state word (installed, config-files, half-configured, ...), "installed" for rpm, "not-installed" when unknown to the database',
    manager: 'dpkg or rpm',
  },
  example: { names: ['telnetd', 'inetutils-telnetd', 'telnet-server'] },
  badExamples: [{}, { name: 'a', names: ['b'] }, { name: 'bad name' }, { names: [] }, { name: 'x', extra: 1 }],
  async run(params, ctx) {
    const names = params.names ?? [params.name!];
    const db = await readPackageDb(ctx);
    if (db.kind === 'none') {
      if (db.outcome === 'not-applicable') return notApplicable(db.reason, db.sources);
      return probeError(db.outcome === 'failed' ? 'ERR_PROBE_FAILED' : 'ERR_PROBE_UNAVAILABLE', db.reason, db.sources);
    }
    const { name, pkg } = findPackage(db, names);
    const installed = pkg?.installed === true;
    return observed(
      {
        installed,
        name,
        version: installed ? pkg!.version : null,
        versions: installed ? (db.packages.get(name) ?? []).filter((p) => p.installed).map((p) => p.version) : [],
        state: pkg?.state ?? 'not-installed',
        manager: db.manager,
      },
      [db.source],
    );
  },
});
