/**
 * @module Test certificates made at test time with the openssl CLI into a temp directory (private
 * keys are never committed): a CA, server certificates for 127.0.0.1/localhost signed by it, and
 * client certificates signed by a client CA. Keys are written 0600.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, stdio: 'pipe' });
  if (r.error || r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.toString()}`);
}

/** Whether the openssl CLI is available (tests fail when it is not and CI=true). */
export function hasOpenssl(): boolean {
  const r = spawnSync('openssl', ['version'], { stdio: 'pipe' });
  return !r.error && r.status === 0;
}

export interface Ca {
  cert: string;
  key: string;
}

export function makeCa(dir: string, name: string): Ca {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  chmodSync(key, 0o600);
  return { cert, key };
}

/** A leaf certificate signed by `ca`: server (SAN 127.0.0.1, localhost) or client. */
export function makeLeaf(dir: string, ca: Ca, name: string, kind: 'server' | 'client'): { cert: string; key: string } {
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const cert = path.join(dir, `${name}.crt`);
  const ext = path.join(dir, `${name}.ext`);
  writeFileSync(
    ext,
    kind === 'server'
      ? 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n'
      : 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n',
  );
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`], dir);
  chmodSync(key, 0o600);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext], dir);
  return { cert, key };
}
