/**
 * @module Probe `ai-model-store`: model caches and serving repositories on disk (Hugging Face,
 * Ollama, torch, Triton, TorchServe, ComfyUI, configured directories): entries other users can
 * write, pickle-format model files (which run code when loaded) and loose private keys beside the
 * stores. Bounded walk by lstat only; model files are never opened. Not-applicable when no model
 * store exists.
 */
import { z } from 'zod';
import { scanModelStores } from '../sources/ai-model-stores.js';
import { defineProbe, notApplicable, observed } from './probe.js';

export const aiModelStoreProbe = defineProbe({
  type: 'ai-model-store',
  summary: 'Model stores on disk: world-writable entries, pickle-format model files and loose keys (bounded lstat walk; files never opened).',
  params: () => z.strictObject({
    /** Extra model directories to include (absolute paths), e.g. an agency's shared model share. */
    extraDirs: z.array(z.string().startsWith('/')).default([]),
    /** Only stores of this kind (default: all). */
    kind: z.enum(['huggingface', 'ollama', 'torch', 'comfyui', 'triton', 'torchserve', 'configured']).optional(),
  }),
  fields: {
    roots: 'model store directories found: {path, kind}',
    fileCount: 'files seen in the walk',
    worldWritable: 'paths (stores, directories, files) any user may write (first 100)',
    pickleFiles: 'pickle-format model files (.pkl .pickle .pt .pth .bin .ckpt .joblib .mar), first 100',
    looseKeys: 'private keys beside model stores (Ollama id_ed25519) with group/other permission bits',
    truncated: 'true when the walk stopped at its depth or entry cap',
  },
  example: {},
  badExamples: [{ extraDirs: ['relative'] }, { kind: 'floppy' }, { extra: 1 }],
  async run(params, ctx) {
    const scan = await scanModelStores(ctx, params.extraDirs);
    const roots = params.kind ? scan.roots.filter((r) => r.kind === params.kind) : scan.roots;
    if (roots.length === 0) return notApplicable(`no ${params.kind ?? 'AI'} model store on this host`);
    const inRoots = (p: string) => roots.some((r) => p === r.path || p.startsWith(`${r.path}/`));
    return observed(
      {
        roots,
        fileCount: scan.fileCount,
        worldWritable: scan.worldWritable.filter(inRoots),
        pickleFiles: scan.pickleFiles.filter(inRoots),
        looseKeys: params.kind && params.kind !== 'ollama' ? [] : scan.looseKeys,
        truncated: scan.truncated,
      },
      roots.map((r) => r.path),
    );
  },
});
