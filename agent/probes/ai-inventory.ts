/**
 * @module Probe `ai-inventory`: the host's AI software as a whole (services, versions, bind
 * addresses, model directories) and the KEV catalog the scan consults, for inventory rules and
 * for gating pack-wide rules. Not-applicable when no AI software is installed or running.
 */
import { z } from 'zod';
import { readAiInventory } from '../sources/ai-inventory.js';
import { readKev } from '../sources/kev-catalog.js';
import { readAiProcessTable } from '../sources/ai-services.js';
import { AI_SIGNATURES } from '../sources/ai-signatures.js';
import { flagValue } from '../sources/ai-config-parsers.js';

/** Container ports AI images listen on (every signature's default ports plus common app ports). */
const AI_CONTAINER_PORTS = new Set([...AI_SIGNATURES.flatMap((s) => s.defaultPorts), 8501, 7860, 8188, 6006, 50051]);
import { defineProbe, notApplicable, observed } from './probe.js';

export const aiInventoryProbe = defineProbe({
  type: 'ai-inventory',
  summary: 'AI/ML software on the host as a whole: services, versions, bind addresses, model directories and the KEV catalog in use.',
  params: () => z.strictObject({
    /** Addresses (besides loopback) AI services may listen on. */
    approvedAddresses: z.array(z.string().min(1)).default([]),
  }),
  fields: {
    serviceCount: 'number of AI services installed or running',
    services: 'ids of the AI services installed or running',
    running: 'ids of the AI services running',
    unapprovedListeners: '"service address:port" for AI listeners off loopback and outside approvedAddresses',
    modelDirectories: 'model store directories found',
    kevLoaded: 'true when a valid KEV catalog is loaded',
    kevCatalogVersion: 'catalogVersion of the loaded KEV catalog (null when none)',
    kevAgeDays: 'days between the catalog dateReleased and the scan (null when none)',
    widePublishedPorts: '"host-ip:host-port -> container-port" for docker-proxy publishes of AI container ports on all interfaces (or an unapproved address)',
  },
  example: {},
  badExamples: [{ approvedAddresses: 'x' }, { extra: 1 }],
  async run(params, ctx) {
    const inv = await readAiInventory(ctx);
    if (inv.services.length === 0) return notApplicable('no AI/ML software is installed or running on this host');
    const approved = new Set(params.approvedAddresses);
    const unapproved: string[] = [];
    for (const s of inv.services) {
      for (const b of s.bindAddresses) {
        const addr = b.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
        const loop = addr === '::1' || /^127\./.test(addr) || /^::ffff:127\./.test(addr);
        if (!loop && !approved.has(addr)) unapproved.push(`${s.id} ${b}`);
      }
    }
    const table = await readAiProcessTable(ctx);
    const wide: string[] = [];
    for (const p of table.processes.filter((x) => x.comm === 'docker-proxy')) {
      const hostIp = flagValue(p.cmdline, ['-host-ip', '--host-ip']);
      const hostPort = flagValue(p.cmdline, ['-host-port', '--host-port']);
      const cport = flagValue(p.cmdline, ['-container-port', '--container-port']);
      if (typeof cport !== 'string' || !AI_CONTAINER_PORTS.has(Number(cport))) continue;
      const ip = typeof hostIp === 'string' ? hostIp : '0.0.0.0';
      const loop = ip === '::1' || /^127\./.test(ip);
      if (!loop && !approved.has(ip)) wide.push(`${ip}:${typeof hostPort === 'string' ? hostPort : '?'} -> ${cport}`);
    }
    const kev = await readKev(ctx);
    const age = kev.status === 'loaded' ? Math.floor((ctx.now.getTime() - Date.parse(kev.catalog.dateReleased)) / 86400000) : null;
    return observed(
      {
        serviceCount: inv.services.length,
        services: inv.services.map((s) => s.id),
        running: inv.services.filter((s) => s.running).map((s) => s.id),
        unapprovedListeners: unapproved,
        modelDirectories: inv.modelDirectories.map((d) => d.path),
        kevLoaded: kev.status === 'loaded',
        kevCatalogVersion: kev.status === 'loaded' ? kev.catalog.catalogVersion : null,
        kevAgeDays: age,
        widePublishedPorts: wide,
      },
      kev.status === 'loaded' ? [kev.file] : [],
    );
  },
});
