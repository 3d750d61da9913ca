# Perl: hashes, regexes, sprintf, sort, closures, local files, pack.
use strict; use warnings;
my %h = map { $_ => length $_ } qw(alpha beta gamma delta);
print join(",", map { "$_=$h{$_}" } sort keys %h), "\n";
my $s = "a=1 b=22 c=333";
my @pairs = $s =~ /(\w+)=(\d+)/g; print "@pairs\n";
(my $t = $s) =~ s/(\d+)/<$1>/g; print "$t\n";
printf("%.4f %05d %x %s\n", atan2(1, 1) * 4, 42, 255, scalar reverse("shoal"));
my @n = sort { $b <=> $a } map { $_ * 7 % 11 } 1 .. 10; print "@n\n";
my $mk = sub { my $n = shift; sub { $n += shift } }; my $acc = $mk->(10); $acc->(5); print $acc->(1), "\n";
open(my $fh, '>', "/tmp/perl-test.txt") or die "open: $!"; print $fh "x\ny\n"; close $fh;
open($fh, '<', "/tmp/perl-test.txt") or die; my @l = <$fh>; close $fh; unlink "/tmp/perl-test.txt";
print scalar(@l), " lines\n";
print unpack("H*", pack("NnC", 1, 2, 3)), "\n";
print join(" ", map { sprintf "%s", $_ } (localtime(0))[5], (gmtime(86400 * 365))[7]), "\n";
my $x = eval { die "boom\n"; 1 }; print "caught: $@";
exit 4;
