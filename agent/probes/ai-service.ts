/**
 * @module Probe `ai-service`: names an AI/ML service on the host and reports how it is exposed:
 * whether it is installed and running, the sockets its processes listen on (including ports a
 * container publishes through docker-proxy), whether any is off loopback or outside the approved
 * addresses, whether authentication is on (true/false, null when the host cannot tell), the version,
 * and product settings read from the process environment, flags and config files.
 * Not-applicable when the software is neither installed nor running.
 */
import { z } from 'zod';
import { AI_SERVICE_IDS } from '../sources/ai-signatures.js';
import { readAiService } from '../sources/ai-services.js';
import { readServiceConfig } from '../sources/ai-service-config.js';
import { defineProbe, notApplicable, observed, runtimeMissing } from './probe.js';

export const aiServiceProbe = defineProbe({
  type: 'ai-service',
  summary: 'Identify one AI/ML service (Ollama, Jupyter, Ray, vLLM, ...) from processes, sockets and packages, and report its exposure and authentication.',
  params: () => z.strictObject({
    service: z.enum(AI_SERVICE_IDS),
    /** Addresses (besides loopback) this service may listen on, e.g. an internal proxy-only interface. */
    approvedAddresses: z.array(z.string().min(1)).default([]),
  }),
  fields: {
    present: 'true when the software is installed or running',
    installed: 'true when a package, metadata directory or binary of the software was found',
    running: 'true when a process of the service runs (null on an offline root)',
    processCount: 'number of processes identified as this service',
    listeners: 'sockets the service listens on: {address, port, proto, loopback, pid, process, via}',
    bindAddresses: 'distinct "address:port" the service listens on',
    exposed: 'true when any listener is bound off loopback (0.0.0.0, ::, or an interface address)',
    unapprovedListeners: '"address:port" of off-loopback listeners whose address is not in approvedAddresses',
    authEnabled: 'true/false when the configuration says whether clients must authenticate; null when it cannot be told',
    runsAsRoot: 'true when any process of the service runs as uid 0',
    version: 'lowest installed version found (null when unknown)',
    versions: 'every installation found: {ecosystem, name, version, location}',
    settings: 'product settings that decide exposure and authentication (see docs/ai-workloads.md)',
    evidence: 'human-readable details (setting names and files, never secret values)',
  },
  example: { service: 'ollama' },
  badExamples: [{}, { service: 'not-a-service' }, { service: 'ollama', approvedAddresses: 'x' }, { service: 'ollama', extra: 1 }],
  async run(params, ctx) {
    const s = await readAiService(ctx, params.service);
    if (s === undefined) return notApplicable(`unknown service ${params.service}`);
    if (!s.installed && !s.running) {
      if (s.running === null) return runtimeMissing(ctx, 'the process table (/proc)');
      return notApplicable(`${s.signature.name} is not installed and not running`, s.sources.slice(0, 10));
    }
    const cfg = await readServiceConfig(ctx, s);
    const approved = new Set(params.approvedAddresses);
    const listeners = s.listeners.map((l) => ({ ...l }));
    const bind = [...new Set(listeners.map((l) => `${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`))];
    const unapproved = [
      ...new Set(listeners.filter((l) => !l.loopback && !approved.has(l.address)).map((l) => `${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`)),
    ];
    const evidence = [...cfg.evidence];
    for (const l of listeners) evidence.push(`listens on ${l.address}:${l.port}${l.pid !== undefined ? ` (pid ${l.pid} ${l.process ?? ''})` : ''}${l.via ? ` via ${l.via} to container port ${l.containerPort}` : ''}`);
    return observed(
      {
        present: true,
        installed: s.installed,
        running: s.running,
        processCount: s.processes.length,
        listeners,
        bindAddresses: bind,
        exposed: listeners.some((l) => !l.loopback),
        unapprovedListeners: unapproved,
        authEnabled: cfg.authEnabled,
        runsAsRoot: s.processes.some((p) => p.uid === 0),
        version: s.versions.find((v) => v.version !== null)?.version ?? null,
        versions: s.versions,
        settings: cfg.settings,
        evidence,
      },
      [...s.sources, ...cfg.sources].slice(0, 40),
    );
  },
});
