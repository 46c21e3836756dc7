// SPDX-License-Identifier: GPL-2.0
/*
 * Anti-replay window and ESN inference for inbound SAs.
 *
 * The bitmap is a ring of 64-bit blocks as in RFC 6479: sequence number n
 * lives in bit n % 64 of block n / 64, taken modulo the ring size.  The ring
 * has at least one block more than the window needs, so the block holding
 * top and the blocks the window reaches back into never share a slot.
 * Sliding the window forward only zeroes the blocks top moves into; nothing
 * is ever shifted.  The ring size is a power of two so the slot is a mask.
 *
 * Invariant: for every block b with top / 64 - blocks < b <= top / 64, its
 * slot holds exactly the accepted sequence numbers of block b.
 */

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/log2.h>
#include <linux/math.h>
#include <linux/string.h>
#include <linux/types.h>

#include "replay.h"

#define BLOCK_BITS 64

/* With anti-replay off there is no window to place seq_low in, so ESN
 * inference takes the 64-bit number nearest to top: anything from 2^31 - 1
 * behind top to 2^31 ahead of it.  (xfrm refuses ESN without a window.)
 */
#define ESN_WINDOW_WITHOUT_REPLAY BIT(31)

static u32 clamp_window(u32 window)
{
	return window < IPSECIF_REPLAY_MAX_WINDOW ? window :
						    IPSECIF_REPLAY_MAX_WINDOW;
}

/* The window spans at most DIV_ROUND_UP(W, 64) blocks, plus the spare one. */
static u32 ring_blocks(u32 window)
{
	if (!window)
		return 0;
	return roundup_pow_of_two(DIV_ROUND_UP(window, BLOCK_BITS) + 1);
}

static u32 slot(const struct ipsecif_replay *r, u64 seq)
{
	return (seq / BLOCK_BITS) & (r->blocks - 1);
}

static u64 seq_bit(u64 seq)
{
	return BIT_ULL(seq % BLOCK_BITS);
}

/**
 * ipsecif_replay_size - bytes to allocate for a replay state
 * @window: window size in packets, at most IPSECIF_REPLAY_MAX_WINDOW
 *
 * Return: the size of struct ipsecif_replay including its bitmap.
 */
size_t ipsecif_replay_size(u32 window)
{
	return sizeof(struct ipsecif_replay) +
	       ring_blocks(clamp_window(window)) * sizeof(u64);
}

/**
 * ipsecif_replay_init - start an empty window
 * @r: ipsecif_replay_size(@window) bytes
 * @window: window size in packets, 0 for no replay check; values above
 *	IPSECIF_REPLAY_MAX_WINDOW are clamped to it
 */
void ipsecif_replay_init(struct ipsecif_replay *r, u32 window)
{
	r->top = 0;
	r->window = clamp_window(window);
	r->blocks = ring_blocks(r->window);
	memset(r->bitmap, 0, r->blocks * sizeof(u64));
}

/**
 * ipsecif_replay_preset - start the window at a given number
 * @r: an initialised replay state
 * @top: the highest number already received (0: none)
 *
 * For an SA carried over from elsewhere: @top and every number before it
 * count as seen (what arrived before is not known), numbers above it are
 * new, and ESN inference starts from its subspace. Every slot of the ring
 * holds a block at or before top's, so all bits up to top's are set.
 */
void ipsecif_replay_preset(struct ipsecif_replay *r, u64 top)
{
	u32 i;

	r->top = top;
	if (!r->window)
		return;
	for (i = 0; i < r->blocks; i++)
		r->bitmap[i] = top ? ~0ULL : 0;
	if (top)
		r->bitmap[slot(r, top)] = GENMASK_ULL(top % BLOCK_BITS, 0);
}

/* RFC 4303 appendix A: place seq_low in the 2^32 numbers that start at the
 * bottom of the window, top - W + 1.  If the window lies within one 2^32
 * subspace, a seq_low below its bottom belongs to the next subspace; if the
 * window reaches back into the previous subspace, a seq_low at or above its
 * bottom (mod 2^32) belongs there.  A result before the first or after the
 * last 64-bit number cannot be valid.
 */
static int infer_esn(u64 top, u32 window, u32 seq_low, u64 *seq)
{
	u32 top_low = (u32)top;
	u32 seq_high = (u32)(top >> 32);
	u32 bottom_low;

	if (!window)
		window = ESN_WINDOW_WITHOUT_REPLAY;
	bottom_low = top_low - window + 1;

	if (top_low >= window - 1) {
		if (seq_low < bottom_low) {
			seq_high++;
			if (!seq_high)
				return -EBADMSG;
		}
	} else if (seq_low >= bottom_low) {
		if (!seq_high)
			return -EBADMSG;
		seq_high--;
	}

	*seq = (u64)seq_high << 32 | seq_low;
	return 0;
}

/* Whether seq may be accepted: new, or inside the window and not yet seen. */
static bool acceptable(const struct ipsecif_replay *r, u64 seq)
{
	if (!seq)
		return false;
	if (!r->window || seq > r->top)
		return true;
	if (r->top - seq >= r->window)
		return false;
	return !(r->bitmap[slot(r, seq)] & seq_bit(seq));
}

/**
 * ipsecif_replay_check - infer and check a received sequence number
 * @r: replay state, not modified
 * @seq_low: the sequence number field of the ESP header, in host order
 * @esn: whether the SA uses extended sequence numbers
 * @seq: set to the full sequence number on success
 *
 * Runs before decryption, so that replayed packets cost no crypto.  With
 * @esn the high half is inferred as RFC 4303 appendix A describes, even with
 * the window off; without it the high half is 0.  Sequence number 0 is never
 * valid.
 *
 * Return: 0, or -EBADMSG if the number is 0, already seen or too old.
 */
int ipsecif_replay_check(const struct ipsecif_replay *r, u32 seq_low, bool esn,
			 u64 *seq)
{
	u64 full = seq_low;

	if (esn && infer_esn(r->top, r->window, seq_low, &full))
		return -EBADMSG;
	if (!acceptable(r, full))
		return -EBADMSG;

	*seq = full;
	return 0;
}

/* How many of the numbers first..last, all inside the window, were seen. */
static u64 count_seen(const struct ipsecif_replay *r, u64 first, u64 last)
{
	u64 seen = 0;

	while (first <= last) {
		u64 end = first | (BLOCK_BITS - 1);

		if (end > last)
			end = last;
		seen += hweight64(r->bitmap[slot(r, first)] &
				  GENMASK_ULL(end % BLOCK_BITS,
					      first % BLOCK_BITS));
		first = end + 1;
	}
	return seen;
}

/* Numbers up to top - W are outside the window.  Moving top to new_top
 * pushes out those in old_edge + 1 .. new_edge: the ones that were in the
 * window but never seen, and all the ones skipped above the old top.  Each
 * number crosses the edge once, so none is counted twice; the edge never
 * goes below 0, so numbers before the first are not counted.
 */
static u64 count_lost(const struct ipsecif_replay *r, u64 new_top)
{
	u64 old_edge = r->top > r->window ? r->top - r->window : 0;
	u64 new_edge = new_top > r->window ? new_top - r->window : 0;
	u64 last_in_window = new_edge < r->top ? new_edge : r->top;
	u64 lost = 0;

	if (last_in_window > old_edge)
		lost += last_in_window - old_edge -
			count_seen(r, old_edge + 1, last_in_window);
	if (new_edge > r->top)
		lost += new_edge - r->top;
	return lost;
}

/* Zero the slots of the blocks after top's, up to new_top's, and move top. */
static void slide(struct ipsecif_replay *r, u64 new_top)
{
	u64 block = r->top / BLOCK_BITS;
	u64 new_block = new_top / BLOCK_BITS;

	if (new_block - block >= r->blocks) {
		memset(r->bitmap, 0, r->blocks * sizeof(u64));
	} else {
		while (block < new_block) {
			block++;
			r->bitmap[block & (r->blocks - 1)] = 0;
		}
	}
	r->top = new_top;
}

/**
 * ipsecif_replay_advance - record a sequence number whose ICV verified
 * @r: replay state
 * @seq: the number ipsecif_replay_check() returned
 * @lost: incremented by the numbers that left the window unseen
 *
 * Checks @seq again, since another CPU may have accepted it, or moved the
 * window past it, after this CPU's check.  A number above top slides the
 * window.  With the window off nothing is recorded but top, and every number
 * skipped over counts as lost at once.
 *
 * Return: 0, or -EBADMSG if @seq may no longer be accepted.
 */
int ipsecif_replay_advance(struct ipsecif_replay *r, u64 seq, u64 *lost)
{
	if (!acceptable(r, seq))
		return -EBADMSG;

	if (!r->window) {
		if (seq > r->top) {
			*lost += seq - r->top - 1;
			r->top = seq;
		}
		return 0;
	}

	if (seq > r->top) {
		*lost += count_lost(r, seq);
		slide(r, seq);
	}
	r->bitmap[slot(r, seq)] |= seq_bit(seq);
	return 0;
}
