/**
 * The bpftrace program of the eBPF connection tracker (wire §5.5.5). Tracepoints only (this
 * kernel family has no kprobe_events); BTF is used to read the netns and TCP counters of a socket
 * and the socket behind a descriptor returned by accept().
 *
 * Nothing is printed per event: connections are kept in kernel maps keyed by socket, and the maps
 * of the generation that just ended are dumped when asked. Two generations (suffix 0/1, the
 * parity of `@gen`) alternate: the dump probe flips `@gen`, so the kernel writes the new
 * generation while user space prints then clears the old one (bpftrace aborts when print() meets
 * a key the kernel deleted meanwhile; the kernel only deletes from the current generation).
 *
 * A dump is asked for by sending bpftrace SIGCONT (tracker.ts): the dump probe is the
 * signal_generate tracepoint of a SIGCONT aimed at bpftrace itself (its pid, taken in BEGIN, which
 * bpftrace runs in its own process). Between dumps the tracker keeps bpftrace stopped (SIGSTOP):
 * bpftrace's user-space loop wakes every 100 ms (hard-coded epoll timeout) even with nothing to
 * print, and those wakeups were most of its CPU on an idle host; the BPF programs run in the
 * kernel whether it is stopped or not. The tracker asks for the next dump only after the previous
 * one's `T` line arrived, so a generation is never flipped back while user space still prints it.
 *
 * A connection established and closed within one generation (the short-lived ones) is never
 * dumped on its own: it is added to per-(direction, pid, netns, local ip, remote ip, server port)
 * aggregates with a count, so the output grows with distinct peers, not with the connection rate.
 * The others are announced once (`e`), refreshed when they move (`s`), and closed once (`c`).
 *
 * Output (numbers in decimal; `sk` is the kernel address of the `struct sock`, printed by
 * bpftrace as a signed number; addresses as IPv4-mapped IPv6 where the socket is IPv4):
 * - `R` — every probe is attached.
 * - `@eP[sk]: (ns, out, pid, saddr, sport, daddr, dport)` — a connection established during the
 *   generation and still open. `out` 1: connect() here (pid of the caller, 0 if unknown); 0:
 *   accepted here (pid from an `a` line); 2: a socket older than the tracker, met while sending.
 * - `@aP[sk]: pid` — the task `pid` accepted the socket.
 * - `@sP[sk]: (sent, received, srtt_us, total_retrans)` — latest kernel counters of a socket that
 *   sent, received or retransmitted during the generation (cumulative data bytes: bytes_sent less
 *   bytes_retrans, bytes_received; SYN and FIN are not data).
 * - `@cP[sk]: (sent, received, srtt_us, total_retrans, resets, ns, saddr, sport, daddr, dport)`
 *   — a connection announced earlier (or older than the tracker) closed.
 * - `@nP[out, pid, ns, saddr, daddr, server port]: count` and the same keys in `@tP` (sum of
 *   bytes sent), `@rP` (bytes received), `@xP` (retransmits), `@zP` (resets), `@lP` ((a client
 *   port, last srtt_us)) — short-lived connections, aggregated. A connect() refused by a reset is
 *   one of them (out 1, resets 1).
 * - `T gen nsecs` — end of the dump of generation `gen`.
 *
 * A dump prints (and clears) only the groups of maps that may hold something: bpftrace's print()
 * and clear() are actions run in user space, and 22 of them per second on empty maps cost more
 * than the rest of an idle tracker. Each writer first bumps its group's counter (`@wE`, `@wG`,
 * `@wS`, `@wC`), then reads `@gen`; the dump probe flips `@gen`, then reads the counters, and
 * dumps a group when its counter moved since the reading two dumps back. Every write into the
 * ending generation comes from a program that read `@gen` after the previous flip, so its bump
 * came after the reading two flips back (a program runs for microseconds, not a whole interval)
 * and before this one: no write is missed, even one still running on another CPU during the flip.
 * Skipped groups are empty, and print() of an empty map prints only a blank line, so the output
 * is the same as printing everything.
 */

/** Generation-suffixed maps, dumped and cleared at each dump. */
const GEN_MAPS = ['e', 'o', 'a', 's', 'c', 'n', 't', 'r', 'x', 'z', 'l'] as const;
/** Per-socket maps the kernel maintains itself (deleted at close). */
const SOCKET_MAPS = ['born', 'cpid', 'apid', 'rst'] as const;

/**
 * Groups of generation maps written together, each with a write counter `@w<group>` and its
 * readings at the last two dumps (`@p<group>`, `@q<group>`): announces, short-lived aggregates,
 * snapshots, closes.
 */
const GROUPS = { E: ['e', 'o', 'a'], G: ['n', 't', 'r', 'x', 'z', 'l'], S: ['s'], C: ['c'] } as const;
type Group = keyof typeof GROUPS;
const GROUP_NAMES = Object.keys(GROUPS) as Group[];
const COUNTER_MAPS = GROUP_NAMES.flatMap((g) => [`w${g}`, `p${g}`, `q${g}`]);

/** Marks a write into group `g`; must come before the program reads `@gen` for that write. */
const bump = (g: Group): string => `@w${g}++;`;

/** `body(p)` for the current generation's parity p, as an if/else on `@gen`. */
function byParity(body: (p: 0 | 1) => string): string {
  return `if (@gen & 1) {\n${body(1)}\n} else {\n${body(0)}\n}`;
}

const SNAPSHOT = '((uint64)($tp->bytes_sent - $tp->bytes_retrans), (uint64)$tp->bytes_received, (uint64)($tp->srtt_us >> 3), (uint64)$tp->total_retrans)';

/** Aggregates one short-lived connection (the close probe's variables) into generation p. */
function aggregate(p: 0 | 1): string {
  const key = `[$out, $pid, $ns, ntop(args->saddr_v6), ntop(args->daddr_v6), $srv]`;
  return `
    @n${p}${key} = count();
    @t${p}${key} = sum($sent);
    @r${p}${key} = sum($rcvd);
    @x${p}${key} = sum($tp->total_retrans);
    @z${p}${key} = sum($rst);
    @l${p}${key} = ((uint64)$cli, (uint64)($tp->srtt_us >> 3));
    delete(@e${p}[$sk]);
    delete(@a${p}[$sk]);
    delete(@s${p}[$sk]);`;
}

/** The program text; a dump happens on each SIGCONT sent to the bpftrace process. */
export function trackerScript(): string {
  const each = (p: 0 | 1, action: string): string =>
    GROUP_NAMES.map((g) => `if ($d${g}) { ${GROUPS[g].map((m) => `${action}(@${m}${p});`).join(' ')} }`).join(' ');
  const dump = (p: 0 | 1): string => `${each(p, 'print')} ${each(p, 'clear')}`;
  // After the flip: whether each group was written since the reading two dumps back.
  const moved = GROUP_NAMES.map((g) => `$w${g} = @w${g}; $d${g} = $w${g} != @q${g}; @q${g} = @p${g}; @p${g} = $w${g};`).join('\n  ');
  return `
BEGIN { @gen = 2; @self = pid; printf("R\\n"); }

tracepoint:syscalls:sys_exit_accept4, tracepoint:syscalls:sys_exit_accept /args->ret >= 0/ {
  $file = *(curtask->files->fdt->fd + args->ret);
  $sk = (uint64)((struct socket *)$file->private_data)->sk;
  if (@born[$sk] != 0) {
    @apid[$sk] = pid;
    ${bump('E')}
    ${byParity((p) => `    @a${p}[$sk] = pid;`)}
  }
}

tracepoint:tcp:tcp_receive_reset, tracepoint:tcp:tcp_send_reset /args->skaddr != 0/ {
  $sk = (uint64)args->skaddr;
  if (@born[$sk] != 0 || @cpid[$sk] != 0) { @rst[$sk]++; }
}

tracepoint:sock:inet_sock_set_state /args->protocol == 6/ {
  $sk = (uint64)args->skaddr;
  if (args->newstate == 2) {
    // SYN_SENT runs in the context of the task calling connect().
    @cpid[$sk] = pid;
  } else if (args->newstate == 1 && (args->oldstate == 2 || args->oldstate == 3)) {
    $ns = ((struct sock *)args->skaddr)->__sk_common.skc_net.net->ns.inum;
    $out = args->oldstate == 2 ? 1 : 0;
    $pid = $out ? @cpid[$sk] : 0;
    ${bump('E')}
    @born[$sk] = @gen * 2 + $out;
    ${byParity((p) => `    @e${p}[$sk] = ((uint64)$ns, (uint64)$out, (uint64)$pid, ntop(args->saddr_v6), (uint64)args->sport, ntop(args->daddr_v6), (uint64)args->dport);`)}
  } else if (args->newstate == 7 && args->oldstate != 3 && args->oldstate != 10) {
    $tp = (struct tcp_sock *)args->skaddr;
    $ns = ((struct sock *)args->skaddr)->__sk_common.skc_net.net->ns.inum;
    $b = (uint64)@born[$sk];
    // Both ports read up front: a branch choosing between two ctx fields does not verify.
    $sp = (uint64)args->sport;
    $dp = (uint64)args->dport;
    $rst = @rst[$sk];
    // Data bytes: bytes_sent less retransmitted bytes; bytes_received less the peer's FIN, which
    // was received in these states (FIN_WAIT2 → CLOSE is the way to TIME_WAIT).
    $sent = (uint64)($tp->bytes_sent - $tp->bytes_retrans);
    $rcvd = (uint64)$tp->bytes_received;
    $old = args->oldstate;
    if (($old == 5 || $old == 8 || $old == 9 || $old == 11) && $rcvd > 0) { $rcvd = $rcvd - 1; }
    if (args->oldstate == 2) {
      // A connect() that failed: reported when refused by a reset.
      if ($rst > 0) {
        ${bump('G')}
        $out = 1; $pid = @cpid[$sk]; $srv = $dp; $cli = $sp;
        ${byParity(aggregate)}
      }
    } else if ($b != 0 && $b / 2 == (uint64)@gen) {
      // Established and closed within this generation: aggregated, never dumped on its own.
      // (Bumped after this read of @gen: if the generation ends meanwhile, the write goes to
      // the new one, whose dump comes after this bump.)
      ${bump('G')}
      $out = $b & 1;
      if ($out) { $pid = @cpid[$sk]; $srv = $dp; $cli = $sp; }
      else { $pid = @apid[$sk]; $srv = $sp; $cli = $dp; }
      ${byParity(aggregate)}
    } else {
      ${bump('C')}
      ${byParity((p) => `      @c${p}[$sk] = ($sent, $rcvd, (uint64)($tp->srtt_us >> 3), (uint64)$tp->total_retrans, (uint64)$rst, (uint64)$ns, ntop(args->saddr_v6), $sp, ntop(args->daddr_v6), $dp);
      delete(@s${p}[$sk]);`)}
    }
    delete(@born[$sk]);
    delete(@cpid[$sk]);
    delete(@apid[$sk]);
    delete(@rst[$sk]);
  }
}

tracepoint:sock:sock_send_length, tracepoint:sock:sock_recv_length /args->protocol == 6 && args->ret > 0/ {
  $sk = (uint64)args->sk;
  $tp = (struct tcp_sock *)args->sk;
  ${bump('S')}
  ${byParity((p) => `  @s${p}[$sk] = ${SNAPSHOT};`)}
  if (@born[$sk] == 0) {
    // A socket older than the tracker: announced once, so its counters can be placed.
    ${bump('E')}
    $s = (struct sock *)args->sk;
    $ns = $s->__sk_common.skc_net.net->ns.inum;
    $dp = $s->__sk_common.skc_dport;
    $dport = (($dp & 0xff) << 8) | ($dp >> 8);
    @born[$sk] = 2;
    if ($s->__sk_common.skc_family == 2) {
      ${byParity((p) => `      @o${p}[$sk] = ((uint64)$ns, ntop(2, $s->__sk_common.skc_rcv_saddr), (uint64)$s->__sk_common.skc_num, ntop(2, $s->__sk_common.skc_daddr), (uint64)$dport);`)}
    } else {
      ${byParity((p) => `      @e${p}[$sk] = ((uint64)$ns, (uint64)2, (uint64)0, ntop(10, $s->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8), (uint64)$s->__sk_common.skc_num, ntop(10, $s->__sk_common.skc_v6_daddr.in6_u.u6_addr8), (uint64)$dport);`)}
    }
  }
}

tracepoint:tcp:tcp_retransmit_skb /@born[(uint64)args->skaddr] != 0/ {
  $sk = (uint64)args->skaddr;
  $tp = (struct tcp_sock *)args->skaddr;
  ${bump('S')}
  ${byParity((p) => `  @s${p}[$sk] = ${SNAPSHOT};`)}
}

tracepoint:signal:signal_generate /args->sig == 18 && (uint64)args->pid == @self/ {
  $g = @gen;
  @gen = $g + 1;
  ${moved}
  if ($g & 1) { ${dump(1)} } else { ${dump(0)} }
  printf("T %d %llu\\n", $g, nsecs);
}

END {
  ${[...SOCKET_MAPS.map((m) => `clear(@${m});`), ...[0, 1].flatMap((p) => GEN_MAPS.map((m) => `clear(@${m}${p});`)), ...COUNTER_MAPS.map((m) => `clear(@${m});`), 'clear(@gen); clear(@self);'].join(' ')}
}
`;
}
