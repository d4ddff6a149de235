/**
 * The public surface of the pure report core: the model (types, constructors, times), node ids,
 * IP/CIDR helpers, merges, copies, deltas and upgrades. Import from here outside src/report.
 */
export * from './types.js';
export * from './model.js';
export * from './time.js';
export * from './ids.js';
export * from './merge.js';
export { cloneReport, copyNode, copyReport, copyTopology } from './copy.js';
export { removePartMergedNodes, unmergeReport } from './delta.js';
export { REVERSE_DNS_NAMES, SNOOPED_DNS_NAMES, upgradeReport } from './upgrade.js';
export * from './codec/index.js';
