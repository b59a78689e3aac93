/**
 * @module How the long-running daemon keeps its own footprint small (docs/PERFORMANCE.md, "Agent
 * footprint and watchdog"). Between scans it only moves frames, so it gains nothing from V8's
 * optimizing and baseline compilers, whose generated code and code pages cost it ~4-7 MB of
 * resident memory: `agent run` turns them off for itself as early as it can (scan processes are
 * separate processes and keep them). Set at run time with `v8.setFlagsFromString`, so neither the
 * systemd unit, the package launcher nor NODE_OPTIONS has to carry a flag.
 */
import v8 from 'node:v8';

let applied = false;

/** Interpreter only from here on (call before the daemon's modules load; idempotent). */
export function leanCompiler(): void {
  if (applied) return;
  applied = true;
  v8.setFlagsFromString('--no-opt');
  v8.setFlagsFromString('--no-sparkplug');
}
