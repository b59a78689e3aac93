/** @module Exit codes of `rampart agent` commands (docs/agent.md); 4 tells systemd not to restart. */
export const AGENT_EXIT = { ok: 0, usage: 2, failure: 3, refused: 4 } as const;
