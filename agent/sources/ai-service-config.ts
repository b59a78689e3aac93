/**
 * @module Per-product readers of the settings that decide exposure and authentication of an AI
 * service: the owning process's environment (when readable), its command-line flags, and its
 * config files (never executed). Each reader returns `authEnabled` (true, false, or null when it
 * cannot be told from the host), product settings for rules to test, and evidence lines that name
 * settings and files but never secret values.
 */
import path from 'node:path';
import type { ScanContext } from '../engine/context.js';
import { readDirOnce, readFileOnce } from '../engine/context.js';
import { expandGlob } from '../host/glob.js';
import {
  flagValue,
  isEmptyValue,
  parseEnvFile,
  parseJsonConfig,
  parsePythonConfig,
  parseProperties,
  parseSectionKeys,
  parseUnitEnvironment,
  truthy,
  unquote,
  type PyLiteral,
} from './ai-config-parsers.js';
import { homeOf, readAiProcessTable, type AiServiceState } from './ai-services.js';
import { readSoftwareVersion } from './software-versions.js';

export interface ServiceConfig {
  authEnabled: boolean | null;
  settings: Record<string, unknown>;
  evidence: string[];
  sources: string[];
}

type Reader = (ctx: ScanContext, s: AiServiceState, out: ServiceConfig) => Promise<void>;

const read = (ctx: ScanContext, p: string) => readFileOnce(ctx, p).catch(() => undefined);

/** The first value of `key` among the service's readable process environments. */
function envValue(s: AiServiceState, key: string): string | undefined {
  for (const p of s.processes) if (p.env && Object.hasOwn(p.env, key)) return p.env[key];
  return undefined;
}
const envReadable = (s: AiServiceState) => s.processes.some((p) => p.env !== undefined);

function allFlags(s: AiServiceState, names: string[]): string | true | undefined {
  for (const p of s.processes) {
    const v = flagValue(p.cmdline, names);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Every value of a repeatable flag across the service's processes. */
function flagValues(s: AiServiceState, name: string): string[] {
  const out: string[] = [];
  for (const p of s.processes) {
    p.cmdline.forEach((a, i) => {
      if (a === name && p.cmdline[i + 1] !== undefined) out.push(p.cmdline[i + 1]!);
      else if (a.startsWith(`${name}=`)) out.push(a.slice(name.length + 1));
    });
  }
  return [...new Set(out)];
}

function isLoopbackHost(h: string): boolean {
  const t = h.replace(/^\[|\]$/g, '').toLowerCase();
  return t === 'localhost' || t === '::1' || /^127\./.test(t) || t.startsWith('unix:');
}

/** Mode bits beyond the owner's (group or other) on a path, or undefined when absent. */
async function loosePerms(ctx: ScanContext, p: string, mask = 0o077): Promise<boolean | undefined> {
  const st = await ctx.host.stat(p).catch(() => undefined);
  return st === undefined ? undefined : (st.mode & mask) !== 0;
}

async function worldWritable(ctx: ScanContext, dir: string, depth = 1): Promise<string[]> {
  const out: string[] = [];
  const st = await ctx.host.lstat(dir).catch(() => undefined);
  if (!st) return out;
  if ((st.mode & 0o002) !== 0 && st.type !== 'symlink') out.push(dir);
  if (st.type !== 'dir' || depth <= 0) return out;
  for (const n of ((await readDirOnce(ctx, dir).catch(() => undefined)) ?? []).slice(0, 500)) {
    out.push(...(await worldWritable(ctx, `${dir}/${n}`, depth - 1)));
  }
  return out;
}

function listenersOn(s: AiServiceState, ports: number[]) {
  return s.listeners.filter((l) => ports.includes(l.port) || (l.containerPort !== undefined && ports.includes(l.containerPort)));
}
const offLoopback = (ls: { loopback: boolean }[]) => ls.some((l) => !l.loopback);

// ---------------------------------------------------------------------------------------------

const ollama: Reader = async (ctx, s, out) => {
  const unitFiles = [
    '/etc/systemd/system/ollama.service',
    '/lib/systemd/system/ollama.service',
    '/usr/lib/systemd/system/ollama.service',
    ...(await expandGlob(ctx.host, '/etc/systemd/system/ollama.service.d/*.conf')),
  ];
  const unitEnv = new Map<string, string>();
  for (const f of unitFiles) {
    const text = await read(ctx, f);
    if (text === undefined) continue;
    out.sources.push(f);
    for (const [k, v] of parseUnitEnvironment(text).values) unitEnv.set(k, v);
  }
  const get = (k: string) => envValue(s, k) ?? unitEnv.get(k);
  const host = get('OLLAMA_HOST');
  const origins = get('OLLAMA_ORIGINS');
  out.settings.ollamaHost = host ?? null;
  out.settings.origins = origins ?? null;
  out.settings.originsWildcard = origins === undefined ? false : origins.split(',').some((o) => /^(\*|https?:\/\/\*)$/.test(o.trim()));
  const svcUser = s.processes[0]?.uid;
  const home = (await homeOf(ctx, svcUser)) ?? '/usr/share/ollama';
  out.settings.modelsDir = get('OLLAMA_MODELS') ?? `${home}/.ollama/models`;
  out.authEnabled = false;
  out.evidence.push('Ollama has no authentication of its own; anyone who reaches the port can pull, delete and run models');
  if (host !== undefined) out.evidence.push(`OLLAMA_HOST=${host}`);
};

const JUPYTER_CLASSES = ['IdentityProvider', 'PasswordIdentityProvider', 'ServerApp', 'NotebookApp'];
const JUPYTER_CONFIG_NAMES = ['jupyter_server_config.json', 'jupyter_server_config.py', 'jupyter_notebook_config.json', 'jupyter_notebook_config.py', 'jupyter_lab_config.py'];

const jupyter: Reader = async (ctx, s, out) => {
  let anyNoAuth = false;
  let allKnownAuth = true;
  const loose: string[] = [];
  const unparsed = new Set<string>();
  let xsrfDisabled = false;
  let corsWildcard = false;
  let allowRoot = false;
  let tls = true;
  let tokenDisabled = false;
  let passwordSet = false;
  let servers = 0;
  for (const p of s.processes) {
    if (!/jupyter|notebook|ipykernel/.test(p.cmdline.join(' ')) || /ipykernel_launcher/.test(p.cmdline.join(' '))) continue;
    servers++;
    const home = await homeOf(ctx, p.uid);
    // Config files, lowest precedence first: system, then user.
    const dirs = ['/usr/local/etc/jupyter', '/etc/jupyter', ...(p.env?.JUPYTER_CONFIG_DIR ? [p.env.JUPYTER_CONFIG_DIR] : home ? [`${home}/.jupyter`] : [])];
    const cfg = new Map<string, PyLiteral>();
    for (const d of dirs) {
      for (const n of JUPYTER_CONFIG_NAMES) {
        const f = `${d}/${n}`;
        const text = await read(ctx, f);
        if (text === undefined) continue;
        out.sources.push(f);
        if (n.endsWith('.json')) for (const [k, v] of parseJsonConfig(text)) cfg.set(k, v);
        else {
          const py = parsePythonConfig(text);
          for (const [k, v] of py.values) cfg.set(k, v);
          py.unparsed.forEach((k) => unparsed.add(`${f}: ${k}`));
        }
      }
    }
    const trait = (t: string): PyLiteral | undefined => {
      let v: PyLiteral | undefined;
      for (const c of JUPYTER_CLASSES) if (cfg.has(`${c}.${t}`)) v = cfg.get(`${c}.${t}`);
      const flag = flagValue(p.cmdline, JUPYTER_CLASSES.map((c) => `--${c}.${t}`));
      if (flag !== undefined) v = flag === true ? true : unquote(flag);
      return v;
    };
    // The effective state the server wrote for itself, when present, decides token and TLS.
    const runtimeDir = p.env?.JUPYTER_RUNTIME_DIR ?? (home ? `${home}/.local/share/jupyter/runtime` : undefined);
    let runtime: { token?: string; password?: boolean; secure?: boolean } | undefined;
    if (runtimeDir) {
      const f = `${runtimeDir}/jpserver-${p.pid}.json`;
      const text = await read(ctx, f);
      if (text !== undefined) {
        out.sources.push(f);
        try {
          runtime = JSON.parse(text) as typeof runtime;
        } catch {
          runtime = undefined;
        }
      }
      for (const n of ((await readDirOnce(ctx, runtimeDir).catch(() => undefined)) ?? []).filter((x) => /^(jpserver-.*\.(json|html)|jupyter_cookie_secret|kernel-.*\.json)$/.test(x))) {
        if (await loosePerms(ctx, `${runtimeDir}/${n}`)) loose.push(`${runtimeDir}/${n}`);
      }
    }
    const envToken = p.env?.JUPYTER_TOKEN;
    const tokenFlag = flagValue(p.cmdline, ['--IdentityProvider.token', '--ServerApp.token', '--NotebookApp.token']);
    const token = trait('token');
    const pw = trait('password') ?? trait('hashed_password');
    const pwSet = runtime?.password === true || (typeof pw === 'string' && pw !== '');
    const tokenEmpty = runtime?.token !== undefined ? runtime.token === '' : isEmptyValue(tokenFlag) || token === '' || (envToken !== undefined && envToken === '' && token === undefined);
    if (tokenEmpty) tokenDisabled = true;
    if (pwSet) passwordSet = true;
    if (tokenEmpty && !pwSet) anyNoAuth = true;
    if (!tokenEmpty && token === undefined && runtime === undefined && unparsed.size > 0) allKnownAuth = false;
    const xsrf = trait('disable_check_xsrf');
    if (xsrf === true || (typeof xsrf === 'string' && truthy(xsrf) === true)) xsrfDisabled = true;
    const origin = trait('allow_origin');
    const originPat = trait('allow_origin_pat');
    if (origin === '*' || (typeof originPat === 'string' && /^\.?\*?$|^\.\*$/.test(originPat) && originPat !== '')) corsWildcard = true;
    const ar = trait('allow_root');
    if (ar === true || (typeof ar === 'string' && truthy(ar)) || p.cmdline.includes('--allow-root')) allowRoot = true;
    const cert = trait('certfile') ?? (flagValue(p.cmdline, ['--certfile']) as PyLiteral | undefined);
    const secure = runtime?.secure ?? (typeof cert === 'string' && cert !== '');
    if (!secure) tls = false;
  }
  out.authEnabled = servers === 0 ? null : anyNoAuth ? false : allKnownAuth ? true : null;
  if (servers === 0) tls = false;
  out.settings.tokenDisabled = tokenDisabled;
  out.settings.passwordSet = passwordSet;
  out.settings.xsrfDisabled = xsrfDisabled;
  out.settings.corsWildcard = corsWildcard;
  out.settings.allowRoot = allowRoot;
  out.settings.tls = tls;
  out.settings.looseRuntimeFiles = loose;
  out.settings.unparsedConfig = [...unparsed];
  if (anyNoAuth) out.evidence.push('a Jupyter server runs with an empty token and no password: no authentication');
  if (unparsed.size > 0) out.evidence.push(`config settings not read (not plain literals): ${[...unparsed].join(', ')}`);
};

const jupyterhub: Reader = async (ctx, s, out) => {
  const files = new Set<string>(['/etc/jupyterhub/jupyterhub_config.py']);
  for (const p of s.processes) {
    const f = flagValue(p.cmdline, ['-f', '--config']);
    if (typeof f === 'string') files.add(f.startsWith('/') || !p.cwd ? f : `${p.cwd}/${f}`);
    if (p.cwd) files.add(`${p.cwd}/jupyterhub_config.py`);
  }
  const cfg = new Map<string, PyLiteral>();
  const unparsed: string[] = [];
  for (const f of files) {
    const text = await read(ctx, f);
    if (text === undefined) continue;
    out.sources.push(f);
    const py = parsePythonConfig(text);
    for (const [k, v] of py.values) cfg.set(k, v);
    unparsed.push(...py.unparsed);
  }
  const auth = cfg.get('JupyterHub.authenticator_class');
  const authUnknown = auth === undefined && unparsed.includes('JupyterHub.authenticator_class');
  const authenticator = auth === undefined ? (authUnknown ? null : 'pam') : String(auth);
  const dummy = authenticator !== null && /dummy|null/i.test(authenticator);
  const proxyCert = allFlags(s, ['--ssl-cert']);
  const tls = (typeof cfg.get('JupyterHub.ssl_cert') === 'string' && cfg.get('JupyterHub.ssl_cert') !== '') || typeof proxyCert === 'string';
  out.settings.authenticator = authenticator;
  out.settings.dummyAuthenticator = dummy;
  out.settings.tls = tls;
  out.settings.hubApiExposed = offLoopback(listenersOn(s, [8081]));
  out.settings.proxyApiExposed = offLoopback(listenersOn(s, [8001]));
  out.authEnabled = authenticator === null ? null : !dummy;
  out.evidence.push(`authenticator: ${authenticator ?? 'unknown (not a plain literal)'}`);
};

const ray: Reader = async (_ctx, s, out) => {
  const modes = s.processes.filter((p) => p.env).map((p) => (p.env!.RAY_AUTH_MODE ?? 'disabled').toLowerCase());
  out.authEnabled = modes.length === 0 ? null : modes.every((m) => m === 'token');
  out.settings.authMode = modes.length === 0 ? null : [...new Set(modes)].join(',');
  const dashPort = allFlags(s, ['--dashboard-port']);
  const port = typeof dashPort === 'string' && /^\d+$/.test(dashPort) ? Number(dashPort) : 8265;
  const dash = listenersOn(s, [port]);
  out.settings.dashboardHost = (allFlags(s, ['--dashboard-host']) as string | undefined) ?? null;
  out.settings.dashboardExposed = offLoopback(dash);
  const gcs = allFlags(s, ['--port']);
  const client = allFlags(s, ['--ray-client-server-port']);
  const clusterPorts = [typeof gcs === 'string' ? Number(gcs) : 6379, typeof client === 'string' ? Number(client) : 10001];
  out.settings.clusterPortsExposed = offLoopback(listenersOn(s, clusterPorts));
  out.evidence.push(`RAY_AUTH_MODE: ${out.settings.authMode ?? 'environment not readable'}`);
};

const mlflow: Reader = async (ctx, s, out) => {
  const app = allFlags(s, ['--app-name']);
  out.authEnabled = app === 'basic-auth';
  const hosts = (allFlags(s, ['--allowed-hosts']) as string | undefined) ?? envValue(s, 'MLFLOW_SERVER_ALLOWED_HOSTS');
  const cors = (allFlags(s, ['--cors-allowed-origins']) as string | undefined) ?? envValue(s, 'MLFLOW_SERVER_CORS_ALLOWED_ORIGINS');
  out.settings.appName = typeof app === 'string' ? app : null;
  out.settings.allowedHostsWildcard = typeof hosts === 'string' && hosts.split(',').some((h) => h.trim() === '*');
  out.settings.corsWildcard = typeof cors === 'string' && cors.split(',').some((h) => h.trim() === '*');
  out.settings.middlewareBypassed = allFlags(s, ['--gunicorn-opts']) !== undefined || allFlags(s, ['--waitress-opts']) !== undefined;
  let defaultAdmin: boolean | null = null;
  if (out.authEnabled) {
    const v = await readSoftwareVersion(ctx, 'pypi', 'mlflow');
    const loc = v.location;
    const candidates = [envValue(s, 'MLFLOW_AUTH_CONFIG_PATH'), loc ? `${path.posix.dirname(path.posix.dirname(loc))}/mlflow/server/auth/basic_auth.ini` : undefined].filter(
      (x): x is string => x !== undefined,
    );
    for (const f of candidates) {
      const text = await read(ctx, f);
      if (text === undefined) continue;
      out.sources.push(f);
      const pw = parseSectionKeys(text).get('mlflow.admin_password');
      defaultAdmin = pw === 'password1234';
      break;
    }
  }
  out.settings.defaultAdminPassword = out.authEnabled ? defaultAdmin : false;
  out.evidence.push(out.authEnabled ? 'started with --app-name basic-auth' : 'no --app-name basic-auth: the tracking server has no login');
};

const gradio: Reader = async (ctx, s, out) => {
  const table = await readAiProcessTable(ctx);
  const tunnels = table.processes.filter((p) => /(^|\/)frpc_[^/]*$/.test(p.cmdline[0] ?? '') && p.cmdline.some((a) => a.startsWith('--server_addr')));
  const shareEnv = s.processes.some((p) => truthy(p.env?.GRADIO_SHARE) === true);
  out.settings.shareTunnel = tunnels.length > 0 || shareEnv;
  out.settings.serverName = envValue(s, 'GRADIO_SERVER_NAME') ?? null;
  out.authEnabled = null;
  for (const t of tunnels) out.evidence.push(`share tunnel process ${t.pid} (${t.cmdline[0]}) opens a public gradio.live URL`);
};

const comfyui: Reader = async (ctx, s, out) => {
  const listen = allFlags(s, ['--listen']);
  const cors = allFlags(s, ['--enable-cors-header']);
  out.settings.listen = listen === true ? '0.0.0.0,::' : (listen ?? '127.0.0.1');
  out.settings.corsWildcard = cors === true || cors === '*';
  out.settings.tls = allFlags(s, ['--tls-certfile']) !== undefined;
  const base = allFlags(s, ['--base-directory']);
  const main = s.processes.flatMap((p) => p.cmdline).find((a) => /main\.py$/.test(a));
  const root = typeof base === 'string' ? base : main ? path.posix.dirname(main.startsWith('/') ? main : `${s.processes[0]?.cwd ?? '/'}/${main}`) : s.processes[0]?.cwd;
  const nodes = root ? `${root}/custom_nodes` : undefined;
  out.settings.customNodesDir = nodes ?? null;
  out.settings.customNodesWorldWritable = nodes ? await worldWritable(ctx, nodes, 1) : [];
  out.authEnabled = false;
  out.evidence.push('ComfyUI has no login of its own; the workflow API runs node code for anyone who reaches it');
};

const vllm: Reader = async (_ctx, s, out) => {
  const key = allFlags(s, ['--api-key']) !== undefined || (envValue(s, 'VLLM_API_KEY') ?? '') !== '';
  out.authEnabled = key || (envReadable(s) ? false : s.processes.length > 0 ? false : null);
  out.settings.apiKeySet = key;
  out.settings.devMode = truthy(envValue(s, 'VLLM_SERVER_DEV_MODE')) === true;
  out.settings.profiler = allFlags(s, ['--profiler-config']) !== undefined || envValue(s, 'VLLM_TORCH_PROFILER_DIR') !== undefined;
  out.settings.hostFlag = (allFlags(s, ['--host']) as string | undefined) ?? null;
  out.evidence.push(key ? 'an API key is configured (value not shown); it protects /v1 routes only' : 'no --api-key / VLLM_API_KEY');
};

const tgi: Reader = async (_ctx, s, out) => {
  const key = allFlags(s, ['--api-key']) !== undefined || (envValue(s, 'API_KEY') ?? '') !== '';
  out.authEnabled = key;
  out.settings.apiKeySet = key;
  const prom = allFlags(s, ['--prometheus-port']);
  out.settings.metricsExposed = offLoopback(listenersOn(s, [typeof prom === 'string' ? Number(prom) : 9000]));
  out.settings.corsWildcard = allFlags(s, ['--cors-allow-origin']) === '*';
};

const triton: Reader = async (ctx, s, out) => {
  const mode = allFlags(s, ['--model-control-mode']);
  out.settings.modelControlMode = typeof mode === 'string' ? mode : 'none';
  const restricted = allFlags(s, ['--http-restricted-api']) !== undefined || allFlags(s, ['--grpc-restricted-protocol']) !== undefined;
  out.settings.restrictedApi = restricted;
  out.authEnabled = restricted;
  const repos = [...flagValues(s, '--model-repository'), ...flagValues(s, '--model-store')];
  out.settings.modelRepositories = repos;
  const loose: string[] = [];
  for (const d of [...repos, '/opt/tritonserver/backends', '/opt/tritonserver/repoagents']) loose.push(...(await worldWritable(ctx, d, 1)));
  out.settings.writableByOthers = loose;
  out.settings.metricsExposed = offLoopback(listenersOn(s, [8002]));
};

const torchserve: Reader = async (ctx, s, out) => {
  const cwd = s.processes.find((p) => p.cwd)?.cwd;
  const cfgPath = (allFlags(s, ['--ts-config']) as string | undefined) ?? envValue(s, 'TS_CONFIG_FILE') ?? (cwd ? `${cwd}/config.properties` : undefined);
  const props = new Map<string, string>();
  if (cfgPath) {
    const f = cfgPath.startsWith('/') || !cwd ? cfgPath : `${cwd}/${cfgPath}`;
    const text = await read(ctx, f);
    if (text !== undefined) {
      out.sources.push(f);
      for (const [k, v] of parseProperties(text)) props.set(k, v);
    }
  }
  const envCfg = truthy(props.get('enable_envvars_config')) === true;
  const env = (k: string) => (envCfg ? envValue(s, k) : undefined);
  const mgmt = props.get('management_address') ?? 'http://127.0.0.1:8081';
  const hostOf = (url: string) => {
    try {
      return new URL(url).hostname;
    } catch {
      return url;
    }
  };
  const mgmtPort = Number(/:(\d+)\/?$/.exec(mgmt)?.[1] ?? 8081);
  out.settings.managementAddress = mgmt;
  out.settings.inferenceAddress = props.get('inference_address') ?? 'http://127.0.0.1:8080';
  out.settings.managementExposed = !isLoopbackHost(hostOf(mgmt)) || offLoopback(listenersOn(s, [mgmtPort, 7071]));
  const disabled = truthy(props.get('disable_token_authorization')) === true || allFlags(s, ['--disable-token-auth']) !== undefined || truthy(env('TS_DISABLE_TOKEN_AUTHORIZATION')) === true;
  out.settings.tokenAuthDisabled = disabled;
  out.authEnabled = !disabled;
  out.settings.modelApiEnabled = allFlags(s, ['--enable-model-api']) !== undefined || truthy(props.get('enable_model_api')) === true || truthy(env('TS_ENABLE_MODEL_API')) === true;
  const urls = props.get('allowed_urls');
  out.settings.allowedUrlsRestricted = urls !== undefined && !/^\s*file:\/\/\.\*\s*\|\s*http\(s\)\?:\/\/\.\*\s*$/.test(urls) && !/(^|\|)\s*https?:\/\/\.\*/.test(urls) && urls.trim() !== '.*';
  out.settings.keyFileLoose = cwd ? ((await loosePerms(ctx, `${cwd}/key_file.json`)) ?? false) : false;
};

const tensorboard: Reader = async (_ctx, s, out) => {
  out.settings.bindAll = allFlags(s, ['--bind_all']) !== undefined;
  out.settings.host = (allFlags(s, ['--host']) as string | undefined) ?? null;
  out.authEnabled = false;
};

const portForward: Reader = async (_ctx, s, out) => {
  const addrs = flagValues(s, '--address').flatMap((a) => a.split(','));
  out.settings.addresses = addrs.length > 0 ? addrs : ['localhost'];
  out.settings.allInterfaces = addrs.some((a) => a === '0.0.0.0' || a === '::');
  out.authEnabled = null;
};

const streamlit: Reader = async (ctx, s, out) => {
  const p = s.processes[0];
  const home = await homeOf(ctx, p?.uid);
  const files = [home ? `${home}/.streamlit/config.toml` : undefined, p?.cwd ? `${p.cwd}/.streamlit/config.toml` : undefined].filter((x): x is string => !!x);
  const cfg = new Map<string, string>();
  for (const f of files) {
    const text = await read(ctx, f);
    if (text === undefined) continue;
    out.sources.push(f);
    for (const [k, v] of parseSectionKeys(text)) cfg.set(k, v);
  }
  const setting = (key: string, env: string) => {
    const flag = allFlags(s, [`--server.${key}`]);
    if (typeof flag === 'string') return flag;
    return envValue(s, env) ?? cfg.get(`server.${key}`);
  };
  const address = setting('address', 'STREAMLIT_SERVER_ADDRESS');
  out.settings.address = address ?? null;
  out.settings.corsDisabled = truthy(setting('enableCORS', 'STREAMLIT_SERVER_ENABLE_CORS')) === false;
  out.settings.xsrfDisabled = truthy(setting('enableXsrfProtection', 'STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION')) === false;
  const secrets = [p?.cwd ? `${p.cwd}/.streamlit/secrets.toml` : undefined, home ? `${home}/.streamlit/secrets.toml` : undefined].filter((x): x is string => !!x);
  const loose: string[] = [];
  for (const f of secrets) if (await loosePerms(ctx, f)) loose.push(f);
  out.settings.looseSecrets = loose;
  out.authEnabled = null;
  if (address === undefined) out.evidence.push('server.address is not set: Streamlit listens on every interface');
};

const langflow: Reader = async (ctx, s, out) => {
  const p = s.processes[0];
  const envFile = allFlags(s, ['--env-file']);
  const files = [typeof envFile === 'string' ? (envFile.startsWith('/') || !p?.cwd ? envFile : `${p.cwd}/${envFile}`) : undefined, p?.cwd ? `${p.cwd}/.env` : undefined].filter(
    (x): x is string => !!x,
  );
  const fileEnv = new Map<string, string>();
  for (const f of files) {
    const text = await read(ctx, f);
    if (text === undefined) continue;
    out.sources.push(f);
    for (const [k, v] of parseEnvFile(text)) if (!fileEnv.has(k)) fileEnv.set(k, v);
  }
  const get = (k: string) => envValue(s, k) ?? fileEnv.get(k);
  const auto = truthy(get('LANGFLOW_AUTO_LOGIN'));
  out.settings.autoLogin = auto ?? null;
  out.settings.skipAuthAutoLogin = truthy(get('LANGFLOW_SKIP_AUTH_AUTO_LOGIN')) === true;
  out.settings.superuserPasswordSet = (get('LANGFLOW_SUPERUSER_PASSWORD') ?? '') !== '';
  out.authEnabled = auto === false ? true : auto === true ? false : null;
  out.evidence.push(`LANGFLOW_AUTO_LOGIN: ${auto === undefined ? 'not set (product default applies)' : String(auto)}`);
};

const langserve: Reader = async (_ctx, s, out) => {
  out.settings.host = (allFlags(s, ['--host', '--bind', '-b']) as string | undefined) ?? null;
  out.authEnabled = null;
};

const openWebui: Reader = async (ctx, s, out) => {
  const auth = truthy(envValue(s, 'WEBUI_AUTH'));
  const signup = truthy(envValue(s, 'ENABLE_SIGNUP'));
  const role = envValue(s, 'DEFAULT_USER_ROLE') ?? 'pending';
  out.authEnabled = envReadable(s) ? auth !== false : null;
  out.settings.signupOpen = signup !== false && role !== 'pending';
  out.settings.defaultUserRole = role;
  const keySet = (envValue(s, 'WEBUI_SECRET_KEY') ?? '') !== '';
  out.settings.secretKeySet = keySet;
  const cwd = s.processes.find((p) => p.cwd)?.cwd;
  const keyFile = cwd ? `${cwd}/.webui_secret_key` : '/app/backend/.webui_secret_key';
  out.settings.secretKeyFileLoose = (await loosePerms(ctx, keyFile)) ?? false;
};

const chroma: Reader = async (_ctx, s, out) => {
  const provider = envValue(s, 'CHROMA_SERVER_AUTHN_PROVIDER') ?? envValue(s, 'CHROMA_SERVER_AUTH_PROVIDER');
  out.authEnabled = provider !== undefined && provider !== '' ? true : envReadable(s) ? false : null;
  out.settings.authProvider = provider ?? null;
};

async function yamlFiles(ctx: ScanContext, out: ServiceConfig, files: string[]): Promise<Record<string, unknown>> {
  let merged: Record<string, unknown> = {};
  for (const f of files) {
    const text = await read(ctx, f);
    if (text === undefined) continue;
    out.sources.push(f);
    // Loaded on first use: most hosts run no AI service, and `rampart scan` start-up should not pay for the YAML parser.
    const { parse: parseYaml } = await import('yaml');
    try {
      const doc = parseYaml(text) as unknown;
      if (doc && typeof doc === 'object') merged = deepMerge(merged, doc as Record<string, unknown>);
    } catch {
      out.evidence.push(`${f} is not valid YAML; its settings are unknown`);
    }
  }
  return merged;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = prev && typeof prev === 'object' && !Array.isArray(prev) && v && typeof v === 'object' && !Array.isArray(v) ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

const dig = (o: Record<string, unknown>, ...keys: string[]): unknown => keys.reduce<unknown>((cur, k) => (cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined), o);

const qdrant: Reader = async (ctx, s, out) => {
  const cwd = s.processes.find((p) => p.cwd)?.cwd ?? '/qdrant';
  const cfg = await yamlFiles(ctx, out, ['config.yaml', 'production.yaml', 'local.yaml'].map((n) => `${cwd}/config/${n}`));
  const key = envValue(s, 'QDRANT__SERVICE__API_KEY') ?? dig(cfg, 'service', 'api_key');
  out.authEnabled = typeof key === 'string' && key !== '';
  out.settings.tls = dig(cfg, 'service', 'enable_tls') === true || truthy(envValue(s, 'QDRANT__SERVICE__ENABLE_TLS')) === true;
  out.settings.readOnlyKeySet = (envValue(s, 'QDRANT__SERVICE__READ_ONLY_API_KEY') ?? dig(cfg, 'service', 'read_only_api_key') ?? '') !== '';
};

const weaviate: Reader = async (_ctx, s, out) => {
  const apikey = truthy(envValue(s, 'AUTHENTICATION_APIKEY_ENABLED')) === true;
  const oidc = truthy(envValue(s, 'AUTHENTICATION_OIDC_ENABLED')) === true;
  const anon = truthy(envValue(s, 'AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED')) ?? !(apikey || oidc);
  out.settings.anonymousAccess = envReadable(s) ? anon : null;
  out.settings.authorization = truthy(envValue(s, 'AUTHORIZATION_RBAC_ENABLED')) === true || truthy(envValue(s, 'AUTHORIZATION_ADMINLIST_ENABLED')) === true;
  out.authEnabled = envReadable(s) ? !anon && (apikey || oidc) : null;
};

const milvus: Reader = async (ctx, s, out) => {
  const cwd = s.processes.find((p) => p.cwd)?.cwd ?? '/milvus';
  const cfg = await yamlFiles(ctx, out, [`${cwd}/configs/milvus.yaml`, '/milvus/configs/milvus.yaml', `${cwd}/configs/user.yaml`, '/milvus/configs/user.yaml']);
  const authz = dig(cfg, 'common', 'security', 'authorizationEnabled');
  out.authEnabled = authz === true;
  out.settings.authorizationEnabled = authz === true;
  out.settings.metricsExposed = offLoopback(listenersOn(s, [9091]));
};

const nvidiaToolkit: Reader = async (ctx, _s, out) => {
  const f = '/etc/nvidia-container-runtime/config.toml';
  const text = await read(ctx, f);
  const keys = text === undefined ? new Map<string, string>() : parseSectionKeys(text);
  if (text !== undefined) out.sources.push(f);
  out.settings.cudaCompatHookDisabled = truthy(keys.get('features.disable-cuda-compat-lib-hook')) === true;
  out.settings.compatLibsFromContainer = truthy(keys.get('features.allow-cuda-compat-libs-from-container')) === true;
  out.authEnabled = null;
};

const READERS: Record<string, Reader> = {
  ollama,
  jupyter,
  jupyterhub,
  ray,
  mlflow,
  gradio,
  comfyui,
  vllm,
  tgi,
  triton,
  torchserve,
  tensorboard,
  'kubectl-port-forward': portForward,
  streamlit,
  langflow,
  langserve,
  'open-webui': openWebui,
  chroma,
  qdrant,
  weaviate,
  milvus,
  'nvidia-container-toolkit': nvidiaToolkit,
};

/** Read the settings of one service (once per scan). Only processes' own data is used; nothing is executed. */
export function readServiceConfig(ctx: ScanContext, s: AiServiceState): Promise<ServiceConfig> {
  return ctx.memo(`source:ai-config:${s.signature.id}`, async () => {
    const out: ServiceConfig = { authEnabled: null, settings: {}, evidence: [], sources: [] };
    const reader = READERS[s.signature.id];
    if (reader) await reader(ctx, s, out);
    // Installed but not running: whether clients would have to authenticate is not known,
    // except for products that have no authentication at all.
    if (s.processes.length === 0 && s.signature.builtinAuth !== 'none') out.authEnabled = null;
    out.sources = [...new Set(out.sources)];
    return out;
  });
}

