/**
 * The dashboard's waivers panel: what it lists, escaped, and the empty state.
 */
import { describe, expect, it } from 'vitest';
import { waiversPanel, type WaiverView } from '../../../server/dashboard/client/waivers-panel.js';

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
});
