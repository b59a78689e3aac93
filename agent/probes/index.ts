/**
 * @module The probe registry: the one list of check types. To add a check type, write one
 * probe file, add it to PROBES below, add a fixture and a test; the contract suite
 * (test/agent/probe-contract.test.ts) and the pack tests then cover it automatically.
 */
import type { Probe } from './probe.js';
import { fileProbe } from './file.js';
import { packageProbe } from './package.js';
import { systemdUnitProbe } from './systemd-unit.js';
import { sshdConfigProbe } from './sshd-config.js';
import { processProbe } from './process.js';
import { fileLinesProbe } from './file-lines.js';
import { kvConfigProbe } from './kv-config.js';
import { auditRulesProbe } from './audit-rules.js';
import { sysctlProbe } from './sysctl.js';
import { kernelModuleProbe } from './kernel-module.js';
import { kernelCmdlineProbe } from './kernel-cmdline.js';
import { netInterfacesProbe } from './net-interfaces.js';
import { cryptoStateProbe } from './crypto-state.js';
import { opensslConfigProbe } from './openssl-config.js';
import { blockEncryptionProbe } from './block-encryption.js';
import { mountOptionsProbe } from './mount-options.js';
import { listeningSocketsProbe } from './listening-sockets.js';
import { firewallProbe } from './firewall.js';
import { pendingUpdatesProbe } from './pending-updates.js';
import { osReleaseProbe } from './os-release.js';
import { dnsResolversProbe } from './dns-resolvers.js';
import { aiServiceProbe } from './ai-service.js';
import { aiInventoryProbe } from './ai-inventory.js';
import { aiModelStoreProbe } from './ai-model-store.js';
import { aiSecretsProbe } from './ai-secrets.js';
import { softwareVersionProbe } from './software-version.js';
import { vulnerableVersionProbe } from './vulnerable-version.js';

export const PROBES: readonly Probe[] = [
  fileProbe,
  packageProbe,
  systemdUnitProbe,
  sshdConfigProbe,
  processProbe,
  fileLinesProbe,
  kvConfigProbe,
  auditRulesProbe,
  sysctlProbe,
  kernelModuleProbe,
  kernelCmdlineProbe,
  netInterfacesProbe,
  cryptoStateProbe,
  opensslConfigProbe,
  blockEncryptionProbe,
  mountOptionsProbe,
  listeningSocketsProbe,
  firewallProbe,
  pendingUpdatesProbe,
  osReleaseProbe,
  dnsResolversProbe,
  aiServiceProbe,
  aiInventoryProbe,
  aiModelStoreProbe,
  aiSecretsProbe,
  softwareVersionProbe,
  vulnerableVersionProbe,
  // Add new probes here, one line each.
] as unknown as readonly Probe[];

export const PROBE_REGISTRY: ReadonlyMap<string, Probe> = new Map(PROBES.map((p) => [p.type, p]));

export function getProbe(type: string): Probe | undefined {
  return PROBE_REGISTRY.get(type);
}
