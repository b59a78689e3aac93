/**
 * @module Evaluate a matcher against an observed value, and describe a matcher in words.
 */
import type { Expect, Matcher, Scalar } from '../../shared/expectation.js';
import { AppError } from '../../shared/errors.js';

/** Loose scalar equality: 0 equals "0", "yes" does not equal true. Case-sensitive strings. */
export function scalarEquals(a: unknown, b: Scalar): boolean {
  if (a === b) return true;
  if (a === undefined) return b === null;
  if (typeof a === 'number' && typeof b === 'string') return b.trim() !== '' && Number(b) === a;
  if (typeof a === 'string' && typeof b === 'number') return a.trim() !== '' && Number(a) === b;
  return false;
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function asList(v: unknown, op: string, field: string): unknown[] {
  if (Array.isArray(v)) return v;
  throw new AppError('ERR_EXPECT_TYPE', `"${op}" needs a list but ${field} is ${v === null || v === undefined ? 'absent' : typeof v}`);
}

const has = (list: unknown[], x: Scalar) => list.some((e) => scalarEquals(e, x));

/** True when `value` satisfies every operator of `m`. Throws ERR_EXPECT_TYPE on a type mismatch. */
export function matches(value: unknown, m: Matcher, field = 'value'): boolean {
  if (m.exists !== undefined && (value !== undefined && value !== null) !== m.exists) return false;
  if (m.eq !== undefined && !scalarEquals(value, m.eq)) return false;
  if (m.ne !== undefined && scalarEquals(value, m.ne)) return false;
  if (m.in !== undefined && !m.in.some((x) => scalarEquals(value, x))) return false;
  if (m.notIn !== undefined && m.notIn.some((x) => scalarEquals(value, x))) return false;
  for (const [op, bound] of [['gt', m.gt], ['gte', m.gte], ['lt', m.lt], ['lte', m.lte]] as const) {
    if (bound === undefined) continue;
    const n = asNumber(value);
    if (n === undefined) return false;
    if (op === 'gt' && !(n > bound)) return false;
    if (op === 'gte' && !(n >= bound)) return false;
    if (op === 'lt' && !(n < bound)) return false;
    if (op === 'lte' && !(n <= bound)) return false;
  }
  if (m.match !== undefined && (value === undefined || value === null || !new RegExp(m.match).test(String(value)))) return false;
  if (m.notMatch !== undefined && value !== undefined && value !== null && new RegExp(m.notMatch).test(String(value))) return false;
  if (m.empty !== undefined) {
    const size = Array.isArray(value) ? value.length : typeof value === 'string' ? value.length : value === undefined || value === null ? 0 : undefined;
    if (size === undefined) throw new AppError('ERR_EXPECT_TYPE', `"empty" needs a list or string but ${field} is ${typeof value}`);
    if ((size === 0) !== m.empty) return false;
  }
  if (m.contains !== undefined && !has(asList(value, 'contains', field), m.contains)) return false;
  if (m.notContains !== undefined && has(asList(value, 'notContains', field), m.notContains)) return false;
  if (m.subsetOf !== undefined) {
    const allowed = m.subsetOf;
    if (!asList(value, 'subsetOf', field).every((e) => allowed.some((a) => scalarEquals(e, a)))) return false;
  }
  if (m.containsAll !== undefined) {
    const list = asList(value, 'containsAll', field);
    if (!m.containsAll.every((x) => has(list, x))) return false;
  }
  if (m.disjointFrom !== undefined) {
    const list = asList(value, 'disjointFrom', field);
    if (m.disjointFrom.some((x) => has(list, x))) return false;
  }
  if (m.every !== undefined) {
    const inner = m.every;
    if (!asList(value, 'every', field).every((e, i) => matches(e, inner, `${field}[${i}]`))) return false;
  }
  if (m.some !== undefined) {
    const inner = m.some;
    if (!asList(value, 'some', field).some((e, i) => matches(e, inner, `${field}[${i}]`))) return false;
  }
  if (m.none !== undefined) {
    const inner = m.none;
    if (asList(value, 'none', field).some((e, i) => matches(e, inner, `${field}[${i}]`))) return false;
  }
  if (m.count !== undefined && !matches(asList(value, 'count', field).length, m.count, `count(${field})`)) return false;
  if (m.fields !== undefined) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new AppError('ERR_EXPECT_TYPE', `"fields" needs an object but ${field} is ${Array.isArray(value) ? 'a list' : typeof value}`);
    }
    for (const [name, inner] of Object.entries(m.fields)) {
      if (!matches(getPath(value, name), inner, `${field}.${name}`)) return false;
    }
  }
  return true;
}

/** Read a dot path ("a.b.c") from an observation. */
export function getPath(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj;
  for (const key of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

const fmt = (s: Scalar): string => (typeof s === 'string' ? JSON.stringify(s) : String(s));
const fmtList = (l: Scalar[]): string => `[${l.map(fmt).join(', ')}]`;

/** A matcher in words, e.g. `== 0` or `one of [1, 2]`. */
export function describeMatcher(m: Matcher): string {
  const parts: string[] = [];
  if (m.exists !== undefined) parts.push(m.exists ? 'is set' : 'is not set');
  if (m.eq !== undefined) parts.push(`== ${fmt(m.eq)}`);
  if (m.ne !== undefined) parts.push(`!= ${fmt(m.ne)}`);
  if (m.in !== undefined) parts.push(`one of ${fmtList(m.in)}`);
  if (m.notIn !== undefined) parts.push(`none of ${fmtList(m.notIn)}`);
  if (m.gt !== undefined) parts.push(`> ${m.gt}`);
  if (m.gte !== undefined) parts.push(`>= ${m.gte}`);
  if (m.lt !== undefined) parts.push(`< ${m.lt}`);
  if (m.lte !== undefined) parts.push(`<= ${m.lte}`);
  if (m.match !== undefined) parts.push(`matches /${m.match}/`);
  if (m.notMatch !== undefined) parts.push(`does not match /${m.notMatch}/`);
  if (m.empty !== undefined) parts.push(m.empty ? 'is empty' : 'is not empty');
  if (m.contains !== undefined) parts.push(`contains ${fmt(m.contains)}`);
  if (m.notContains !== undefined) parts.push(`does not contain ${fmt(m.notContains)}`);
  if (m.subsetOf !== undefined) parts.push(`only from ${fmtList(m.subsetOf)}`);
  if (m.containsAll !== undefined) parts.push(`contains all of ${fmtList(m.containsAll)}`);
  if (m.disjointFrom !== undefined) parts.push(`contains none of ${fmtList(m.disjointFrom)}`);
  if (m.every !== undefined) parts.push(`every item ${describeMatcher(m.every)}`);
  if (m.some !== undefined) parts.push(`some item ${describeMatcher(m.some)}`);
  if (m.none !== undefined) parts.push(`no item ${describeMatcher(m.none)}`);
  if (m.count !== undefined) parts.push(`count ${describeMatcher(m.count)}`);
  if (m.fields !== undefined) {
    parts.push(`{ ${Object.entries(m.fields).map(([k, v]) => `${k} ${describeMatcher(v)}`).join('; ')} }`);
  }
  return parts.join(' and ');
}

export function describeExpect(expect: Expect): string {
  return Object.entries(expect)
    .map(([field, m]) => `${field} ${describeMatcher(m)}`)
    .join('; ');
}
