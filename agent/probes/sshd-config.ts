/**
 * @module Probe `sshd-config`: the effective OpenSSH server configuration, one field per
 * keyword as `sshd -T` prints it (lower-case names; lists for algorithms and repeatable keywords).
 * Not applicable when openssh-server is not installed — never a vacuous pass.
 */
import { z } from 'zod';
import { defineProbe, notApplicable, observed, probeError } from './probe.js';
import { readSshdConfig } from '../sources/sshd-config.js';
import { SSHD_KEYWORDS } from '../sources/sshd-keywords.js';

const keywordFields = Object.fromEntries(
  Object.entries(SSHD_KEYWORDS).map(([name, kw]) => [name, `${kw.description}${kw.default === undefined ? '' : ` (default ${kw.default})`}`]),
);

const FIELDS: Readonly<Record<string, string>> = {
  ...keywordFields,
  maxstartupsbegin: 'MaxStartups start (number)',
  maxstartupsrate: 'MaxStartups rate in percent (number)',
  maxstartupsfull: 'MaxStartups full (number)',
  rekeylimitdata: 'RekeyLimit bytes (0 = cipher default)',
  rekeylimittime: 'RekeyLimit seconds (0 = none)',
  source: '"sshd -T" or "parsed sshd_config"',
  files: 'configuration files read, in order',
  notes: 'caveats (sshd -T failure, Match criteria that cannot be evaluated)',
  other: 'keywords this agent has no field for, as {keyword: value}',
};

export const sshdConfigProbe = defineProbe({
  type: 'sshd-config',
  summary: 'The effective sshd configuration (sshd -T when live, else sshd_config parsed with Include, Match and defaults); not-applicable without openssh-server.',
  params: () => z.strictObject({}),
  fields: FIELDS,
  example: {},
  badExamples: [{ keyword: 'permitrootlogin' }, null],
  async run(_params, ctx) {
    const cfg = await readSshdConfig(ctx);
    if (cfg.kind === 'absent') return notApplicable(cfg.reason, cfg.sources);
    if (cfg.kind === 'error') return probeError('ERR_PROBE_FAILED', cfg.reason, cfg.sources);
    const values: Record<string, unknown> = {};
    const other: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(cfg.values)) (Object.hasOwn(FIELDS, k) ? values : other)[k] = v;
    return observed({ ...values, source: cfg.source, files: cfg.files, notes: cfg.notes, other }, cfg.source === 'sshd -T' ? ['sshd -T', ...cfg.files] : cfg.files);
  },
});
