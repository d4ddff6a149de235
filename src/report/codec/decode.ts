/** Already-decompressed bytes → Report, with every failure turned into a `ReportDecodeError`. */
import type { Report } from '../types.js';
import { BudgetExceededError, DEFAULT_DECODE_BUDGET_UNITS, resetBudget } from './budget.js';
import { ReportDecodeError, TooDeepError, WireTypeError, formatPath } from './errors.js';
import { reportFromWire } from './from-wire.js';
import { checkJsonIntegers, parseJson } from './json.js';
import { MAX_DEPTH, MsgpackSyntaxError } from './msgpack-read.js';
import { reportFromMsgpack } from './msgpack-report.js';

/** The two body formats Scope speaks. */
export type ReportFormat = 'json' | 'msgpack';

/** Already-decompressed bytes → Report. Throws `ReportDecodeError`, nothing else. */
export function decodeReport(bytes: Uint8Array, format: ReportFormat): Report {
  return decodeReportWithBudget(bytes, format, DEFAULT_DECODE_BUDGET_UNITS);
}

/** `decodeReport` with an explicit allocation budget (see budget.ts); for tests. */
export function decodeReportWithBudget(bytes: Uint8Array, format: ReportFormat, budgetUnits: number): Report {
  if (bytes.length === 0) throw new ReportDecodeError('empty', 'empty report body');
  resetBudget(budgetUnits);
  try {
    if (format === 'msgpack') return reportFromMsgpack(bytes, MAX_DEPTH);
    const { text, tree } = parseJson(bytes);
    const report = reportFromWire(tree, MAX_DEPTH);
    checkJsonIntegers(text);
    return report;
  } catch (e) {
    throw toDecodeError(e, format);
  }
}

function toDecodeError(e: unknown, format: ReportFormat): ReportDecodeError {
  if (e instanceof ReportDecodeError) return e;
  if (e instanceof WireTypeError) {
    const path = formatPath(e.segments);
    return new ReportDecodeError('bad-type', path === '' ? e.detail : `${path}: ${e.detail}`, { cause: e });
  }
  if (e instanceof BudgetExceededError) return new ReportDecodeError('too-large', e.message, { cause: e });
  if (e instanceof TooDeepError) return new ReportDecodeError('too-deep', e.message, { cause: e });
  if (e instanceof MsgpackSyntaxError) return new ReportDecodeError('malformed', e.message, { cause: e });
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new ReportDecodeError('too-deep', 'nesting too deep', { cause: e });
  }
  // A bug of ours must still not crash the app: report it as an undecodable body, with the cause.
  return new ReportDecodeError('malformed', `cannot decode ${format} report: ${String(e)}`, { cause: e });
}
