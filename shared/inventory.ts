/**
 * @module The optional inventory section of a scan report: what AI/ML software the host runs or
 * has installed (services, versions, bind addresses, model directories), so an agency can answer
 * "where do we run AI?" before "is it safe?". Documented in docs/scan-output.md.
 */
import { z } from 'zod';

export const AiInventoryServiceSchema = z.strictObject({
  /** Signature id, e.g. `ollama`, `jupyter`, `vllm`. */
  id: z.string(),
  name: z.string(),
  category: z.string(),
  installed: z.boolean(),
  /** null on an offline root (no process table). */
  running: z.boolean().nullable(),
  versions: z.array(z.strictObject({ ecosystem: z.string(), name: z.string(), version: z.string().nullable(), location: z.string().nullable() })),
  /** "address:port" the service listens on. */
  bindAddresses: z.array(z.string()),
  /** Any listener off loopback. */
  exposed: z.boolean(),
  /** true/false from configuration; null when it cannot be told. */
  authEnabled: z.boolean().nullable(),
  pids: z.array(z.number().int()),
});
export type AiInventoryService = z.infer<typeof AiInventoryServiceSchema>;

export const AiInventorySchema = z.strictObject({
  services: z.array(AiInventoryServiceSchema),
  /** Model stores found on disk (Hugging Face caches, Ollama models, serving repositories). */
  modelDirectories: z.array(z.strictObject({ path: z.string(), kind: z.string() })),
  /** The KEV catalog the scan consulted, when one was loaded. */
  kevCatalog: z.string().nullable(),
});
export type AiInventory = z.infer<typeof AiInventorySchema>;

export const InventorySchema = z.strictObject({ ai: AiInventorySchema.optional() });
export type Inventory = z.infer<typeof InventorySchema>;
