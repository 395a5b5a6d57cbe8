#!/usr/bin/perl
# Finds the uses of co_await that g++ 12 mis-compiles (README, "Compilers"):
# - a co_await in an operand that may not be evaluated (right of && or ||,
#   either branch of ?:): g++ 12 evaluates it anyway;
# - a co_await in the condition of an if, while or switch (or in a for's
#   header, but for a range-for's range): in a coroutine with no local variable in any enclosing scope,
#   g++ 12 never runs the body it selects (the awaiter hangs, or SIGILL);
# - a co_await inside a Catch2 assertion, whose macro expands its argument
#   more than once and keeps assertion state across the suspension;
# - a lambda capturing by value in a statement with a co_await: g++ 12
#   destroys the lambda temporary twice (a named lambda is safe).
# Prints FILE:LINE: what, for each; exits 1 if it found any.
# usage: co_await_forms.pl FILE...
use strict;
use warnings;

my $found = 0;

sub report {
    my ($file, $src, $pos, $what) = @_;
    my $line = 1 + (substr($src, 0, $pos) =~ tr/\n//);
    print "$file:$line: $what: name the value (or the lambda) before the co_await\n";
    $found = 1;
}

# Comments, string and character literals (raw strings included) blanked,
# newlines kept, so that positions and line numbers stay true.
sub blank {
    my ($text) = @_;
    $text =~ s{(//[^\n]*|/\*.*?\*/|R"([^(\s]*)\(.*?\)\2"|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')}
              { my $m = $1; $m =~ s/[^\n]/ /g; $m }gse;
    return $text;
}

# Each statement as [start, end), split at ';' and at braces that open or
# close a block, not at braces inside an expression (a lambda's body, a
# braced initialiser), whose statements are found on their own.
sub statements {
    my ($src) = @_;
    my @spans;
    my @frames = ({start => 0, parens => 0});
    for (my $i = 0; $i < length $src; ++$i) {
        my $c = substr($src, $i, 1);
        my $f = $frames[-1];
        if ($c eq '(' || $c eq '[') {
            ++$f->{parens};
        } elsif ($c eq ')' || $c eq ']') {
            --$f->{parens} if $f->{parens} > 0;
        } elsif ($c eq ';' && $f->{parens} == 0) {
            push @spans, [$f->{start}, $i];
            $f->{start} = $i + 1;
        } elsif ($c eq '{') {
            if ($f->{parens} == 0) {  # a block: what came before it is a statement (if (...), a declaration)
                push @spans, [$f->{start}, $i];
                $f->{start} = $i + 1;
            }
            push @frames, {start => $i + 1, parens => 0, expression => $f->{parens} > 0};
        } elsif ($c eq '}' && @frames > 1) {
            push @spans, [$f->{start}, $i];
            pop @frames;
            $frames[-1]{start} = $i + 1 unless $f->{expression};
        }
    }
    return @spans;
}

# The text of a span with the insides of its nested braces blanked: what
# belongs to the statement itself, not to a lambda body within it.
sub own_text {
    my ($src, $start, $end) = @_;
    my $text = substr($src, $start, $end - $start);
    $text =~ s/(\{((?:[^{}]++|(?1))*)\})/ my $m = $2; $m =~ s{[^\n]}{ }g; "{$m}" /ge;
    return $text;
}

for my $file (@ARGV) {
    open(my $fh, '<', $file) or die "$file: $!\n";
    my $src = blank(do { local $/; <$fh> });
    close $fh;

    # Operands that may not be evaluated.
    while ($src =~ /(?:&&|\|\||\band\b|\bor\b)[\s(!*]*\bco_await\b/g) {
        report($file, $src, $-[0], "co_await right of && or ||");
    }
    while ($src =~ /\?[\s(!*]*\bco_await\b|\?[^;?]*?[^:]:(?!:)[\s(!*]*\bco_await\b/g) {
        report($file, $src, $-[0], "co_await in a branch of ?:");
    }
    # Conditions: each one's balanced parentheses.
    while ($src =~ /\b(if|while|switch|for)\s*(?:constexpr\s*)?(\((?:[^()]++|(?2))*\))/g) {
        my ($at, $keyword, $condition) = ($-[0], $1, $2);
        next if $keyword eq 'for' && $condition !~ /;/;  # a range-for: its range is no condition
        report($file, $src, $at, "co_await in the condition of $keyword")
            if $condition =~ /(?<!operator)(?<!operator )\bco_await\b/;
    }
    # Catch2 assertions: each one's balanced argument list.
    while ($src =~ /\b(?:CHECK|REQUIRE)[A-Z_]*\s*(\((?:[^()]++|(?1))*\))/g) {
        my ($at, $arguments) = ($-[0], $1);
        report($file, $src, $at, "co_await inside a Catch2 assertion") if $arguments =~ /\bco_await\b/;
    }
    # Lambdas capturing by value in a statement that awaits.
    for my $span (statements($src)) {
        my ($start, $end) = @$span;
        my $text = own_text($src, $start, $end);
        next unless $text =~ /\bco_await\b/;
        while ($text =~ /\[([^\[\]]*)\]\s*(?:\(|\{|<|->|mutable\b)/g) {
            my ($captures, $at) = ($1, $-[0]);
            my $before = substr($text, 0, $at);
            $before =~ s/\s+$//;
            # A subscript, an attribute or a structured binding follows a
            # name or a bracket; a lambda an operator, or one of these words.
            next if $before =~ /[\w)\]]$/ && $before !~ /\b(?:co_await|co_return|co_yield|return|throw)$/;
            my @by_value = grep { !/^\s*&/ && !/^\s*this\s*$/ && /\S/ } split /,/, $captures;
            report($file, $src, $start + $at, "a lambda capturing by value [$captures] in a statement with co_await")
                if @by_value;
        }
    }
}
exit $found;
