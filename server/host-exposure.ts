/**
 * @module Setting a host's exposure tag for BOD 26-04 Table 1, shared by `rampart server agent
 * exposure` and `PUT /api/v1/hosts/:host/exposure`: the store re-tiers the host's open BOD 26-04
 * findings at once, and the change is audited (agent.exposure, tag before and after).
 */
import { AppError } from '../shared/errors.js';
import type { HostExposure } from '../shared/bod-26-04.js';
import { auditAdmin } from './store/admin-audit.js';
import type { Agent, ExposureChange, Store } from './store/store.js';

/** The tag words the CLI and the API accept; `unset` clears the tag (the host then counts as exposed). */
export const EXPOSURE_WORDS = ['internet', 'internal', 'unset'] as const;
export type ExposureWord = (typeof EXPOSURE_WORDS)[number];

export function exposureFromWord(word: string): HostExposure | null {
  if (word === 'internet' || word === 'internal') return word;
  if (word === 'unset') return null;
  throw new AppError('ERR_USAGE', `exposure is one of internet, internal or unset, not "${word}"`);
}

/** Set the tag of an agent already resolved (by id or hostname), audit it, and say what changed. */
export async function setExposure(store: Store, agent: Agent, exposure: HostExposure | null, actor: string): Promise<ExposureChange> {
  const change = await store.setHostExposure(agent.id, exposure);
  if (!change) throw new AppError('ERR_NOT_FOUND', `no agent has id ${agent.id}`);
  await auditAdmin(store, {
    actor,
    action: 'agent.exposure',
    objectType: 'agent',
    objectId: agent.id,
    before: { hostname: agent.hostname, exposure: change.before ?? 'unset' },
    after: { hostname: agent.hostname, exposure: change.after ?? 'unset', findingsRetiered: change.findingsRetiered },
  });
  return change;
}
