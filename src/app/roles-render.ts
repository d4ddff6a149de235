/** Role-aware trimming of rendered API answers: a caller sees only the controls it may run. */
import type { ApiNodeDetailsResponse } from '../render/index.js';
import { mayRunControl, type Role } from './roles.js';

/** `details` with `node.controls` cut to what `role` may run (a shallow copy; the cached render is untouched). */
export function withControlsFor(details: ApiNodeDetailsResponse, role: Role): ApiNodeDetailsResponse {
  const controls = details.node.controls.filter((c) => mayRunControl(role, c.id));
  return { ...details, node: { ...details.node, controls } };
}
