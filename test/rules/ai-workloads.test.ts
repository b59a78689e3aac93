/**
 * The ai-workloads pack against the AI fixture hosts: every rule's verdict on the exposed and the
 * locked-down hosts (table below), not-applicable everywhere on a host without AI software, the KEV
 * match on the shipped snapshot (CVE-2025-3248), and KEV-dependent rules erroring (never passing)
 * when no catalog is loaded.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FixtureHost } from '../../agent/host/fs-host.js';
import { runScan } from '../../agent/engine/runner.js';
import { loadPacks } from '../../agent/rules/load-packs.js';
import type { CompiledPack } from '../../agent/rules/compiled.js';
import type { ScanReport } from '../../shared/result.js';
import { cleanupAiHosts, AI_HOSTS, buildAiHost, KEV_FIXTURE } from '../helpers/ai-hosts.js';
import { REPO_ROOT } from '../helpers/fixtures.js';

const PACK = path.join(REPO_ROOT, 'rules/ai-workloads.yaml');
const NOW = new Date('2026-11-26T12:00:00Z');

type Host = 'apps-exposed' | 'apps-locked' | 'inference-exposed' | 'inference-locked' | 'notebooks-exposed' | 'notebooks-locked';

/** Expected verdicts; every host not listed for a rule must be not-applicable. */
const EXPECTED: Record<string, { fail: Host[]; pass: Host[] }> = {
  'ai.inventory.listeners-reviewed': { fail: ['apps-exposed', 'apps-locked', 'inference-exposed', 'notebooks-exposed', 'notebooks-locked'], pass: ['inference-locked'] },
  'ai.containers.ai-ports-published-loopback': { fail: ['apps-exposed'], pass: ['apps-locked', 'inference-exposed', 'inference-locked', 'notebooks-exposed', 'notebooks-locked'] },
  'ai.kev.catalog-current': { fail: ['apps-exposed', 'apps-locked', 'inference-exposed', 'inference-locked', 'notebooks-exposed', 'notebooks-locked'], pass: [] },
  'ai.kev.known-exploited-ai-software': { fail: ['apps-exposed'], pass: ['apps-locked', 'inference-exposed', 'inference-locked', 'notebooks-exposed', 'notebooks-locked'] },
  'ai.ollama.bind-loopback': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.ollama.origins-not-wildcard': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.ollama.version-patched': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.ollama.model-store-private': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.jupyter.auth-enabled': { fail: ['notebooks-exposed'], pass: ['notebooks-locked'] },
  'ai.jupyter.bind-loopback': { fail: ['notebooks-exposed'], pass: ['notebooks-locked'] },
  'ai.jupyter.xsrf-cors-hardened': { fail: ['notebooks-exposed'], pass: ['notebooks-locked'] },
  'ai.jupyter.not-root': { fail: ['notebooks-exposed'], pass: ['notebooks-locked'] },
  'ai.jupyter.runtime-files-private': { fail: ['notebooks-exposed'], pass: ['notebooks-locked'] },
  'ai.jupyterhub.real-authenticator': { fail: ['notebooks-exposed'], pass: ['notebooks-locked'] },
  'ai.jupyterhub.tls-and-internal-apis': { fail: ['notebooks-exposed'], pass: ['notebooks-locked'] },
  'ai.ray.dashboard-not-exposed': { fail: ['notebooks-exposed'], pass: ['notebooks-locked'] },
  'ai.ray.token-auth': { fail: ['notebooks-exposed'], pass: ['notebooks-locked'] },
  'ai.ray.cluster-ports-scoped': { fail: ['notebooks-exposed'], pass: ['notebooks-locked'] },
  'ai.ray.version-patched': { fail: ['notebooks-exposed'], pass: ['notebooks-locked'] },
  'ai.mlflow.bind-and-auth': { fail: ['notebooks-exposed'], pass: ['apps-exposed', 'notebooks-locked'] },
  'ai.mlflow.default-admin-password': { fail: ['apps-exposed'], pass: ['notebooks-locked'] },
  'ai.mlflow.hosts-cors-not-wildcard': { fail: ['apps-exposed', 'notebooks-exposed'], pass: ['notebooks-locked'] },
  'ai.mlflow.version-patched': { fail: ['notebooks-exposed'], pass: ['apps-exposed', 'notebooks-locked'] },
  'ai.gradio.bind-loopback': { fail: ['apps-exposed'], pass: ['apps-locked'] },
  'ai.gradio.no-share-tunnel': { fail: ['apps-exposed'], pass: ['apps-locked'] },
  'ai.gradio.version-patched': { fail: ['apps-exposed'], pass: ['apps-locked'] },
  'ai.comfyui.listen-loopback': { fail: ['apps-exposed'], pass: ['apps-locked'] },
  'ai.comfyui.custom-nodes-protected': { fail: ['apps-exposed'], pass: ['apps-locked'] },
  'ai.vllm.bind-and-key': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.vllm.no-dev-endpoints': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.vllm.version-patched': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.tgi.bind-and-key': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.triton.endpoints-scoped': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.triton.model-control-restricted': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.triton.version-patched': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.triton.repo-dirs-protected': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.torchserve.management-loopback': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.torchserve.token-auth': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.torchserve.model-api-restricted': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.torchserve.version-patched': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.torchserve.supported-release': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.tensorboard.bind-loopback': { fail: ['notebooks-exposed'], pass: ['notebooks-locked'] },
  'ai.kubectl-port-forward.loopback-only': { fail: ['notebooks-exposed'], pass: ['notebooks-locked'] },
  'ai.streamlit.bind-and-protections': { fail: ['apps-exposed'], pass: ['apps-locked'] },
  'ai.streamlit.secrets-private': { fail: ['apps-exposed'], pass: ['apps-locked'] },
  'ai.langflow.cve-2025-3248-patched': { fail: ['apps-exposed'], pass: ['apps-locked'] },
  'ai.langflow.bind-and-login': { fail: ['apps-exposed'], pass: ['apps-locked'] },
  'ai.langflow.auto-login-off': { fail: ['apps-exposed'], pass: ['apps-locked'] },
  'ai.langserve.bind-loopback': { fail: ['apps-exposed'], pass: ['apps-locked'] },
  'ai.open-webui.auth-and-signup': { fail: ['apps-exposed'], pass: ['apps-locked'] },
  'ai.open-webui.publish-scope': { fail: ['apps-exposed'], pass: ['apps-locked'] },
  'ai.qdrant.api-key': { fail: ['apps-exposed'], pass: ['apps-locked'] },
  'ai.chroma.auth': { fail: ['apps-exposed'], pass: ['apps-locked'] },
  'ai.weaviate.no-anonymous': { fail: ['apps-exposed'], pass: ['apps-locked'] },
  'ai.milvus.auth': { fail: ['apps-exposed'], pass: ['apps-locked'] },
  'ai.nvidia-container-toolkit.version-patched': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.nvidia-container-toolkit.cuda-compat-mitigation': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.models.store-not-world-writable': { fail: ['inference-exposed'], pass: ['apps-exposed', 'apps-locked', 'inference-locked'] },
  'ai.models.no-unapproved-pickle': { fail: ['apps-exposed', 'inference-exposed'], pass: ['apps-locked', 'inference-locked'] },
  'ai.models.pytorch-safe-load': { fail: ['inference-exposed'], pass: ['inference-locked'] },
  'ai.secrets.files-not-readable': { fail: ['apps-exposed', 'inference-exposed'], pass: ['apps-locked', 'inference-locked', 'notebooks-exposed', 'notebooks-locked'] },
  'ai.secrets.unit-environment': { fail: ['inference-exposed'], pass: ['apps-exposed', 'apps-locked', 'inference-locked', 'notebooks-exposed', 'notebooks-locked'] },
  'ai.secrets.cmdline': { fail: ['inference-exposed'], pass: ['apps-exposed', 'apps-locked', 'inference-locked', 'notebooks-exposed', 'notebooks-locked'] },
  'ai.secrets.hf-token-private': { fail: ['inference-exposed'], pass: ['apps-exposed', 'apps-locked', 'inference-locked', 'notebooks-exposed', 'notebooks-locked'] },
};

let packs: CompiledPack[];
const tmpDirs: string[] = [];
function tmp(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
}
const reports = new Map<string, ScanReport>();
const savedKev = process.env.RAMPART_KEV_FILE;

async function scan(host: string, packList = packs): Promise<ScanReport> {
  return runScan({ host: new FixtureHost(buildAiHost(host)), packs: packList, now: NOW });
}

function result(report: ScanReport, id: string) {
  const r = report.results.find((x) => x.ruleId === id);
  if (!r) throw new Error(`no result for ${id}`);
  return r;
}

beforeAll(async () => {
  process.env.RAMPART_KEV_FILE = KEV_FIXTURE;
  packs = (await loadPacks({ packFiles: [PACK] })).packs;
  for (const h of AI_HOSTS) reports.set(h, await scan(h));
}, 60_000);

afterEach(() => {
  process.env.RAMPART_KEV_FILE = KEV_FIXTURE;
});

describe('the ai-workloads pack', () => {
  it('has at least 40 rules, all named ai.<service>.<check>, each with rationale, remediation and NIST references', () => {
    const rules = packs[0]!.rules.map((r) => r.rule);
    expect(packs[0]!.ref).toMatchObject({ id: 'ai-workloads', version: '1.0.0' });
    expect(rules.length).toBeGreaterThanOrEqual(40);
    for (const r of rules) {
      expect(r.id).toMatch(/^ai\.[a-z0-9-]+\.[a-z0-9-]+$/);
      expect(r.rationale.length).toBeGreaterThan(40);
      expect(r.remediation.length).toBeGreaterThan(30);
      expect(r.references.nist.length).toBeGreaterThan(0);
    }
  });

  it('has an expected verdict for every rule, and every rule except the catalog-age check both passes and fails somewhere', () => {
    const ids = packs[0]!.rules.map((r) => r.rule.id).sort();
    expect(Object.keys(EXPECTED).sort()).toEqual(ids);
    for (const [id, e] of Object.entries(EXPECTED)) {
      expect(e.fail.length, `${id} never fails`).toBeGreaterThan(0);
      if (id !== 'ai.kev.catalog-current') expect(e.pass.length, `${id} never passes`).toBeGreaterThan(0);
    }
  });
});

describe.each(Object.entries(EXPECTED))('rule %s', (id, expected) => {
  it.each(AI_HOSTS.filter((h) => h !== 'ai-none'))('has the expected verdict on %s', (host) => {
    const r = result(reports.get(host)!, id);
    const want = expected.fail.includes(host as Host) ? 'fail' : expected.pass.includes(host as Host) ? 'pass' : 'not-applicable';
    expect(r.status, `${id} on ${host}: ${r.observed}`).toBe(want);
  });
});

describe('a host with no AI software', () => {
  it('makes every AI rule not-applicable, none passes', () => {
    const report = reports.get('ai-none')!;
    expect(report.results.length).toBe(packs[0]!.rules.length);
    for (const r of report.results) expect(r.status, `${r.ruleId}: ${r.observed}`).toBe('not-applicable');
    expect(report.summary.pass).toBe(0);
  });

  it('makes every AI rule not-applicable on an offline root without /proc too', async () => {
    const root = buildAiHost('ai-none');
    const { offlineRootHost } = await import('../../agent/host/fs-host.js');
    const report = await runScan({ host: offlineRootHost(root), packs, now: NOW });
    for (const r of report.results) expect(r.status, r.ruleId).toBe('not-applicable');
  });
});

describe('KEV', () => {
  it('marks Langflow 1.2.0 as vulnerable to KEV-listed CVE-2025-3248 with the KEV dates in evidence', () => {
    const report = reports.get('apps-exposed')!;
    for (const id of ['ai.kev.known-exploited-ai-software', 'ai.langflow.cve-2025-3248-patched']) {
      const r = result(report, id);
      expect(r.status).toBe('fail');
      expect(r.severity).toBe('critical');
      const ev = r.evidence.find((e) => (e.observed as Record<string, unknown> | null)?.kevMatch);
      expect(ev, id).toBeDefined();
      expect((ev!.observed as { kevMatch: unknown }).kevMatch).toEqual({
        cve: 'CVE-2025-3248',
        dueDate: '2025-05-26',
        dateAdded: '2025-05-05',
        ransomware: 'Unknown',
        catalogVersion: '2025.08.25',
      });
      expect(r.observed).toContain('2025-05-26');
      // The matched CVE travels on the result for the collector's BOD 26-04 tier.
      expect(r.cves, id).toEqual([{ cve: 'CVE-2025-3248', kev: true, kevDueDate: '2025-05-26', kevDateAdded: '2025-05-05' }]);
    }
    // Passing and not-applicable results carry none.
    expect(report.results.filter((r) => r.status !== 'fail' && r.cves !== undefined)).toEqual([]);
  });

  it('does not mark vulnerable versions whose CVEs are not on the KEV catalog (Ollama, vLLM, TorchServe on the exposed inference host)', () => {
    const r = result(reports.get('inference-exposed')!, 'ai.kev.known-exploited-ai-software');
    expect(r.status).toBe('pass');
    expect(result(reports.get('inference-exposed')!, 'ai.ollama.version-patched').status).toBe('fail');
  });

  it('gives ERR_KEV_MISSING (never a pass) for the KEV rule when no catalog is loaded, while plain version rules still decide', async () => {
    process.env.RAMPART_KEV_FILE = path.join(tmp('rampart-nokev-'), 'absent.json');
    const report = await scan('apps-locked');
    const r = result(report, 'ai.kev.known-exploited-ai-software');
    expect(r.status).toBe('error');
    expect(r.error?.code).toBe('ERR_KEV_MISSING');
    expect(result(report, 'ai.langflow.cve-2025-3248-patched').status).toBe('pass');
    expect(result(report, 'ai.kev.catalog-current').status).toBe('fail');
  });

  it('passes the catalog-age rule with a freshly released catalog', async () => {
    const dir = tmp('rampart-kev-fresh-');
    const kev = JSON.parse(readFileSync(KEV_FIXTURE, 'utf8')) as { dateReleased: string };
    kev.dateReleased = '2026-11-20T17:00:00.000Z';
    writeFileSync(path.join(dir, 'kev.json'), JSON.stringify(kev));
    process.env.RAMPART_KEV_FILE = path.join(dir, 'kev.json');
    const report = await scan('apps-locked');
    expect(result(report, 'ai.kev.catalog-current').status).toBe('pass');
  });

  it('reports a malformed catalog as ERR_KEV_INVALID on the version rules instead of guessing', async () => {
    const dir = tmp('rampart-kev-bad-');
    writeFileSync(path.join(dir, 'kev.json'), '{"catalogVersion": 1}');
    process.env.RAMPART_KEV_FILE = path.join(dir, 'kev.json');
    const report = await scan('apps-exposed');
    const r = result(report, 'ai.langflow.cve-2025-3248-patched');
    expect(r.status).toBe('error');
    expect(r.error?.code).toBe('ERR_KEV_INVALID');
  });
});

describe('tailoring', () => {
  it('accepts an approved internal address so a reviewed listener passes', async () => {
    const dir = tmp('rampart-ai-tailor-');
    const file = path.join(dir, 'tailoring.yaml');
    writeFileSync(file, 'tailoring: { id: t1 }\nparameters:\n  ai-workloads:\n    approved_ai_bind_addresses: ["0.0.0.0"]\n');
    const loaded = await loadPacks({ packFiles: [PACK], tailoringFile: file });
    const report = await scan('inference-exposed', loaded.packs);
    expect(result(report, 'ai.ollama.bind-loopback').status).toBe('pass');
    expect(result(report, 'ai.ollama.origins-not-wildcard').status).toBe('fail');
  });
});

describe('docs/ai-workloads.md', () => {
  it('has a section for every rule of the pack', () => {
    const doc = readFileSync(path.join(REPO_ROOT, 'docs/ai-workloads.md'), 'utf8');
    for (const r of packs[0]!.rules) expect(doc, r.rule.id).toContain(`#### \`${r.rule.id}\``);
  });
});

describe('an offline root (an image without /proc)', () => {
  it('still finds installed versions but leaves runtime rules not-applicable', async () => {
    const { cpSync } = await import('node:fs');
    const { offlineRootHost } = await import('../../agent/host/fs-host.js');
    const src = buildAiHost('inference-exposed');
    const dst = tmp('rampart-ai-offline-');
    cpSync(src, dst, { recursive: true, verbatimSymlinks: true, filter: (p) => !p.startsWith(path.join(src, 'proc')) && !p.startsWith(path.join(src, '.rampart-exec')) });
    const report = await runScan({ host: offlineRootHost(dst), packs, now: NOW });
    expect(result(report, 'ai.vllm.version-patched').status).toBe('fail');
    expect(result(report, 'ai.torchserve.version-patched').status).toBe('fail');
    expect(result(report, 'ai.nvidia-container-toolkit.version-patched').status).toBe('fail');
    expect(result(report, 'ai.models.store-not-world-writable').status).toBe('fail');
    for (const id of ['ai.ollama.bind-loopback', 'ai.vllm.bind-and-key', 'ai.torchserve.management-loopback', 'ai.triton.endpoints-scoped']) {
      expect(result(report, id).status, id).toBe('not-applicable');
    }
    expect(report.inventory?.ai?.services.find((x) => x.id === 'vllm')).toMatchObject({ installed: true, running: null });
  });
});

describe('evidence', () => {
  it('never carries a secret value from the fixtures, only key names and paths', () => {
    const secrets = [
      'sk-proj-AbCdEfGhIjKlMnOpQrStUvWx0123',
      'sk-proj-QwErTyUiOpAsDfGhJkLzXcVbNm0123',
      'hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
      'hf_QwErTyUiOpAsDfGhJkLzXcVbNm0123456789',
      'hf_ZxCvBnMaSdFgHjKlQwErTyUiOp0123456789',
      'fixture-key-from-environment-file',
      'fixture-Strong-Passphrase-2026',
      'fixture-qdrant-key',
      'fixture-Changed-Long-Passphrase-2026',
      'shared-lab-password',
      'password1234',
    ];
    for (const [host, report] of reports) {
      const text = JSON.stringify(report);
      for (const s of secrets) expect(text, `${s} leaked in ${host}`).not.toContain(s);
    }
    const secretsResult = result(reports.get('inference-exposed')!, 'ai.secrets.files-not-readable');
    expect(secretsResult.observed).toContain('/opt/inference/.env:1 OPENAI_API_KEY');
    expect(result(reports.get('inference-exposed')!, 'ai.secrets.unit-environment').observed).toContain('/etc/systemd/system/vllm.service:5 HF_TOKEN');
    expect(result(reports.get('inference-exposed')!, 'ai.secrets.cmdline').observed).toContain('pid 1300 vllm: --hf-token');
  });
});

afterAll(() => {
  if (savedKev === undefined) delete process.env.RAMPART_KEV_FILE;
  else process.env.RAMPART_KEV_FILE = savedKev;
});

afterAll(() => {
  cleanupAiHosts();
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});
