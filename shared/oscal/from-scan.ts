/**
 * @module OSCAL 1.1.2 assessment results from one scan report (placeholder until the
 * evidence work lands; see docs/oscal.md when it does).
 */
import { AppError } from '../errors.js';
import type { ScanReport } from '../result.js';

export function scanToOscal(_report: ScanReport): unknown {
  throw new AppError('ERR_USAGE', '--format oscal is not available in this build yet');
}
