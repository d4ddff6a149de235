/** How a flag's value is written and parsed (Go `flag` package semantics). */
export type FlagKind = 'string' | 'bool' | 'int' | 'duration' | 'repeatable';

/** Which role reads a flag. Both roles accept every flag (Scope's image passes one list to both). */
export type FlagRole = 'shared' | 'app' | 'probe';

/** Help-output section; `compat` = accepted so Scope's manifests still parse, otherwise ignored. */
export type FlagGroup =
  | 'shared'
  | 'app'
  | 'app-security'
  | 'probe'
  | 'probe-docker'
  | 'probe-kubernetes'
  | 'compat';

/** The parsed value of one flag: durations are kept in nanoseconds (exact, like Go's int64). */
export type FlagValue = string | boolean | number | bigint | readonly string[];

interface FlagSpecBase {
  /** Canonical name without dashes, e.g. `probe.publish.interval`. */
  readonly name: string;
  /** Other names writing the same value (Scope's `--service-token` for `--probe.token`). */
  readonly aliases: readonly string[];
  readonly role: FlagRole;
  readonly group: FlagGroup;
  readonly help: string;
  /** Sensitive values are shown as `<elided>` in the startup log (wire §1.1). */
  readonly secret: boolean;
}

export interface StringFlagSpec extends FlagSpecBase {
  readonly kind: 'string';
  readonly default: string;
}
export interface BoolFlagSpec extends FlagSpecBase {
  readonly kind: 'bool';
  readonly default: boolean;
  /** Words besides the booleans this flag takes (see FlagOptions.words). */
  readonly words?: readonly string[];
}
export interface IntFlagSpec extends FlagSpecBase {
  readonly kind: 'int';
  readonly default: number;
}
export interface DurationFlagSpec extends FlagSpecBase {
  readonly kind: 'duration';
  /** Default in nanoseconds, as Go's time.Duration. */
  readonly default: bigint;
}
export interface RepeatableFlagSpec extends FlagSpecBase {
  readonly kind: 'repeatable';
  readonly default: readonly string[];
}

export type FlagSpec = StringFlagSpec | BoolFlagSpec | IntFlagSpec | DurationFlagSpec | RepeatableFlagSpec;

/** Optional parts of a table entry. */
export interface FlagOptions {
  readonly aliases?: readonly string[];
  readonly secret?: boolean;
  /** Bool flags only: words besides true/false the flag also takes, kept as the string (`--app.auth=none`). */
  readonly words?: readonly string[];
}

type Common = [name: string, role: FlagRole, group: FlagGroup, help: string, options?: FlagOptions];

const base = (...[name, role, group, help, options]: Common): FlagSpecBase => ({
  name,
  role,
  group,
  help,
  aliases: options?.aliases ?? [],
  secret: options?.secret ?? false,
});

// Compact constructors so the tables read like Scope's flag registrations.
export const str = (def: string, ...c: Common): StringFlagSpec => ({ ...base(...c), kind: 'string', default: def });
export const bool = (def: boolean, ...c: Common): BoolFlagSpec => ({
  ...base(...c),
  kind: 'bool',
  default: def,
  ...(c[4]?.words === undefined ? {} : { words: c[4].words }),
});
export const int = (def: number, ...c: Common): IntFlagSpec => ({ ...base(...c), kind: 'int', default: def });
export const dur = (defNanos: bigint, ...c: Common): DurationFlagSpec => ({
  ...base(...c),
  kind: 'duration',
  default: defNanos,
});
export const rep = (...c: Common): RepeatableFlagSpec => ({ ...base(...c), kind: 'repeatable', default: [] });

export const MS = 1_000_000n;
export const SEC = 1_000n * MS;
export const MIN = 60n * SEC;
export const HOUR = 60n * MIN;
