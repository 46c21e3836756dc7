/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inbound anti-replay window of one SA (RFC 4303 section 3.4.3) and the
 * inference of the high half of an Extended Sequence Number (RFC 4303
 * appendix A).
 *
 * The window holds W sequence numbers ending at top: a number n is accepted
 * if n > top, or if top - n < W and n has not been seen.  A number exactly W
 * behind top (n == top - W) is too old; one W - 1 behind is still inside.
 *
 * No locking here: the caller holds the SA's RX lock around each
 * ipsecif_replay_advance(), and around a check + advance pair it wants to be
 * atomic.  ipsecif_replay_check() only reads, so it may run before decryption
 * under the same lock; advance checks again because another CPU may have
 * accepted the same number while this packet was being decrypted.
 */

#ifndef _NET_IPSECIF_REPLAY_H
#define _NET_IPSECIF_REPLAY_H

#include <linux/types.h>

#define IPSECIF_REPLAY_MAX_WINDOW 4096

/**
 * struct ipsecif_replay - anti-replay state of one inbound SA
 * @top: highest sequence number accepted, 0 when none has been yet
 * @window: window size W in packets; 0 turns the replay check off, while
 *	@top is still tracked for ESN inference
 * @blocks: number of 64-bit blocks in @bitmap, a power of two with at least
 *	one block more than W needs (RFC 6479), 0 when @window is 0
 * @bitmap: ring of blocks; bit (n % 64) of block (n / 64) % @blocks is set
 *	when sequence number n was accepted
 *
 * Allocate ipsecif_replay_size(window) bytes, then ipsecif_replay_init().
 */
struct ipsecif_replay {
	u64 top;
	u32 window;
	u32 blocks;
	u64 bitmap[];
};

size_t ipsecif_replay_size(u32 window);
void ipsecif_replay_init(struct ipsecif_replay *r, u32 window);
void ipsecif_replay_preset(struct ipsecif_replay *r, u64 top);
int ipsecif_replay_check(const struct ipsecif_replay *r, u32 seq_low, bool esn,
			 u64 *seq);
int ipsecif_replay_advance(struct ipsecif_replay *r, u64 seq, u64 *lost);

#endif /* _NET_IPSECIF_REPLAY_H */
