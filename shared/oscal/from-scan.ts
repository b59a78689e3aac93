/**
 * @module OSCAL 1.1.2 assessment results for one `rampart scan` (no collector): the scan report
 * becomes the evidence model, and the one converter every export uses does the rest.
 */
import { fromScanReport } from '../evidence/model.js';
import type { ScanReport } from '../result.js';
import { evidenceToOscal, type OscalAssessmentResults } from './from-evidence.js';

export function scanToOscal(report: ScanReport): OscalAssessmentResults {
  return evidenceToOscal(fromScanReport(report));
}
