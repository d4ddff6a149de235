/**
 * Terminal hangup for `docker exec` sessions. Docker keeps an exec'd shell (and whatever runs in it)
 * alive after its client disconnects, so closing the UI's terminal would leak processes in the
 * container. We do what a real terminal does on hangup: SIGHUP to every process of the session.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Session id (field 6 of /proc/<pid>/stat), or undefined when unreadable. */
async function sessionOf(procRoot: string, pid: string): Promise<number | undefined> {
  try {
    const stat = await readFile(join(procRoot, pid, 'stat'), 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const session = Number(fields[3]);
    return Number.isSafeInteger(session) ? session : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends SIGHUP to every process whose session leader is `leaderPid`, provided `leaderPid` is in
 * container `containerId` (checked through its cgroup, so a pid from another pid namespace can
 * never hit an unrelated process). Never throws.
 */
export async function hangUpSession(leaderPid: number, containerId: string, procRoot = '/proc'): Promise<number> {
  if (!Number.isSafeInteger(leaderPid) || leaderPid <= 1) return 0;
  try {
    const cgroup = await readFile(join(procRoot, String(leaderPid), 'cgroup'), 'utf8');
    if (!cgroup.includes(containerId)) return 0;
  } catch {
    return 0;
  }
  let signalled = 0;
  let entries: string[];
  try {
    entries = await readdir(procRoot);
  } catch {
    return 0;
  }
  const pids = entries.filter((e) => /^\d+$/.test(e));
  const sessions = await Promise.all(pids.map((p) => sessionOf(procRoot, p)));
  pids.forEach((p, i) => {
    if (sessions[i] !== leaderPid) return;
    try {
      process.kill(Number(p), 'SIGHUP');
      signalled++;
    } catch {
      // gone already, or not ours to signal
    }
  });
  return signalled;
}
