/**
 * software-version and vulnerable-version read installed versions from package metadata on the AI
 * fixture hosts and look CVEs up in the KEV snapshot (CVE-2025-3248 is listed there).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { softwareVersionProbe } from '../../../agent/probes/software-version.js';
import { vulnerableVersionProbe } from '../../../agent/probes/vulnerable-version.js';
import { cleanupAiHosts, aiHostContext, KEV_FIXTURE } from '../../helpers/ai-hosts.js';

const saved = process.env.RAMPART_KEV_FILE;
beforeAll(() => {
  process.env.RAMPART_KEV_FILE = KEV_FIXTURE;
});
afterAll(() => {
  if (saved === undefined) delete process.env.RAMPART_KEV_FILE;
  else process.env.RAMPART_KEV_FILE = saved;
});

const vuln = async (host: string, params: Record<string, unknown>) =>
  vulnerableVersionProbe.run(vulnerableVersionProbe.params.parse(params), await aiHostContext(host));

describe('software-version', () => {
  it('reads pip METADATA, dpkg and a binary version command', async () => {
    const cases: [string, string, string, string, string][] = [
      ['apps-exposed', 'pypi', 'langflow', '1.2.0', '/opt/langflow/venv/lib/python3.11/site-packages/langflow-1.2.0.dist-info/METADATA'],
      ['notebooks-exposed', 'pypi', 'Jupyter_Server', '2.14.0', '/opt/conda/lib/python3.11/site-packages/jupyter_server-2.14.0.dist-info/METADATA'],
      ['inference-exposed', 'deb', 'nvidia-container-toolkit', '1.17.3-1', '/var/lib/dpkg/status: nvidia-container-toolkit'],
      ['inference-exposed', 'binary', 'ollama', '0.1.20', 'ollama --version'],
      ['notebooks-exposed', 'npm', 'configurable-http-proxy', '4.6.1', '/usr/lib/node_modules/configurable-http-proxy/package.json'],
      ['inference-exposed', 'binary', 'tritonserver', '24.08', '/proc/1500/environ NVIDIA_TRITON_SERVER_VERSION'],
    ];
    for (const [host, ecosystem, name, version, location] of cases) {
      const obs = await softwareVersionProbe.run(softwareVersionProbe.params.parse({ ecosystem, name, minimum: '1.0' }), await aiHostContext(host));
      expect(obs, `${ecosystem}:${name}`).toMatchObject({ status: 'observed', values: { installed: true, version, location } });
    }
  });

  it('is not-applicable when the package is not installed', async () => {
    const obs = await softwareVersionProbe.run(softwareVersionProbe.params.parse({ ecosystem: 'pypi', name: 'langflow' }), await aiHostContext('ai-none'));
    expect(obs.status).toBe('not-applicable');
  });
});

describe('vulnerable-version', () => {
  it('matches KEV-listed CVE-2025-3248 on Langflow 1.2.0 with the catalog dates', async () => {
    const obs = await vuln('apps-exposed', { ecosystem: 'pypi', name: 'langflow', fixedIn: '1.3.0', cve: 'CVE-2025-3248' });
    expect(obs).toMatchObject({
      status: 'observed',
      values: {
        vulnerable: true,
        version: '1.2.0',
        kev: true,
        kevCves: ['CVE-2025-3248'],
        kevDueDate: '2025-05-26',
        kevDateAdded: '2025-05-05',
        ransomware: 'Unknown',
        kevCatalog: '2025.08.25',
        kevMatch: { cve: 'CVE-2025-3248', dueDate: '2025-05-26' },
      },
    });
    expect(obs.sources).toContain(path.resolve(KEV_FIXTURE));
  });

  it('keeps kev true but kevMatch null when the installed version is fixed', async () => {
    const obs = await vuln('apps-locked', { ecosystem: 'pypi', name: 'langflow', fixedIn: '1.3.0', cve: 'CVE-2025-3248' });
    expect(obs).toMatchObject({ status: 'observed', values: { vulnerable: false, kev: true, kevMatch: null, cveMatches: [] } });
  });

  it('lists every CVE of a vulnerable installation with its KEV status and the SSVC values the rule supplies', async () => {
    const obs = await vuln('notebooks-exposed', {
      ecosystem: 'pypi',
      name: 'ray',
      fixedIn: '2.52.0',
      cve: ['CVE-2025-62593', 'CVE-2023-48022'],
      ssvc: { 'CVE-2023-48022': { automatable: 'yes', technicalImpact: 'total' } },
    });
    expect(obs.status === 'observed' && obs.values.cveMatches).toEqual([
      { cve: 'CVE-2025-62593', kev: false },
      { cve: 'CVE-2023-48022', kev: false, automatable: 'yes', technicalImpact: 'total' },
    ]);
    const langflow = await vuln('apps-exposed', { ecosystem: 'pypi', name: 'langflow', fixedIn: '1.3.0', cve: 'CVE-2025-3248' });
    expect(langflow.status === 'observed' && langflow.values.cveMatches).toEqual([{ cve: 'CVE-2025-3248', kev: true, kevDueDate: '2025-05-26', kevDateAdded: '2025-05-05' }]);
    expect(() => vulnerableVersionProbe.params.parse({ ecosystem: 'pypi', name: 'x', fixedIn: '1', cve: 'CVE-2020-1234', ssvc: { 'CVE-2020-1234': { automatable: 'maybe' } } })).toThrow();
  });

  it('says kev false for CVEs the snapshot does not list (ShadowRay, Probllama)', async () => {
    const obs = await vuln('notebooks-exposed', { ecosystem: 'pypi', name: 'ray', fixedIn: '2.52.0', cve: ['CVE-2023-48022', 'CVE-2025-62593'] });
    expect(obs).toMatchObject({ status: 'observed', values: { vulnerable: true, kev: false, kevCves: [], kevMatch: null, kevDueDate: null } });
  });

  it('compares Debian revisions and Triton YY.MM releases', async () => {
    expect(await vuln('inference-locked', { ecosystem: 'deb', name: 'nvidia-container-toolkit', fixedIn: '1.17.8', cve: 'CVE-2025-23266' })).toMatchObject({ values: { vulnerable: false } });
    expect(await vuln('inference-exposed', { ecosystem: 'deb', name: 'nvidia-container-toolkit', fixedIn: '1.17.8', cve: 'CVE-2025-23266' })).toMatchObject({ values: { vulnerable: true } });
    expect(await vuln('inference-exposed', { ecosystem: 'binary', name: 'tritonserver', fixedIn: '25.07', cve: 'CVE-2025-23319' })).toMatchObject({ values: { vulnerable: true } });
  });

  it('honours introducedIn', async () => {
    const obs = await vuln('apps-exposed', { ecosystem: 'pypi', name: 'langflow', fixedIn: '1.3.0', introducedIn: '1.2.1', cve: 'CVE-2025-3248' });
    expect(obs).toMatchObject({ values: { vulnerable: false, kevMatch: null } });
  });

  it('errors with ERR_KEV_MISSING when a KEV-required check finds no catalog', async () => {
    process.env.RAMPART_KEV_FILE = '/nonexistent/kev.json';
    try {
      const obs = await vuln('apps-exposed', { ecosystem: 'pypi', name: 'langflow', fixedIn: '1.3.0', cve: 'CVE-2025-3248', kevRequired: true });
      expect(obs).toMatchObject({ status: 'error', code: 'ERR_KEV_MISSING' });
      const plain = await vuln('apps-exposed', { ecosystem: 'pypi', name: 'langflow', fixedIn: '1.3.0', cve: 'CVE-2025-3248' });
      expect(plain).toMatchObject({ status: 'observed', values: { vulnerable: true, kev: null, kevMatch: null, cveMatches: [{ cve: 'CVE-2025-3248', kev: null }] } });
    } finally {
      process.env.RAMPART_KEV_FILE = KEV_FIXTURE;
    }
  });
});

afterAll(() => cleanupAiHosts());
