#!/usr/bin/perl
# g++ 12 destroys a lambda temporary in a co_await expression twice: a
# capture by value with a destructor (a string, a shared_ptr, a stop_token)
# is freed twice. Prints each lambda with a capture by value written inside
# a co_await statement; exits 1 if there is one. A named lambda is safe.
# usage: lambda_captures.pl FILE...
use strict; use warnings;
my $found = 0;
for my $f (@ARGV) {
    open(my $fh, '<', $f) or die "$f: $!"; local $/; my $src = <$fh>; close $fh;
    # Blank out comments and string literals, keeping newlines (line numbers).
    $src =~ s{(//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')}{ my $m = $1; $m =~ s/[^\n]/ /g; $m }gse;
    while ($src =~ /\bco_await\b([^;]*)/g) {
        my ($segment, $start) = ($1, $-[1]);
        # A lambda's [ follows an operator, a comma, a paren or co_await
        # itself; a subscript's follows a name, ) or ].
        while ($segment =~ /(?:^|[(,=:{?!&|])\s*\[([^\[\]]*)\]\s*(?:\(|\{|mutable\b|->)/g) {
            my $captures = $1;
            next if $captures =~ /^\s*$/;
            my @by_value = grep { !/^\s*&/ && !/^\s*this\s*$/ } split /,/, $captures;
            next unless @by_value;
            my $line = 1 + (substr($src, 0, $start + $-[1]) =~ tr/\n//);
            print "$f:$line: a lambda with by-value captures [$captures] inside co_await: name the lambda first\n";
            $found = 1;
        }
    }
}
exit $found;
