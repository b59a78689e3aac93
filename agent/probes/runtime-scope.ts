/**
 * @module The `scope` parameter shared by probes that see both the running kernel and the
 * configuration that rebuilds it at boot (sysctl, kernel-module, kernel-cmdline, crypto-state,
 * mount-options). `runtime`: only the running state matters, and on an offline root that does not
 * hold it the probe answers not-applicable. `persisted`: only configuration is read.
 * `both` (default): everything observable; runtime fields are null when there is no runtime.
 */
import { z } from 'zod';

export const ScopeSchema = z.enum(['runtime', 'persisted', 'both']).default('both');
export type Scope = z.infer<typeof ScopeSchema>;

export const wantsRuntime = (scope: Scope): boolean => scope !== 'persisted';
export const wantsPersisted = (scope: Scope): boolean => scope !== 'runtime';
