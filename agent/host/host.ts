/**
 * @module The one narrow interface through which probes read a host.
 * Live hosts, offline roots (--root) and captured test fixtures all implement it,
 * so every probe runs unchanged against each.
 */
import type { CommandId } from './commands.js';

export type HostMode = 'live' | 'offline-root' | 'fixture';

export interface FileStat {
  type: 'file' | 'dir' | 'symlink' | 'other';
  /** Permission bits only (e.g. 0o644). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Set when the answer came from the scan cache: when the command really ran (ISO time). */
  cachedAt?: string;
}

/** Why a read or command failed, in the vocabulary of the error table. */
export class HostReadError extends Error {
  constructor(
    readonly kind: 'permission' | 'timeout' | 'failed',
    message: string,
  ) {
    super(message);
    this.name = 'HostReadError';
  }
}

export interface Host {
  readonly mode: HostMode;
  /** The filesystem root the paths below are resolved against ("/" on a live host). */
  readonly root: string;
  /**
   * Whether runtime state exists: /proc, /sys and commands. False for an offline root
   * unless that root holds captured runtime files.
   */
  readonly live: boolean;
  /** File content as UTF-8; undefined when the path does not exist. Throws HostReadError otherwise. */
  readFile(path: string): Promise<string | undefined>;
  /** Entry names, sorted; undefined when the directory does not exist. */
  readDir(path: string): Promise<string[] | undefined>;
  /** lstat of the path (symlinks not followed); undefined when absent. */
  lstat(path: string): Promise<FileStat | undefined>;
  /** stat following symlinks inside the root; undefined when absent or dangling. */
  stat(path: string): Promise<FileStat | undefined>;
  /** Target of a symlink; undefined when not a symlink or absent. */
  readLink(path: string): Promise<string | undefined>;
  /**
   * Run one of the fixed commands of commands.ts. Undefined when the command is not
   * available here (not installed, or no runtime on an offline root).
   */
  run(command: CommandId): Promise<CommandResult | undefined>;
}
