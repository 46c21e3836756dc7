#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test of the JSON output (make test): the members that "show" and
# "monitor" print with -j, -j -s and -j -s -s, against the fuzzer's fake
# kernel (fakeshow: fake_main.c), must be those that tests/json-keys.txt
# lists for that level of -s; and each member listed, and each event of
# monitor, must be named in the section JSON OUTPUT of the man page. A
# member is written as its path: "stats64.rx.bytes", "[]" for the elements
# of an array ("sa_stats.rx.[].id").
#
# The fake kernel has every object and attribute ipsecctl reads, but a
# member that it cannot make ipsecctl print is marked "unexercised" in the
# list; the others must all be printed. No kernel, no root.
#
# usage: json_keys.sh FAKESHOW MANPAGE     prints KTAP; exits 1 on a failure

FAKESHOW=$(realpath "${1:-$(dirname "$0")/fakeshow}")
MANPAGE=$(realpath "${2:-$(dirname "$0")/../../../Documentation/ipsecctl.8}")
LIST=$(dirname "$0")/json-keys.txt
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# paths: reads JSON values, one a line, and prints "CONTEXT PATH" for each
# member, CONTEXT being $CTX; for "monitor", "events EVENT" for each object,
# and its members as "monitor:KIND PATH", the events of a kind having the
# same members.
paths() {
	perl -MJSON::PP -ne '
		BEGIN {
			$ctx = $ENV{CTX};
			%kind = (sa_new => "sa", sa_update => "sa", sa_del => "sa",
				 spd_new => "spd", spd_del => "spd",
				 spd_attach => "spd_attach",
				 spd_detach => "spd_attach",
				 policy_new => "policy", policy_del => "policy");
		}
		sub walk {
			my ($v, $path, $c) = @_;
			if (ref $v eq "HASH") {
				for my $k (keys %$v) {
					my $p = $path eq "" ? $k : "$path.$k";
					print "$c $p\n";
					walk($v->{$k}, $p, $c);
				}
			} elsif (ref $v eq "ARRAY") {
				walk($_, $path eq "" ? "[]" : "$path.[]", $c) for @$v;
			}
		}
		next unless /\S/;
		my $v = decode_json($_);
		if ($ctx eq "monitor") {
			my $ev = $v->{event};
			print "events $ev\n";
			walk($v, "", "monitor:" . ($kind{$ev} // $ev));
		} else {
			# show: an array of objects
			walk($_, "", $ctx) for @$v;
		}'
}

# run CONTEXT ARGS...: fakeshow ARGS, whose members (CONTEXT's) go to
# printed.$level.
run() {
	local ctx=$1
	shift
	if ! "$FAKESHOW" "$@" >"$TMP/out" 2>"$TMP/err" || [ -s "$TMP/err" ]; then
		echo "# ipsecctl $*:"
		sed 's/^/#   /' "$TMP/err"
		return 1
	fi
	CTX=$ctx paths <"$TMP/out" >>"$TMP/printed.$level" || return 1
}

echo "KTAP version 1"
echo "1..3"
failed=0

# Each command at each level of -s: what it prints, in printed.LEVEL.
ok=0
for level in 0 1 2; do
	opts=(-j)
	for ((i = 0; i < level; i++)); do
		opts+=(-s)
	done
	: >"$TMP/printed.$level"
	run link "${opts[@]}" link show || ok=1
	run sa "${opts[@]}" sa show || ok=1
	run protect "${opts[@]}" protect show || ok=1
	run spd "${opts[@]}" spd show || ok=1
	run policy "${opts[@]}" policy show spd 1 || ok=1
	run monitor "${opts[@]}" monitor || ok=1
done
if [ $ok = 0 ]; then
	echo "ok 1 ipsecctl prints JSON against the fake kernel"
else
	echo "not ok 1 ipsecctl prints JSON against the fake kernel"
	failed=$((failed + 1))
fi

# The list: "CONTEXT PATH [s|ss] [unexercised]", comments and blank lines
# skipped; at each level, the members it allows and those it expects.
sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$LIST" >"$TMP/list"
awk '{ print $1, $2 }' "$TMP/list" | sort -u >"$TMP/listed"
ok=0
for level in 0 1 2; do
	awk -v level=$level -v dir="$TMP" '
		{ need = 0; unexercised = 0
		  for (i = 3; i <= NF; i++) {
			if ($i == "s") need = 1
			else if ($i == "ss") need = 2
			else if ($i == "unexercised") unexercised = 1
		  }
		  if (need > level) next
		  print $1, $2 >(dir "/allowed")
		  if (!unexercised) print $1, $2 >(dir "/expected") }' \
		"$TMP/list"
	sort -u -o "$TMP/allowed" "$TMP/allowed"
	sort -u -o "$TMP/expected" "$TMP/expected"
	sort -u -o "$TMP/printed.$level" "$TMP/printed.$level"
	shown=-j
	for ((i = 0; i < level; i++)); do
		shown+=" -s"
	done
	if comm -23 "$TMP/printed.$level" "$TMP/allowed" | grep -q .; then
		echo "# $shown: printed, but not in json-keys.txt at this level:"
		comm -23 "$TMP/printed.$level" "$TMP/allowed" | sed 's/^/#   /'
		ok=1
	fi
	if comm -13 "$TMP/printed.$level" "$TMP/expected" | grep -q .; then
		echo "# $shown: in json-keys.txt, but not printed (gone? unexercised?):"
		comm -13 "$TMP/printed.$level" "$TMP/expected" | sed 's/^/#   /'
		ok=1
	fi
	rm -f "$TMP/allowed" "$TMP/expected"
done
if [ $ok = 0 ]; then
	echo "ok 2 the members printed with -j, -s and -s -s are those of json-keys.txt"
else
	echo "not ok 2 the members printed with -j, -s and -s -s are those of json-keys.txt"
	failed=$((failed + 1))
fi

# Every name of a member, in bold in the man page's JSON OUTPUT.
sed -n '/^\.SH JSON OUTPUT/,/^\.SH /p' "$MANPAGE" |
	sed -e 's/\\f[BIRP]/ /g' -e 's/\\-/-/g' -e 's/\\(dq//g' |
	tr -cs 'A-Za-z0-9_-' '\n' | sort -u >"$TMP/words"
awk '$1 == "events" { print $2; next }
     { n = split($2, p, "."); for (i = 1; i <= n; i++) if (p[i] != "[]") print p[i] }' \
	"$TMP/listed" |
	sort -u >"$TMP/names"
ok=0
if comm -23 "$TMP/names" "$TMP/words" | grep -q .; then
	echo "# members not named in JSON OUTPUT of $(basename "$MANPAGE"):"
	comm -23 "$TMP/names" "$TMP/words" | sed 's/^/#   /'
	ok=1
fi
if [ $ok = 0 ]; then
	echo "ok 3 the man page names every member"
else
	echo "not ok 3 the man page names every member"
	failed=$((failed + 1))
fi
echo "# $((3 - failed)) passed, $failed failed"
[ $failed = 0 ]
