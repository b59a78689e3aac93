/**
 * The ai-service probe names the AI service behind each listening socket on the AI fixture hosts,
 * reads exposure and authentication from environment, flags and config files, and is
 * not-applicable where the software is absent.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { aiServiceProbe } from '../../../agent/probes/ai-service.js';
import { aiInventoryProbe } from '../../../agent/probes/ai-inventory.js';
import { readAiProcessTable } from '../../../agent/sources/ai-services.js';
import { AI_SIGNATURES } from '../../../agent/sources/ai-signatures.js';
import { createScanContext } from '../../../agent/engine/context.js';
import { readHostFacts } from '../../../agent/engine/facts.js';
import { offlineRootHost } from '../../../agent/host/fs-host.js';
import { cleanupAiHosts, aiHostContext, buildAiHost } from '../../helpers/ai-hosts.js';
import type { Observation } from '../../../agent/probes/probe.js';

async function observe(host: string, service: string, approvedAddresses: string[] = []) {
  const ctx = await aiHostContext(host);
  return aiServiceProbe.run(aiServiceProbe.params.parse({ service, approvedAddresses }), ctx);
}

function values(obs: Observation): Record<string, unknown> {
  if (obs.status !== 'observed') throw new Error(`expected an observation, got ${obs.status}: ${'reason' in obs ? obs.reason : ''}`);
  return obs.values;
}

describe('service identification', () => {
  it('names every AI process on the exposed hosts by signature', async () => {
    const expected: Record<string, Record<number, string>> = {
      'inference-exposed': { 1201: 'ollama', 1300: 'vllm', 1400: 'tgi', 1401: 'tgi', 1500: 'triton', 1600: 'torchserve' },
      'notebooks-exposed': { 2001: 'jupyter', 2050: 'jupyter', 2100: 'jupyterhub', 2101: 'jupyterhub', 2201: 'ray', 2202: 'ray', 2203: 'ray', 2204: 'ray', 2300: 'mlflow', 2301: 'mlflow', 2400: 'tensorboard', 2500: 'kubectl-port-forward' },
      'apps-exposed': { 3001: 'gradio', 3101: 'comfyui', 3201: 'streamlit', 3301: 'langflow', 3401: 'langserve', 3501: 'open-webui', 3601: 'qdrant', 3701: 'chroma', 3801: 'weaviate', 3901: 'milvus', 4001: 'mlflow' },
    };
    for (const [host, byPid] of Object.entries(expected)) {
      const table = await readAiProcessTable(await aiHostContext(host));
      for (const [pid, id] of Object.entries(byPid)) expect(table.byPid.get(Number(pid)), `${host} pid ${pid}`).toBe(id);
      // sshd, docker-proxy, the share tunnel and init are not AI services themselves.
      for (const pid of [1, 412, 3002, 3502]) expect(table.byPid.has(pid)).toBe(false);
    }
  });

  it('says "Ollama listens on 0.0.0.0:11434 with no auth" rather than "port 11434 is open"', async () => {
    const v = values(await observe('inference-exposed', 'ollama'));
    expect(v).toMatchObject({ present: true, running: true, exposed: true, authEnabled: false, bindAddresses: ['0.0.0.0:11434'], unapprovedListeners: ['0.0.0.0:11434'], version: '0.1.20' });
    expect(v.settings).toMatchObject({ ollamaHost: '0.0.0.0:11434', originsWildcard: true, modelsDir: '/usr/share/ollama/.ollama/models' });
    expect((v.evidence as string[]).join('\n')).toMatch(/listens on 0\.0\.0\.0:11434 \(pid 1201 ollama\)/);
  });

  it('accepts listeners on approved addresses', async () => {
    const v = values(await observe('inference-exposed', 'ollama', ['0.0.0.0']));
    expect(v.unapprovedListeners).toEqual([]);
    expect(v.exposed).toBe(true);
  });

  it('attributes a docker-proxy published port to the container service it forwards to', async () => {
    const open = values(await observe('apps-exposed', 'open-webui'));
    expect(open.bindAddresses).toEqual(['0.0.0.0:3000']);
    expect((open.listeners as { via?: string; containerPort?: number }[])[0]).toMatchObject({ via: 'docker-proxy', containerPort: 8080 });
    expect(open.authEnabled).toBe(false);
    expect(open.settings).toMatchObject({ signupOpen: true });
    const locked = values(await observe('apps-locked', 'open-webui'));
    expect(locked.bindAddresses).toEqual(['127.0.0.1:3000']);
    expect(locked.authEnabled).toBe(true);
  });

  it('finds a Gradio app by its port when the command line is just "python app.py", and its share tunnel', async () => {
    const v = values(await observe('apps-exposed', 'gradio'));
    expect(v.bindAddresses).toEqual(['0.0.0.0:7860']);
    expect(v.version).toBe('4.12.0');
    expect(v.settings).toMatchObject({ shareTunnel: true, serverName: '0.0.0.0' });
    expect(values(await observe('apps-locked', 'gradio')).settings).toMatchObject({ shareTunnel: false });
  });

  it('reads Jupyter auth from the running server state and flags, and config files for XSRF and CORS', async () => {
    const open = values(await observe('notebooks-exposed', 'jupyter'));
    expect(open).toMatchObject({ authEnabled: false, runsAsRoot: true, version: '2.14.0' });
    expect(open.settings).toMatchObject({ tokenDisabled: true, xsrfDisabled: true, corsWildcard: true, allowRoot: true, tls: false });
    expect(open.settings as Record<string, unknown>).toHaveProperty('looseRuntimeFiles', ['/root/.local/share/jupyter/runtime/jpserver-2001.json', '/root/.local/share/jupyter/runtime/kernel-5b1f.json']);
    const locked = values(await observe('notebooks-locked', 'jupyter'));
    expect(locked).toMatchObject({ authEnabled: true, runsAsRoot: false, exposed: false });
    expect(locked.settings).toMatchObject({ tokenDisabled: false, xsrfDisabled: false, corsWildcard: false, looseRuntimeFiles: [] });
  });

  it('reads auth settings of the other products from env, flags and config files', async () => {
    const cases: [string, string, boolean | null, Record<string, unknown>][] = [
      ['notebooks-exposed', 'jupyterhub', false, { authenticator: 'dummy', hubApiExposed: true, proxyApiExposed: true, tls: false }],
      ['notebooks-locked', 'jupyterhub', true, { tls: true, hubApiExposed: false }],
      ['notebooks-exposed', 'ray', false, { dashboardExposed: true, clusterPortsExposed: true }],
      ['notebooks-locked', 'ray', true, { authMode: 'token', dashboardExposed: false }],
      ['notebooks-exposed', 'mlflow', false, { allowedHostsWildcard: true }],
      ['apps-exposed', 'mlflow', true, { appName: 'basic-auth', defaultAdminPassword: true, corsWildcard: true }],
      ['notebooks-locked', 'mlflow', true, { defaultAdminPassword: false }],
      ['inference-exposed', 'vllm', false, { devMode: true, apiKeySet: false }],
      ['inference-locked', 'vllm', true, { devMode: false, apiKeySet: true }],
      ['inference-exposed', 'triton', false, { modelControlMode: 'explicit', writableByOthers: ['/models/triton'] }],
      ['inference-exposed', 'torchserve', false, { managementExposed: true, tokenAuthDisabled: true, modelApiEnabled: true, allowedUrlsRestricted: false }],
      ['inference-locked', 'torchserve', true, { managementExposed: false, keyFileLoose: false, allowedUrlsRestricted: true }],
      ['apps-exposed', 'langflow', false, { autoLogin: true }],
      ['apps-locked', 'langflow', true, { autoLogin: false, superuserPasswordSet: true }],
      ['apps-exposed', 'qdrant', false, { tls: false }],
      ['apps-locked', 'qdrant', true, { tls: true }],
      ['apps-exposed', 'weaviate', false, { anonymousAccess: true }],
      ['apps-locked', 'milvus', true, { metricsExposed: false }],
      ['apps-exposed', 'comfyui', false, { listen: '0.0.0.0,::', corsWildcard: true, customNodesWorldWritable: ['/opt/ComfyUI/custom_nodes'] }],
      ['apps-exposed', 'streamlit', null, { address: null, xsrfDisabled: true, looseSecrets: ['/srv/dash/.streamlit/secrets.toml'] }],
      ['inference-exposed', 'nvidia-container-toolkit', null, { cudaCompatHookDisabled: false }],
      ['inference-locked', 'nvidia-container-toolkit', null, { cudaCompatHookDisabled: true, compatLibsFromContainer: false }],
    ];
    for (const [host, service, auth, settings] of cases) {
      const v = values(await observe(host, service));
      expect(v.authEnabled, `${service} on ${host}`).toBe(auth);
      expect(v.settings, `${service} on ${host}`).toMatchObject(settings);
    }
  });

  it('never copies a secret value into evidence or settings', async () => {
    for (const [host, service] of [['inference-locked', 'vllm'], ['apps-locked', 'langflow'], ['apps-locked', 'qdrant'], ['notebooks-locked', 'mlflow'], ['inference-exposed', 'vllm']] as const) {
      const text = JSON.stringify(values(await observe(host, service)));
      for (const secret of ['fixture-key-from-environment-file', 'fixture-Strong-Passphrase-2026', 'fixture-qdrant-key', 'fixture-Changed-Long-Passphrase-2026', 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789']) {
        expect(text).not.toContain(secret);
      }
    }
  });

  it('is not-applicable for software that is neither installed nor running', async () => {
    for (const id of AI_SIGNATURES.map((s) => s.id)) {
      const obs = await observe('ai-none', id);
      expect(obs.status, id).toBe('not-applicable');
    }
    expect((await observe('inference-exposed', 'jupyter')).status).toBe('not-applicable');
  });

  it('reports installed-but-not-running software on an offline root, with no runtime facts', async () => {
    const host = offlineRootHost(buildAiHost('notebooks-exposed'));
    // An offline root may still carry /proc from a capture; only /proc-less roots have no process table.
    const ctx = createScanContext(host, await readHostFacts(host));
    const obs = await aiServiceProbe.run(aiServiceProbe.params.parse({ service: 'mlflow' }), ctx);
    expect(values(obs)).toMatchObject({ installed: true, version: '2.9.1' });
  });

  it('sums the host up in the ai-inventory probe', async () => {
    const ctx = await aiHostContext('inference-exposed');
    const v = values(await aiInventoryProbe.run(aiInventoryProbe.params.parse({}), ctx));
    expect(v.services).toEqual(expect.arrayContaining(['ollama', 'vllm', 'tgi', 'triton', 'torchserve', 'nvidia-container-toolkit']));
    expect(v.unapprovedListeners).toContain('ollama 0.0.0.0:11434');
    expect(v.modelDirectories).toEqual(expect.arrayContaining(['/usr/share/ollama/.ollama/models', '/home/mlops/.cache/huggingface', '/models', '/data/models']));
    expect((await aiInventoryProbe.run(aiInventoryProbe.params.parse({}), await aiHostContext('ai-none'))).status).toBe('not-applicable');
  });
});

afterAll(() => cleanupAiHosts());
