// The "command line args" startup line of wire §1.1, with secrets elided.
import type { ParsedArgs } from './parse-args.js';

const ELIDED = '<elided>';

/** Replaces URL credentials (`//user:pass@host`) as Scope does (`//<elided>@host`). */
export function elideUrlCredentials(text: string): string {
  return text.replace(/\/\/[^/]+@/g, `//${ELIDED}@`);
}

/**
 * `--name=value` for every flag given (in order, names as written), then the positional
 * arguments. Secret flags (tokens, passwords) show `<elided>`; URL credentials are elided
 * everywhere (a token can hide in a target or a collector URL).
 */
export function censoredArgs(parsed: ParsedArgs): string {
  const parts = parsed.occurrences.map(({ name, spec, raw }) => `--${name}=${spec.secret ? ELIDED : elideUrlCredentials(raw)}`);
  parts.push(...parsed.positionals.map(elideUrlCredentials));
  return parts.join(' ');
}
