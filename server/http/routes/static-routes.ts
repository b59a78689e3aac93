/**
 * @module The dashboard's static files, without authentication (the page signs in with a
 * token): GET / serves index.html and GET /assets/NAME serves the built bundle and styles from
 * the dashboard directory (config.dashboardDir, else dist/dashboard beside the built CLI).
 * Names are checked against a strict pattern and resolved inside the directory (no traversal,
 * no dot-files); responses carry an ETag and `no-cache` (revalidate each load: asset names are
 * not content-hashed), nosniff, and a CSP that allows only this origin.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../../shared/errors.js';
import type { ServerConfig } from '../../config.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;
export const DASHBOARD_CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Where the built dashboard is: explicit, else next to this module once bundled (dist/dashboard or dist/), else the repository's dist/dashboard. */
export function resolveDashboardDir(explicit?: string): string {
  if (explicit) return path.resolve(explicit);
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'dashboard'), here, path.resolve(here, '../../../dist/dashboard')];
  return candidates.find((d) => existsSync(path.join(d, 'index.html')) && existsSync(path.join(d, 'app.js'))) ?? candidates[0]!;
}

interface Cached {
  mtimeMs: number;
  size: number;
  body: Buffer;
  etag: string;
}

export function staticRoutes(app: FastifyInstance, config: ServerConfig): void {
  const root = resolveDashboardDir(config.dashboardDir);
  const cache = new Map<string, Cached>();

  async function load(name: string): Promise<Cached | null> {
    if (!SAFE_NAME.test(name) || !(path.extname(name) in CONTENT_TYPES)) return null;
    const file = path.resolve(root, name);
    if (!file.startsWith(root + path.sep)) return null;
    let st;
    try {
      st = await fs.stat(file);
    } catch {
      return null;
    }
    if (!st.isFile()) return null;
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit;
    const body = await fs.readFile(file);
    const entry = { mtimeMs: st.mtimeMs, size: st.size, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    cache.set(file, entry);
    return entry;
  }

  async function send(req: FastifyRequest, reply: FastifyReply, name: string, notFound: () => AppError): Promise<FastifyReply> {
    const file = await load(name);
    if (!file) throw notFound();
    void reply
      .header('cache-control', 'no-cache')
      .header('etag', file.etag)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer');
    if (name.endsWith('.html')) void reply.header('content-security-policy', DASHBOARD_CSP).header('x-frame-options', 'DENY');
    if (req.headers['if-none-match'] === file.etag) return reply.status(304).send();
    return reply.type(CONTENT_TYPES[path.extname(name)]!).send(file.body);
  }

  const index = (req: FastifyRequest, reply: FastifyReply) =>
    send(req, reply, 'index.html', () => new AppError('ERR_NOT_FOUND', `the dashboard is not built (no index.html in ${root}); run \`npm run build\``));
  app.get('/', index);
  app.get('/index.html', index);
  app.get('/assets/*', async (req, reply) => {
    const name = (req.params as { '*': string })['*'];
    return send(req, reply, name, () => new AppError('ERR_NOT_FOUND', `no asset ${name}`));
  });
}
