// `--help` text: every flag with its type, default and help, grouped by role.
import { formatGoDuration } from './duration.js';
import { FLAGS, type FlagGroup, type FlagSpec } from './flags/index.js';

const GROUP_TITLES: ReadonlyArray<[FlagGroup, string]> = [
  ['shared', 'Shared flags (both roles)'],
  ['app', 'App flags'],
  ['app-security', 'App security flags'],
  ['probe', 'Probe flags'],
  ['probe-docker', 'Probe container runtime flags'],
  ['probe-kubernetes', 'Probe Kubernetes flags'],
  ['compat', 'Weave Cloud / AWS flags (accepted for compatibility with Scope, ignored)'],
];

function typeWord(spec: FlagSpec): string {
  switch (spec.kind) {
    case 'bool':
      return '';
    case 'duration':
      return ' duration';
    case 'int':
      return ' int';
    case 'repeatable':
      return ' value (repeatable)';
    case 'string':
      return ' string';
  }
}

function defaultText(spec: FlagSpec): string {
  switch (spec.kind) {
    case 'bool':
    case 'int':
      return String(spec.default);
    case 'duration':
      return formatGoDuration(spec.default);
    case 'repeatable':
      return 'none';
    case 'string':
      return JSON.stringify(spec.default);
  }
}

/** The full usage text (ends with a newline). `program` is the name shown, e.g. `openscope`. */
export function usageText(program: string): string {
  const lines = [
    `Usage: ${program} [flags] [probe targets…]`,
    '',
    'Live network-topology monitoring, a drop-in successor to Weave Scope.',
    `  ${program}                      app on 127.0.0.1:4040 and a probe reporting to it (Docker on), in one process`,
    `  ${program} --mode=app           the app alone (default address :4040)`,
    `  ${program} --mode=probe [apps]  a probe reporting to 127.0.0.1:4040 and to each app given`,
    `  ${program} launch [flags]       on a Docker host, run OpenScope as one privileged container (host network`,
    `                                  and PID namespaces, Docker socket mounted) and print its URL; flags go to it`,
    `  ${program} stop                 stop and remove the container started by launch`,
    '',
    'Flags are written -name=value, --name=value or --name value; booleans as --name or --name=false;',
    'durations as 300ms, 15s, 1m30s, 1.5h. Flag parsing stops at the first non-flag argument or --.',
  ];
  for (const [group, title] of GROUP_TITLES) {
    lines.push('', `${title}:`);
    for (const spec of FLAGS.filter((s) => s.group === group)) {
      const names = [spec.name, ...spec.aliases].map((n) => `--${n}`).join(', ');
      lines.push(`  ${names}${typeWord(spec)}`, `        ${spec.help} (default ${defaultText(spec)})`);
    }
  }
  lines.push(
    '',
    'Environment: SCOPE_HOSTNAME (host name / probe host ID), KUBERNETES_NODENAME (default of',
    '--probe.kubernetes.node-name), ENABLE_BASIC_AUTH=true|false, BASIC_AUTH_USERNAME, BASIC_AUTH_PASSWORD,',
    'BASIC_AUTH_PASSWORD_FILENAME (override the basic-auth flags of both roles).',
  );
  return `${lines.join('\n')}\n`;
}
