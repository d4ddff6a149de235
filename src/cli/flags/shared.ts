// Flags read by both roles (wire §1.2) plus OpenScope's `--version`.
import { bool, str, type FlagSpec } from './types.js';

export const SHARED_FLAGS: readonly FlagSpec[] = [
  str('', 'mode', 'shared', 'shared',
    'app | probe | help | version; empty runs the app and a probe in one process (app on 127.0.0.1:4040 unless --app.http.address says otherwise)'),
  bool(false, 'debug', 'shared', 'shared', 'Force debug logging (both roles).'),
  bool(false, 'dry-run', 'shared', 'shared', "Don't start anything: parse the flags and probe targets, then exit 0."),
  bool(false, 'version', 'shared', 'shared', 'Print the version and exit (same as --mode=version).'),
  bool(true, 'weave', 'shared', 'shared', 'Enable Weave Net integrations.'),
  str('scope.weave.local.', 'weave.hostname', 'shared', 'shared',
    'Hostname to advertise/look up in WeaveDNS (default for --probe.weave.hostname and --app.weave.hostname).'),
  bool(false, 'no-app', 'shared', 'shared',
    "Don't run the app; the probe does not report to 127.0.0.1:<app port>.", { aliases: ['probe-only'] }),
  bool(false, 'no-probe', 'shared', 'shared', "Don't run the probe.", { aliases: ['app-only'] }),
];
