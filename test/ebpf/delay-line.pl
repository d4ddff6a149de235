#!/usr/bin/perl
# A delay line between two TUN devices (used by test/ebpf/edges.test.ts where the kernel has no
# netem qdisc): creates TUN devices $ARGV[0] and $ARGV[1] in the current network namespace
# (the test then moves each into a container's namespace), prints "ready", and forwards every
# packet from one to the other after $ARGV[2] ms (one way). perl-base only; exits with its parent.
use strict;
use warnings;
use Time::HiRes qw(time);

my ($name_a, $name_b, $one_way_ms) = @ARGV;
die "usage: delay-line.pl tunA tunB one-way-ms\n" unless defined $one_way_ms;
my $delay = $one_way_ms / 1000;
my $parent = getppid();
my @fh;
for my $name ($name_a, $name_b) {
  sysopen(my $fh, '/dev/net/tun', 2) or die "open /dev/net/tun: $!\n";
  # struct ifreq: name[16], short flags (IFF_TUN | IFF_NO_PI), padding to 40 bytes; TUNSETIFF.
  my $ifr = pack('Z16 s x22', $name, 0x0001 | 0x1000);
  ioctl($fh, 0x400454ca, $ifr) or die "TUNSETIFF $name: $!\n";
  push @fh, $fh;
}
$| = 1;
print "ready\n";
my @queue;    # [due, output index, packet], in due order (one delay for all)
my $rin = '';
vec($rin, fileno($fh[$_]), 1) = 1 for 0 .. 1;
while (1) {
  my $now = time;
  while (@queue && $queue[0][0] <= $now) {
    my $p = shift @queue;
    syswrite($fh[$p->[1]], $p->[2]);
  }
  exit 0 if getppid() != $parent;
  my $timeout = @queue ? $queue[0][0] - $now : 0.5;
  $timeout = 0 if $timeout < 0;
  my $n = select(my $rout = $rin, undef, undef, $timeout);
  next if !defined $n || $n <= 0;
  for my $i (0 .. 1) {
    next unless vec($rout, fileno($fh[$i]), 1);
    my $len = sysread($fh[$i], my $buf, 65536);
    push @queue, [time + $delay, 1 - $i, $buf] if $len && @queue < 100000;
  }
}
