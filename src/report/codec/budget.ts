/**
 * An allocation budget per decode, so a small hostile body cannot expand into gigabytes of
 * objects (64 MiB of msgpack `{}` nodes would otherwise become ~13 M nodes of four `Map`s each and
 * kill the process with an out-of-memory abort, which no `catch` can stop).
 *
 * One unit ≈ 64 bytes of heap: a node costs 8, a map entry, sample or generic container 1. The
 * default of 4 M units (≈ 256 MiB) is ~10× what the largest realistic report needs (50 k nodes,
 * 500 k latest entries ≈ 0.9 M units). Decoding is synchronous, so one module-level counter,
 * reset at the start of every decode, is safe.
 */

/** Default budget in units (≈ 64 bytes of heap each). */
export const DEFAULT_DECODE_BUDGET_UNITS = 4_000_000;

/** Thrown when a decode exceeds its budget; mapped to `ReportDecodeError` kind `too-large`. */
export class BudgetExceededError extends Error {}

let remaining = 0;
let initial = 0;

export function resetBudget(units: number): void {
  remaining = initial = units;
}

/** Charges `units`; throws `BudgetExceededError` past the budget. */
export function charge(units: number): void {
  remaining -= units;
  if (remaining < 0) {
    throw new BudgetExceededError(
      `report expands past the decode budget of ${initial} units (~${Math.round((initial * 64) / 2 ** 20)} MiB of objects)`,
    );
  }
}

/** Costs, in units. */
export const NODE_UNITS = 8;
