import { describe, expect, it } from 'vitest';
import { AI_SIGNATURES, AI_SIGNATURE_TABLE, AiSignatureSchema } from '../../../agent/sources/ai-signatures.js';

describe('built-in AI signature table', () => {
  it('validates against the signature schema, entry by entry', () => {
    for (const entry of AI_SIGNATURE_TABLE) {
      const r = AiSignatureSchema.safeParse(entry);
      expect(r.success, `${entry.id}: ${JSON.stringify(r.error?.issues)}`).toBe(true);
    }
  });

  it('fills defaults exactly as the schema would', () => {
    expect(AI_SIGNATURES).toEqual(AI_SIGNATURE_TABLE.map((e) => AiSignatureSchema.parse(e)));
  });

  it('has unique ids and compilable command-line patterns', () => {
    const ids = AI_SIGNATURES.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of AI_SIGNATURES) for (const re of s.argv) expect(() => new RegExp(re)).not.toThrow();
  });
});
