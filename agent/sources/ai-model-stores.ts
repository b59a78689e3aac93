/**
 * @module Where models live on this host and what is in them: Hugging Face caches, Ollama model
 * stores, torch hub caches, serving repositories named on command lines (Triton, TorchServe,
 * ComfyUI) and configured extra directories. A bounded walk (depth and entry caps) records
 * world-writable entries and pickle-format files by lstat and extension only: model files are
 * never opened.
 */
import type { ScanContext } from '../engine/context.js';
import { readDirOnce } from '../engine/context.js';
import { expandGlob } from '../host/glob.js';
import { PICKLE_EXTENSIONS } from './ai-signatures.js';
import { readAiProcessTable, readAiService } from './ai-services.js';
import { readProcessEnviron } from './processes.js';
import { flagValue } from './ai-config-parsers.js';

export interface ModelRoot {
  path: string;
  kind: 'huggingface' | 'ollama' | 'torch' | 'comfyui' | 'triton' | 'torchserve' | 'configured';
}

export interface ModelStoreScan {
  roots: ModelRoot[];
  fileCount: number;
  worldWritable: string[];
  pickleFiles: string[];
  /** Private keys beside model stores (Ollama id_ed25519) readable or writable by others. */
  looseKeys: string[];
  truncated: boolean;
}

/** Common shared model directories, checked by the inventory (the pack's model_dirs parameter defaults to the same). */
export const DEFAULT_MODEL_DIRS = ['/srv/models', '/opt/models', '/data/models', '/models', '/var/lib/models'];

const MAX_DEPTH = 8;
const MAX_ENTRIES = 20000;
const MAX_LISTED = 100;

/** Candidate model roots that exist, with where each came from. Read once per scan per extra-dir set. */
export function findModelRoots(ctx: ScanContext, extraDirs: readonly string[] = []): Promise<ModelRoot[]> {
  return ctx.memo(`source:model-roots:${extraDirs.join('|')}`, async () => {
    const cands: ModelRoot[] = [];
    const add = (path: string, kind: ModelRoot['kind']) => cands.push({ path: path.replace(/\/+$/, ''), kind });
    for (const p of await expandGlob(ctx.host, '/home/*/.cache/huggingface')) add(p, 'huggingface');
    add('/root/.cache/huggingface', 'huggingface');
    for (const p of await expandGlob(ctx.host, '/home/*/.ollama/models')) add(p, 'ollama');
    add('/root/.ollama/models', 'ollama');
    add('/usr/share/ollama/.ollama/models', 'ollama');
    for (const p of await expandGlob(ctx.host, '/home/*/.cache/torch')) add(p, 'torch');
    add('/root/.cache/torch', 'torch');
    const table = await readAiProcessTable(ctx);
    for (const proc of table.processes.filter((p) => table.byPid.has(p.pid))) {
      const env = await readProcessEnviron(ctx, proc.pid);
      if (env?.HF_HOME) add(env.HF_HOME, 'huggingface');
      if (env?.HF_HUB_CACHE) add(env.HF_HUB_CACHE, 'huggingface');
      if (env?.OLLAMA_MODELS) add(env.OLLAMA_MODELS, 'ollama');
      if (env?.TORCH_HOME) add(env.TORCH_HOME, 'torch');
      const svc = table.byPid.get(proc.pid);
      const repo = flagValue(proc.cmdline, ['--model-repository', '--model-store']);
      if (typeof repo === 'string' && repo.startsWith('/')) add(repo, svc === 'torchserve' ? 'torchserve' : 'triton');
      if (svc === 'comfyui') {
        const main = proc.cmdline.find((a) => /main\.py$/.test(a) && a.startsWith('/'));
        if (main) add(`${main.replace(/\/main\.py$/, '')}/models`, 'comfyui');
      }
    }
    for (const d of extraDirs) add(d, 'configured');
    const seen = new Set<string>();
    const out: ModelRoot[] = [];
    for (const c of cands) {
      if (seen.has(c.path) || !c.path.startsWith('/')) continue;
      seen.add(c.path);
      const st = await ctx.host.lstat(c.path).catch(() => undefined);
      if (st?.type === 'dir') out.push(c);
    }
    // A store inside another (a Triton repository under /models) is walked once, under the outer root.
    return out.filter((r) => !out.some((o) => o !== r && r.path.startsWith(`${o.path}/`)));
  });
}

/** Walk the model roots (bounded) once per scan per extra-dir set. */
export function scanModelStores(ctx: ScanContext, extraDirs: readonly string[] = []): Promise<ModelStoreScan> {
  return ctx.memo(`source:model-stores:${extraDirs.join('|')}`, async () => {
    const roots = await findModelRoots(ctx, extraDirs);
    const result: ModelStoreScan = { roots, fileCount: 0, worldWritable: [], pickleFiles: [], looseKeys: [], truncated: false };
    let entries = 0;
    const walk = async (dir: string, depth: number): Promise<void> => {
      if (depth > MAX_DEPTH || entries > MAX_ENTRIES) {
        result.truncated = true;
        return;
      }
      const names = (await readDirOnce(ctx, dir).catch(() => undefined)) ?? [];
      for (const n of names) {
        if (++entries > MAX_ENTRIES) {
          result.truncated = true;
          return;
        }
        const p = `${dir}/${n}`;
        const st = await ctx.host.lstat(p).catch(() => undefined);
        if (!st || st.type === 'symlink') continue;
        if ((st.mode & 0o002) !== 0 && result.worldWritable.length < MAX_LISTED) result.worldWritable.push(p);
        if (st.type === 'dir') await walk(p, depth + 1);
        else if (st.type === 'file') {
          result.fileCount++;
          const lower = n.toLowerCase();
          if (PICKLE_EXTENSIONS.some((e) => lower.endsWith(e)) && result.pickleFiles.length < MAX_LISTED) result.pickleFiles.push(p);
        }
      }
    };
    for (const r of roots) {
      const st = await ctx.host.lstat(r.path).catch(() => undefined);
      if (st && (st.mode & 0o002) !== 0) result.worldWritable.push(r.path);
      await walk(r.path, 0);
      if (r.kind === 'ollama') {
        const key = `${r.path.replace(/\/models$/, '')}/id_ed25519`;
        const ks = await ctx.host.lstat(key).catch(() => undefined);
        if (ks && (ks.mode & 0o077) !== 0) result.looseKeys.push(key);
      }
    }
    // Ollama's own service keeps its key beside its models even when models moved elsewhere.
    if ((await readAiService(ctx, 'ollama'))?.running) {
      const ks = await ctx.host.lstat('/usr/share/ollama/.ollama/id_ed25519').catch(() => undefined);
      if (ks && (ks.mode & 0o077) !== 0 && !result.looseKeys.includes('/usr/share/ollama/.ollama/id_ed25519')) result.looseKeys.push('/usr/share/ollama/.ollama/id_ed25519');
    }
    return result;
  });
}
