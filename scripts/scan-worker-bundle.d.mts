import type { Metafile, Plugin } from 'esbuild';

export function zodEnglishOnly(repo: string): Plugin;
export const noNative: Plugin;
export const noOptionalNative: Plugin;
export function buildScanWorkerBundle(options: { repo: string; outDir: string; buildId?: string }): Promise<Metafile[]>;
