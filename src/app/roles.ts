/**
 * What each role may do (issue #7). `viewer` reads everything; `operator` also runs container
 * lifecycle controls and reads logs; `admin` also gets shells (exec, attach, host), removes,
 * scales and deletes. A control this table does not know needs `admin`: a new control from a
 * plugin or a newer probe is never granted to a lesser role by accident.
 */

/** A person's role, lowest first. */
export type Role = 'viewer' | 'operator' | 'admin';

export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

const RANK: Readonly<Record<Role, number>> = { viewer: 0, operator: 1, admin: 2 };

/** Controls an operator may run (lifecycle and logs); everything else is admin-only. */
const OPERATOR_CONTROLS: ReadonlySet<string> = new Set([
  'docker_start_container',
  'docker_stop_container',
  'docker_restart_container',
  'docker_pause_container',
  'docker_unpause_container',
  'docker_logs_container',
  'kubernetes_get_logs',
  'kubernetes_describe',
]);

/** Whether `value` names a role. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Whether `role` is at least `needed`. */
export function atLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/** The lowest role that may run `control` (a control id such as `docker_stop_container`). */
export function roleForControl(control: string): Role {
  return OPERATOR_CONTROLS.has(control) ? 'operator' : 'admin';
}

/** Whether `role` may run `control`. */
export function mayRunControl(role: Role, control: string): boolean {
  return atLeast(role, roleForControl(control));
}
