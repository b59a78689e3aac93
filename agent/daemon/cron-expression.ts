/**
 * @module The scan schedule's cron expression (--schedule, RAMPART_SCHEDULE), parsed by croner in one
 * place: configuration validates with `scheduleProblem` and the scheduler runs `cronJob`, so what
 * passed validation is exactly what runs. 5 fields (minute hour day-of-month month day-of-week) or 6
 * with seconds first, in local time; day-of-month and day-of-week combine with OR, as in Vixie cron.
 * No timezone option: croner then reads Date getters and never loads Intl (ICU), which costs the
 * resident daemon ~7 MB (issue 6).
 */
import { Cron, type CronCallback, type CronOptions } from 'croner';

const OPTIONS: CronOptions = { mode: '5-or-6-parts', domAndDow: false };

/** What --schedule may contain; anything else (a ':' would make croner read a run-once date) is refused. */
const CHARACTERS = /^[\w\s*/,#?@+-]+$/;

/** Bounds of the 6 fields (seconds first), for ranges that wrap; day-of-week 7 is Sunday. */
const BOUNDS: ReadonlyArray<readonly [number, number]> = [[0, 59], [0, 59], [0, 23], [1, 31], [1, 12], [0, 6]];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FULL_NAMES: Record<string, string> = Object.fromEntries(
  ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december', 'sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'].map((n) => [n, n.slice(0, 3)]),
);

/**
 * Rewrite the two forms node-cron (before croner) accepted and croner refuses, so existing schedules
 * keep their meaning: full names (`monday`, `january`) become `mon`, `jan`, and a range that wraps
 * (`22-2`, `FRI-MON`, `NOV-FEB`, with an optional step) becomes the list of its values.
 */
export function cronPattern(expression: string): string {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return expression;
  const first = 6 - fields.length;
  return fields.map((field, i) => rewriteField(field, first + i)).join(' ');
}

function rewriteField(field: string, index: number): string {
  if (index < 4) return field.split(',').map((t) => unwrapRange(t, index) ?? t).join(',');
  return field
    .split(',')
    .map((token) => {
      const named = token.replace(/[a-z]+/gi, (w) => FULL_NAMES[w.toLowerCase()] ?? w);
      return unwrapRange(named, index) ?? named;
    })
    .join(',');
}

/** `from-to[/step]` with from > to, as a list of values that wraps at the field's end; else undefined. */
function unwrapRange(token: string, index: number): string | undefined {
  const m = /^([0-9a-z]+)-([0-9a-z]+)(?:\/(\d+))?$/i.exec(token);
  if (!m) return undefined;
  const names = index === 4 ? MONTHS : index === 5 ? DAYS : [];
  const value = (s: string): number => {
    const n = names.indexOf(s.toLowerCase());
    if (n >= 0) return index === 4 ? n + 1 : n;
    return /^\d+$/.test(s) ? Number(s) : NaN;
  };
  const [min, max] = BOUNDS[index]!;
  const top = index === 5 ? 7 : max;
  const from = value(m[1]!);
  const to = value(m[2]!);
  const step = m[3] === undefined ? 1 : Number(m[3]);
  if (!(from > to) || from > top || to < min || step < 1) return undefined;
  const size = max - min + 1;
  const span = (((to - from) % size) + size) % size;
  const values: number[] = [];
  for (let offset = 0; offset <= span; offset += step) values.push(from + offset > max ? from + offset - size : from + offset);
  return values.join(',');
}

/** Parse the schedule (throws a plain Error saying why it cannot be one); with `fn`, also start it. */
export function cronJob(expression: string, options: CronOptions = {}, fn?: CronCallback): Cron {
  if (expression.trim() === '') throw new Error('the schedule is empty');
  if (!CHARACTERS.test(expression)) throw new Error(`"${expression}" contains characters a cron expression cannot have`);
  try {
    return fn ? new Cron(cronPattern(expression), { ...options, ...OPTIONS }, fn) : new Cron(cronPattern(expression), { ...options, ...OPTIONS });
  } catch (err) {
    throw new Error(`"${expression}": ${(err as Error).message.replace(/^CronPattern: /, '').replace(/\.$/, '')}`);
  }
}

/** Why `expression` cannot be the scan schedule (a message that says what to write), or undefined. */
export function scheduleProblem(expression: string): string | undefined {
  const hint = 'write 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, e.g. "0 * * * *" (hourly); see docs/agent.md, "Schedule"';
  let job: Cron;
  try {
    job = cronJob(expression);
  } catch (err) {
    return `${(err as Error).message}; ${hint}`;
  }
  if (job.nextRun() === null) return `"${expression}" never matches a date (e.g. 30 February); ${hint}`;
  return undefined;
}
