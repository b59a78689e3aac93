/**
 * @module OSCAL 1.1.2 assessment results from the evidence model: rules are assessment activities,
 * hosts are inventory items, every rule verdict on a host is an observation carrying its evidence,
 * every failure is a risk (with its due date and waiver), and every cited NIST 800-53 control that
 * was evaluated gets a finding.
 * Deterministic: the same model always gives the same bytes. docs/evidence.md has the mapping table.
 */
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { canonicalJson } from '../evidence/canonical-json.js';
import { parseEvidenceModel, type EvidenceHost, type EvidenceModel, type EvidenceResult } from '../evidence/model.js';
import { countVerdicts, dueStateOf, sortedModel, verdictOf, waiverState, type Verdict } from '../evidence/verdict.js';
import type { Evidence } from '../result.js';
import { compareControlRefs, controlRef, type ControlRef } from './controls.js';
import { oneLine, prop, some, type OscalProp } from './props.js';
import { cveInputWords, decisionWords, exposureWords } from '../bod-26-04.js';
import { stableUuid, uuidV5 } from './uuid.js';

export const OSCAL_VERSION = '1.1.2';

type Json = Record<string, unknown>;
/** An OSCAL assessment-results document (validate it with shared/oscal/validate.ts). */
export interface OscalAssessmentResults {
  'assessment-results': Json;
}

interface Ctx {
  model: EvidenceModel;
  asOf: string;
  hostUuid: Map<string, string>;
  hostById: Map<string, EvidenceHost>;
  toolUuid: string;
  packById: Map<string, EvidenceModel['assessment']['packs'][number]>;
  /** Per rule id: its activity (root local definitions) and task (result local definitions). */
  rules: Map<string, RuleDef>;
}

interface RuleDef {
  sample: EvidenceResult;
  activityUuid: string;
  taskUuid: string;
  hostIds: Set<string>;
}

/** The OSCAL assessment results for an evidence model (one host, one agency or a fleet). */
export function evidenceToOscal(input: EvidenceModel): OscalAssessmentResults {
  const model = sortedModel(parseEvidenceModel(input));
  const { assessment } = model;
  const asOf = assessment.generatedAt;
  const documentUuid = uuidV5(`assessment-results:${createHash('sha256').update(canonicalJson(model)).digest('hex')}`);
  const ctx: Ctx = {
    model,
    asOf,
    hostUuid: new Map(model.hosts.map((h) => [h.id, h.uuid ?? stableUuid('host', h.id)])),
    hostById: new Map(model.hosts.map((h) => [h.id, h])),
    toolUuid: stableUuid('component', 'rampart', assessment.tool.version),
    packById: new Map(assessment.packs.map((p) => [p.id, p])),
    rules: new Map(),
  };
  for (const r of model.results) {
    let def = ctx.rules.get(r.ruleId);
    if (!def) {
      const version = ctx.packById.get(r.packId)?.version ?? '';
      const activityUuid = stableUuid('activity', r.packId, version, r.ruleId);
      def = { sample: r, activityUuid, taskUuid: stableUuid('task', activityUuid, documentUuid), hostIds: new Set() };
      ctx.rules.set(r.ruleId, def);
    }
    if (!def.sample.expected && r.expected) def.sample = r;
    def.hostIds.add(r.hostId);
  }
  const ruleDefs = [...ctx.rules.values()];

  const observations = model.results.map((r) => observation(ctx, r));
  const risks = model.results.filter((r) => r.status === 'fail').map((r) => risk(ctx, r));
  const controls = citedControls(model.results);
  const findings = controls.flatMap((c) => finding(ctx, c, documentScopeKey(model)));
  const counts = countVerdicts(model.results, asOf);
  const times = model.results.map((r) => Date.parse(r.collectedAt)).sort((a, b) => a - b);
  const start = ts(assessment.start ?? (times.length ? new Date(times[0]!).toISOString() : asOf));
  const endCandidate = ts(assessment.end ?? (times.length ? new Date(times[times.length - 1]!).toISOString() : asOf));
  const end = Date.parse(endCandidate) >= Date.parse(start) ? endCandidate : start;

  const planUuid = stableUuid('assessment-plan', canonicalJson({ packs: assessment.packs, tailoring: assessment.tailoring ?? null }));
  const agencyParty = assessment.agency
    ? [{ uuid: stableUuid('party', 'agency', assessment.agency.id), type: 'organization', name: oneLine(assessment.agency.name), 'short-name': oneLine(assessment.agency.id) }]
    : [];

  const result: Json = {
    uuid: stableUuid('result', documentUuid),
    title: assessment.title,
    description:
      `Automated assessment by Rampart ${assessment.tool.version} of ${plural(model.hosts.length, 'host')} against ` +
      `${assessment.packs.map((p) => `${p.id} ${p.version}`).join(', ') || 'no rule packs'}, as of ${asOf}. ` +
      `${counts.total} rule verdicts: ${counts.pass} pass, ${counts.fail} fail, ${counts.waived} waived, ${counts.error} error, ${counts.notApplicable} not applicable.`,
    start,
    end,
    props: [
      ...prop('scope', assessment.scope),
      ...prop('agency-id', assessment.agency?.id),
      ...prop('as-of', asOf),
      ...prop('host-count', model.hosts.length),
      ...prop('checks-total', counts.total),
      ...prop('checks-pass', counts.pass),
      ...prop('checks-fail', counts.fail),
      ...prop('checks-waived', counts.waived),
      ...prop('checks-error', counts.error),
      ...prop('checks-not-applicable', counts.notApplicable),
      ...(model.cadences ?? []).flatMap((c) =>
        prop('cadence', `${c.directive} ${c.id}: every host assessed at least every ${c.everyDays} days from ${ts(c.from)} to ${ts(c.to)}: ${c.met ? 'met' : `not met (${c.hosts.filter((h) => !h.met).map((h) => h.hostname).join(', ')})`}`),
      ),
    ],
    'local-definitions': {
      ...some('inventory-items', model.hosts.map((h) => inventoryItem(ctx, h))),
      ...some('tasks', ruleDefs.map((d) => task(ctx, d))),
      'assessment-assets': {
        components: [
          {
            uuid: ctx.toolUuid,
            type: 'software',
            title: `Rampart ${assessment.tool.version}`,
            description: 'Rampart network-hardening compliance scanner: runs rule-pack checks on each host and records the evidence of every verdict.',
            props: [...prop('version', assessment.tool.version, { core: true })],
            status: { state: 'operational' },
          },
        ],
        'assessment-platforms': [
          {
            uuid: stableUuid('platform', 'rampart', assessment.tool.version),
            title: 'Rampart agent and collector',
            'uses-components': [{ 'component-uuid': ctx.toolUuid }],
          },
        ],
      },
    },
    'reviewed-controls': reviewedControls(controls),
    ...some('observations', observations),
    ...some('risks', risks),
    ...some('findings', findings),
  };

  const backMatter = [
    {
      uuid: planUuid,
      title: 'Assessment plan: the Rampart rule packs and tailoring listed in this back matter',
      description:
        'Rampart does not publish a separate OSCAL assessment plan. What was assessed, and how, is defined by the rule packs ' +
        '(each identified by id, version and SHA-256 digest) and the optional agency tailoring listed as resources of this document.',
      props: [...prop('resource-type', 'assessment-plan')],
    },
    ...assessment.packs.map((p) => ({
      uuid: stableUuid('pack', p.id, p.version, p.sha256),
      title: `Rule pack ${p.id} ${p.version}: ${p.title}`,
      props: [...prop('resource-type', 'rule-pack'), ...prop('pack-id', p.id), ...prop('pack-version', p.version), ...prop('pack-sha256', p.sha256), ...prop('rule-count', p.ruleCount)],
      'document-ids': [{ identifier: `${p.id}@${p.version}` }],
    })),
    ...(assessment.tailoring
      ? [
          {
            uuid: stableUuid('tailoring', assessment.tailoring.id, assessment.tailoring.sha256),
            title: `Tailoring ${assessment.tailoring.id}`,
            props: [...prop('resource-type', 'tailoring'), ...prop('tailoring-id', assessment.tailoring.id), ...prop('tailoring-sha256', assessment.tailoring.sha256)],
          },
        ]
      : []),
  ];

  return {
    'assessment-results': {
      uuid: documentUuid,
      metadata: {
        title: assessment.title,
        'last-modified': ts(asOf),
        version: ts(asOf),
        'oscal-version': OSCAL_VERSION,
        props: [...prop('generator', `rampart ${assessment.tool.version}`), ...prop('evidence-schema', model.schema)],
        ...some('parties', agencyParty),
      },
      'import-ap': {
        href: `#${planUuid}`,
        remarks: 'Points at the back-matter resource that describes the implicit assessment plan (the rule packs and tailoring).',
      },
      ...(ruleDefs.length ? { 'local-definitions': { activities: ruleDefs.map((d) => activity(ctx, d)) } } : {}),
      results: [result],
      'back-matter': { resources: backMatter },
    },
  };
}

/**
 * Every OSCAL date-time as UTC with milliseconds (`toISOString`): the same instant, always inside the
 * schema's pattern (which wants seconds and only some offsets, while the model accepts any RFC 3339 time).
 */
function ts(iso: string): string {
  return new Date(Date.parse(iso)).toISOString();
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function documentScopeKey(model: EvidenceModel): string {
  return model.assessment.agency ? `agency:${model.assessment.agency.id}` : `hosts:${model.hosts.map((h) => h.id).join(',')}`;
}

function inventoryItem(ctx: Ctx, h: EvidenceHost): Json {
  const ips = h.ipAddresses ?? [];
  return {
    uuid: ctx.hostUuid.get(h.id),
    description: `Host ${h.hostname}${h.os.prettyName ? ` (${h.os.prettyName})` : ''}.`,
    props: [
      ...prop('asset-id', h.id, { core: true }),
      ...(h.hostname.includes('.') ? prop('fqdn', h.hostname, { core: true }) : []),
      ...ips.filter((ip) => isIPv4(ip)).flatMap((ip) => prop('ipv4-address', ip, { core: true })),
      ...ips.filter((ip) => isIPv6(ip)).flatMap((ip) => prop('ipv6-address', ip, { core: true })),
      ...prop('hostname', h.hostname),
      ...prop('machine-id', h.machineId),
      ...prop('os-id', h.os.id),
      ...prop('os-version', h.os.versionId),
      ...prop('os-name', h.os.prettyName),
      ...prop('kernel', h.kernel),
      ...prop('arch', h.arch),
      ...prop('scan-mode', h.mode),
      ...prop('scan-root', h.root),
      ...(h.container === undefined ? [] : prop('container', h.container ? 'yes' : 'no')),
      ...(h.tags ?? []).flatMap((t) => prop('host-tag', t)),
    ],
  };
}

const observationUuids = new WeakMap<EvidenceResult, string>();
const riskUuids = new WeakMap<EvidenceResult, string>();

/** Per collection: a new scan of the same rule on the same host is a new observation. */
function observationUuid(r: EvidenceResult): string {
  let u = observationUuids.get(r);
  if (!u) observationUuids.set(r, (u = stableUuid('observation', r.hostId, r.ruleId, r.collectedAt)));
  return u;
}

/** Per subject: the weakness "rule R fails on host H" keeps its UUID across documents until fixed. */
function riskUuid(r: EvidenceResult): string {
  let u = riskUuids.get(r);
  if (!u) riskUuids.set(r, (u = stableUuid('risk', r.hostId, r.ruleId)));
  return u;
}

function referenceProps(r: EvidenceResult): OscalProp[] {
  const refs = r.references;
  return [
    ...refs.directives.flatMap((d) => prop('directive', d)),
    ...refs.nist.flatMap((n) => prop('nist-800-53', n)),
    ...refs.stig.flatMap((s) => prop('stig-id', s)),
    ...refs.cis.flatMap((c) => prop('cis-id', c)),
    ...refs.cac.flatMap((c) => prop('cac-rule', c)),
    ...refs.cve.flatMap((c) => prop('cve', c)),
  ];
}

/** A rule as an assessment activity: what it tests, what it cites, how to fix a failure. */
function activity(ctx: Ctx, def: RuleDef): Json {
  const r = def.sample;
  const pack = ctx.packById.get(r.packId);
  const controls = r.references.nist.flatMap((n) => controlRef(n) ?? []);
  return {
    uuid: def.activityUuid,
    title: r.title,
    description: `Rampart rule ${r.ruleId} (${r.severity}) from pack ${r.packId}${pack ? ` ${pack.version}` : ''}, run automatically on each host.` + (r.expected ? ` It passes when: ${r.expected}.` : '') + ` Remediation when it fails: ${r.remediation}`,
    props: [
      ...prop('method', 'TEST', { core: true }),
      ...prop('rule-id', r.ruleId),
      ...prop('pack-id', r.packId),
      ...prop('pack-version', pack?.version),
      ...prop('severity', r.severity),
      ...referenceProps(r),
      ...prop('clock-days', r.clockDays),
      ...prop('clock-directive', r.clockDirective),
    ],
    ...(controls.length ? { 'related-controls': { 'control-selections': [{ 'include-controls': includeControls(controls) }] } } : {}),
  };
}

/** Running one rule on the hosts of this result: every host when it ran on all of them, else the list. */
function task(ctx: Ctx, def: RuleDef): Json {
  const all = def.hostIds.size === ctx.model.hosts.length;
  const subject = all
    ? { type: 'inventory-item', description: 'Every host of this result.', 'include-all': {} }
    : { type: 'inventory-item', 'include-subjects': [...def.hostIds].sort().map((id) => ({ 'subject-uuid': ctx.hostUuid.get(id), type: 'inventory-item' })) };
  return {
    uuid: def.taskUuid,
    type: 'action',
    title: `Run rule ${def.sample.ruleId}`,
    'associated-activities': [{ 'activity-uuid': def.activityUuid, subjects: [subject] }],
  };
}

const VERDICT_WORDS: Record<Verdict, string> = {
  pass: 'Passed.',
  fail: 'Failed.',
  waived: 'Failed; the failure is covered by an active waiver, so it counts as waived, not failed.',
  error: 'Could not be evaluated. This is not a pass: the host could not be observed for this rule.',
  'not-applicable': 'Not applicable to this host. This is not a pass.',
};

function observation(ctx: Ctx, r: EvidenceResult): Json {
  const host = ctx.hostById.get(r.hostId)!;
  const pack = ctx.packById.get(r.packId);
  const verdict = verdictOf(r, ctx.asOf);
  const remarks = [
    VERDICT_WORDS[verdict],
    r.reason ? `Reason: ${r.reason}` : '',
    r.error ? `Error ${r.error.code}: ${r.error.message}` : '',
    r.waiver ? waiverSentence(r, ctx.asOf) : '',
    r.status === 'fail' ? `Remediation: ${r.remediation}` : '',
  ].filter(Boolean);
  return {
    uuid: observationUuid(r),
    title: `${r.ruleId} on ${host.hostname}`,
    description: [`${r.title}.`, r.expected ? `Expected: ${r.expected}.` : '', r.observed ? `Observed: ${r.observed}.` : ''].filter(Boolean).join(' '),
    props: [
      ...prop('rule-id', r.ruleId),
      ...prop('pack-id', r.packId),
      ...prop('pack-version', pack?.version),
      ...prop('pack-sha256', pack?.sha256),
      ...prop('result', r.status),
      ...prop('verdict', verdict),
      ...prop('severity', r.severity),
      ...prop('expected', r.expected),
      ...prop('observed', r.observed),
      ...prop('error-code', r.error?.code),
      ...prop('first-seen', r.firstSeenAt),
      ...prop('due', r.dueAt),
      ...prop('waiver-id', r.waiver?.id),
    ],
    methods: ['TEST'],
    types: r.status === 'fail' ? ['control-objective', 'finding'] : ['control-objective'],
    origins: [{ actors: [{ type: 'tool', 'actor-uuid': ctx.toolUuid }], 'related-tasks': [{ 'task-uuid': ctx.rules.get(r.ruleId)!.taskUuid }] }],
    subjects: [{ 'subject-uuid': ctx.hostUuid.get(r.hostId), type: 'inventory-item', title: host.hostname }],
    ...some('relevant-evidence', r.evidence.map(relevantEvidence)),
    collected: ts(r.collectedAt),
    remarks: remarks.join('\n\n'),
  };
}

function relevantEvidence(e: Evidence): Json {
  const remarks = [e.reason ? `Reason: ${e.reason}` : '', e.error ? `Error ${e.error.code}: ${e.error.message}` : ''].filter(Boolean).join('\n\n');
  return {
    description: `Probe ${e.probe} with parameters ${canonicalJson(e.params)}: expected ${e.expected}; observed ${canonicalJson(e.observed ?? null)}; result ${e.status}.`,
    props: [
      ...prop('probe', e.probe),
      ...prop('result', e.status),
      ...(e.sources ?? []).flatMap((s) => prop('source', s)),
      ...prop('error-code', e.error?.code),
    ],
    ...(remarks ? { remarks } : {}),
  };
}

function waiverSentence(r: EvidenceResult, asOf: string): string {
  const w = r.waiver!;
  const state = waiverState(w, asOf);
  const when = state === 'active' ? `active until ${w.expiry}` : state === 'expired' ? `expired at ${w.expiry}; the failure counts as failed again` : `not active until ${w.start}`;
  return `Waiver ${w.id} (${when}), approved by ${w.approver}, accepted risk ${w.risk}: ${w.justification}`;
}

/**
 * BOD 26-04 Table 1 on a risk: the tier (its remarks say why), forensic triage, the host's exposure
 * tag, and one `cve` prop per CVE classed by its own tier, whose remarks list the inputs and defaults.
 */
function tierProps(r: EvidenceResult): OscalProp[] {
  const t = r.bod2604;
  if (!t) return [];
  return [
    ...prop('bod-26-04-tier', t.tier, { remarks: decisionWords(t) }),
    ...prop('forensic-triage', t.forensicTriage ? 'yes' : 'no'),
    ...prop('exposure', t.exposure, { remarks: `Host exposure tag ${exposureWords(t.exposure)}.` }),
    ...t.cves.flatMap((c) => prop('cve', c.cve, { class: c.tier, remarks: cveInputWords(c) })),
  ];
}

function risk(ctx: Ctx, r: EvidenceResult): Json {
  const host = ctx.hostById.get(r.hostId)!;
  const uuid = riskUuid(r);
  const waived = verdictOf(r, ctx.asOf) === 'waived';
  const w = r.waiver;
  const due = dueStateOf(r, ctx.asOf);
  const cites = [
    r.references.directives.length ? `directives ${r.references.directives.join(', ')}` : '',
    r.references.nist.length ? `NIST SP 800-53 ${r.references.nist.join(', ')}` : '',
  ].filter(Boolean);
  return {
    uuid,
    title: `${r.title} (${r.ruleId}) fails on ${host.hostname}`,
    description: `Rule ${r.ruleId} (severity ${r.severity}) fails on ${host.hostname}. Expected: ${r.expected}. Observed: ${r.observed}.`,
    statement:
      `Until fixed, ${host.hostname} does not meet "${r.title}"` +
      (cites.length ? `, which the rule cites for ${cites.join(' and ')}.` : '.') +
      (r.bod2604
        ? ` ${decisionWords(r.bod2604)}.`
        : r.clockDays
          ? ` Directive clock: ${r.clockDays} days${r.clockDirective ? ` (${r.clockDirective})` : ''} from first detection.`
          : ''),
    props: [
      ...prop('rule-id', r.ruleId),
      ...prop('host-id', r.hostId),
      ...prop('severity', r.severity),
      ...r.references.directives.flatMap((d) => prop('directive', d)),
      ...prop('clock-days', r.clockDays),
      ...prop('clock-directive', r.clockDirective),
      ...prop('first-seen', r.firstSeenAt),
      ...prop('due-state', due),
      ...tierProps(r),
      ...prop('waived', waived ? 'yes' : 'no'),
      ...prop('waiver-id', w?.id),
      ...prop('waiver-state', w ? waiverState(w, ctx.asOf) : undefined),
      ...prop('waiver-approver', w?.approver),
      ...prop('waiver-risk', w?.risk),
      ...prop('waiver-start', w?.start),
      ...prop('waiver-expiry', w?.expiry),
    ],
    status: waived ? 'deviation-approved' : 'open',
    origins: [{ actors: [{ type: 'tool', 'actor-uuid': ctx.toolUuid }] }],
    ...(r.dueAt ? { deadline: ts(r.dueAt) } : {}),
    remediations: [
      {
        uuid: stableUuid('remediation', uuid),
        lifecycle: 'recommendation',
        title: `Fix ${r.ruleId}`,
        description: r.remediation,
      },
    ],
    ...(w
      ? {
          'risk-log': {
            entries: [
              {
                uuid: stableUuid('waiver', uuid, w.id),
                title: `Waiver ${w.id} (${waiverState(w, ctx.asOf)})`,
                description: `Approved by ${w.approver}; accepted risk ${w.risk}. Justification: ${w.justification}`,
                start: ts(w.start),
                end: ts(w.expiry),
                props: [...prop('waiver-id', w.id), ...prop('waiver-approver', w.approver), ...prop('waiver-risk', w.risk), ...(w.scope ? prop('waiver-scope', w.scope) : [])],
                'status-change': 'deviation-approved',
              },
              ...(waiverState(w, ctx.asOf) === 'expired'
                ? [
                    {
                      uuid: stableUuid('waiver-expired', uuid, w.id),
                      title: `Waiver ${w.id} expired`,
                      description: 'The waiver expired; the failure counts as failed again.',
                      start: ts(w.expiry),
                      props: [...prop('waiver-id', w.id)],
                      'status-change': 'open',
                    },
                  ]
                : []),
            ],
          },
        }
      : {}),
    'related-observations': [{ 'observation-uuid': observationUuid(r) }],
  };
}

interface ControlGroup {
  ref: ControlRef;
  results: EvidenceResult[];
}

/** Every NIST 800-53 citation among the results, in catalog order, with the results that cite it. */
function citedControls(results: readonly EvidenceResult[]): ControlGroup[] {
  const groups = new Map<string, ControlGroup>();
  const refs = new Map<string, ControlRef | undefined>();
  for (const r of results) {
    for (const cited of r.references.nist) {
      if (!refs.has(cited)) refs.set(cited, controlRef(cited));
      const ref = refs.get(cited);
      if (!ref) continue;
      const key = ref.targetId;
      const g = groups.get(key) ?? { ref, results: [] };
      g.results.push(r);
      groups.set(key, g);
    }
  }
  return [...groups.values()].sort((a, b) => compareControlRefs(a.ref, b.ref));
}

/** OSCAL include-controls for some control references: one entry per control, in catalog order, with any statement items. */
function includeControls(refs: readonly ControlRef[]): Json[] {
  const byControl = new Map<string, Set<string>>();
  for (const ref of [...refs].sort(compareControlRefs)) {
    const statements = byControl.get(ref.controlId) ?? new Set<string>();
    if (ref.item) statements.add(ref.targetId);
    byControl.set(ref.controlId, statements);
  }
  return [...byControl.entries()].map(([id, statements]) => ({ 'control-id': id, ...some('statement-ids', [...statements].sort()) }));
}

function reviewedControls(controls: readonly ControlGroup[]): Json {
  if (controls.length === 0) {
    return {
      'control-selections': [{ description: 'None of the assessed rules cites a NIST SP 800-53 control.' }],
    };
  }
  return {
    'control-selections': [
      {
        description: 'The NIST SP 800-53 controls cited by the assessed Rampart rules.',
        'include-controls': includeControls(controls.map((c) => c.ref)),
      },
    ],
  };
}

function finding(ctx: Ctx, group: ControlGroup, scopeKey: string): Json[] {
  const assessed = group.results.filter((r) => r.status !== 'not-applicable');
  if (assessed.length === 0) return [];
  const verdicts = assessed.map((r) => verdictOf(r, ctx.asOf));
  const n = (v: Verdict) => verdicts.filter((x) => x === v).length;
  const [pass, fail, waived, error] = [n('pass'), n('fail'), n('waived'), n('error')];
  const failingHosts = new Set(assessed.filter((r) => r.status === 'fail').map((r) => r.hostId));
  const hosts = new Set(assessed.map((r) => r.hostId));
  const { ref } = group;
  const determination = fail > 0 ? 'fail' : error > 0 ? 'undetermined' : waived > 0 ? 'waived' : 'pass';
  const state = determination === 'pass' ? 'satisfied' : 'not-satisfied';
  const reason = determination === 'pass' ? 'pass' : determination === 'fail' ? 'fail' : 'other';
  const failingRules = [...new Set(assessed.filter((r) => r.status === 'fail').map((r) => r.ruleId))];
  const statusRemarks: Record<typeof determination, string> = {
    fail: `${plural(fail, 'check')} citing ${ref.cited} fail${fail === 1 ? 's' : ''} without a waiver.`,
    undetermined: `No unwaived failure, but ${plural(error, 'check')} could not be evaluated, so the objective is not shown to be satisfied.`,
    waived: `Every failing check citing ${ref.cited} is covered by an active waiver (${waived}); the objective is still not satisfied, and the deviation is approved.`,
    pass: `Every evaluated Rampart check citing ${ref.cited} passed. This covers only the technical settings those checks test, not every part of the control.`,
  };
  return [
    {
      uuid: stableUuid('finding', scopeKey, ref.targetId),
      title: `NIST SP 800-53 ${ref.cited}: ${state === 'satisfied' ? 'satisfied' : determination === 'waived' ? 'not satisfied (waived)' : 'not satisfied'}`,
      description:
        `${plural(assessed.length, 'evaluated check')} on ${plural(hosts.size, 'host')} cite ${ref.cited}: ` +
        `${pass} pass, ${fail} fail, ${waived} waived, ${error} error.` +
        (failingRules.length ? ` Failing rules: ${failingRules.join(', ')}.` : ''),
      props: [
        ...prop('control-cited', ref.cited),
        ...prop('determination', determination),
        ...prop('checks-pass', pass),
        ...prop('checks-fail', fail),
        ...prop('checks-waived', waived),
        ...prop('checks-error', error),
        ...prop('hosts-assessed', hosts.size),
        ...prop('hosts-failing', failingHosts.size),
        ...prop('waived', waived > 0 ? 'yes' : 'no'),
      ],
      origins: [{ actors: [{ type: 'tool', 'actor-uuid': ctx.toolUuid }] }],
      target: {
        type: ref.targetType,
        'target-id': ref.targetId,
        title: `NIST SP 800-53 ${ref.cited}`,
        status: { state, reason, remarks: statusRemarks[determination] },
      },
      'related-observations': assessed.map((r) => ({ 'observation-uuid': observationUuid(r) })),
      ...some(
        'related-risks',
        assessed.filter((r) => r.status === 'fail').map((r) => ({ 'risk-uuid': riskUuid(r) })),
      ),
    },
  ];
}
