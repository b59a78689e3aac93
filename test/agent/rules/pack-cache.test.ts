import { chmodSync, copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScan } from '../../../agent/engine/runner.js';
import { FixtureHost } from '../../../agent/host/fs-host.js';
import type { CompiledCheck, CompiledPack } from '../../../agent/rules/compiled.js';
import { loadPacks } from '../../../agent/rules/load-packs.js';
import { defaultPackCache, type PackCache } from '../../../agent/rules/pack-cache.js';
import { REPO_ROOT, fixtureRoot } from '../../helpers/fixtures.js';

const minimal = path.join(REPO_ROOT, 'test/fixtures/packs/minimal.yaml');

function tempCache(buildId = 'test-build'): PackCache {
  return { dir: path.join(mkdtempSync(path.join(tmpdir(), 'rampart-pack-cache-')), 'packs'), buildId };
}

/** A compiled pack as plain data (probes by type), to compare a cache hit with a fresh compile. */
function shape(packs: CompiledPack[]): unknown {
  const check = (c: CompiledCheck): unknown =>
    c.kind === 'probe' ? { probe: c.probe.type, rawParams: c.rawParams, params: c.params, expect: c.expect, key: c.key, description: c.description } : { kind: c.kind, children: c.children.map(check) };
  return packs.map((p) => ({
    file: p.file,
    ref: p.ref,
    rules: p.rules.map((r) => ({ ...r, check: check(r.check), applicability: r.applicability && check(r.applicability) })),
  }));
}

const entries = (cache: PackCache) => readdirSync(cache.dir).filter((f) => f.endsWith('.json'));

describe('validated-pack cache', () => {
  it('is off when running from sources, which have no build id', () => {
    expect(defaultPackCache({})).toBeUndefined();
  });

  it('gives on a hit exactly the packs a fresh compile gives, and the same scan verdicts', async () => {
    const cache = tempCache();
    const fresh = await loadPacks({ packFiles: [minimal], cache: null });
    const first = await loadPacks({ packFiles: [minimal], cache });
    expect(entries(cache)).toHaveLength(2); // the directives catalog and the pack
    const hit = await loadPacks({ packFiles: [minimal], cache });
    expect(shape(hit.packs)).toEqual(shape(fresh.packs));
    expect(shape(first.packs)).toEqual(shape(fresh.packs));
    expect([...hit.directives.keys()]).toEqual([...fresh.directives.keys()]);
    const host = new FixtureHost(fixtureRoot('debian12-default'));
    const now = new Date('2026-11-26T12:00:00Z');
    const a = await runScan({ host, packs: fresh.packs, now });
    const b = await runScan({ host, packs: hit.packs, now });
    expect(b.results.map((r) => [r.ruleId, r.status, r.observed])).toEqual(a.results.map((r) => [r.ruleId, r.status, r.observed]));
  });

  it('misses when the pack text, or the build, changes', async () => {
    const cache = tempCache();
    const dir = mkdtempSync(path.join(tmpdir(), 'rampart-pack-'));
    const file = path.join(dir, 'pack.yaml');
    copyFileSync(minimal, file);
    await loadPacks({ packFiles: [file], cache });
    writeFileSync(file, readFileSync(file, 'utf8').replace('title: /etc/passwd is not writable by others', 'title: Changed title'));
    const changed = await loadPacks({ packFiles: [file], cache });
    expect(changed.packs[0]!.rules[0]!.rule.title).toBe('Changed title');
    expect(entries(cache)).toHaveLength(3);
    await loadPacks({ packFiles: [file], cache: { ...cache, buildId: 'another-build' } });
    expect(entries(cache)).toHaveLength(5);
  });

  it('never reads entries from a cache directory that others can write', async () => {
    const cache = tempCache();
    await loadPacks({ packFiles: [minimal], cache });
    // Tamper with the stored pack, then open the directory to everyone: the entry must be ignored.
    for (const f of entries(cache)) {
      const p = path.join(cache.dir, f);
      writeFileSync(p, readFileSync(p, 'utf8').replaceAll('/etc/passwd is not writable by others', 'TAMPERED'));
    }
    chmodSync(cache.dir, 0o777);
    const loaded = await loadPacks({ packFiles: [minimal], cache });
    expect(loaded.packs[0]!.rules[0]!.rule.title).toBe('/etc/passwd is not writable by others');
    // Nor when the directory is private but its parent is not (the parent's writers can swap it).
    chmodSync(cache.dir, 0o700);
    chmodSync(path.dirname(cache.dir), 0o777);
    const again = await loadPacks({ packFiles: [minimal], cache });
    expect(again.packs[0]!.rules[0]!.rule.title).toBe('/etc/passwd is not writable by others');
  });

  it('still reports every problem of a broken pack, and stores nothing for it', async () => {
    const cache = tempCache();
    const broken = path.join(REPO_ROOT, 'test/fixtures/packs/broken/unknown-probe.yaml');
    await expect(loadPacks({ packFiles: [broken], cache })).rejects.toMatchObject({ code: 'ERR_PACK_UNKNOWN_PROBE' });
    await expect(loadPacks({ packFiles: [broken], cache })).rejects.toMatchObject({ code: 'ERR_PACK_UNKNOWN_PROBE' });
    expect(entries(cache)).toHaveLength(1); // only the directives catalog
  });
});
