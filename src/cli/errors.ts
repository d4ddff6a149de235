/**
 * A command-line mistake (unknown flag, bad value, bad target). main prints `message` as one line
 * on stderr and exits with `exitCode` 2, as Go's flag package does.
 */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
  readonly exitCode = 2;
}
