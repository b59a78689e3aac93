/**
 * @module Validate and compile one rule pack: YAML → parameter substitution → schema →
 * probe lookup, params and fields → directive references and clocks. Every problem is
 * collected (never just the first), each with its code, rule id, field path and line.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  ParameterSchema,
  PackIdSchema,
  RuleSchema,
  RulePackSchema,
  type Check,
  type Parameter,
  type Rule,
} from '../../shared/rule-pack.js';
import type { ErrorCode } from '../../shared/errors.js';
import { getProbe } from '../probes/index.js';
import type { CompiledCheck, CompiledPack, CompiledRule } from './compiled.js';
import type { DirectiveIndex } from './directives.js';
import { formatPath, type PackIssue } from './pack-issue.js';
import { lineOf, parseYamlSource, type YamlSource } from './yaml-source.js';

export interface CompileOptions {
  directives: DirectiveIndex;
  /** Parameter values from tailoring, overriding the pack's defaults. */
  parameterValues?: Record<string, unknown>;
}

export interface CompileResult {
  pack?: CompiledPack;
  issues: PackIssue[];
  /** Parameters the pack declares (for tailoring checks). */
  parameters: Record<string, Parameter>;
  packId?: string;
}

type Path = (string | number)[];

class IssueSink {
  readonly issues: PackIssue[] = [];
  constructor(private readonly src: YamlSource) {}
  add(code: ErrorCode, path: Path, message: string, ruleId?: string): void {
    const line = lineOf(this.src, path);
    this.issues.push({
      code,
      file: this.src.file,
      path: formatPath(path),
      message,
      ...(ruleId === undefined ? {} : { ruleId }),
      ...(line === undefined ? {} : { line }),
    });
  }
  zod(code: ErrorCode, base: Path, error: z.ZodError, ruleId?: string): void {
    for (const i of error.issues) this.add(code, [...base, ...(i.path as Path)], i.message, ruleId);
  }
}

const PARAM_REF = '$param';

/** Replace every `{ $param: name }` with the parameter's value. */
function substitute(value: unknown, params: Record<string, unknown>, path: Path, sink: IssueSink, ruleId?: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, params, [...path, i], sink, ruleId));
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && keys[0] === PARAM_REF) {
      const name = obj[PARAM_REF];
      if (typeof name !== 'string' || !Object.hasOwn(params, name)) {
        sink.add('ERR_PACK_UNKNOWN_PARAMETER', [...path, PARAM_REF], `parameter "${String(name)}" is not declared under parameters:`, ruleId);
        return value;
      }
      return params[name];
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = substitute(obj[k], params, [...path, k], sink, ruleId);
    return out;
  }
  return value;
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function compileCheck(check: Check, path: Path, sink: IssueSink, ruleId: string): CompiledCheck | undefined {
  if ('probe' in check) {
    const probe = getProbe(check.probe);
    if (!probe) {
      sink.add('ERR_PACK_UNKNOWN_PROBE', [...path, 'probe'], `no probe type "${check.probe}"`, ruleId);
      return undefined;
    }
    const parsed = probe.params.safeParse(check.params);
    let ok = true;
    if (!parsed.success) {
      for (const i of parsed.error.issues) {
        sink.add('ERR_PACK_PROBE_PARAMS', [...path, 'params', ...(i.path as Path)], `${probe.type}: ${i.message}`, ruleId);
      }
      ok = false;
    }
    for (const field of Object.keys(check.expect)) {
      const head = field.split('.')[0]!;
      if (!Object.hasOwn(probe.fields, head)) {
        sink.add('ERR_PACK_UNKNOWN_FIELD', [...path, 'expect', field], `probe ${probe.type} observes ${Object.keys(probe.fields).join(', ')}; not "${head}"`, ruleId);
        ok = false;
      }
    }
    if (!ok || !parsed.success) return undefined;
    const compiled: CompiledCheck = {
      kind: 'probe',
      probe,
      rawParams: check.params,
      params: parsed.data,
      expect: check.expect,
      key: `${probe.type}:${stableJson(parsed.data)}`,
    };
    if (check.description !== undefined) compiled.description = check.description;
    return compiled;
  }
  const kind = 'all' in check ? 'all' : 'any' in check ? 'any' : 'none';
  const list = (check as Record<string, Check[]>)[kind]!;
  const children = list.map((c, i) => compileCheck(c, [...path, kind, i], sink, ruleId));
  if (children.some((c) => c === undefined)) return undefined;
  return { kind, children: children as CompiledCheck[] };
}

function clockFor(rule: Rule, directives: DirectiveIndex): { clockDays?: number; clockDirective?: string } {
  if (rule.clock?.days !== undefined) {
    return rule.clock.directive ? { clockDays: rule.clock.days, clockDirective: rule.clock.directive } : { clockDays: rule.clock.days };
  }
  const candidates = rule.clock?.directive ? [rule.clock.directive] : rule.references.directives;
  let best: { clockDays?: number; clockDirective?: string } = {};
  for (const id of candidates) {
    const d = directives.get(id);
    if (d?.remediationDays !== undefined && d.status === 'in-force' && (best.clockDays === undefined || d.remediationDays < best.clockDays)) {
      best = { clockDays: d.remediationDays, clockDirective: d.id };
    }
  }
  return best;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Compile one pack from its YAML text. `issues` is empty exactly when `pack` is set. */
export function compilePack(text: string, file: string, options: CompileOptions): CompileResult {
  const src = parseYamlSource(text, file);
  const sink = new IssueSink(src);
  if (src.syntaxErrors.length > 0) {
    return {
      issues: src.syntaxErrors.map((e) => ({ code: 'ERR_PACK_YAML', file, path: '(root)', line: e.line, message: `YAML syntax: ${e.message} (line ${e.line}, column ${e.column})` })),
      parameters: {},
    };
  }
  const raw = src.data;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    sink.add('ERR_PACK_SCHEMA', [], 'a pack is a mapping with pack:, parameters: and rules:');
    return { issues: sink.issues, parameters: {} };
  }
  const obj = raw as Record<string, unknown>;

  // Header and parameters first: rules refer to both.
  const header = RulePackSchema.pick({ pack: true }).safeParse({ pack: obj.pack });
  if (!header.success) sink.zod('ERR_PACK_SCHEMA', [], header.error);
  for (const key of Object.keys(obj)) {
    if (!['pack', 'parameters', 'rules'].includes(key)) sink.add('ERR_PACK_SCHEMA', [key], `unknown top-level key "${key}"`);
  }
  const parameters: Record<string, Parameter> = {};
  const values: Record<string, unknown> = {};
  const rawParams = obj.parameters ?? {};
  if (rawParams === null || typeof rawParams !== 'object' || Array.isArray(rawParams)) {
    sink.add('ERR_PACK_SCHEMA', ['parameters'], 'parameters: is a mapping of name to {description, type, default}');
  } else {
    for (const [name, def] of Object.entries(rawParams)) {
      const p = ParameterSchema.safeParse(def);
      if (!/^[a-z][a-z0-9_]*$/.test(name)) sink.add('ERR_PACK_SCHEMA', ['parameters', name], 'parameter names are lower_snake_case');
      if (!p.success) {
        sink.zod('ERR_PACK_SCHEMA', ['parameters', name], p.error);
        continue;
      }
      parameters[name] = p.data;
      values[name] = p.data.default;
    }
  }
  for (const [name, value] of Object.entries(options.parameterValues ?? {})) {
    if (!Object.hasOwn(parameters, name)) {
      sink.add('ERR_TAILORING_INVALID', ['parameters', name], `tailoring sets "${name}", which this pack does not declare`);
      continue;
    }
    values[name] = value;
  }

  const packId = header.success ? header.data.pack.id : PackIdSchema.safeParse((obj.pack as { id?: unknown })?.id).data;
  if (!Array.isArray(obj.rules) || obj.rules.length === 0) {
    sink.add('ERR_PACK_SCHEMA', ['rules'], 'rules: must be a non-empty list');
    return { issues: sink.issues, parameters, ...(packId ? { packId } : {}) };
  }

  const seen = new Map<string, number>();
  const rules: CompiledRule[] = [];
  obj.rules.forEach((rawRule: unknown, n: number) => {
    const path: Path = ['rules', n];
    const ruleId = typeof (rawRule as { id?: unknown })?.id === 'string' ? (rawRule as { id: string }).id : undefined;
    const before = sink.issues.length;
    const resolved = substitute(rawRule, values, path, sink, ruleId);
    // An unresolved parameter would only cause follow-on schema errors: report it alone.
    if (sink.issues.length > before) return;
    const parsed = RuleSchema.safeParse(resolved);
    if (!parsed.success) {
      sink.zod('ERR_PACK_SCHEMA', path, parsed.error, ruleId);
      return;
    }
    const rule = parsed.data;
    const first = seen.get(rule.id);
    if (first !== undefined) {
      sink.add('ERR_PACK_DUPLICATE_ID', [...path, 'id'], `rule id ${rule.id} is already used by rules[${first}]`, rule.id);
      return;
    }
    seen.set(rule.id, n);
    let ok = true;
    rule.references.directives.forEach((d, i) => {
      if (!options.directives.has(d)) {
        sink.add('ERR_PACK_UNKNOWN_DIRECTIVE', [...path, 'references', 'directives', i], `directive ${d} is not in rules/directives.yaml`, rule.id);
        ok = false;
      }
    });
    if (rule.clock?.directive !== undefined && !options.directives.has(rule.clock.directive)) {
      sink.add('ERR_PACK_UNKNOWN_DIRECTIVE', [...path, 'clock', 'directive'], `directive ${rule.clock.directive} is not in rules/directives.yaml`, rule.id);
      ok = false;
    }
    const check = compileCheck(rule.check, [...path, 'check'], sink, rule.id);
    const applicability = rule.applicability ? compileCheck(rule.applicability, [...path, 'applicability'], sink, rule.id) : undefined;
    if (!ok || !check || (rule.applicability && !applicability) || !packId) return;
    const compiled: CompiledRule = { packId, rule, check, ...clockFor(rule, options.directives) };
    if (applicability) compiled.applicability = applicability;
    rules.push(compiled);
  });

  if (sink.issues.length > 0 || !header.success) return { issues: sink.issues, parameters, ...(packId ? { packId } : {}) };
  const meta = header.data.pack;
  return {
    issues: [],
    parameters,
    packId: meta.id,
    pack: {
      file,
      ref: { id: meta.id, title: meta.title, version: meta.version, sha256: sha256(text), ruleCount: rules.length },
      rules,
    },
  };
}
