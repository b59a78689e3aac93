// The dashboard bench (bench/dashboard/bench.ts): npm run build && node bench/dashboard/bench.mjs [hosts] [rulesPerHost]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
process.argv.splice(2, 0, 'bench.ts');
await import(path.join(path.dirname(fileURLToPath(import.meta.url)), 'run-ts.mjs'));
