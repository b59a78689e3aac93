import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { indexKev, parseKevCatalog } from '../../shared/kev.js';
import { isAppError } from '../../shared/errors.js';
import { KEV_FIXTURE } from '../helpers/ai-hosts.js';

const text = readFileSync(KEV_FIXTURE, 'utf8');

describe('KEV catalog parsing', () => {
  it('reads the 2025.08.25 snapshot with 1404 entries and finds CVE-2025-3248', () => {
    const cat = parseKevCatalog(text, KEV_FIXTURE);
    expect(cat.catalogVersion).toBe('2025.08.25');
    expect(cat.vulnerabilities).toHaveLength(1404);
    expect(indexKev(cat).get('CVE-2025-3248')).toMatchObject({ vendorProject: 'Langflow', dueDate: '2025-05-26', dateAdded: '2025-05-05' });
  });

  it.each([
    ['not JSON', '{'],
    ['a missing field', JSON.stringify({ dateReleased: '2025-01-01T00:00:00Z', count: 0, vulnerabilities: [] })],
    ['a malformed CVE id', JSON.stringify({ catalogVersion: 'x', dateReleased: '2025-01-01T00:00:00Z', count: 1, vulnerabilities: [{ ...JSON.parse(text).vulnerabilities[0], cveID: 'CVE-25-1' }] })],
    ['a count that does not match', JSON.stringify({ catalogVersion: 'x', dateReleased: '2025-01-01T00:00:00Z', count: 5, vulnerabilities: [] })],
  ])('rejects %s with ERR_KEV_INVALID', (_what, body) => {
    try {
      parseKevCatalog(body, 'bad.json');
      expect.unreachable();
    } catch (err) {
      expect(isAppError(err) && err.code).toBe('ERR_KEV_INVALID');
    }
  });
});
