import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../shared/log.js';
import { Outbox, type SeqFrame } from '../../../agent/daemon/outbox.js';

const log = silentLogger();
let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-outbox-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const results = (full: boolean, n = 1) => (seq: number): SeqFrame => ({ v: 1, type: 'results', seq, full, results: Array.from({ length: n }, (_, i) => ({ ruleId: `r${i}` })) });
const digest = (seq: number): SeqFrame => ({ v: 1, type: 'digest', seq });
const limits = { maxFrames: 100, maxBytes: 1024 * 1024 };

describe('Outbox', () => {
  it('numbers frames from 1 and keeps them in seq order across a reopen', async () => {
    const box = await Outbox.open(dir, limits, log);
    for (let i = 0; i < 3; i++) await box.append(results(false));
    expect(box.seqs()).toEqual([1, 2, 3]);
    const again = await Outbox.open(dir, limits, log);
    expect(again.seqs()).toEqual([1, 2, 3]);
    expect(again.nextSeq).toBe(4);
    expect((await again.read(2))?.frame.seq).toBe(2);
  });

  it('never reuses a seq after frames were acknowledged and removed', async () => {
    const box = await Outbox.open(dir, limits, log);
    await box.append(results(true));
    await box.append(results(false));
    await box.remove(1);
    await box.remove(2);
    expect(box.depth).toBe(0);
    const again = await Outbox.open(dir, limits, log);
    expect(again.nextSeq).toBe(3);
    expect((await again.append(digest)).frame.seq).toBe(3);
  });

  it('does not reuse a seq when the counter file was lost but the frame file was written (crash between the two writes)', async () => {
    const box = await Outbox.open(dir, limits, log);
    await box.append(results(true));
    await box.append(results(false));
    await fs.writeFile(path.join(dir, 'seq.json'), JSON.stringify({ next: 1 }));
    const again = await Outbox.open(dir, limits, log);
    expect(again.nextSeq).toBe(3);
  });

  it('starts after the highest acknowledged seq even when the outbox directory was emptied', async () => {
    const box = await Outbox.open(dir, limits, log, 41);
    expect(box.nextSeq).toBe(42);
  });

  it('ignores and sweeps a torn temp file left by a crash mid-write', async () => {
    const box = await Outbox.open(dir, limits, log);
    await box.append(results(true));
    // What kill -9 during writeFileAtomic leaves behind: a partial temp file, never renamed.
    await fs.writeFile(path.join(dir, '.0000000000000002.frame.abcdef123456.tmp'), '{"meta":{"enqueuedAt":"2026');
    const again = await Outbox.open(dir, limits, log);
    expect(again.seqs()).toEqual([1]);
    expect(again.nextSeq).toBe(2);
    expect((await fs.readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('sets an unreadable frame aside, counts it as dropped and asks for a full state', async () => {
    const box = await Outbox.open(dir, limits, log);
    await box.append(results(true));
    await box.append(results(false));
    await fs.writeFile(path.join(dir, '0000000000000002.frame'), 'garbage');
    const again = await Outbox.open(dir, limits, log);
    expect(again.seqs()).toEqual([1]);
    expect(again.dropped).toBe(1);
    expect(again.needFull).toBe(true);
    expect(again.nextSeq).toBe(3);
  });

  it('deletes frames at or below the acknowledged seq when reopened (ack persisted, unlink lost)', async () => {
    const box = await Outbox.open(dir, limits, log);
    for (let i = 0; i < 3; i++) await box.append(results(false));
    const again = await Outbox.open(dir, limits, log, 2);
    expect(again.seqs()).toEqual([3]);
  });

  it('on overflow drops the oldest delta frames first, keeps full frames, counts drops and owes a full state', async () => {
    const box = await Outbox.open(dir, { maxFrames: 4, maxBytes: 1024 * 1024 }, log);
    await box.append(results(true)); // 1 full
    await box.append(results(false)); // 2 delta
    await box.append(digest); // 3 digest
    await box.append(results(false)); // 4 delta
    await box.append(results(false)); // 5 -> drops 2
    expect(box.seqs()).toEqual([1, 3, 4, 5]);
    await box.append(results(false)); // 6 -> drops 3
    expect(box.seqs()).toEqual([1, 4, 5, 6]);
    expect(box.dropped).toBe(2);
    expect(box.needFull).toBe(true);
    const again = await Outbox.open(dir, { maxFrames: 4, maxBytes: 1024 * 1024 }, log);
    expect(again.dropped).toBe(2);
    expect(again.needFull).toBe(true);
    await again.clearNeedFull();
    expect((await Outbox.open(dir, limits, log)).needFull).toBe(false);
  });

  it('dropping only digests does not demand a full state', async () => {
    const box = await Outbox.open(dir, { maxFrames: 2, maxBytes: 1024 * 1024 }, log);
    await box.append(results(true));
    await box.append(digest);
    await box.append(digest);
    expect(box.seqs()).toEqual([1, 3]);
    expect(box.dropped).toBe(1);
    expect(box.needFull).toBe(false);
  });

  it('bounds the outbox by bytes as well as frames, dropping full frames when nothing else is left', async () => {
    const box = await Outbox.open(dir, { maxFrames: 1000, maxBytes: 4096 }, log);
    for (let i = 0; i < 10; i++) await box.append(results(true, 20));
    expect(box.bytes).toBeLessThanOrEqual(4096);
    expect(box.dropped).toBeGreaterThan(0);
    expect(box.seqs().at(-1)).toBe(10);
    expect(box.needFull).toBe(true);
  });

  it('writes frame files with mode 0600 and leaves no temp files behind', async () => {
    const box = await Outbox.open(dir, limits, log);
    await box.append(results(true));
    const st = await fs.stat(path.join(dir, '0000000000000001.frame'));
    expect(st.mode & 0o777).toBe(0o600);
    expect((await fs.readdir(dir)).sort()).toEqual(['0000000000000001.frame', 'drops.json', 'seq.json']);
  });
});
