#!/usr/bin/env bash
# Plots a zring-bench --tsv file: each variant's speed relative to its
# baseline (raw libzmq for the ZeroMQ benchmarks and mt scaling, Asio for mt
# hop and offload), 1.0 being the baseline. Every variant in the file gets a
# series, in the order the file first names them.
# usage: benchmarks/plot.sh RESULTS.tsv OUT.png [BASELINES]
#   BASELINES: what 1.0 is, for the title (default: the ZeroMQ benchmarks')
set -euo pipefail
[ $# -eq 2 ] || [ $# -eq 3 ] || { echo "usage: $0 RESULTS.tsv OUT.png [BASELINES]" >&2; exit 2; }
tsv=$1
png=$2
baselines=${3:-"raw libzmq; mt hop, offload: Asio; tcp: blocking sockets (ping-pong), Asio"}
command -v gnuplot >/dev/null || { echo "$0: gnuplot is not installed (apt-get install gnuplot-nox)" >&2; exit 1; }
wide=$(mktemp)
trap 'rm -f "$wide"' EXIT

variants=$(awk -F'\t' 'NR > 1 && !($4 in seen) { seen[$4] = 1; printf "%s ", $4 }' "$tsv")
[ -n "$variants" ] || { echo "$0: $tsv holds no results beside a baseline" >&2; exit 1; }

# One line per benchmark label, one column per variant; "-" where it did not run.
awk -F'\t' -v variants="$variants" '
    NR == 1 { next }
    !($1 in seen) { seen[$1] = 1; order[++n] = $1 }
    { speed[$1, $4] = $6 }
    END {
        v = split(variants, name, " ")
        for (i = 1; i <= n; ++i) {
            line = order[i]
            for (j = 1; j <= v; ++j) line = line "\t" ((order[i], name[j]) in speed ? speed[order[i], name[j]] : "-")
            print line
        }
    }' "$tsv" > "$wide"

# A series per variant, colours in a fixed order.
colours=("#1f77b4" "#ff7f0e" "#2ca02c" "#bbbbbb" "#9467bd" "#8c564b" "#e377c2")
series=""
column=2
for v in $variants; do
    [ -z "$series" ] && series="\"$wide\" using $column:xtic(1)" || series="$series, \"\" using $column"
    series="$series title \"$v\" lc rgb \"${colours[$(( (column - 2) % ${#colours[@]} ))]}\""
    column=$((column + 1))
done

gnuplot <<GNUPLOT
set terminal pngcairo size 1600,640 font ",10"
set output "$png"
set datafile separator "\t"
set datafile missing "-"
set title "zring-bench: speed relative to the baseline (1.0: $baselines), higher is better"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
# Logarithmic: thread-per-socket baselines fall 50x behind at 1,000 sockets,
# while most comparisons sit near 1.
set logscale y
set yrange [0.02:*]
set ylabel "relative speed (log scale)"
set xtics rotate by -35 left
set grid ytics mytics
set key top left
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2 lc rgb "black"
plot $series
GNUPLOT
