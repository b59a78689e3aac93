/**
 * @module Probe `ai-secrets`: model-provider API keys (OPENAI_API_KEY, sk-..., hf_..., ...) in
 * files other users can read, in systemd unit Environment= lines, on AI processes' command lines,
 * and Hugging Face token files with loose permissions. Reports file, line and key NAME only.
 * Not-applicable when the host has no AI software and no provider key was found anywhere.
 */
import { z } from 'zod';
import { readAiInventory } from '../sources/ai-inventory.js';
import { scanSecrets } from '../sources/ai-secrets.js';
import { defineProbe, notApplicable, observed } from './probe.js';

const label = (f: { path: string; line: number; key: string }) => `${f.path}:${f.line} ${f.key}`;

export const aiSecretsProbe = defineProbe({
  type: 'ai-secrets',
  summary: 'Model-provider credentials readable by other users: files, systemd Environment= lines, command lines and Hugging Face token files (names only, never values).',
  params: () => z.strictObject({
    /** Also count group-readable files as exposed (default: yes). */
    groupCounts: z.boolean().default(true),
  }),
  fields: {
    filesScanned: 'number of candidate files read',
    findings: 'every key found: {path, line, key, mode, groupReadable, worldReadable, kind}',
    readableByOthers: '"path:line KEY" for keys in plain files readable by other users (world, or group when groupCounts)',
    unitEnvironment: '"unit:line KEY" for keys in Environment= lines of world-readable systemd units',
    cmdline: '"pid comm: flag" for AI processes with a credential on the command line',
    hfTokenFiles: 'Hugging Face token files: {path, mode, loose}',
    looseHfTokens: 'paths of Hugging Face token files with any group or other permission bit',
  },
  example: {},
  badExamples: [{ groupCounts: 'yes' }, { extra: 1 }],
  async run(params, ctx) {
    const [scan, inv] = await Promise.all([scanSecrets(ctx), readAiInventory(ctx)]);
    if (inv.services.length === 0 && scan.findings.length === 0 && scan.cmdline.length === 0 && scan.hfTokenFiles.length === 0) {
      return notApplicable('no AI software on this host and no model-provider key found in the scanned files');
    }
    const exposed = (f: (typeof scan.findings)[number]) => f.worldReadable || (params.groupCounts && f.groupReadable);
    return observed(
      {
        filesScanned: scan.filesScanned,
        findings: scan.findings,
        readableByOthers: scan.findings.filter((f) => f.kind === 'file' && exposed(f)).map(label),
        unitEnvironment: scan.findings.filter((f) => f.kind === 'unit-environment' && f.worldReadable).map(label),
        cmdline: scan.cmdline,
        hfTokenFiles: scan.hfTokenFiles,
        looseHfTokens: scan.hfTokenFiles.filter((t) => t.loose).map((t) => t.path),
      },
      [...new Set(scan.findings.map((f) => f.path))].slice(0, 40),
    );
  },
});
