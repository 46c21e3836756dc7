#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of "ipsecctl xfrm-sync" (make test): canned xfrm notifications,
# built here byte by byte as the kernel sends them (struct xfrm_usersa_info
# and its attributes, DELSA, EXPIRE, FLUSHSA, NEWPOLICY, UPDPOLICY), are fed to
# "xfrm-sync --dry-run --input FILE", which prints the ipsecif changes it
# would make. NLMSG_NOOP in the input stands for a grace period passing. No
# kernel module and no root: the only kernel request is a route lookup,
# which finds 127.0.0.1 local (inbound SAs) and 198.51.100.x not (outbound).
#
# usage: xfrmsync_test.sh [IPSECCTL]     prints KTAP; exits 1 if a test failed

IPSECCTL=$(realpath "${1:-$(dirname "$0")/../ipsecctl}")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# gen: reads one event a line on stdin, writes the netlink messages.
#   sa TYPE SPI SRC DST IF_ID ADD_TIME ALG... [esn W] [window W] [encap S D]
#   del SPI DST IF_ID | expire SPI DST IF_ID soft|hard | flush PROTO | noop
#   policy TYPE in|out IF_ID SPI INDEX  (an ESP template naming SPI; 0: none)
#   delpolicy in|out IF_ID INDEX | polexpire in|out IF_ID INDEX soft|hard
#   flushpolicy
# TYPE: new (XFRM_MSG_NEWSA, NEWPOLICY) or upd (XFRM_MSG_UPDSA, UPDPOLICY). ALG: aead NAME KEYLEN
# ICV | enc NAME KEYLEN | trunc NAME KEYLEN BITS | none; a key is KEYLEN
# bytes of the SPI's low byte. Layouts: include/uapi/linux/xfrm.h (x86_64).
gen() {
	perl -e '
use strict;
my ($NEWSA, $DELSA, $EXPIRE, $UPDSA, $FLUSHSA) = (16, 17, 24, 26, 28);
my ($NEWPOLICY, $DELPOLICY, $UPDPOLICY, $POLEXPIRE, $FLUSHPOLICY) =
	(19, 20, 25, 27, 29);
my ($A_CRYPT, $A_ENCAP, $A_TMPL, $A_SA, $A_POLICY, $A_AEAD, $A_TRUNC, $A_ESN,
    $A_IF_ID) = (2, 4, 5, 6, 7, 18, 20, 23, 31);
sub pad { my $s = shift; $s . "\0" x ((4 - length($s) % 4) % 4) }
sub attr { my ($t, $p) = @_; pad(pack("SS", 4 + length($p), $t) . $p) }
sub msg { my ($t, $p) = @_; pack("LSSLL", 16 + length($p), $t, 0, 0, 0) . pad($p) }
sub addr { my $a = shift; pack("a4x12", pack("C4", split(/\./, $a))) }
# struct xfrm_usersa_info: sel (56), id (daddr, spi, proto), saddr,
# lft (64), curlft (bytes, packets, add_time, use_time), stats (12), seq,
# reqid, family, mode, replay_window, flags; 224 bytes
sub usersa {
	my ($spi, $src, $dst, $add, $window, $flags) = @_;
	pack("x56 a16 N C x3 a16 x64 x16 Q x8 x12 L L S C C C x7",
	     addr($dst), $spi, 50, addr($src), $add, 0, 1, 2, 1, $window, $flags);
}
sub key { my ($spi, $len) = @_; chr($spi & 0xff) x $len }
# struct xfrm_userpolicy_info: sel (56), lft (64), curlft (32), priority,
# index, dir, action, flags, share; 168 bytes
sub userpolicy {
	my ($dir, $index) = @_;
	pack("x152 L L C C C C x4", 0, $index, $dir eq "out" ? 1 : 0, 0, 0, 0);
}
# struct xfrm_user_tmpl: id (daddr, spi, proto), family, saddr, reqid,
# mode, share, optional, aalgos, ealgos, calgos; 64 bytes
sub tmpl {
	my $spi = shift;
	pack("a16 N C x3 S x2 a16 L C C C x L L L", addr("0.0.0.0"), $spi, 50, 2,
	     addr("0.0.0.0"), 1, 1, 0, 0, ~0, ~0, ~0);
}
my $out = "";
while (<STDIN>) {
	my @w = split;
	next unless @w;
	my $k = shift @w;
	if ($k eq "sa") {
		my ($type, $spi, $src, $dst, $if_id, $add) = splice(@w, 0, 6);
		$spi = hex($spi);
		my ($attrs, $flags, $window, $esn) = ("", 0, 32, undef);
		while (@w) {
			my $o = shift @w;
			if ($o eq "aead") {
				my ($n, $l, $icv) = splice(@w, 0, 3);
				$attrs .= attr($A_AEAD, pack("a64 L L", $n, 8 * $l, $icv) . key($spi, $l));
			} elsif ($o eq "enc") {
				my ($n, $l) = splice(@w, 0, 2);
				$attrs .= attr($A_CRYPT, pack("a64 L", $n, 8 * $l) . key($spi, $l));
			} elsif ($o eq "trunc") {
				my ($n, $l, $b) = splice(@w, 0, 3);
				$attrs .= attr($A_TRUNC, pack("a64 L L", $n, 8 * $l, $b) . key($spi + 1, $l));
			} elsif ($o eq "esn") {
				$esn = shift @w;
				$flags |= 128;
				$window = 0;
			} elsif ($o eq "window") {
				$window = shift @w;
			} elsif ($o eq "encap") {
				my ($s, $d) = splice(@w, 0, 2);
				$attrs .= attr($A_ENCAP, pack("S n n x2 x16", 2, $s, $d));
			}
		}
		# struct xfrm_replay_state_esn: bmp_len, oseq, seq, oseq_hi,
		# seq_hi, replay_window, bmp[bmp_len]
		$attrs .= attr($A_ESN, pack("L6", 1, 0, 0, 0, 0, $esn) . "\0" x 4)
			if defined $esn;
		$attrs .= attr($A_IF_ID, pack("L", $if_id)) if $if_id;
		$out .= msg($type eq "new" ? $NEWSA : $UPDSA,
			    usersa($spi, $src, $dst, $add, $window, $flags) . $attrs);
	} elsif ($k eq "del") {
		my ($spi, $dst, $if_id) = @w;
		# struct xfrm_usersa_id, then XFRMA_SA (the whole SA) and IF_ID
		$out .= msg($DELSA, pack("a16 N S C x", addr($dst), hex($spi), 2, 50) .
			    attr($A_SA, usersa(hex($spi), "0.0.0.0", $dst, 0, 0, 0)) .
			    attr($A_IF_ID, pack("L", $if_id)));
	} elsif ($k eq "expire") {
		my ($spi, $dst, $if_id, $hard) = @w;
		# struct xfrm_user_expire: the SA, hard, padding to 232 bytes
		$out .= msg($EXPIRE, usersa(hex($spi), "0.0.0.0", $dst, 0, 0, 0) .
			    pack("C x7", $hard eq "hard" ? 1 : 0) .
			    attr($A_IF_ID, pack("L", $if_id)));
	} elsif ($k eq "flush") {
		$out .= msg($FLUSHSA, pack("C", $w[0]));
	} elsif ($k eq "policy") {
		my ($type, $dir, $if_id, $spi, $index) = @w;
		$out .= msg($type eq "new" ? $NEWPOLICY : $UPDPOLICY,
			    userpolicy($dir, $index) .
			    attr($A_TMPL, tmpl(hex($spi))) . attr($A_IF_ID, pack("L", $if_id)));
	} elsif ($k eq "delpolicy") {
		my ($dir, $if_id, $index) = @w;
		# struct xfrm_userpolicy_id: sel (56), index, dir; 64 bytes;
		# then the policy as XFRMA_POLICY
		$out .= msg($DELPOLICY, pack("x56 L C x3", $index, $dir eq "out" ? 1 : 0) .
			    attr($A_POLICY, userpolicy($dir, $index)) .
			    attr($A_TMPL, tmpl(0)) . attr($A_IF_ID, pack("L", $if_id)));
	} elsif ($k eq "polexpire") {
		my ($dir, $if_id, $index, $hard) = @w;
		# struct xfrm_user_polexpire: the policy, hard; 176 bytes
		$out .= msg($POLEXPIRE, userpolicy($dir, $index) .
			    pack("C x7", $hard eq "hard" ? 1 : 0) .
			    attr($A_TMPL, tmpl(0)) . attr($A_IF_ID, pack("L", $if_id)));
	} elsif ($k eq "flushpolicy") {
		$out .= msg($FLUSHPOLICY, "");
	} elsif ($k eq "noop") {
		$out .= msg(1, "");
	}
}
print $out;
'
}

L=127.0.0.1 R=198.51.100.2 R2=198.51.100.3
GCM='aead rfc4106(gcm(aes)) 20 128'

failed=0
n=0
total=5
echo "KTAP version 1"
echo "1..$total"

# check DESC: runs xfrm-sync on $TMP/in, compares with $TMP/expect.
check() {
	local rc=0
	n=$((n + 1))
	"$IPSECCTL" xfrm-sync dev ipsec0 if-id 42 --dry-run --input "$TMP/in" \
		>"$TMP/out" 2>"$TMP/err" || rc=$?
	if [ $rc -eq 0 ] && [ ! -s "$TMP/err" ] &&
	   diff -u "$TMP/expect" "$TMP/out" >"$TMP/diff"; then
		echo "ok $n $1"
		return
	fi
	echo "# exit status $rc; stderr:"
	sed 's/^/#   /' "$TMP/err"
	sed 's/^/# /' "$TMP/diff"
	echo "not ok $n $1"
	failed=$((failed + 1))
}

# 1. A CHILD_SA comes up (the inbound SA first, by UPDSA of its reserved
# SPI), is rekeyed (new inbound, new outbound, old ones deleted), and the
# others' SAs (another if_id, an SPI only reserved) are left alone.
gen >"$TMP/in" <<EOF
sa upd c0000001 $R $L 42 100 $GCM
sa new c0000002 $L $R 42 100 $GCM window 0
sa new c00000aa $L $R 7 100 $GCM
sa upd c00000bb $R $L 42 100 none
sa upd c0000003 $R $L 42 200 $GCM
sa new c0000004 $L $R 42 200 $GCM window 0
del c0000001 $L 42
del c0000002 $R 42
noop
EOF
cat >"$TMP/expect" <<EOF
sa add 0xc0000001 spi 0xc0000001 mode tunnel src $R dst $L aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 32 (inbound)
protect set dev ipsec0 rx 0xc0000001
sa add 0xc0000002 spi 0xc0000002 mode tunnel src $L dst $R aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 0 (outbound)
protect set dev ipsec0 tx 0xc0000002 rx 0xc0000001
sa add 0xc0000003 spi 0xc0000003 mode tunnel src $R dst $L aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 32 (inbound)
protect set dev ipsec0 tx 0xc0000002 rx 0xc0000003 0xc0000001
sa add 0xc0000004 spi 0xc0000004 mode tunnel src $L dst $R aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 0 (outbound)
protect set dev ipsec0 tx 0xc0000004 rx 0xc0000003 0xc0000001
protect set dev ipsec0 tx 0xc0000004 rx 0xc0000003
sa del 0xc0000001
sa del 0xc0000002
EOF
check "establish and rekey: RX added, TX switched, old SAs removed after the grace period"

# 2. The outbound SA first, then the deletes before the new SAs: the old
# TX SA stays until a new one replaces it (within the grace period); at
# most four RX SAs, the oldest left out.
gen >"$TMP/in" <<EOF
sa new c0000002 $L $R 42 100 $GCM window 0
sa upd c0000001 $R $L 42 100 $GCM
del c0000002 $R 42
del c0000001 $L 42
sa new c0000004 $L $R 42 200 $GCM window 0
sa upd c0000003 $R $L 42 200 $GCM
noop
sa upd c0000005 $R $L 42 300 $GCM
sa upd c0000006 $R $L 42 400 $GCM
sa upd c0000007 $R $L 42 500 $GCM
sa upd c0000008 $R $L 42 600 $GCM
EOF
cat >"$TMP/expect" <<EOF
sa add 0xc0000002 spi 0xc0000002 mode tunnel src $L dst $R aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 0 (outbound)
protect set dev ipsec0 tx 0xc0000002
sa add 0xc0000001 spi 0xc0000001 mode tunnel src $R dst $L aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 32 (inbound)
protect set dev ipsec0 tx 0xc0000002 rx 0xc0000001
sa add 0xc0000004 spi 0xc0000004 mode tunnel src $L dst $R aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 0 (outbound)
protect set dev ipsec0 tx 0xc0000004 rx 0xc0000001
sa add 0xc0000003 spi 0xc0000003 mode tunnel src $R dst $L aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 32 (inbound)
protect set dev ipsec0 tx 0xc0000004 rx 0xc0000003 0xc0000001
protect set dev ipsec0 tx 0xc0000004 rx 0xc0000003
sa del 0xc0000002
sa del 0xc0000001
sa add 0xc0000005 spi 0xc0000005 mode tunnel src $R dst $L aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 32 (inbound)
protect set dev ipsec0 tx 0xc0000004 rx 0xc0000005 0xc0000003
sa add 0xc0000006 spi 0xc0000006 mode tunnel src $R dst $L aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 32 (inbound)
protect set dev ipsec0 tx 0xc0000004 rx 0xc0000006 0xc0000005 0xc0000003
sa add 0xc0000007 spi 0xc0000007 mode tunnel src $R dst $L aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 32 (inbound)
protect set dev ipsec0 tx 0xc0000004 rx 0xc0000007 0xc0000006 0xc0000005 0xc0000003
sa add 0xc0000008 spi 0xc0000008 mode tunnel src $R dst $L aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 32 (inbound)
protect set dev ipsec0 tx 0xc0000004 rx 0xc0000008 0xc0000007 0xc0000006 0xc0000005
EOF
check "any order: TX kept until replaced, the four newest RX SAs"

# 3. Moved SAs (strongSwan deletes and adds them again: MOBIKE, NAT-T) are
# updated in place; new keys for an SPI replace the SA; cipher and
# integrity, ESN, a window larger than ipsecif's.
gen >"$TMP/in" <<EOF
sa upd c0000001 $R $L 42 100 $GCM
sa new c0000002 $L $R 42 100 $GCM window 0
del c0000002 $R 42
sa new c0000002 $L $R2 42 100 $GCM window 0 encap 4500 4501
del c0000001 $L 42
sa upd c0000001 $R2 $L 42 100 $GCM encap 4501 4500
noop
sa upd c0000005 $R2 $L 42 300 enc cbc(aes) 16 trunc hmac(sha256) 32 128 esn 8192
sa upd c0000005 $R2 $L 42 300 enc cbc(aes) 16 trunc hmac(sha256) 24 128 esn 64
EOF
cat >"$TMP/expect" <<EOF
sa add 0xc0000001 spi 0xc0000001 mode tunnel src $R dst $L aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 32 (inbound)
protect set dev ipsec0 rx 0xc0000001
sa add 0xc0000002 spi 0xc0000002 mode tunnel src $L dst $R aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 0 (outbound)
protect set dev ipsec0 tx 0xc0000002 rx 0xc0000001
sa update 0xc0000002 src $L dst $R2 encap espinudp sport 4500 dport 4501 (outbound)
sa update 0xc0000001 src $R2 dst $L encap espinudp sport 4501 dport 4500 (inbound)
sa add 0xc0000005 spi 0xc0000005 mode tunnel src $R2 dst $L enc 'cbc(aes)' 0x<16 bytes> auth-trunc 'hmac(sha256)' 0x<32 bytes> 128 esn replay-window 4096 (inbound)
protect set dev ipsec0 tx 0xc0000002 rx 0xc0000005 0xc0000001
xfrm: SA 0xc0000005 (inbound) has new keys: replacing it
protect set dev ipsec0 tx 0xc0000002 rx 0xc0000001
sa del 0xc0000005
sa add 0xc0000005 spi 0xc0000005 mode tunnel src $R2 dst $L enc 'cbc(aes)' 0x<16 bytes> auth-trunc 'hmac(sha256)' 0x<24 bytes> 128 esn replay-window 64 (inbound)
protect set dev ipsec0 tx 0xc0000002 rx 0xc0000005 0xc0000001
EOF
check "moved SAs updated in place, new keys replace, cbc/hmac, ESN"

# 4. Expiry (soft: nothing; hard: the SA is gone), a flush of every SA:
# the protection is deleted, then the SAs.
gen >"$TMP/in" <<EOF
sa upd c0000001 $R $L 42 100 $GCM
sa new c0000002 $L $R 42 100 $GCM window 0
sa upd c0000003 $R $L 42 200 $GCM
expire c0000001 $L 42 soft
expire c0000001 $L 42 hard
noop
flush 50
noop
EOF
cat >"$TMP/expect" <<EOF
sa add 0xc0000001 spi 0xc0000001 mode tunnel src $R dst $L aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 32 (inbound)
protect set dev ipsec0 rx 0xc0000001
sa add 0xc0000002 spi 0xc0000002 mode tunnel src $L dst $R aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 0 (outbound)
protect set dev ipsec0 tx 0xc0000002 rx 0xc0000001
sa add 0xc0000003 spi 0xc0000003 mode tunnel src $R dst $L aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 32 (inbound)
protect set dev ipsec0 tx 0xc0000002 rx 0xc0000003 0xc0000001
protect set dev ipsec0 tx 0xc0000002 rx 0xc0000003
sa del 0xc0000001
protect del dev ipsec0
sa del 0xc0000002
sa del 0xc0000003
EOF
check "hard expiry and flush: the protection and the SAs are removed"

# 5. The responder of a rekey: strongSwan adds the new outbound SA at
# once but moves the outbound policy to it (the template's SPI) only when
# the initiator's DELETE shows the peer can receive with it: TX follows the
# policy, not the newest SA. Policies of other if_ids, inbound ones: no
# change. The named SA moved (deleted and added again): still TX. Its
# policy deleted, expired (hard; soft changes nothing) or all flushed: the
# newest SA sends; named by another policy: it sends again.
gen >"$TMP/in" <<EOF
sa upd c0000001 $R $L 42 100 $GCM
sa new c0000002 $L $R 42 100 $GCM window 0
policy new out 42 c0000002 1
policy new in 42 c0000001 2
sa upd c0000003 $R $L 42 200 $GCM
sa new c0000004 $L $R 42 200 $GCM window 0
policy upd out 7 c0000004 3
policy upd in 42 c0000003 2
sa upd c0000005 $R $L 42 250 $GCM
policy upd out 42 c0000004 1
del c0000002 $R 42
del c0000001 $L 42
noop
sa new c0000006 $L $R 42 300 $GCM window 0
del c0000004 $R 42
sa new c0000004 $L $R2 42 200 $GCM window 0
noop
delpolicy out 42 1
policy new out 42 c0000004 5
polexpire out 42 5 soft
sa upd c0000007 $R $L 42 350 $GCM
polexpire out 42 5 hard
policy new out 42 c0000004 7
flushpolicy
EOF
cat >"$TMP/expect" <<EOF
sa add 0xc0000001 spi 0xc0000001 mode tunnel src $R dst $L aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 32 (inbound)
protect set dev ipsec0 rx 0xc0000001
sa add 0xc0000002 spi 0xc0000002 mode tunnel src $L dst $R aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 0 (outbound)
protect set dev ipsec0 tx 0xc0000002 rx 0xc0000001
sa add 0xc0000003 spi 0xc0000003 mode tunnel src $R dst $L aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 32 (inbound)
protect set dev ipsec0 tx 0xc0000002 rx 0xc0000003 0xc0000001
sa add 0xc0000004 spi 0xc0000004 mode tunnel src $L dst $R aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 0 (outbound)
sa add 0xc0000005 spi 0xc0000005 mode tunnel src $R dst $L aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 32 (inbound)
protect set dev ipsec0 tx 0xc0000002 rx 0xc0000005 0xc0000003 0xc0000001
protect set dev ipsec0 tx 0xc0000004 rx 0xc0000005 0xc0000003 0xc0000001
protect set dev ipsec0 tx 0xc0000004 rx 0xc0000005 0xc0000003
sa del 0xc0000001
sa del 0xc0000002
sa add 0xc0000006 spi 0xc0000006 mode tunnel src $L dst $R aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 0 (outbound)
sa update 0xc0000004 src $L dst $R2 encap none (outbound)
protect set dev ipsec0 tx 0xc0000006 rx 0xc0000005 0xc0000003
protect set dev ipsec0 tx 0xc0000004 rx 0xc0000005 0xc0000003
sa add 0xc0000007 spi 0xc0000007 mode tunnel src $R dst $L aead 'rfc4106(gcm(aes))' 0x<20 bytes> 128 replay-window 32 (inbound)
protect set dev ipsec0 tx 0xc0000004 rx 0xc0000007 0xc0000005 0xc0000003
protect set dev ipsec0 tx 0xc0000006 rx 0xc0000007 0xc0000005 0xc0000003
protect set dev ipsec0 tx 0xc0000004 rx 0xc0000007 0xc0000005 0xc0000003
protect set dev ipsec0 tx 0xc0000006 rx 0xc0000007 0xc0000005 0xc0000003
EOF
check "TX follows the SA the outbound policy names (a rekey's responder)"

echo "# $((n - failed)) passed, $failed failed"
exit $failed
