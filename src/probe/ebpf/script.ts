/**
 * The bpftrace program of the eBPF connection tracker (wire §5.5.5). Tracepoints only (this
 * kernel family has no kprobe_events); BTF is used to read the netns of a socket and the socket
 * behind a descriptor returned by accept().
 *
 * Lines written to stdout (numbers in decimal; `sk` is the kernel address of the `struct sock`,
 * `ns` the inode of its network namespace, `t` the `nsecs` timestamp — per-CPU buffers may deliver
 * lines slightly out of order, the tracker sorts that out with `t`):
 *
 * - `R` — every probe is attached.
 * - `E t sk ns old pid saddr sport daddr dport` — a connection became ESTABLISHED. `old` 2
 *   (SYN_SENT): outgoing, `pid` is the task that called connect() (recorded at SYN_SENT, which runs
 *   in the caller's context; 0 if unknown). `old` 3 (SYN_RECV): incoming, established in softirq so
 *   the pid comes from an `A` line.
 * - `A t sk pid` — the task `pid` accepted the socket `sk` (sys_exit_accept/accept4).
 * - `C t sk ns saddr sport daddr dport sent received srttMicros` — an established connection
 *   closed; byte counts since the last `B` lines for that socket.
 * - `@tx[sk]: bytes`, `@rx[sk]: bytes`, `@rtt[sk]: micros` then `T t` — per-interval summaries
 *   (bpftrace prints these u64 keys as signed numbers; the parser maps them back)
 *   aggregated in kernel maps (bytes since the previous interval, last smoothed RTT), so the cost
 *   grows with connections, not packets.
 */

/** The program text for a summary interval of `intervalMillis` (whole ms, at least 100). */
export function trackerScript(intervalMillis: number): string {
  const interval = Math.max(100, Math.round(intervalMillis));
  return `
BEGIN { printf("R\\n"); }

tracepoint:sock:inet_sock_set_state /args->protocol == 6/ {
  $sk = (uint64)args->skaddr;
  if (args->newstate == 2) {
    @cpid[$sk] = pid;
  } else if (args->newstate == 1 && (args->oldstate == 2 || args->oldstate == 3)) {
    $ns = ((struct sock *)args->skaddr)->__sk_common.skc_net.net->ns.inum;
    if (args->family == 2) {
      printf("E %llu %llu %u %d %d %s %u %s %u\\n", nsecs, $sk, $ns, args->oldstate, @cpid[$sk],
        ntop(args->saddr), args->sport, ntop(args->daddr), args->dport);
    } else {
      printf("E %llu %llu %u %d %d %s %u %s %u\\n", nsecs, $sk, $ns, args->oldstate, @cpid[$sk],
        ntop(args->saddr_v6), args->sport, ntop(args->daddr_v6), args->dport);
    }
    delete(@cpid[$sk]);
  } else if (args->newstate == 7) {
    if (args->oldstate != 2 && args->oldstate != 3 && args->oldstate != 10) {
      $ns = ((struct sock *)args->skaddr)->__sk_common.skc_net.net->ns.inum;
      if (args->family == 2) {
        printf("C %llu %llu %u %s %u %s %u %llu %llu %u\\n", nsecs, $sk, $ns,
          ntop(args->saddr), args->sport, ntop(args->daddr), args->dport, @tx[$sk], @rx[$sk], @rtt[$sk]);
      } else {
        printf("C %llu %llu %u %s %u %s %u %llu %llu %u\\n", nsecs, $sk, $ns,
          ntop(args->saddr_v6), args->sport, ntop(args->daddr_v6), args->dport, @tx[$sk], @rx[$sk], @rtt[$sk]);
      }
    }
    delete(@cpid[$sk]);
    // Zeroed, not deleted: bpftrace aborts ("failed to look up elem") when print() meets a key the
    // kernel side deleted meanwhile. The interval's clear() (user space) bounds these maps.
    @tx[$sk] = 0;
    @rx[$sk] = 0;
    @rtt[$sk] = 0;
  }
}

tracepoint:syscalls:sys_exit_accept4, tracepoint:syscalls:sys_exit_accept /args->ret >= 0/ {
  $file = *(curtask->files->fdt->fd + args->ret);
  $sock = (struct socket *)$file->private_data;
  printf("A %llu %llu %d\\n", nsecs, (uint64)$sock->sk, pid);
}

tracepoint:sock:sock_send_length /args->protocol == 6 && args->ret > 0/ {
  @tx[(uint64)args->sk] += (uint64)args->ret;
}

tracepoint:sock:sock_recv_length /args->protocol == 6 && args->ret > 0/ {
  @rx[(uint64)args->sk] += (uint64)args->ret;
}

tracepoint:tcp:tcp_probe {
  @rtt[(uint64)args->skaddr] = args->srtt;
}

interval:ms:${interval} {
  print(@tx);
  print(@rx);
  print(@rtt);
  clear(@tx);
  clear(@rx);
  clear(@rtt);
  printf("T %llu\\n", nsecs);
}

END {
  clear(@cpid);
  clear(@tx);
  clear(@rx);
  clear(@rtt);
}
`;
}
