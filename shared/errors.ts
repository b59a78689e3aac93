/**
 * @module The one table of Rampart error codes and the AppError class that carries them.
 * Codes are stable and never reused; every code is documented in docs/errors.md
 * (test/shared/errors.test.ts keeps the two in step).
 */

export interface ErrorSpec {
  /** What happened, one sentence. */
  readonly summary: string;
  /** What the user should do about it. */
  readonly fix: string;
  /** HTTP status when the error answers an API request. */
  readonly status?: number;
  /** WebSocket close code when the error ends an agent connection. */
  readonly closeCode?: number;
}

/**
 * Add new codes at the end of their group. Never rename or reuse a code:
 * scripts and dashboards match on them.
 */
export const ERRORS = {
  // --- command line and configuration ---
  ERR_USAGE: { summary: 'The command line is not valid.', fix: 'Run the command with --help and correct the arguments.', status: 400 },
  ERR_CONFIG_INVALID: { summary: 'A configuration value is missing or invalid.', fix: 'Correct the listed settings (flags or RAMPART_* variables) and start again.' },
  ERR_FILE_NOT_FOUND: { summary: 'A file named on the command line or in configuration does not exist or cannot be read.', fix: 'Check the path and its permissions.' },
  ERR_ROOT_INVALID: { summary: 'The --root directory does not exist or is not a directory.', fix: 'Point --root at a mounted filesystem or an unpacked container image.' },

  // --- rule packs, directives and tailoring ---
  ERR_PACK_YAML: { summary: 'A rule pack is not valid YAML.', fix: 'Fix the YAML syntax at the reported line and column.' },
  ERR_PACK_SCHEMA: { summary: 'A rule pack field is missing or has the wrong shape.', fix: 'Correct the field at the reported path; docs/rules.md describes every field.' },
  ERR_PACK_DUPLICATE_ID: { summary: 'Two rules share one id (within a pack or across loaded packs).', fix: 'Give the new rule a new id. Rule ids are never reused.' },
  ERR_PACK_UNKNOWN_PROBE: { summary: 'A check names a probe type that does not exist.', fix: 'Use a probe type listed by `rampart rules probes` (docs/rules.md).' },
  ERR_PACK_PROBE_PARAMS: { summary: 'A check passes parameters that its probe type does not accept.', fix: 'Correct the params to match the probe schema shown by `rampart rules probes`.' },
  ERR_PACK_UNKNOWN_FIELD: { summary: 'An expectation tests a field that the probe does not observe.', fix: 'Use one of the fields the probe reports (see `rampart rules probes`).' },
  ERR_PACK_UNKNOWN_DIRECTIVE: { summary: 'A rule refers to a directive id that rules/directives.yaml does not define.', fix: 'Add the directive to rules/directives.yaml or correct the id.' },
  ERR_PACK_UNKNOWN_PARAMETER: { summary: 'A rule refers to a pack parameter that the pack does not declare.', fix: 'Declare the parameter under `parameters:` or correct the name.' },
  ERR_DIRECTIVES_INVALID: { summary: 'The directives catalog (rules/directives.yaml) is not valid.', fix: 'Correct the reported field in the directives catalog.' },
  ERR_TAILORING_INVALID: { summary: 'A tailoring file is invalid or names a rule or parameter the packs do not have.', fix: 'Correct the tailoring file; docs/rules.md shows its format.' },
  ERR_PACK_BUNDLE_INVALID: { summary: 'A signed pack bundle is not JSON, not in the rampart-pack-bundle/1 format, or its header does not match the pack inside.', fix: 'Sign the pack again with `rampart rules sign` and publish the new bundle.', status: 400 },
  ERR_PACK_UNSIGNED: { summary: 'A pack bundle carries no signature and this agent does not accept unsigned packs.', fix: 'Sign the pack with `rampart rules sign --key KEY PACK`; `--allow-unsigned` exists for development only.', status: 400 },
  ERR_PACK_SIGNATURE: { summary: 'A pack bundle was changed after signing: its digest or signature does not verify.', fix: 'Do not edit signed bundles; sign the pack again and publish the new bundle. Investigate where the change happened.', status: 400 },
  ERR_PACK_UNTRUSTED_KEY: { summary: 'A pack bundle is signed by a key that is not in the agent\'s trusted key directory.', fix: 'Copy the signer\'s public key (.pub from `rampart rules keygen`) into the trusted key directory, or sign with a trusted key.', status: 400 },
  ERR_PACK_ROLLBACK: { summary: 'A pack bundle has an older version than the one installed, or reuses the installed version with different content.', fix: 'Publish the pack with a higher `pack.version`; versions only go up.', status: 409 },
  ERR_PACK_KEY_PERMISSIONS: { summary: 'A pack signing key file is readable or writable by other users.', fix: 'Run `chmod 600` on the key file named in the message (and check its owner), then sign again.' },
  ERR_PACK_KEY_INVALID: { summary: 'A pack signing or trusted key file is not an Ed25519 key in PEM form.', fix: 'Use the files written by `rampart rules keygen` (.key private, .pub public).' },

  // --- probes and evaluation (these become `error` results, never a crash) ---
  ERR_PROBE_FAILED: { summary: 'A probe could not observe the host.', fix: 'Read the message; check that the agent runs as root and the named source exists.' },
  ERR_PROBE_TIMEOUT: { summary: 'A command run by a probe did not finish in time.', fix: 'Check the named command on the host; it may be hung or very slow.' },
  ERR_PROBE_PERMISSION: { summary: 'A probe was denied access to a file or command.', fix: 'Run the scan as root (or with the capabilities docs/install.md lists).' },
  ERR_PROBE_UNAVAILABLE: { summary: 'A probe needs a command or runtime source that this host or root does not provide.', fix: 'Install the named tool, or scan the live host instead of an offline root.' },
  ERR_PROBE_PARSE: { summary: 'A probe read its source but could not understand it.', fix: 'Report the file or command output named in the message; it has an unexpected format.' },
  ERR_EXPECT_TYPE: { summary: 'An expectation does not fit the type of the observed value.', fix: 'Correct the matcher in the rule (for example use `every:` for a list).' },

  // --- KEV catalog (AI workload pack and vulnerable-version checks) ---
  ERR_PACKAGE_BUILD: { summary: 'An agent installer package could not be built.', fix: 'Build the agent first (npm run build:agent-sea, or build:agent with --runtime node), check that dpkg-deb (deb) or tar (tar) is installed, and read the message for the failing step.' },
  ERR_KEV_INVALID: { summary: 'A KEV catalog file is not valid JSON or not in the CISA KEV feed format.', fix: 'Download known_exploited_vulnerabilities.json again from CISA (or the collector) and rerun `rampart kev update FILE`.' },
  ERR_KEV_MISSING: { summary: 'A check needs the KEV catalog but the agent has none loaded.', fix: 'Load one with `rampart kev update FILE`, or set RAMPART_KEV_FILE to the catalog path.' },

  // --- agent daemon (identity, state directory, outbox, delivery) ---
  ERR_AGENT_NOT_ENROLLED: { summary: 'The agent state directory holds no identity.', fix: 'Run `rampart agent enroll --server URL --token T` with the same --state-dir first.' },
  ERR_AGENT_ALREADY_ENROLLED: { summary: 'The agent state directory already holds an identity.', fix: 'Use another --state-dir, or pass --force to replace the identity (the old one stays enrolled until revoked).' },
  ERR_AGENT_KEY_PERMISSIONS: { summary: 'The agent private key file is readable or writable by other users.', fix: 'Run `chmod 600` on the key file named in the message (and check its owner), then start again.' },
  ERR_AGENT_STATE_CORRUPT: { summary: 'A file in the agent state directory cannot be read or has the wrong shape.', fix: 'Restore the named file from backup, or re-enroll with a fresh --state-dir.' },
  ERR_AGENT_STATE_LOCKED: { summary: 'Another agent process is using this state directory.', fix: 'Stop the other agent, or give each agent on this machine its own --state-dir.' },
  ERR_AGENT_SERVER_UNREACHABLE: { summary: 'The collector could not be reached.', fix: 'Check the collector URL, that the collector runs, and that outbound connections to it are allowed.' },
  ERR_AGENT_SERVER_RESPONSE: { summary: 'The collector answered with something the agent does not understand.', fix: 'Check that the URL points at a Rampart collector of a compatible version.' },
  ERR_AGENT_ACK_TIMEOUT: { summary: 'Not every result was acknowledged by the collector before the timeout.', fix: 'Check the collector and the network, or raise --timeout; the results stay in the outbox and are sent on the next run.' },
  ERR_AGENT_RESTART_REQUIRED: { summary: 'The agent files on disk are another version than the running agent daemon (upgraded without a restart), so it cannot start a scan process.', fix: 'Restart the agent (`systemctl restart rampart-agent`); the service manager does it by itself after this exit.' },
  ERR_AGENT_FILES_MISSING: { summary: 'A file of the agent installation is missing: scan-worker.cjs, which every scan process runs, is not beside the agent program.', fix: 'Reinstall the agent package (or rebuild: `npm run build`, `npm run build:agent`), then restart the agent.' },

  // --- agent scan watchdog (agent/watchdog/; each stops one scan process, never the daemon) ---
  ERR_WATCHDOG_MEMORY: { summary: 'A scan process used more memory (resident set or JavaScript heap) than the agent allows, and the watchdog stopped it.', fix: 'Find the rule named in the agent log or the denylisted results; raise RAMPART_SCAN_MEMORY_MB (--scan-memory-mb) only if the host really needs more.' },
  ERR_WATCHDOG_CPU: { summary: 'A scan process used more CPU time than the agent allows for one scan, and the watchdog stopped it.', fix: 'Find the rule named in the agent log or the denylisted results (an expensive regex, a huge file); raise RAMPART_SCAN_CPU_SECONDS (--scan-cpu-seconds) only if the host really needs more.' },
  ERR_WATCHDOG_TIMEOUT: { summary: 'A scan process ran longer (wall time) than the agent allows, and the watchdog stopped it.', fix: 'Check the commands the named rules run (a hung package manager or firewall tool); raise RAMPART_SCAN_TIMEOUT_SECONDS (--scan-timeout) if the host is just slow.' },
  ERR_WATCHDOG_CRASHED: { summary: 'A scan process ended without a result (it crashed, could not start, or something else killed it).', fix: 'Read the agent log lines of the scan process just before this error; check that the agent files are complete and readable.' },
  ERR_WATCHDOG_DENYLISTED: { summary: 'The rule was skipped: a recent scan that was still evaluating it was stopped by the watchdog, so it is set aside for 24 hours.', fix: 'Look at the watchdog error named in the message and fix the rule or the host condition; restarting the agent does not lift it, deleting <state-dir>/watchdog.json does.' },

  // --- agent protocol (WebSocket frames; each closes the agent socket with its close code) ---
  ERR_PROTOCOL_INVALID_FRAME: { summary: 'An agent frame is not JSON, not text, has the wrong schema or an unknown type, or came before hello.', fix: 'Send one JSON object per text frame exactly as docs/protocol.md describes; start with hello.', status: 400, closeCode: 4400 },
  ERR_PROTOCOL_FRAME_TOO_LARGE: { summary: 'An agent frame is larger than the collector allows (bytes or results per frame).', fix: 'Split results over several frames; respect maxFrameBytes and maxResultsPerFrame from welcome.', status: 413, closeCode: 4413 },
  ERR_PROTOCOL_VERSION: { summary: 'The agent speaks a protocol version the collector does not support.', fix: 'Upgrade the agent or the collector so both speak the same protocol version (docs/protocol.md).', status: 426, closeCode: 4426 },
  ERR_PROTOCOL_IDENTITY: { summary: 'A frame claims another agent or agency than the one that authenticated.', fix: 'Send only your own results; check that the agent state directory belongs to this host.', status: 403, closeCode: 4403 },
  ERR_PROTOCOL_WINDOW: { summary: 'The agent sent more unacknowledged frames than the window the collector announced.', fix: 'Keep at most `window` results/digest frames in flight; wait for acks before sending more.', status: 429, closeCode: 4429 },
  ERR_PROTOCOL_SUPERSEDED: { summary: 'A newer connection of the same agent replaced this one.', fix: 'Run one agent process per state directory; the newest connection stays.', status: 409, closeCode: 4409 },
  ERR_PROTOCOL_RATE: { summary: 'The agent sent frames faster than the collector allows on one connection.', fix: 'Send at most the configured frames per second (docs/SECURITY.md, abuse limits); a normal agent never comes close.', status: 429, closeCode: 4429 },
  ERR_PROTOCOL_TIMEOUT: { summary: 'The agent did not send hello in time after the WebSocket opened.', fix: 'Send hello right after the upgrade; check the network between agent and collector.', status: 408, closeCode: 4408 },
  ERR_PROTOCOL_SLOW_CONSUMER: { summary: 'The agent did not read what the collector sent, so the collector dropped the connection.', fix: 'Read frames from the socket continuously; check the agent host is not overloaded.', status: 503, closeCode: 4410 },

  // --- authentication (agent upgrade and API bearer tokens) ---
  ERR_AUTH_MISSING: { summary: 'The request carries no credentials (agent headers or bearer token).', fix: 'Send the X-Rampart-* headers on the agent upgrade, or `Authorization: Bearer <token>` on the API.', status: 401 },
  ERR_AUTH_UNKNOWN_AGENT: { summary: 'No enrolled agent has this id.', fix: 'Enroll the agent again with a fresh token (`rampart agent enroll`).', status: 401 },
  ERR_AUTH_REVOKED: { summary: 'The agent has been revoked.', fix: 'Enroll the host again with a new token if it should report; otherwise remove the agent.', status: 403, closeCode: 4401 },
  ERR_AUTH_CHALLENGE: { summary: 'The nonce was not issued for this agent, has expired, or was already used.', fix: 'Fetch a fresh challenge right before connecting and use it once.', status: 401 },
  ERR_AUTH_SIGNATURE: { summary: 'The signature over the challenge does not verify with the enrolled public key.', fix: 'Sign "rampart-agent-auth/v1\\n<agentId>\\n<nonce>" with the enrolled Ed25519 key; re-enroll if the key was lost.', status: 401 },
  ERR_AUTH_TOKEN: { summary: 'The API bearer token is unknown or expired.', fix: 'Create a token with `rampart server user add NAME --role admin` and send it as `Authorization: Bearer <token>`.', status: 401 },
  ERR_AUTH_FORBIDDEN: { summary: 'The API token may not read or change this resource.', fix: 'Use a token of a user whose role and agency allow it.', status: 403 },
  ERR_AUTH_CLIENT_CERT: { summary: 'The collector requires a client certificate for agent endpoints and none (or an untrusted one) was presented.', fix: 'Give the agent --client-cert and --client-key issued by the CA the collector trusts (--client-ca).', status: 401 },
  ERR_AUTH_LIMIT: { summary: 'Too many connections or upgrade attempts from this address or for this agent.', fix: 'Run one agent per state directory and let it back off; raise the collector limits if many agents share one address (NAT).', status: 429 },

  // --- enrollment ---
  ERR_ENROLL_TOKEN_INVALID: { summary: 'The enrollment token is unknown.', fix: 'Copy the token exactly as `rampart server token create` printed it, or create a new one.', status: 401 },
  ERR_ENROLL_TOKEN_EXPIRED: { summary: 'The enrollment token has expired.', fix: 'Create a new token with `rampart server token create --agency NAME`.', status: 401 },
  ERR_ENROLL_TOKEN_USED: { summary: 'The enrollment token has no uses left.', fix: 'Create a new token (use --uses N for a token that enrolls several hosts).', status: 409 },
  ERR_ENROLL_AGENCY_MISMATCH: { summary: 'The enrollment token belongs to another agency than the one the agent asked for.', fix: 'Use a token created for the intended agency, or drop the agency from the request.', status: 403 },
  ERR_ENROLL_PUBLIC_KEY: { summary: 'The public key is not an Ed25519 key in SPKI DER, base64.', fix: 'Send the agent key exported as SPKI DER and base64 encoded.', status: 400 },

  // --- agencies, users and the HTTP API ---
  ERR_AGENCY_EXISTS: { summary: 'An agency with this name already exists.', fix: 'Pick another name, or use the existing agency.', status: 409 },
  ERR_AGENCY_NOT_FOUND: { summary: 'No agency has this name or id.', fix: 'List agencies with `rampart server agency list` and use one of them.', status: 404 },
  ERR_USER_EXISTS: { summary: 'A user with this name already exists.', fix: 'Pick another user name.', status: 409 },
  ERR_API_INVALID_REQUEST: { summary: 'The request body, path or query parameters are not valid.', fix: 'Correct the request as docs/api.md describes.', status: 400 },
  ERR_NOT_FOUND: { summary: 'The requested route, host or agent does not exist.', fix: 'Check the URL and the id or name; docs/api.md lists the routes.', status: 404 },
  ERR_INTERNAL: { summary: 'The collector hit an unexpected error.', fix: 'Retry; if it persists, report it with the collector log around that time.', status: 500 },

  // --- collector store and server ---
  ERR_STORE_OPEN: { summary: 'The collector database cannot be opened or created in the data directory.', fix: 'Check --data-dir (RAMPART_DATA_DIR) exists or can be created and is writable by this user.', status: 503 },
  ERR_STORE_MIGRATION: { summary: 'The database schema is newer than this build or a migration failed.', fix: 'Run a Rampart version at least as new as the one that last wrote this data directory; restore a backup if a migration failed.', status: 503 },
  ERR_STORE_BUSY: { summary: 'The database stayed locked by another process longer than the busy timeout.', fix: 'Retry; make sure only one collector and short CLI commands use the data directory.', status: 503 },
  ERR_STORE_WRITE: { summary: 'A database write failed; nothing of that batch was acknowledged.', fix: 'Check free disk space and the collector log; agents resend unacknowledged frames.', status: 503 },
  ERR_SERVER_LISTEN: { summary: 'The collector cannot listen on the requested host and port.', fix: 'Pick a free port with --port, or stop the process that holds it.' },
  ERR_TLS_CONFIG: { summary: 'A TLS certificate, key or CA file cannot be read or does not form a valid TLS configuration.', fix: 'Check the --tls-cert, --tls-key, --client-ca (collector) or --ca, --client-cert, --client-key (agent) files: PEM, readable, key matching the certificate.' },

  // --- evidence exports (OSCAL, CSV, HTML) ---
  ERR_EVIDENCE_INVALID: { summary: 'The evidence given to an export is not a valid evidence model (a missing field, a duplicate host or result, or a result for an unknown host).', fix: 'Correct the evidence model at the reported path; docs/evidence.md describes it.', status: 400 },
  ERR_OSCAL_INVALID: { summary: 'A generated OSCAL document does not validate against the OSCAL 1.1.2 assessment-results schema.', fix: 'Report it as a Rampart bug with the listed schema errors; use --format json meanwhile.' },

  // --- waivers and the audit log ---
  ERR_WAIVER_NOT_FOUND: { summary: 'No waiver has this id.', fix: 'List waivers with `rampart server waiver list --all` and use one of their ids (W-<n>).', status: 404 },
  ERR_WAIVER_INVALID: { summary: 'A waiver is missing a field, names a host outside its agency, ends before it starts, or was already removed.', fix: 'Correct the waiver as the message says; docs/waivers.md describes every field.', status: 400 },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

/** The one error class. `code` is stable; `details` carries structured context (never secrets). */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; details?: unknown }) {
    super(message ?? ERRORS[code].summary, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options?.details;
  }

  get status(): number | undefined {
    return (ERRORS[this.code] as ErrorSpec).status;
  }

  get closeCode(): number | undefined {
    return (ERRORS[this.code] as ErrorSpec).closeCode;
  }

  get fix(): string {
    return ERRORS[this.code].fix;
  }

  toJSON(): { code: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
