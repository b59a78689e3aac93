/**
 * @module `rampart server pack publish --agency A BUNDLE` and `pack list --agency A`: publish a
 * signed rule pack bundle (made by `rampart rules sign`) for an agency's agents, who receive it
 * over their WebSocket (at once when connected, after welcome otherwise) and verify it against
 * their own trusted keys. The collector checks shape, digest and that the version goes up, and
 * writes the publication to the audit log.
 */
import { readFile } from 'node:fs/promises';
import { AppError } from '../../shared/errors.js';
import { EXIT, parse } from '../../agent/cli/args.js';
import { MAX_PACK_FRAME_BYTES, checkBundleSignature, parseBundle, sha256Hex } from '../../shared/pack-bundle.js';
import { cliActor } from '../store/admin-audit.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, HELP_OPTION, configFor, table, withStore, type ServerCommandIO } from './cli-io.js';

export const PACK_HELP = `Usage: rampart server pack publish --agency NAME BUNDLE [--pubkey P]
       rampart server pack list --agency NAME [--json]

Publish a signed rule pack bundle (rampart rules sign) for the agents of an agency. Connected agents
receive it within seconds, the others when they reconnect; each agent verifies the signature with
its own trusted keys and refuses unsigned, tampered, older or unknown-key bundles.

Options:
  --agency NAME         Agency whose agents receive the pack (required).
  --pubkey P            Also verify the signature here first (a .pub file or a directory of them).
${DATA_DIR_HELP}
  -h, --help            Show this help.
`;

export async function packCommand(argv: string[], io: ServerCommandIO): Promise<number> {
  const { values, positionals } = parse(argv, { ...HELP_OPTION, ...DATA_DIR_OPTION, agency: { type: 'string' }, pubkey: { type: 'string' }, json: { type: 'boolean' } }, true);
  if (values.help) {
    io.stdout.write(PACK_HELP);
    return EXIT.ok;
  }
  const [action, file, ...extra] = positionals;
  if (!values.agency) throw new AppError('ERR_USAGE', '--agency NAME is required');
  const config = configFor(values, io.env);
  if (action === 'publish') {
    if (!file || extra.length > 0) throw new AppError('ERR_USAGE', 'usage: rampart server pack publish --agency NAME BUNDLE');
    const text = await readFile(file, 'utf8').catch(() => {
      throw new AppError('ERR_FILE_NOT_FOUND', `cannot read bundle ${file}`);
    });
    const bundle = parseBundle(text);
    const frameBytes = Buffer.byteLength(JSON.stringify({ v: 1, type: 'pack', bundle }));
    if (frameBytes > MAX_PACK_FRAME_BYTES) throw new AppError('ERR_PACK_BUNDLE_INVALID', `the pack frame would be ${frameBytes} bytes; agents read at most ${MAX_PACK_FRAME_BYTES}`);
    if (values.pubkey) {
      const { loadTrustedKeys } = await import('../../agent/rules/signing-keys.js');
      checkBundleSignature(bundle, await loadTrustedKeys(values.pubkey));
    } else {
      // Digest only: a bundle changed on its way here is refused before any agent sees it.
      if (sha256Hex(bundle.pack) !== bundle.sha256) throw new AppError('ERR_PACK_SIGNATURE', `pack ${bundle.packId} ${bundle.version}: the pack text does not match the signed sha256 (changed after signing)`);
    }
    const published = await withStore(config, async (store) => {
      if (!store.packs) throw new AppError('ERR_USAGE', `the ${store.kind} store does not keep rule packs yet; use the SQLite store`);
      return store.packs.publishPackBundle({ agencyName: values.agency!, bundle, actor: cliActor(), now: new Date().toISOString() });
    });
    io.stdout.write(`published ${published.packId} ${published.version} (sha256 ${published.sha256}, key ${published.keyId ?? 'UNSIGNED'}) for agency "${published.agencyName}"\n`);
    if (!published.keyId) process.stderr.write('warning: this bundle is unsigned; agents refuse it unless they run with --allow-unsigned (development only)\n');
    return EXIT.ok;
  }
  if (action === 'list') {
    const rows = await withStore(config, async (store) => {
      const agency = await store.findAgency(values.agency!);
      if (!agency) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency "${values.agency}" does not exist`);
      return store.packs ? store.packs.latestPackBundles(agency.id) : [];
    });
    if (values.json) io.stdout.write(JSON.stringify(rows.map(({ bundle: _b, ...r }) => r), null, 2) + '\n');
    else io.stdout.write(table(['PACK', 'VERSION', 'SHA256', 'KEY', 'PUBLISHED', 'BY'], rows.map((r) => [r.packId, r.version, r.sha256.slice(0, 16), r.keyId ?? 'UNSIGNED', r.publishedAt, r.publishedBy])));
    return EXIT.ok;
  }
  throw new AppError('ERR_USAGE', `unknown pack action "${action ?? ''}"; use publish or list`);
}
