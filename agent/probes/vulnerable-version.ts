/**
 * @module Probe `vulnerable-version`: compares the installed version of a package with the
 * release that fixed one or more CVEs, and looks those CVEs up in the agent's CISA KEV catalog
 * (read once per scan). `kevMatch` is set only when an installed version is vulnerable AND a CVE
 * is KEV-listed; it carries the KEV dates so the rule result shows the due date. `cveMatches` lists
 * every CVE of a vulnerable installation with its KEV status and any SSVC values the rule supplies:
 * the runner puts them on a failing rule's result (RuleResult.cves) for BOD 26-04 Table 1.
 * Not-applicable when the package is not installed.
 */
import { z } from 'zod';
import { EcosystemSchema, PackageNameSchema } from '../sources/ai-signatures.js';
import { readKev } from '../sources/kev-catalog.js';
import { readSoftwareVersion } from '../sources/software-versions.js';
import { compareVersions } from '../sources/version-order.js';
import { defineProbe, notApplicable, observed, probeError } from './probe.js';
import type { KevEntry } from '../../shared/kev.js';
import type { CveMatch } from '../../shared/result.js';
import { byCodeUnit } from '../../shared/text-order.js';

const Cve = z.string().regex(/^CVE-\d{4}-\d{4,}$/, 'a CVE id such as CVE-2025-3248');
/** CISA SSVC decision points of one CVE (Vulnrichment/NVD), when the rule author has them. */
const Ssvc = z.strictObject({ automatable: z.enum(['yes', 'no']).optional(), technicalImpact: z.enum(['partial', 'total']).optional() });

export const vulnerableVersionProbe = defineProbe({
  type: 'vulnerable-version',
  summary: 'Whether an installed package is older than the release fixing the given CVEs, and whether any of them is on the CISA KEV catalog (with its due date).',
  params: () => z.strictObject({
    ecosystem: EcosystemSchema,
    name: PackageNameSchema,
    /** First release that is not affected. */
    fixedIn: z.string().min(1),
    /** First affected release, when older releases are not affected. */
    introducedIn: z.string().min(1).optional(),
    cve: z.union([Cve, z.array(Cve).min(1)]),
    /** Fail with ERR_KEV_MISSING when no KEV catalog is loaded (rules that exist to find KEV-listed flaws). */
    kevRequired: z.boolean().default(false),
    /** SSVC Automatable / Technical Impact per CVE id (BOD 26-04 Table 1 inputs); absent ones take the directive's defaults at the collector. */
    ssvc: z.record(Cve, Ssvc).optional(),
  }),
  fields: {
    installed: 'true when the package is installed',
    version: 'the lowest installed version',
    location: 'where that version was read',
    vulnerable: 'true when any installation is older than fixedIn (and not older than introducedIn); null when a version cannot be read',
    cves: 'the CVE ids this check covers',
    kev: 'true when any of the CVEs is in the loaded KEV catalog (null when no catalog is loaded)',
    kevCves: 'the CVE ids listed in the KEV catalog',
    kevDueDate: 'earliest KEV due date among the listed CVEs',
    kevDateAdded: 'earliest date a listed CVE was added to KEV',
    ransomware: 'KEV knownRansomwareCampaignUse of the listed CVEs ("Known" wins over "Unknown")',
    kevMatch: 'null unless vulnerable AND KEV-listed; then {cve, dueDate, dateAdded, ransomware, catalogVersion}',
    kevCatalog: 'version of the KEV catalog consulted (null when none is loaded)',
    cveMatches: 'when vulnerable: every CVE with {cve, kev (null without a catalog), kevDueDate, kevDateAdded, automatable, technicalImpact}; else []',
  },
  example: { ecosystem: 'pypi', name: 'langflow', fixedIn: '1.3.0', cve: 'CVE-2025-3248' },
  badExamples: [{}, { ecosystem: 'npm', name: '..', fixedIn: '1', cve: 'CVE-2020-1234' }, { ecosystem: 'pypi', name: 'x', fixedIn: '1.0' }, { ecosystem: 'pypi', name: 'x', fixedIn: '1.0', cve: 'CVE-1' }, { ecosystem: 'pip', name: 'x', fixedIn: '1', cve: 'CVE-2020-1234' }],
  async run(params, ctx) {
    const cves = Array.isArray(params.cve) ? params.cve : [params.cve];
    const v = await readSoftwareVersion(ctx, params.ecosystem, params.name);
    if (!v.installed) return notApplicable(`${params.ecosystem} package ${params.name} is not installed`, v.sources.slice(0, 10));
    const kev = await readKev(ctx);
    if (kev.status === 'invalid') return probeError('ERR_KEV_INVALID', kev.message, [kev.file]);
    if (kev.status === 'missing' && params.kevRequired) {
      return probeError('ERR_KEV_MISSING', `no KEV catalog loaded (looked at ${kev.tried.join(', ')}); run \`rampart kev update FILE\``, kev.tried);
    }
    let vulnerable: boolean | null = false;
    for (const i of v.installations) {
      if (i.version === null) {
        vulnerable = vulnerable === true ? true : null;
        continue;
      }
      const belowFix = compareVersions(i.version, params.fixedIn);
      const aboveIntro = params.introducedIn === undefined ? 0 : compareVersions(i.version, params.introducedIn);
      if (belowFix === undefined || aboveIntro === undefined) {
        vulnerable = vulnerable === true ? true : null;
        continue;
      }
      if (belowFix < 0 && aboveIntro >= 0) vulnerable = true;
    }
    const listed = kev.status === 'loaded' ? cves.map((c) => kev.index.get(c)).filter((e): e is NonNullable<typeof e> => e !== undefined) : [];
    const earliest = (xs: string[]) => xs.sort()[0] ?? null;
    const values: Record<string, unknown> = {
      installed: true,
      version: v.version,
      location: v.location,
      vulnerable,
      cves,
      kev: kev.status === 'loaded' ? listed.length > 0 : null,
      kevCves: listed.map((e) => e.cveID),
      kevDueDate: earliest(listed.map((e) => e.dueDate)),
      kevDateAdded: earliest(listed.map((e) => e.dateAdded)),
      ransomware: listed.length === 0 ? null : listed.some((e) => e.knownRansomwareCampaignUse === 'Known') ? 'Known' : 'Unknown',
      kevMatch: null,
      kevCatalog: kev.status === 'loaded' ? kev.catalog.catalogVersion : null,
    };
    if (vulnerable === true && listed.length > 0 && kev.status === 'loaded') {
      const first = [...listed].sort((a, b) => byCodeUnit(a.dueDate, b.dueDate))[0]!;
      values.kevMatch = { cve: first.cveID, dueDate: first.dueDate, dateAdded: first.dateAdded, ransomware: first.knownRansomwareCampaignUse, catalogVersion: kev.catalog.catalogVersion };
    }
    values.cveMatches = vulnerable === true ? cves.map((cve) => cveMatch(cve, kev.status === 'loaded' ? kev.index.get(cve) ?? null : undefined, params.ssvc?.[cve])) : [];
    const sources = v.installations.map((i) => i.location);
    if (kev.status === 'loaded') sources.push(kev.file);
    return observed(values, sources);
  },
});

/** One matched CVE: `entry` undefined = no catalog loaded, null = not listed. */
function cveMatch(cve: string, entry: KevEntry | null | undefined, ssvc: z.infer<typeof Ssvc> | undefined): CveMatch {
  return {
    cve,
    kev: entry === undefined ? null : entry !== null,
    ...(entry ? { kevDueDate: entry.dueDate, kevDateAdded: entry.dateAdded } : {}),
    ...(ssvc?.automatable ? { automatable: ssvc.automatable } : {}),
    ...(ssvc?.technicalImpact ? { technicalImpact: ssvc.technicalImpact } : {}),
  };
}
