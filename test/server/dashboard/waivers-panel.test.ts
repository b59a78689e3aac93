/**
 * The dashboard's waivers panel: what it lists, escaped, and the empty state.
 */
import { describe, expect, it } from 'vitest';
import { waiverBody, waiversPanel, type WaiverView } from '../../../server/dashboard/client/waivers-panel.js';

const w: WaiverView = {
  id: 'W-3',
  ruleId: 'linux.fw.default-deny',
  scope: 'host-set',
  hosts: [
    { agentId: 'a1', hostname: 'edge-1' },
    { agentId: 'a2', hostname: 'edge-2' },
  ],
  justification: '<script>alert(1)</script> upstream firewall',
  approver: 'ciso@dhs.example.gov',
  risk: 'high',
  startsAt: '2026-11-01T00:00:00.000Z',
  expiresAt: '2027-01-01T00:00:00.000Z',
  state: 'active',
};

describe('dashboard waivers panel', () => {
  it('lists each active waiver with its hosts, risk, approver and expiry, escaping the text', () => {
    const markup = waiversPanel('dhs', [w, { ...w, id: 'W-4', scope: 'agency', hosts: [] }]).value;
    expect(markup).toContain('<th scope="row">W-3</th>');
    expect(markup).toContain('<a href="#/host/a1">edge-1</a>, <a href="#/host/a2">edge-2</a>');
    expect(markup).toContain('every host');
    expect(markup).toContain('2027-01-01 00:00 UTC');
    expect(markup).not.toContain('<script>');
    expect(markup).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('says how to add one when there is none', () => {
    expect(waiversPanel('dhs', []).value).toContain('rampart server waiver add');
  });

  it('keeps the add form and remove buttons hidden until an admin is confirmed', () => {
    const markup = waiversPanel('dhs', [w]).value;
    expect(markup).toContain('data-waiver-remove="W-3"');
    expect(markup).toMatch(/<details data-admin-only hidden>/);
    expect(markup).toMatch(/<td data-admin-only hidden>/);
  });

  it('turns the form into the API body: hosts split on commas, the expiry at UTC midnight', () => {
    expect(waiverBody({ ruleId: ' linux.a.b ', hosts: 'web-1, web-2,,', justification: ' Needed until Q1 ', approver: 'ciso', risk: 'high', expires: '2027-01-31' })).toEqual({
      ruleId: 'linux.a.b',
      hosts: ['web-1', 'web-2'],
      justification: 'Needed until Q1',
      approver: 'ciso',
      risk: 'high',
      expiresAt: '2027-01-31T00:00:00Z',
    });
  });
});
