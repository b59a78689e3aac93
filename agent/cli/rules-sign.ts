/**
 * @module `rampart rules keygen|sign|verify`: make an Ed25519 pack signing key pair, sign a pack
 * into a `rampart-pack-bundle/1` bundle (after compiling it: only a clean pack is signed), and
 * verify a bundle against one public key or a directory of them, as an agent would.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { AppError } from '../../shared/errors.js';
import { silentLogger } from '../../shared/log.js';
import { signBundle } from '../../shared/pack-bundle.js';
import { compilePack } from '../rules/compile-pack.js';
import { loadDirectives } from '../rules/directives.js';
import { issuesError } from '../rules/load-packs.js';
import { verifyBundle } from '../rules/pack-bundle.js';
import { directivesFile } from '../rules/paths.js';
import { generateSigningKeys, loadSigningKey, loadTrustedKeys } from '../rules/signing-keys.js';
import { EXIT, parse } from './args.js';

export const RULES_SIGN_HELP = `Signed rule packs:
  keygen --out DIR            Write a new Ed25519 pair: DIR/pack-signing.key (mode 0600, keep it
                              offline) and DIR/pack-signing.pub (copy it into each agent's trusted
                              key directory). Never overwrites.
  sign --key KEY PACK [--out BUNDLE] [--directives FILE]
                              Compile PACK, then write a signed bundle (JSON) to BUNDLE or stdout.
                              A key file readable by others is refused.
  verify --pubkey P BUNDLE [--installed VERSION]
                              Verify BUNDLE as an agent does (P: a .pub file or a directory of them):
                              digest, trusted key, signature, pack compiles, not older than VERSION.
`;

export async function keygenCommand(argv: string[], io: { stdout: NodeJS.WritableStream }): Promise<number> {
  const { values } = parse(argv, { out: { type: 'string' } });
  if (!values.out) throw new AppError('ERR_USAGE', 'rules keygen needs --out DIR');
  const keys = await generateSigningKeys(values.out);
  io.stdout.write(`key id ${keys.keyId}\nprivate key: ${keys.privateKeyFile} (mode 0600; keep it off collectors and agents)\npublic key:  ${keys.publicKeyFile} (install into each agent's trusted key directory)\n`);
  return EXIT.ok;
}

export async function signCommand(argv: string[], io: { stdout: NodeJS.WritableStream }): Promise<number> {
  const { values, positionals } = parse(argv, { key: { type: 'string' }, out: { type: 'string' }, directives: { type: 'string' } }, true);
  if (!values.key || positionals.length !== 1) throw new AppError('ERR_USAGE', 'usage: rampart rules sign --key KEY PACK [--out BUNDLE]');
  const privateKey = await loadSigningKey(values.key);
  const file = positionals[0]!;
  const text = await readFile(file, 'utf8').catch(() => {
    throw new AppError('ERR_FILE_NOT_FOUND', `cannot read rule pack ${file}`);
  });
  const result = compilePack(text, file, { directives: await loadDirectives(values.directives ?? directivesFile()) });
  if (!result.pack) throw issuesError(result.issues[0]?.code ?? 'ERR_PACK_SCHEMA', result.issues);
  const bundle = signBundle({ pack: text, packId: result.pack.ref.id, version: result.pack.ref.version, privateKey });
  const json = JSON.stringify(bundle, null, 2) + '\n';
  if (values.out) {
    await writeFile(values.out, json, { mode: 0o644 });
    process.stderr.write(`signed ${bundle.packId} ${bundle.version} (sha256 ${bundle.sha256}, key ${bundle.keyId}) → ${values.out}\n`);
  } else io.stdout.write(json);
  return EXIT.ok;
}

export async function verifyCommand(argv: string[], io: { stdout: NodeJS.WritableStream }): Promise<number> {
  const { values, positionals } = parse(argv, { pubkey: { type: 'string' }, installed: { type: 'string' }, directives: { type: 'string' } }, true);
  if (!values.pubkey || positionals.length !== 1) throw new AppError('ERR_USAGE', 'usage: rampart rules verify --pubkey P BUNDLE');
  const text = await readFile(positionals[0]!, 'utf8').catch(() => {
    throw new AppError('ERR_FILE_NOT_FOUND', `cannot read bundle ${positionals[0]}`);
  });
  const trusted = await loadTrustedKeys(values.pubkey);
  if (trusted.size === 0) throw new AppError('ERR_FILE_NOT_FOUND', `no public key at ${values.pubkey}`);
  const running = new Map<string, { version: string; sha256: string }>();
  const v = await verifyBundle(text, { trusted, allowUnsigned: false, log: silentLogger() }, running, await loadDirectives(values.directives ?? directivesFile()));
  if (values.installed && v.compiled.ref.version) {
    const { compareVersions } = await import('../../shared/pack-bundle.js');
    if (compareVersions(v.bundle.version, values.installed) < 0) throw new AppError('ERR_PACK_ROLLBACK', `pack ${v.bundle.packId} ${v.bundle.version} is older than ${values.installed}`);
  }
  io.stdout.write(`ok: ${v.bundle.packId} ${v.bundle.version}, ${v.compiled.rules.length} rules, sha256 ${v.bundle.sha256}, signed by key ${v.bundle.keyId} at ${v.bundle.signedAt}\n`);
  return EXIT.ok;
}
