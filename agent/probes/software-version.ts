/**
 * @module Probe `software-version`: the installed version of one package, read from metadata
 * (pip dist-info METADATA, npm package.json, dpkg/rpm database) or a binary's own version source,
 * without importing or running the software. Not-applicable when it is not installed.
 */
import { z } from 'zod';
import { EcosystemSchema, PackageNameSchema } from '../sources/ai-signatures.js';
import { readSoftwareVersion } from '../sources/software-versions.js';
import { compareVersions } from '../sources/version-order.js';
import { defineProbe, notApplicable, observed } from './probe.js';

export const softwareVersionProbe = defineProbe({
  type: 'software-version',
  summary: 'Installed version of a package (pip, npm, dpkg, rpm or a known binary) read from metadata, never by running it.',
  params: () => z.strictObject({
    ecosystem: EcosystemSchema,
    name: PackageNameSchema,
    /** When set, `atLeast` says whether every installation is at or above this version. */
    minimum: z.string().min(1).optional(),
  }),
  fields: {
    installed: 'true when at least one installation was found',
    version: 'the lowest installed version (null when unreadable)',
    location: 'where that version was read (METADATA file, package.json, package database)',
    installations: 'every installation: {version, location}',
    atLeast: 'true when every installation is at or above `minimum` (null when a version cannot be read)',
  },
  example: { ecosystem: 'pypi', name: 'jupyter-server' },
  badExamples: [{}, { ecosystem: 'npm', name: '../../etc/passwd' }, { ecosystem: 'cargo', name: 'x' }, { ecosystem: 'pypi', name: 'a b' }, { ecosystem: 'pypi', name: 'x', extra: true }],
  async run(params, ctx) {
    const v = await readSoftwareVersion(ctx, params.ecosystem, params.name);
    if (!v.installed) return notApplicable(`${params.ecosystem} package ${params.name} is not installed`, v.sources.slice(0, 10));
    const values: Record<string, unknown> = { installed: true, version: v.version, location: v.location, installations: v.installations };
    if (params.minimum !== undefined) {
      const cmp = v.installations.map((i) => (i.version === null ? undefined : compareVersions(i.version, params.minimum!)));
      values.atLeast = cmp.some((c) => c === undefined) ? null : cmp.every((c) => (c ?? 0) >= 0);
    }
    return observed(values, v.installations.map((i) => i.location));
  },
});
