/**
 * @module Probe `pending-updates`: how many package updates (and security updates) the package
 * manager would install, whether a reboot is pending, and how old the package metadata is.
 */
import { z } from 'zod';
import { readPendingUpdates, type PendingUpdates } from '../sources/pending-updates.js';
import { isAppError } from '../../shared/errors.js';
import { defineProbe, notApplicable, observed, probeError } from './probe.js';

export const pendingUpdatesProbe = defineProbe({
  type: 'pending-updates',
  summary:
    'Pending updates from apt (simulated upgrade) or dnf (cached updateinfo), security updates among them, pending reboot, and package metadata age. Live hosts only.',
  params: () => z.strictObject({}),
  fields: {
    manager: 'apt or dnf',
    pending: 'number of packages an upgrade would change',
    securityPending: 'number of packages with an update from a security pocket (apt "-security", Debian-Security) or a security advisory (dnf)',
    securityPackages: 'names of those packages, sorted',
    rebootRequired: 'true when a reboot is pending (/run/reboot-required; RHEL: newest installed kernel is not running); null when it cannot be told',
    rebootPackages: 'packages that asked for the reboot, or the newer kernel',
    runningKernel: 'running kernel release',
    newestKernel: 'newest installed kernel (RHEL family)',
    listsAgeHours: 'hours since the newest package index was published; the counts are only as fresh as this',
    collectedAt: 'when the package manager was asked (a cached answer of up to 6 h, dropped as soon as packages or lists change)',
  },
  example: {},
  badExamples: [{ manager: 'apt' }],
  async run(_params, ctx) {
    // The package manager's view of pending updates needs the running system and its caches.
    if (!ctx.host.live) return notApplicable('pending updates are read from the live package manager; this is an offline root');
    let u: PendingUpdates | undefined;
    try {
      u = await readPendingUpdates(ctx);
    } catch (err) {
      if (isAppError(err)) return probeError(err.code, err.message);
      throw err;
    }
    if (u === undefined) return notApplicable('neither apt-get nor dnf is available on this host');
    const { sources, ...values } = u;
    return observed(values, sources);
  },
});
