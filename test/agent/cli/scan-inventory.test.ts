/**
 * The AI inventory section of `rampart scan`: present in JSON (valid against ScanReportSchema) and
 * the table when the ai-workloads pack runs or --inventory is given, absent otherwise.
 */
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanCommand } from '../../../agent/cli/scan.js';
import { ScanReportSchema } from '../../../shared/result.js';
import { cleanupAiHosts, buildAiHost, KEV_FIXTURE } from '../../helpers/ai-hosts.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';

const AI_PACK = path.join(REPO_ROOT, 'rules/ai-workloads.yaml');
const MINIMAL = path.join(REPO_ROOT, 'test/fixtures/packs/minimal.yaml');
const saved = process.env.RAMPART_KEV_FILE;
beforeAll(() => {
  process.env.RAMPART_KEV_FILE = KEV_FIXTURE;
});
afterAll(() => {
  if (saved === undefined) delete process.env.RAMPART_KEV_FILE;
  else process.env.RAMPART_KEV_FILE = saved;
});

async function run(args: string[], host: string): Promise<string> {
  let text = '';
  const stdout = new Writable({ write(chunk, _e, cb) { text += String(chunk); cb(); } });
  await scanCommand(args, { stdout, env: { RAMPART_FIXTURE_ROOT: buildAiHost(host) } });
  return text;
}

describe('scan inventory', () => {
  it('adds the AI inventory to the JSON report when the ai-workloads pack runs', async () => {
    const report = ScanReportSchema.parse(JSON.parse(await run(['--pack', AI_PACK, '--format', 'json'], 'inference-exposed')));
    const ai = report.inventory?.ai;
    expect(ai?.kevCatalog).toBe('2025.08.25');
    const ollama = ai?.services.find((s) => s.id === 'ollama');
    expect(ollama).toMatchObject({ running: true, exposed: true, authEnabled: false, bindAddresses: ['0.0.0.0:11434'], pids: [1201] });
    expect(ollama?.versions[0]).toMatchObject({ version: '0.1.20' });
    expect(ai?.services.map((s) => s.id)).toEqual(['ollama', 'vllm', 'tgi', 'triton', 'torchserve', 'nvidia-container-toolkit']);
    expect(ai?.modelDirectories.map((d) => d.path)).toContain('/usr/share/ollama/.ollama/models');
  });

  it('prints the inventory in the table', async () => {
    const text = await run(['--pack', AI_PACK, '--no-color'], 'notebooks-exposed');
    expect(text).toMatch(/AI inventory \(\d+ services/);
    expect(text).toMatch(/jupyter\s+2\.14\.0\s+running\s+EXPOSED\s+NO AUTH\s+0\.0\.0\.0:8888/);
  });

  it('has no inventory for other packs unless --inventory is given', async () => {
    const plain = JSON.parse(await run(['--pack', MINIMAL, '--format', 'json'], 'apps-exposed'));
    expect(plain.inventory).toBeUndefined();
    const forced = ScanReportSchema.parse(JSON.parse(await run(['--pack', MINIMAL, '--format', 'json', '--inventory'], 'apps-exposed')));
    expect(forced.inventory?.ai?.services.map((s) => s.id)).toContain('langflow');
  });

  it('reports an empty AI inventory on a host without AI software', async () => {
    const report = ScanReportSchema.parse(JSON.parse(await run(['--pack', AI_PACK, '--format', 'json'], 'ai-none')));
    expect(report.inventory?.ai?.services).toEqual([]);
    expect(report.inventory?.ai?.modelDirectories).toEqual([]);
  });
});

afterAll(() => cleanupAiHosts());
