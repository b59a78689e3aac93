/**
 * The dashboard's evidence buttons: the API URLs they fetch, and agency names escaped in the markup.
 */
import { describe, expect, it } from 'vitest';
import { evidenceDownloads, evidenceUrl, EVIDENCE_FORMATS } from '../../../server/dashboard/client/evidence-downloads.js';

describe('dashboard evidence downloads', () => {
  it('fetch the evidence route of the agency in each format', () => {
    expect(evidenceUrl('Dept of "X"/Y', 'oscal')).toBe('/api/v1/agencies/Dept%20of%20%22X%22%2FY/evidence?format=oscal');
    expect(EVIDENCE_FORMATS.map((f) => f.format)).toEqual(['oscal', 'csv', 'html']);
  });

  it('render one button per format with the agency name escaped', () => {
    const markup = evidenceDownloads('<img src=x onerror=alert(1)>"').value;
    expect(markup.match(/<button /g)).toHaveLength(3);
    expect(markup).not.toContain('<img');
    expect(markup).toContain('data-agency="&lt;img src=x onerror=alert(1)&gt;&quot;"');
  });
});
