/**
 * @module Probe `systemd-unit`: whether a unit exists, is enabled or masked (from files, so
 * offline too) and whether it is active (from the running systemd, live only).
 */
import { z } from 'zod';
import { defineProbe, notApplicable, observed, probeError } from './probe.js';
import { readSystemdRuntime, readUnitState, systemdInstalled, unitName, type UnitState } from '../sources/systemd-units.js';

const UnitName = z.string().regex(/^[A-Za-z0-9@_.:\\-]+$/, 'a unit name such as sshd or chrony.service');

export const systemdUnitProbe = defineProbe({
  type: 'systemd-unit',
  summary: 'A systemd unit: whether its file exists, its enablement (enabled/disabled/static/masked) and, on a live systemd host, its active state.',
  params: () => z
    .strictObject({
      unit: UnitName.optional(),
      /** Alternative names of the same service (ssh on Ubuntu, sshd on RHEL); the first that exists is reported. */
      units: z.array(UnitName).min(1).optional(),
      /**
       * The check is about the active state: when that cannot be known (offline root, or systemd
       * not PID 1) the result is not-applicable instead of observing `active: null`, so that an
       * `any:` with a `process` check decides.
       */
      needActive: z.boolean().default(false),
    })
    .refine((p) => (p.unit === undefined) !== (p.units === undefined), 'give exactly one of unit or units'),
  fields: {
    unit: 'the unit reported (full name, e.g. chrony.service): the first of `units` whose file exists',
    exists: 'true when a unit file (or a mask) exists',
    enabled: 'enablement: enabled, enabled-runtime, disabled, static, alias, masked, masked-runtime, not-found',
    masked: 'true when the unit is masked (linked to /dev/null or an empty file in /etc or /run)',
    active: 'active, inactive, failed, activating, ... from the running systemd; null when it cannot be known',
    sub: 'systemd sub-state (running, exited, dead, listening, ...); null when unknown',
    activeKnown: 'true when the active state came from a running systemd',
    note: 'why the active state is unknown, when it is',
  },
  example: { units: ['chronyd', 'chrony'] },
  badExamples: [{}, { unit: 'a', units: ['b'] }, { unit: 'bad unit' }, { units: [] }, { unit: 'x', extra: 1 }],
  async run(params, ctx) {
    if (!(await systemdInstalled(ctx))) return notApplicable('systemd is not installed on this host');
    const names = (params.units ?? [params.unit!]).map(unitName);
    const states = await Promise.all(names.map((n) => readUnitState(ctx, n)));
    const chosen: UnitState =
      states.find((s) => s.exists && s.enabled !== 'alias') ?? states.find((s) => s.exists) ?? states[0]!;
    const runtime = await readSystemdRuntime(ctx);
    const sources = [chosen.fragment ?? `${chosen.unit} (no unit file)`];
    if (runtime.kind === 'running') sources.push(runtime.source);
    if (runtime.kind === 'unknown' && params.needActive) {
      if (runtime.cause !== 'systemctl') return notApplicable(runtime.reason, sources);
      return probeError('ERR_PROBE_UNAVAILABLE', runtime.reason, sources);
    }
    const values: Record<string, unknown> = {
      unit: chosen.unit,
      exists: chosen.exists,
      enabled: chosen.enabled,
      masked: chosen.masked,
      active: chosen.active,
      sub: chosen.sub,
      activeKnown: runtime.kind === 'running',
    };
    if (runtime.kind === 'unknown') values.note = runtime.reason;
    return observed(values, sources);
  },
});
