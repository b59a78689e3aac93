/**
 * @module Order version strings from different ecosystems (PEP 440, semver, dpkg/rpm upstream
 * versions, Triton's YY.MM) well enough to compare an installed version with a fixed one.
 * Epochs ("1:") and distribution revisions ("-1ubuntu2", "-1.el9") are dropped; pre-releases
 * (a, b, rc, dev, alpha, beta, "-rc.1") sort before the release they precede.
 */

interface Parsed {
  nums: number[];
  /** 0 = final release; negative = pre-release (dev < alpha < beta < rc); positive = post-release. */
  stage: number;
  stageNum: number;
}

const STAGES: Record<string, number> = { dev: -4, a: -3, alpha: -3, b: -2, beta: -2, c: -1, rc: -1, pre: -1, preview: -1, post: 1, p: 1 };

export function parseVersion(raw: string): Parsed | undefined {
  let v = raw.trim().replace(/^v/i, '');
  v = v.replace(/^\d+:/, ''); // dpkg/rpm epoch
  v = v.replace(/\+.*$/, ''); // build metadata / local version
  const m = /^(\d+(?:\.\d+)*)(.*)$/.exec(v);
  if (!m) return undefined;
  const nums = m[1]!.split('.').map(Number);
  const rest = m[2]!.toLowerCase();
  // A distribution revision ("-1", "-1ubuntu2", "-1.el9") follows a hyphen and starts with a digit.
  const pre = /^[-._]?(dev|alpha|beta|preview|pre|post|rc|a|b|c|p)[-._]?(\d*)/.exec(rest);
  if (pre && !/^-\d/.test(rest)) return { nums, stage: STAGES[pre[1]!] ?? 0, stageNum: Number(pre[2] || 0) };
  return { nums, stage: 0, stageNum: 0 };
}

/** Negative when a < b, 0 when equal, positive when a > b. Undefined when either cannot be read. */
export function compareVersions(a: string, b: string): number | undefined {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) return undefined;
  const len = Math.max(pa.nums.length, pb.nums.length);
  for (let i = 0; i < len; i++) {
    const d = (pa.nums[i] ?? 0) - (pb.nums[i] ?? 0);
    if (d !== 0) return d;
  }
  if (pa.stage !== pb.stage) return pa.stage - pb.stage;
  return pa.stageNum - pb.stageNum;
}
