#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Draws make bench's chart from its CSV (metric,algorithm,implementation,
# run,value,unit): the medians of the throughput rows (TCP 1 and 4 flows,
# UDP 1400 B goodput) and of the 64-byte packet rate, ipsecif (default and
# parallel SAs) next to xfrm, WireGuard and half the AEAD ceiling, as SVG
# and PNG.
#
# usage: bench-chart.sh CSV OUT      (writes OUT.svg and OUT.png)
set -euo pipefail

csv=$1 out=$2
command -v gnuplot >/dev/null || { echo "bench-chart: no gnuplot (make deps)" >&2; exit 1; }
dat=$(mktemp)
trap 'rm -f "$dat" "$dat.pps"' EXIT

# One line per row: label, then ipsecif parallel xfrm wireguard ceiling/2
# ("-" for none), in the order the rows first appear.
# shellcheck disable=SC2016 # awk's own fields
rows='
	BEGIN { FS = "," }
	$4 == "median" && $3 ~ /^(ipsecif|parallel|xfrm|wireguard|ceiling)$/ && $1 ~ want {
		row = $1 " " $2
		if (!(row in seen)) { seen[row] = 1; order[++n] = row }
		v[row, $3] = $3 == "ceiling" ? $5 / 2 : $5
	}
	END {
		print "row ipsecif ipsecif-parallel xfrm WireGuard AEAD-ceiling/2"
		for (i = 1; i <= n; i++) {
			r = order[i]
			label = r
			gsub(/ /, "\\n", label)
			printf "\"%s\"", label
			split("ipsecif parallel xfrm wireguard ceiling", impl, " ")
			for (j = 1; j <= 5; j++)
				printf " %s", ((r, impl[j]) in v) ? v[r, impl[j]] : "-"
			printf "\n"
		}
	}'
awk -v want='^(tcp1|tcp4|udp1400)$' "$rows" "$csv" >"$dat"
awk -v want='^udp64$' "$rows" "$csv" >"$dat.pps"

plot_all() {
	cat <<EOF
set datafile missing "-"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top right autotitle columnheader
set grid ytics
set yrange [0:*]
set multiplot layout 2,1 title "make bench: medians, same VM and run ($(basename "$csv"))"
set title "Throughput (Mbit/s): TCP 1 and 4 flows, UDP 1400 B goodput"
set ylabel "Mbit/s"
set xtics font ",9"
plot for [i=2:6] "$dat" using i:xtic(1)
set title "64-byte UDP packet rate (thousands of packets per second)"
set ylabel "kpps"
plot for [i=2:5] "$dat.pps" using i:xtic(1)
unset multiplot
EOF
}

{
	echo "set terminal svg size 1400,900 dynamic font \"sans,11\""
	echo "set output \"$out.svg\""
	plot_all
	echo "set terminal pngcairo size 1400,900 font \"sans,11\""
	echo "set output \"$out.png\""
	plot_all
} | gnuplot 2>&1 | { grep -v "no valid points" >&2 || true; }
