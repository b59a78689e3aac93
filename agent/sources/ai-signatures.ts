/**
 * @module The data table that names AI/ML software from host evidence: process names, command-line
 * patterns, default ports and bind behaviour, and the packages or files that show it is installed.
 * Order matters: the first signature whose process pattern matches a process wins, so specific
 * products come before generic servers (Langflow before Gradio, Chroma before a plain uvicorn app).
 * Facts come from docs/ai-workloads.md (which cites the upstream code and docs they were read from).
 */
import { z } from 'zod';

export const EcosystemSchema = z.enum(['pypi', 'npm', 'deb', 'rpm', 'binary']);
export type Ecosystem = z.infer<typeof EcosystemSchema>;

/** A package name: plain (pypi, deb, rpm, binary) or npm-scoped (@scope/name); never a path. */
export const PackageNameSchema = z
  .string()
  .regex(/^(@[a-z0-9._-]+\/)?[A-Za-z0-9._+-]+$/, 'a package name (npm scopes allowed), not a path')
  .refine((n) => !n.split('/').some((seg) => seg === '.' || seg === '..'), 'a package name, not a path');

export const PackageRefSchema = z.strictObject({ ecosystem: EcosystemSchema, name: PackageNameSchema });
export type PackageRef = z.infer<typeof PackageRefSchema>;

export const AiSignatureSchema = z.strictObject({
  /** Stable id used in rule params (`service: ollama`) and the inventory. */
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  name: z.string().min(1),
  category: z.enum(['inference', 'notebook', 'cluster', 'tracking', 'app', 'vector-db', 'gpu-tooling', 'tunnel']),
  /** Exact kernel short names (/proc/PID/comm). */
  comm: z.array(z.string()).default([]),
  /** Regular expressions tested against the command line joined with single spaces. */
  argv: z.array(z.string()).default([]),
  /** Only a python process listening in this port range, matched by nothing else, is taken as this service. */
  portHint: z.strictObject({ from: z.number().int(), to: z.number().int() }).optional(),
  /** Ports the product listens on by default (documentation and docker-proxy attribution). */
  defaultPorts: z.array(z.number().int().positive()).default([]),
  /** What the product binds when nothing is configured. */
  defaultBind: z.enum(['loopback', 'all', 'none']),
  /** Whether the product has authentication of its own that can be switched on. */
  builtinAuth: z.enum(['on-by-default', 'opt-in', 'none']),
  /** Packages whose presence means the software is installed (the first found gives the version). */
  packages: z.array(PackageRefSchema).default([]),
  /** Files whose presence means the software is installed. */
  files: z.array(z.string().startsWith('/')).default([]),
  /** Only identify processes when one of `packages` is installed (generic servers such as uvicorn). */
  requiresPackage: z.boolean().default(false),
  /** Container images this product ships as (inventory only). */
  images: z.array(z.string()).default([]),
});
export type AiSignature = z.infer<typeof AiSignatureSchema>;

/** The built-in table as written; test/agent/sources/ai-signatures-table.test.ts validates it against the schema. */
export const AI_SIGNATURE_TABLE: z.input<typeof AiSignatureSchema>[] = [
  {
    id: 'ollama', name: 'Ollama', category: 'inference', comm: ['ollama'],
    argv: ['(^|/)ollama\\s+serve(\\s|$)'], defaultPorts: [11434], defaultBind: 'loopback', builtinAuth: 'none',
    packages: [{ ecosystem: 'binary', name: 'ollama' }], files: ['/usr/local/bin/ollama', '/usr/bin/ollama'], images: ['ollama/ollama'],
  },
  {
    id: 'jupyterhub', name: 'JupyterHub', category: 'notebook',
    argv: ['(^|[/\\s])jupyterhub(\\s|$)', '(^|[/\\s])configurable-http-proxy(\\s|$)', '-m\\s+jupyterhub(\\s|$)'],
    defaultPorts: [8000, 8081, 8001], defaultBind: 'all', builtinAuth: 'on-by-default',
    packages: [{ ecosystem: 'pypi', name: 'jupyterhub' }], images: ['quay.io/jupyterhub/jupyterhub'],
  },
  {
    id: 'jupyter', name: 'Jupyter Server / JupyterLab / Notebook', category: 'notebook',
    argv: [
      '(^|[/\\s])jupyterhub-singleuser(\\s|$)',
      '(^|[/\\s])jupyter-(lab|notebook|server)(\\s|$)',
      '(^|[/\\s])jupyter\\s+(lab|notebook|server)(\\s|$)',
      '-m\\s+(jupyterlab|notebook|jupyter_server)(\\s|$)',
    ],
    defaultPorts: [8888], defaultBind: 'loopback', builtinAuth: 'on-by-default',
    packages: [{ ecosystem: 'pypi', name: 'jupyter-server' }, { ecosystem: 'pypi', name: 'notebook' }, { ecosystem: 'pypi', name: 'jupyterlab' }],
    images: ['quay.io/jupyter/*', 'jupyter/*'],
  },
  {
    id: 'ray', name: 'Ray', category: 'cluster', comm: ['gcs_server', 'raylet'],
    argv: ['(^|[/\\s])ray\\s+start(\\s|$)', 'ray/dashboard/dashboard\\.py', 'ray/core/src/ray/gcs/gcs_server', 'ray/core/src/ray/raylet/raylet'],
    defaultPorts: [8265, 6379, 10001], defaultBind: 'loopback', builtinAuth: 'opt-in',
    packages: [{ ecosystem: 'pypi', name: 'ray' }], images: ['rayproject/ray'],
  },
  {
    id: 'mlflow', name: 'MLflow tracking server', category: 'tracking',
    argv: ['(^|[/\\s])mlflow\\s+(server|ui)(\\s|$)', 'mlflow\\.server[:.]'],
    defaultPorts: [5000], defaultBind: 'loopback', builtinAuth: 'opt-in',
    packages: [{ ecosystem: 'pypi', name: 'mlflow' }, { ecosystem: 'pypi', name: 'mlflow-skinny' }],
  },
  {
    id: 'langflow', name: 'Langflow', category: 'app',
    argv: ['(^|[/\\s])langflow\\s+run(\\s|$)', '-m\\s+langflow(\\s|$)'],
    defaultPorts: [7860], defaultBind: 'loopback', builtinAuth: 'opt-in',
    packages: [{ ecosystem: 'pypi', name: 'langflow' }, { ecosystem: 'pypi', name: 'langflow-base' }], images: ['langflowai/langflow'],
  },
  {
    id: 'comfyui', name: 'ComfyUI', category: 'app',
    argv: ['ComfyUI/main\\.py', '(^|[/\\s])comfy\\s+launch(\\s|$)', '(^|[/\\s])comfyui(\\s|$)'],
    defaultPorts: [8188], defaultBind: 'loopback', builtinAuth: 'none',
    packages: [{ ecosystem: 'pypi', name: 'comfyui-frontend-package' }],
  },
  {
    id: 'vllm', name: 'vLLM (OpenAI-compatible server)', category: 'inference',
    argv: ['(^|[/\\s])vllm\\s+serve(\\s|$)', 'vllm\\.entrypoints\\.(openai\\.)?api_server'],
    defaultPorts: [8000], defaultBind: 'all', builtinAuth: 'opt-in',
    packages: [{ ecosystem: 'pypi', name: 'vllm' }], images: ['vllm/vllm-openai'],
  },
  {
    id: 'tgi', name: 'Hugging Face Text Generation Inference', category: 'inference',
    argv: ['(^|[/\\s])text-generation-(launcher|router|server)(\\s|$)'],
    defaultPorts: [3000, 80, 9000], defaultBind: 'all', builtinAuth: 'opt-in',
    packages: [{ ecosystem: 'pypi', name: 'text-generation-server' }],
    files: ['/usr/local/bin/text-generation-launcher', '/usr/bin/text-generation-launcher'],
    images: ['ghcr.io/huggingface/text-generation-inference'],
  },
  {
    id: 'triton', name: 'NVIDIA Triton Inference Server', category: 'inference', comm: ['tritonserver'],
    argv: ['(^|/)tritonserver(\\s|$)'], defaultPorts: [8000, 8001, 8002], defaultBind: 'all', builtinAuth: 'opt-in',
    packages: [{ ecosystem: 'binary', name: 'tritonserver' }], files: ['/opt/tritonserver/bin/tritonserver'], images: ['nvcr.io/nvidia/tritonserver'],
  },
  {
    id: 'torchserve', name: 'TorchServe', category: 'inference',
    argv: ['org\\.pytorch\\.serve\\.ModelServer', '(^|[/\\s])torchserve\\s+--start'],
    defaultPorts: [8080, 8081, 8082, 7070, 7071], defaultBind: 'loopback', builtinAuth: 'on-by-default',
    packages: [{ ecosystem: 'pypi', name: 'torchserve' }], images: ['pytorch/torchserve'],
  },
  {
    id: 'tensorboard', name: 'TensorBoard', category: 'app',
    argv: ['(^|[/\\s])tensorboard(\\s|$)', '-m\\s+tensorboard(\\.main)?(\\s|$)'],
    defaultPorts: [6006], defaultBind: 'loopback', builtinAuth: 'none',
    packages: [{ ecosystem: 'pypi', name: 'tensorboard' }],
  },
  {
    id: 'kubectl-port-forward', name: 'kubectl port-forward to cluster AI services', category: 'tunnel',
    argv: ['(^|[/\\s])(kubectl|oc)\\s+port-forward(\\s|$)'], defaultBind: 'loopback', builtinAuth: 'none',
  },
  {
    id: 'streamlit', name: 'Streamlit', category: 'app',
    argv: ['(^|[/\\s])streamlit\\s+run(\\s|$)', '-m\\s+streamlit\\s+run(\\s|$)'],
    defaultPorts: [8501], defaultBind: 'all', builtinAuth: 'none',
    packages: [{ ecosystem: 'pypi', name: 'streamlit' }],
  },
  {
    id: 'open-webui', name: 'Open WebUI', category: 'app',
    argv: ['(^|[/\\s])open-webui\\s+serve(\\s|$)', 'open_webui\\.main:app'],
    defaultPorts: [8080, 3000], defaultBind: 'all', builtinAuth: 'on-by-default',
    packages: [{ ecosystem: 'pypi', name: 'open-webui' }], images: ['ghcr.io/open-webui/open-webui'],
  },
  {
    id: 'chroma', name: 'Chroma vector database', category: 'vector-db',
    argv: ['(^|[/\\s])chroma\\s+run(\\s|$)', 'chromadb\\.app:app'],
    defaultPorts: [8000], defaultBind: 'loopback', builtinAuth: 'opt-in',
    packages: [{ ecosystem: 'pypi', name: 'chromadb' }], images: ['chromadb/chroma'],
  },
  {
    id: 'qdrant', name: 'Qdrant vector database', category: 'vector-db', comm: ['qdrant'],
    argv: ['(^|/)qdrant(\\s|$)'], defaultPorts: [6333, 6334], defaultBind: 'all', builtinAuth: 'opt-in',
    files: ['/qdrant/qdrant', '/usr/bin/qdrant', '/usr/local/bin/qdrant'], images: ['qdrant/qdrant'],
  },
  {
    id: 'weaviate', name: 'Weaviate vector database', category: 'vector-db', comm: ['weaviate'],
    argv: ['(^|/)weaviate(\\s|$)'], defaultPorts: [8080, 50051], defaultBind: 'all', builtinAuth: 'opt-in',
    files: ['/bin/weaviate', '/usr/local/bin/weaviate'], images: ['cr.weaviate.io/semitechnologies/weaviate'],
  },
  {
    id: 'milvus', name: 'Milvus vector database', category: 'vector-db', comm: ['milvus'],
    argv: ['(^|/)milvus\\s+run(\\s|$)'], defaultPorts: [19530, 9091], defaultBind: 'all', builtinAuth: 'opt-in',
    files: ['/milvus/bin/milvus', '/usr/bin/milvus'], images: ['milvusdb/milvus'],
  },
  {
    id: 'langserve', name: 'LangServe / FastAPI model app', category: 'app',
    argv: ['(^|[/\\s])(uvicorn|gunicorn|hypercorn)(\\s|$)', '-m\\s+(uvicorn|gunicorn|hypercorn)(\\s|$)'],
    defaultPorts: [8000], defaultBind: 'loopback', builtinAuth: 'none',
    packages: [{ ecosystem: 'pypi', name: 'langserve' }], requiresPackage: true,
  },
  {
    id: 'gradio', name: 'Gradio app', category: 'app',
    argv: ['(^|[/\\s])gradio\\s+\\S+\\.py(\\s|$)'], portHint: { from: 7860, to: 7959 },
    defaultPorts: [7860], defaultBind: 'loopback', builtinAuth: 'opt-in',
    packages: [{ ecosystem: 'pypi', name: 'gradio' }],
  },
  {
    id: 'nvidia-container-toolkit', name: 'NVIDIA Container Toolkit', category: 'gpu-tooling',
    defaultBind: 'none', builtinAuth: 'none',
    packages: [
      { ecosystem: 'deb', name: 'nvidia-container-toolkit' }, { ecosystem: 'rpm', name: 'nvidia-container-toolkit' },
      { ecosystem: 'deb', name: 'nvidia-container-toolkit-base' }, { ecosystem: 'rpm', name: 'nvidia-container-toolkit-base' },
    ],
    files: ['/usr/bin/nvidia-ctk', '/usr/bin/nvidia-container-runtime'],
  },
];

/**
 * The table with its defaults filled. It is checked against AiSignatureSchema by a test rather
 * than parsed at every start-up: it is code-reviewed data, and parsing it cost ~7 ms of each scan.
 */
export const AI_SIGNATURES: readonly AiSignature[] = AI_SIGNATURE_TABLE.map(
  (s): AiSignature => ({ comm: [], argv: [], defaultPorts: [], packages: [], files: [], requiresPackage: false, images: [], ...s }),
);

export const AI_SERVICE_IDS = AI_SIGNATURES.map((s) => s.id) as [string, ...string[]];

export function signatureFor(id: string): AiSignature | undefined {
  return AI_SIGNATURES.find((s) => s.id === id);
}

/** Processes that are never AI services themselves, though their argv may mention one (shells, editors, grep). */
export const IGNORED_COMM = new Set(['bash', 'sh', 'dash', 'zsh', 'grep', 'less', 'vi', 'vim', 'nano', 'tail', 'ps', 'sudo', 'su', 'tmux: server', 'screen', 'systemd']);

/**
 * Model-provider credential variable names and value shapes (the patterns common secret scanners use).
 * Matches are reported by file, line and key NAME only, never the value.
 */
export const PROVIDER_KEY_NAMES = [
  'OPENAI_API_KEY', 'AZURE_OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GOOGLE_API_KEY', 'GEMINI_API_KEY', 'MISTRAL_API_KEY',
  'COHERE_API_KEY', 'GROQ_API_KEY', 'TOGETHER_API_KEY', 'REPLICATE_API_TOKEN', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN',
  'HUGGINGFACEHUB_API_TOKEN', 'LANGCHAIN_API_KEY', 'LANGSMITH_API_KEY', 'WANDB_API_KEY', 'OLLAMA_API_KEY', 'VLLM_API_KEY',
] as const;

export const PROVIDER_VALUE_PATTERNS: readonly { label: string; re: RegExp }[] = [
  { label: 'anthropic-key', re: /\bsk-ant-[A-Za-z0-9_-]{20,}/ },
  { label: 'openai-key', re: /\bsk-(proj-)?[A-Za-z0-9_-]{20,}/ },
  { label: 'huggingface-token', re: /\bhf_[A-Za-z0-9]{30,}/ },
  { label: 'groq-key', re: /\bgsk_[A-Za-z0-9]{20,}/ },
  { label: 'replicate-token', re: /\br8_[A-Za-z0-9]{20,}/ },
  { label: 'google-api-key', re: /\bAIza[0-9A-Za-z_-]{35}/ },
];

/** File extensions of pickle-based model formats, which run code when loaded. */
export const PICKLE_EXTENSIONS = ['.pkl', '.pickle', '.pt', '.pth', '.bin', '.ckpt', '.joblib', '.mar'] as const;
