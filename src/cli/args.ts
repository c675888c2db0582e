/**
 * The command line's argument layer, shared by every command (and bench/train-step.ts): strict parsing, where an
 * unknown option is an error, and typed validators whose messages name the option. A UsageError ends the process
 * with exit code 2 and the message; validation runs before a command does any work.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A bad command line: the message names the option (or the command) at fault. */
export class UsageError extends Error {}

/** A command of `star <command> ...`: its help text and its handler. */
export interface Command {
  summary: string;
  /** Printed by `--help` (and exit 0, no work done). */
  usage: string;
  /** True when the command hands every argument, `--help` included, to a script that parses them itself. */
  forwardsArguments?: boolean;
  run(argv: string[]): Promise<void>;
}

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** `--help` or `-h` before a `--` separator. */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  return head.includes('--help') || head.includes('-h');
}

/**
 * Parse `argv` against `options` (node:util parseArgs, strict): unknown options, missing values and values that
 * look like options are UsageErrors naming the option; more than `maxPositionals` plain arguments too.
 */
export function parseOptions<O extends OptionsConfig>(argv: string[], options: O, maxPositionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const name = /'([^']+)'/.exec(err.message)?.[1] ?? err.message;
      throw new UsageError(`unknown option ${name}`);
    }
    // Node's own wording names the option ("Option '--lr <value>' argument missing", "... is ambiguous ... use '--lr=-XYZ'").
    throw new UsageError(err.message.replace(/\n/g, ' '));
  }
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals.slice(maxPositionals);
    throw new UsageError(`unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((p) => `"${p}"`).join(' ')}`);
  }
  return parsed;
}

/** The value of a required option. */
export function required(raw: string | undefined, option: string): string {
  if (raw === undefined || raw === '') throw new UsageError(`--${option} is required`);
  return raw;
}

/** Limits of a numeric option; `above`/`below` are exclusive, `min`/`max` inclusive. */
export interface NumberRule {
  integer?: boolean;
  min?: number;
  max?: number;
  above?: number;
  below?: number;
}

// Decimal numbers only: Number() would also accept "", " ", "0x1F", "Infinity".
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function describeRule(r: NumberRule): string {
  const kind = r.integer ? 'an integer' : 'a number';
  const lo = r.above !== undefined ? `(${r.above}` : r.min !== undefined ? `[${r.min}` : undefined;
  const hi = r.below !== undefined ? `${r.below})` : r.max !== undefined ? `${r.max}]` : undefined;
  if (lo && hi) return `${kind} in ${lo}, ${hi}`;
  if (r.above !== undefined) return `${kind} > ${r.above}`;
  if (r.min !== undefined) return `${kind} >= ${r.min}`;
  if (r.below !== undefined) return `${kind} < ${r.below}`;
  if (r.max !== undefined) return `${kind} <= ${r.max}`;
  return kind;
}

function checkNumber(text: string, option: string, rule: NumberRule, what = `--${option}`): number {
  const v = DECIMAL.test(text.trim()) ? Number(text) : NaN;
  const ok = Number.isFinite(v) && (!rule.integer || Number.isInteger(v))
    && (rule.min === undefined || v >= rule.min) && (rule.max === undefined || v <= rule.max)
    && (rule.above === undefined || v > rule.above) && (rule.below === undefined || v < rule.below);
  if (!ok) throw new UsageError(`${what}: expected ${describeRule(rule)}, got "${text}"`);
  return v;
}

/** A numeric option; undefined when absent (the caller's default applies). */
export function numberOption(raw: string | undefined, option: string, rule: NumberRule = {}): number | undefined {
  return raw === undefined ? undefined : checkNumber(raw, option, rule);
}

/** A comma-separated list of numbers, e.g. `--seeds 1,2,3`; undefined when absent. */
export function numberList(raw: string | undefined, option: string, rule: NumberRule = {}): number[] | undefined {
  if (raw === undefined) return undefined;
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.some((s) => s === '')) throw new UsageError(`--${option}: expected a comma-separated list like 1,2,3, got "${raw}"`);
  return parts.map((s) => checkNumber(s, option, rule, `--${option} "${raw}"`));
}

/** One of a fixed set of names: "--format: unknown format "xml", expected one of ...". */
export function oneOf<T extends string>(raw: string | undefined, option: string, allowed: readonly T[], noun = 'value'): T | undefined {
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw new UsageError(`--${option}: unknown ${noun} "${raw}", expected one of ${allowed.join(', ')}`);
  return raw as T;
}

/** A comma-separated list of names from a fixed set (or any non-empty names when `allowed` is absent). */
export function nameList<T extends string>(raw: string | undefined, option: string, allowed?: readonly T[], noun = 'value'): T[] | undefined {
  if (raw === undefined) return undefined;
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.some((s) => s === '')) throw new UsageError(`--${option}: expected a comma-separated list of names, got "${raw}"`);
  if (allowed) for (const p of parts) oneOf(p, option, allowed, noun);
  return parts as T[];
}

/** Print a command-line error and exit: 2 for a UsageError (with a pointer to the help), 1 for any other error. */
export function exitWithError(prog: string, e: unknown, helpHint: string): never {
  if (e instanceof UsageError) {
    console.error(`${prog}: ${e.message}\n(${helpHint})`);
    process.exit(2);
  }
  // Errors from our own checks carry file/line/field in the message; the stack is for debugging (STAR_DEBUG=1).
  const err = e as Error;
  console.error(`${prog}: ${process.env.STAR_DEBUG ? (err.stack ?? err) : (err.message ?? err)}`);
  process.exit(1);
}
