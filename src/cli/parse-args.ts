// Go `flag`-compatible argument parsing. Hand-written on purpose: Go's rules differ from every npm
// parser (yargs, commander, util.parseArgs…): `-name` and `--name` are the same long flag (no short
// option clusters), a bool takes a value only as `--b=false` (never `--b false`), a non-bool takes
// `--x=v` or the next argument whatever it looks like, and parsing stops at the first non-flag
// argument or `--`. Scope's manifests depend on exactly these rules.
import { DurationSyntaxError, parseGoDurationNanos } from './duration.js';
import { CliUsageError } from './errors.js';
import { FLAGS_BY_NAME, type FlagSpec, type FlagValue } from './flags/index.js';

/** One flag occurrence, in command-line order (for the startup log). */
export interface FlagOccurrence {
  /** The name as written (an alias stays an alias), without dashes. */
  readonly name: string;
  readonly spec: FlagSpec;
  /** The value as written (`true` for a bare bool). */
  readonly raw: string;
}

export interface ParsedArgs {
  /** Canonical flag name → parsed value, for flags given on the command line only. */
  readonly values: ReadonlyMap<string, FlagValue>;
  readonly occurrences: readonly FlagOccurrence[];
  /** Arguments after the flags (probe targets). */
  readonly positionals: readonly string[];
  /** `-h` / `-help` / `--help` was given (they are not flags, as in Go). */
  readonly help: boolean;
}

const HINT = ' (run with --help for usage)';

// strconv.ParseBool.
const BOOL_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['1', true], ['t', true], ['T', true], ['TRUE', true], ['true', true], ['True', true],
  ['0', false], ['f', false], ['F', false], ['FALSE', false], ['false', false], ['False', false],
]);

/** strconv.ParseInt(s, 0, 64): optional sign, 0x/0o/0b/0 prefixes, `_` between digits. */
export function parseGoInt(s: string): number {
  const m = /^([+-]?)(0[xX]|0[oO]|0[bB]|0(?=[0-9_]))?(.*)$/.exec(s);
  const digits = m?.[3] ?? '';
  const prefix = (m?.[2] ?? '').toLowerCase();
  const base = prefix === '0x' ? 16 : prefix === '0b' ? 2 : prefix === '' ? 10 : 8;
  const digitClass = base === 16 ? '[0-9a-fA-F]' : base === 8 ? '[0-7]' : base === 2 ? '[01]' : '[0-9]';
  // An underscore may follow the base prefix or sit between two digits.
  const shape = new RegExp(`^${prefix === '' ? '' : '_?'}${digitClass}+(_${digitClass}+)*$`);
  if (!shape.test(digits)) throw new RangeError('parse error');
  let value = 0n;
  for (const ch of digits.replaceAll('_', '')) value = value * BigInt(base) + BigInt(parseInt(ch, base));
  if (m?.[1] === '-') value = -value;
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError('value out of range');
  }
  return Number(value);
}

function parseValue(spec: FlagSpec, raw: string, previous: FlagValue | undefined): FlagValue {
  const fail = (why: string): never => {
    throw new CliUsageError(`invalid value ${JSON.stringify(raw)} for flag -${spec.name}: ${why}${HINT}`);
  };
  switch (spec.kind) {
    case 'bool': {
      const b = BOOL_WORDS.get(raw);
      if (b === undefined && spec.words?.includes(raw)) return raw;
      return b ?? fail(`not a boolean (true, false, 1, 0, t, f${spec.words?.map((w) => `, ${w}`).join('') ?? ''})`);
    }
    case 'int':
      try {
        return parseGoInt(raw);
      } catch (err) {
        return fail(err instanceof Error ? err.message : 'parse error');
      }
    case 'duration':
      try {
        return parseGoDurationNanos(raw);
      } catch (err) {
        if (err instanceof DurationSyntaxError) return fail(`${err.message} (e.g. 300ms, 15s, 1m30s, 1.5h)`);
        throw err;
      }
    case 'repeatable':
      return [...(Array.isArray(previous) ? (previous as readonly string[]) : []), raw];
    case 'string':
      return raw;
  }
}

/**
 * Parses `argv` (without `node` and the script) with Go flag semantics. Throws CliUsageError
 * (one line, names the offending flag/value) on an unknown flag, bad syntax, a missing or bad value.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const values = new Map<string, FlagValue>();
  const occurrences: FlagOccurrence[] = [];
  let help = false;
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i] ?? '';
    if (arg.length < 2 || !arg.startsWith('-')) break; // first non-flag ("-" alone included)
    i++;
    if (arg === '--') break;
    const name0 = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
    if (name0 === '' || name0.startsWith('-') || name0.startsWith('=')) {
      throw new CliUsageError(`bad flag syntax: ${arg}${HINT}`);
    }
    const eq = name0.indexOf('=');
    const name = eq < 0 ? name0 : name0.slice(0, eq);
    let raw: string | undefined = eq < 0 ? undefined : name0.slice(eq + 1);
    const spec = FLAGS_BY_NAME.get(name);
    if (spec === undefined) {
      if (name === 'help' || name === 'h') {
        help = true;
        continue;
      }
      throw new CliUsageError(`flag provided but not defined: -${name}${HINT}`);
    }
    if (spec.kind === 'bool') {
      raw ??= 'true';
    } else if (raw === undefined) {
      if (i >= argv.length) throw new CliUsageError(`flag needs an argument: -${name}${HINT}`);
      raw = argv[i] ?? '';
      i++;
    }
    values.set(spec.name, parseValue(spec, raw, values.get(spec.name)));
    occurrences.push({ name, spec, raw });
  }
  return { values, occurrences, positionals: argv.slice(i), help };
}
