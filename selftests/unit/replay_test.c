// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of net/ipsecif/replay.c, built on the host against shim/ and
 * printing KTAP: fixed cases for the window edges, lost accounting and every
 * case of RFC 4303 appendix A, then random runs against a reference model.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define SPACE 0x100000000ULL
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static unsigned int case_failures;

static void fail(const char *func, int line, const char *fmt, ...)
{
	va_list ap;

	if (case_failures++ >= 10)
		return;
	printf("# %s:%d: ", func, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

#define EXPECT(cond) do {						\
	if (!(cond))							\
		fail(__func__, __LINE__, "expected %s", #cond);		\
} while (0)

#define EXPECT_EQ(a, b) do {						\
	unsigned long long _a = (a), _b = (b);				\
	if (_a != _b)							\
		fail(__func__, __LINE__, "%s == %llu, expected %s == %llu", \
		     #a, _a, #b, _b);					\
} while (0)

/* Garbage before init, so a missing memset shows. */
static struct ipsecif_replay *new_replay(u32 window)
{
	size_t size = ipsecif_replay_size(window);
	struct ipsecif_replay *r = malloc(size);

	if (!r)
		abort();
	memset(r, 0xa5, size);
	ipsecif_replay_init(r, window);
	return r;
}

static int check(const struct ipsecif_replay *r, u64 seq, bool esn, u64 *out)
{
	u64 dummy;

	return ipsecif_replay_check(r, (u32)seq, esn, out ? out : &dummy);
}

/* A packet whose ICV verifies: check, then advance; 0 if accepted. */
static int receive(struct ipsecif_replay *r, u64 seq, bool esn, u64 *lost)
{
	u64 full, unused = 0;
	int err;

	err = ipsecif_replay_check(r, (u32)seq, esn, &full);
	if (err)
		return err;
	if (esn && full != seq)
		return -EINVAL;
	if (!esn && full != (u32)seq)
		return -EINVAL;
	return ipsecif_replay_advance(r, full, lost ? lost : &unused);
}

/*
 * Appendix A restated independently: seq_low names the one number congruent
 * to it mod 2^32 in top - W + 1 .. top - W + 2^32, with W taken as 2^31 when
 * the window is off.  0 when that number is 0 or outside 1 .. 2^64 - 1.
 */
static u64 model_infer(u64 top, u32 window, u32 seq_low)
{
	u64 w = window ? window : 1ULL << 31;
	__int128 bottom = (__int128)top - (__int128)w + 1;
	__int128 n = bottom + (u32)((u32)seq_low - (u32)bottom);

	if (n < 1 || n > (__int128)UINT64_MAX)
		return 0;
	return (u64)n;
}

static void test_size_and_init(void)
{
	static const u32 windows[] = { 0, 1, 32, 63, 64, 65, 100, 128, 1000,
				       4095, 4096 };
	struct ipsecif_replay *r;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(windows); i++) {
		u32 w = windows[i];
		u32 needed = w ? (w + 63) / 64 + 1 : 0;

		r = new_replay(w);
		EXPECT_EQ(r->window, w);
		EXPECT_EQ(r->top, 0);
		EXPECT(r->blocks >= needed);
		EXPECT((r->blocks & (r->blocks - 1)) == 0);
		EXPECT(!w || r->blocks < 2 * needed);
		EXPECT_EQ(ipsecif_replay_size(w),
			  sizeof(*r) + r->blocks * sizeof(u64));
		for (u32 b = 0; b < r->blocks; b++)
			EXPECT_EQ(r->bitmap[b], 0);
		free(r);
	}

	EXPECT_EQ(ipsecif_replay_size(4096), ipsecif_replay_size(5000));
	EXPECT_EQ(ipsecif_replay_size(4096), ipsecif_replay_size(UINT32_MAX));
	r = new_replay(UINT32_MAX);
	EXPECT_EQ(r->window, IPSECIF_REPLAY_MAX_WINDOW);
	free(r);
}

static void test_in_order(void)
{
	struct ipsecif_replay *r = new_replay(64);
	u64 lost = 0, seq;

	for (seq = 1; seq <= 10000; seq++) {
		EXPECT_EQ(receive(r, seq, false, &lost), 0);
		EXPECT_EQ(r->top, seq);
	}
	EXPECT_EQ(lost, 0);
	free(r);
}

static void test_reorder_within_window(void)
{
	struct ipsecif_replay *r = new_replay(64);
	u64 lost = 0, seq;

	EXPECT_EQ(receive(r, 200, false, &lost), 0);
	EXPECT_EQ(lost, 200 - 64);
	lost = 0;
	for (seq = 199; seq > 200 - 64; seq--)
		EXPECT_EQ(receive(r, seq, false, &lost), 0);
	EXPECT_EQ(receive(r, 200 - 64, false, &lost), -EBADMSG);
	EXPECT_EQ(r->top, 200);
	/* Interleaved: even numbers first, then the odd ones. */
	for (seq = 202; seq <= 260; seq += 2)
		EXPECT_EQ(receive(r, seq, false, &lost), 0);
	for (seq = 201; seq <= 259; seq += 2)
		EXPECT_EQ(receive(r, seq, false, &lost), 0);
	EXPECT_EQ(lost, 0);
	free(r);
}

static void test_duplicate(void)
{
	struct ipsecif_replay *r = new_replay(128);
	u64 lost = 0, seq;

	for (seq = 1; seq <= 300; seq += 3)
		EXPECT_EQ(receive(r, seq, false, &lost), 0);
	for (seq = 1; seq <= 300; seq++) {
		int want = (seq % 3 == 1 || seq + 128 <= r->top) ? -EBADMSG : 0;

		EXPECT_EQ(check(r, seq, false, NULL), want);
	}
	EXPECT_EQ(check(r, r->top, false, NULL), -EBADMSG);
	EXPECT_EQ(ipsecif_replay_advance(r, r->top, &lost), -EBADMSG);
	EXPECT_EQ(ipsecif_replay_advance(r, r->top - 3, &lost), -EBADMSG);
	EXPECT_EQ(ipsecif_replay_advance(r, r->top - 1, &lost), 0);
	EXPECT_EQ(ipsecif_replay_advance(r, r->top - 1, &lost), -EBADMSG);
	free(r);
}

static void test_too_old(void)
{
	struct ipsecif_replay *r = new_replay(32);
	u64 seq, lost = 0;

	EXPECT_EQ(receive(r, 1000, false, NULL), 0);
	for (seq = 1; seq <= 1000 - 32; seq++) {
		EXPECT_EQ(check(r, seq, false, NULL), -EBADMSG);
		EXPECT_EQ(ipsecif_replay_advance(r, seq, &lost), -EBADMSG);
	}
	EXPECT_EQ(lost, 0);
	EXPECT_EQ(check(r, 1000 - 31, false, NULL), 0);
	free(r);
}

/*
 * With top T a number T - W is rejected and T - W + 1 accepted; tried for
 * top at different offsets within a block, and before the window fills.
 */
static void test_boundary(u32 w)
{
	const u64 tops[] = { 1, 2, w - 1, w, w + 1, 64, 127, 128, 129,
			     3 * 4096 + 63, 1000003, SPACE - 1 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tops); i++) {
		u64 top = tops[i], seq, out = 0, lost = 0;
		struct ipsecif_replay *r;

		if (!top)
			continue;
		r = new_replay(w);
		EXPECT_EQ(receive(r, top, false, &lost), 0);
		EXPECT_EQ(lost, top > w ? top - w : 0);
		EXPECT_EQ(check(r, top, false, NULL), -EBADMSG);
		EXPECT_EQ(check(r, 0, false, NULL), -EBADMSG);
		for (seq = top > w ? top - w + 1 : 1; seq < top; seq++) {
			EXPECT_EQ(check(r, seq, false, &out), 0);
			EXPECT_EQ(out, seq);
		}
		if (top > w) {
			EXPECT_EQ(check(r, top - w, false, NULL), -EBADMSG);
			EXPECT_EQ(ipsecif_replay_advance(r, top - w, &lost),
				  -EBADMSG);
			if (w > 1) {
				EXPECT_EQ(receive(r, top - w + 1, false, NULL),
					  0);
				EXPECT_EQ(check(r, top - w + 1, false, NULL),
					  -EBADMSG);
			}
		}
		if (top + 1 < SPACE) {
			/* One step on, the edge moves by one too. */
			EXPECT_EQ(receive(r, top + 1, false, NULL), 0);
			if (top + 1 > w)
				EXPECT_EQ(check(r, top + 1 - w, false, NULL),
					  -EBADMSG);
			if (top + 2 > w && top + 2 - w < top)
				EXPECT_EQ(check(r, top + 2 - w, false, NULL),
					  0);
		}
		free(r);
	}
}

static void test_jump_beyond_window(void)
{
	struct ipsecif_replay *r = new_replay(64);
	u64 lost = 0, seq;

	for (seq = 1; seq <= 100; seq++)
		EXPECT_EQ(receive(r, seq, false, &lost), 0);
	EXPECT_EQ(receive(r, 100 + 10000, false, &lost), 0);
	EXPECT_EQ(lost, 10000 - 64);
	/* Nothing stale left in the ring, whichever slot a number maps to. */
	for (seq = 10100 - 63; seq < 10100; seq++)
		EXPECT_EQ(check(r, seq, false, NULL), 0);
	EXPECT_EQ(check(r, 10100 - 64, false, NULL), -EBADMSG);
	/* A jump of exactly the ring size reuses every slot. */
	seq = r->top + 64ULL * r->blocks;
	EXPECT_EQ(receive(r, seq, false, &lost), 0);
	for (seq = r->top - 63; seq < r->top; seq++)
		EXPECT_EQ(check(r, seq, false, NULL), 0);
	free(r);
}

/* Receiving 1, 2 and 5, then moving on: 3 and 4 are lost exactly once. */
static void test_lost_accounting(void)
{
	struct ipsecif_replay *r = new_replay(32);
	u64 lost = 0;

	EXPECT_EQ(receive(r, 1, false, &lost), 0);
	EXPECT_EQ(receive(r, 2, false, &lost), 0);
	EXPECT_EQ(receive(r, 5, false, &lost), 0);
	EXPECT_EQ(lost, 0);
	EXPECT_EQ(receive(r, 35, false, &lost), 0);	/* edge 3: 3 out */
	EXPECT_EQ(lost, 1);
	EXPECT_EQ(receive(r, 36, false, &lost), 0);	/* edge 4: 4 out */
	EXPECT_EQ(lost, 2);
	EXPECT_EQ(receive(r, 37, false, &lost), 0);	/* edge 5: seen */
	EXPECT_EQ(lost, 2);
	EXPECT_EQ(receive(r, 4, false, &lost), -EBADMSG);
	EXPECT_EQ(receive(r, 37, false, &lost), -EBADMSG);
	EXPECT_EQ(lost, 2);

	/* Far jump: 6..34 unseen, then 38..968 skipped; 35..37 seen. */
	EXPECT_EQ(receive(r, 1000, false, &lost), 0);
	EXPECT_EQ(lost, 2 + 29 + 931);
	/* Filling holes inside the window does not change lost... */
	EXPECT_EQ(receive(r, 980, false, &lost), 0);
	EXPECT_EQ(lost, 962);
	/* ...and they are not counted when they leave it. */
	EXPECT_EQ(receive(r, 1012, false, &lost), 0);
	EXPECT_EQ(lost, 962 + 12 - 1);
	/* lost is added to, never reset. */
	lost = 1000;
	EXPECT_EQ(receive(r, 1013, false, &lost), 0);
	EXPECT_EQ(lost, 1001);
	free(r);
}

/* At the start the window reaches below 1: those numbers are not lost. */
static void test_lost_at_start(void)
{
	struct ipsecif_replay *r = new_replay(64);
	u64 lost = 0;

	EXPECT_EQ(receive(r, 10, false, &lost), 0);
	EXPECT_EQ(receive(r, 64, false, &lost), 0);
	EXPECT_EQ(lost, 0);
	EXPECT_EQ(receive(r, 65, false, &lost), 0);	/* 1 out, unseen */
	EXPECT_EQ(lost, 1);
	EXPECT_EQ(receive(r, 80, false, &lost), 0);	/* 2..16 out, 10 seen */
	EXPECT_EQ(lost, 15);
	free(r);

	r = new_replay(64);
	lost = 0;
	EXPECT_EQ(receive(r, 100, false, &lost), 0);
	EXPECT_EQ(lost, 36);
	free(r);

	r = new_replay(1);
	lost = 0;
	EXPECT_EQ(receive(r, 1, false, &lost), 0);
	EXPECT_EQ(receive(r, 2, false, &lost), 0);
	EXPECT_EQ(lost, 0);
	EXPECT_EQ(receive(r, 5, false, &lost), 0);
	EXPECT_EQ(lost, 2);
	free(r);
}

static void test_check_does_not_modify(void)
{
	struct ipsecif_replay *r = new_replay(100);
	size_t size = ipsecif_replay_size(100);
	struct ipsecif_replay *copy = malloc(size);
	u64 seq, out;

	for (seq = 1; seq < 500; seq += 2)
		EXPECT_EQ(receive(r, seq, false, NULL), 0);
	memcpy(copy, r, size);
	for (seq = 0; seq < 1000; seq++) {
		check(r, seq, false, &out);
		check(r, seq, true, &out);
		check(r, seq + SPACE - 50, true, &out);
	}
	EXPECT(memcmp(copy, r, size) == 0);
	free(copy);
	free(r);
}

/* Two CPUs check the same number before either advances. */
static void test_advance_race(void)
{
	struct ipsecif_replay *r = new_replay(64);
	u64 cpu0, cpu1, lost = 0;

	EXPECT_EQ(receive(r, 10, false, &lost), 0);
	EXPECT_EQ(check(r, 7, false, &cpu0), 0);
	EXPECT_EQ(check(r, 7, false, &cpu1), 0);
	EXPECT_EQ(ipsecif_replay_advance(r, cpu0, &lost), 0);
	EXPECT_EQ(ipsecif_replay_advance(r, cpu1, &lost), -EBADMSG);

	/* The same for a number that would move top. */
	EXPECT_EQ(check(r, 20, false, &cpu0), 0);
	EXPECT_EQ(check(r, 20, false, &cpu1), 0);
	EXPECT_EQ(ipsecif_replay_advance(r, cpu0, &lost), 0);
	EXPECT_EQ(ipsecif_replay_advance(r, cpu1, &lost), -EBADMSG);

	/* The window moved past the number in the meantime. */
	EXPECT_EQ(check(r, 8, false, &cpu0), 0);
	EXPECT_EQ(receive(r, 1000, false, &lost), 0);
	lost = 0;
	EXPECT_EQ(ipsecif_replay_advance(r, cpu0, &lost), -EBADMSG);
	EXPECT_EQ(lost, 0);
	EXPECT_EQ(r->top, 1000);
	free(r);
}

static void test_zero_without_esn(void)
{
	static const u32 windows[] = { 0, 1, 64, 4096 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(windows); i++) {
		struct ipsecif_replay *r = new_replay(windows[i]);
		u64 lost = 0;

		EXPECT_EQ(check(r, 0, false, NULL), -EBADMSG);
		EXPECT_EQ(ipsecif_replay_advance(r, 0, &lost), -EBADMSG);
		EXPECT_EQ(receive(r, 3, false, &lost), 0);
		EXPECT_EQ(check(r, 0, false, NULL), -EBADMSG);
		/* Without ESN the high half is always 0, never inferred. */
		EXPECT_EQ(receive(r, SPACE - 1, false, &lost), 0);
		EXPECT_EQ(check(r, 0, false, NULL), -EBADMSG);
		EXPECT_EQ(check(r, 1, false, NULL), -EBADMSG * !!windows[i]);
		free(r);
	}
}

/* Set top to an arbitrary 64-bit value, as if everything went in order. */
static struct ipsecif_replay *replay_at(u32 w, u64 top)
{
	struct ipsecif_replay *r = new_replay(w);
	u64 lost = 0;

	if (ipsecif_replay_advance(r, top, &lost))
		abort();
	return r;
}

static void expect_infer(const struct ipsecif_replay *r, u32 seq_low,
			 u64 want, int line)
{
	u64 out = 0;
	int err = ipsecif_replay_check(r, seq_low, true, &out);

	if (err || out != want)
		fail("expect_infer", line,
		     "top %#llx W %u seq_low %#x: err %d seq %#llx, want %#llx",
		     r->top, r->window, seq_low, err, out, want);
	if (want != model_infer(r->top, r->window, seq_low))
		fail("expect_infer", line, "model disagrees for %#x", seq_low);
}

static void expect_reject(const struct ipsecif_replay *r, u32 seq_low,
			  int line)
{
	u64 out = 0;

	if (ipsecif_replay_check(r, seq_low, true, &out) != -EBADMSG)
		fail("expect_reject", line,
		     "top %#llx W %u seq_low %#x: accepted as %#llx",
		     r->top, r->window, seq_low, out);
}

#define INFER(r, low, want) expect_infer(r, low, want, __LINE__)
#define REJECT(r, low) expect_reject(r, low, __LINE__)

/* Appendix A, Tl >= W - 1: the window lies within subspace Th. */
static void test_esn_window_within_subspace(void)
{
	const u64 th = 7ULL << 32;
	struct ipsecif_replay *r = replay_at(64, th | 1000);

	/* seq_low >= Tl - W + 1: Th. */
	INFER(r, 1000 - 63, th | (1000 - 63));
	INFER(r, 999, th | 999);
	REJECT(r, 1000);
	INFER(r, 1001, th | 1001);
	INFER(r, 0xffffffff, th | 0xffffffff);
	/* seq_low < Tl - W + 1: Th + 1. */
	INFER(r, 1000 - 64, (th + SPACE) | (1000 - 64));
	INFER(r, 0, th + SPACE);
	INFER(r, 1, (th + SPACE) | 1);
	free(r);

	/* Tl == W - 1 exactly: bottom is 0, so always Th. */
	r = replay_at(64, th | 63);
	INFER(r, 0, th);
	INFER(r, 0xffffffff, th | 0xffffffff);
	REJECT(r, 63);
	free(r);

	/* W = 1: anything below Tl is the next subspace. */
	r = replay_at(1, th | 1000);
	INFER(r, 1001, th | 1001);
	REJECT(r, 1000);
	INFER(r, 999, (th + SPACE) | 999);
	free(r);
}

/* Appendix A, Tl < W - 1: the window reaches back into subspace Th - 1. */
static void test_esn_window_spans_subspaces(void)
{
	const u64 th = 7ULL << 32;
	struct ipsecif_replay *r = replay_at(64, th | 10);
	u32 bottom = 10 - 64 + 1;	/* 0xffffffcb */

	/* seq_low >= Tl - W + 1 (mod 2^32): Th - 1, inside the window. */
	INFER(r, bottom, (th - SPACE) | bottom);
	INFER(r, 0xffffffff, (th - SPACE) | 0xffffffff);
	/* seq_low < Tl - W + 1: Th, in the window or ahead of it. */
	INFER(r, 0, th);
	INFER(r, 9, th | 9);
	REJECT(r, 10);
	INFER(r, 11, th | 11);
	INFER(r, bottom - 1, th | (bottom - 1));
	free(r);

	/* Tl == W - 2, the largest Tl that still spans. */
	r = replay_at(64, th | 62);
	INFER(r, 0xffffffff, (th - SPACE) | 0xffffffff);
	INFER(r, 0xfffffffe, th | 0xfffffffe);
	free(r);
}

/* In-order traffic across 2^32 continues into Th + 1, late ones in Th. */
static void test_esn_wrap(void)
{
	struct ipsecif_replay *r = new_replay(64);
	u64 lost = 0, seq;

	EXPECT_EQ(receive(r, SPACE - 100, true, &lost), 0);
	lost = 0;
	for (seq = SPACE - 99; seq < SPACE + 100; seq++) {
		if (seq == SPACE - 2)
			continue;	/* arrives late, below */
		EXPECT_EQ(receive(r, seq, true, &lost), 0);
	}
	EXPECT_EQ(r->top, SPACE + 99);
	/* The 63 holes below the first number, and SPACE - 2. */
	EXPECT_EQ(lost, 63 + 1);
	/* SPACE - 2 is 101 behind: too old, so it names the next space. */
	INFER(r, 0xfffffffe, 2 * SPACE - 2);
	free(r);

	/* From a fresh SA, seq_low just below 2^32 would be before 1. */
	r = new_replay(64);
	lost = 0;
	REJECT(r, 0xfffffffd);
	EXPECT_EQ(receive(r, SPACE - 100, true, &lost), 0);
	EXPECT_EQ(receive(r, SPACE - 3, true, &lost), 0);
	EXPECT_EQ(receive(r, SPACE, true, &lost), 0);	/* seq_low 0 */
	EXPECT_EQ(receive(r, SPACE + 1, true, &lost), 0);
	EXPECT_EQ(receive(r, SPACE - 1, true, &lost), 0); /* late */
	EXPECT_EQ(receive(r, SPACE - 1, true, &lost), -EBADMSG);
	EXPECT_EQ(receive(r, SPACE, true, &lost), -EBADMSG);
	INFER(r, 0xfffffffe, SPACE - 2);
	free(r);
}

/* A preset top counts as seen; the window and ESN inference start there. */
static void test_preset(void)
{
	struct ipsecif_replay *r = new_replay(64);
	u64 lost = 0;

	ipsecif_replay_preset(r, SPACE - 6);
	EXPECT_EQ(r->top, SPACE - 6);
	EXPECT_EQ(receive(r, SPACE - 6, true, &lost), -EBADMSG);
	EXPECT_EQ(receive(r, SPACE - 7, true, &lost), -EBADMSG);
	EXPECT_EQ(receive(r, SPACE - 5, true, &lost), 0);
	EXPECT_EQ(receive(r, SPACE + 3, true, &lost), 0);	/* crosses 2^32 */
	EXPECT_EQ(r->top, SPACE + 3);
	EXPECT_EQ(lost, 0);		/* what leaves the window was seen */
	EXPECT_EQ(receive(r, SPACE + 100, true, &lost), 0);
	EXPECT_EQ(lost, 7 + 33);	/* SPACE - 4 .. + 2, SPACE + 4 .. + 36 */
	free(r);

	/* Without ESN, the last number: nothing can follow it. */
	r = new_replay(64);
	ipsecif_replay_preset(r, SPACE - 1);
	EXPECT_EQ(receive(r, SPACE - 1, false, &lost), -EBADMSG);
	EXPECT_EQ(receive(r, SPACE - 2, false, &lost), -EBADMSG);
	EXPECT_EQ(receive(r, 1, false, &lost), -EBADMSG);
	free(r);

	/* Window off: only top moves. */
	r = new_replay(0);
	ipsecif_replay_preset(r, 1000);
	EXPECT_EQ(r->top, 1000);
	EXPECT_EQ(receive(r, 1001, false, &lost), 0);
	free(r);
}

static void test_esn_zero_rejected(void)
{
	struct ipsecif_replay *r = new_replay(64);

	/* Th = 0: seq_low 0 is 0, and the window's part below 1 is empty. */
	REJECT(r, 0);
	REJECT(r, 0xffffffff);
	REJECT(r, 0xffffffc1);
	INFER(r, 0xffffffc0, 0xffffffc0);
	INFER(r, 1, 1);
	free(r);

	r = replay_at(64, 30);
	REJECT(r, 0);
	REJECT(r, 0xfffffff0);
	INFER(r, 29, 29);
	free(r);

	/* Once past 2^32, seq_low 0 is a valid number. */
	r = replay_at(64, SPACE + 5);
	INFER(r, 0, SPACE);
	free(r);

	/* The last subspace: nothing after 2^64 - 1. */
	r = replay_at(64, UINT64_MAX - 10);
	INFER(r, 0xffffffff, UINT64_MAX);
	REJECT(r, 0);
	REJECT(r, 5);
	free(r);

	r = replay_at(0, UINT64_MAX - 10);
	REJECT(r, 0);
	INFER(r, 0xfffffff0, UINT64_MAX - 15);
	free(r);
}

/* Window 0: no replay check at all, but top still moves. */
static void test_window_zero(void)
{
	struct ipsecif_replay *r = new_replay(0);
	u64 lost = 0, seq;

	EXPECT_EQ(r->blocks, 0);
	EXPECT_EQ(receive(r, 0, false, &lost), -EBADMSG);
	for (seq = 1; seq <= 10; seq++)
		EXPECT_EQ(receive(r, seq, false, &lost), 0);
	EXPECT_EQ(receive(r, 5, false, &lost), 0);
	EXPECT_EQ(receive(r, 5, false, &lost), 0);
	EXPECT_EQ(receive(r, 10, false, &lost), 0);
	EXPECT_EQ(r->top, 10);
	EXPECT_EQ(lost, 0);
	/* Every skipped number counts as lost at once, even if it comes. */
	EXPECT_EQ(receive(r, 20, false, &lost), 0);
	EXPECT_EQ(lost, 9);
	EXPECT_EQ(receive(r, 15, false, &lost), 0);
	EXPECT_EQ(lost, 9);
	EXPECT_EQ(r->top, 20);
	free(r);
}

/* Window 0 with ESN: the nearest number to top, up to 2^31 either way. */
static void test_window_zero_esn(void)
{
	struct ipsecif_replay *r = new_replay(0);
	u64 lost = 0, seq;

	REJECT(r, 0);
	INFER(r, 1, 1);
	INFER(r, 0x80000000, 0x80000000);
	REJECT(r, 0x80000001);	/* nearer as 0x80000001 - 2^32 */
	free(r);

	r = replay_at(0, SPACE - 16);
	for (seq = SPACE - 15; seq < SPACE + 16; seq++)
		EXPECT_EQ(receive(r, seq, true, &lost), 0);
	EXPECT_EQ(receive(r, SPACE - 3, true, &lost), 0);	/* dup ok */
	EXPECT_EQ(r->top, SPACE + 15);
	INFER(r, 0xfffffff0, SPACE - 16);
	INFER(r, 15 + 0x80000000, SPACE + 15 + 0x80000000);
	INFER(r, 16 + 0x80000000, 16 + 0x80000000);
	INFER(r, 15, SPACE + 15);
	free(r);

	r = replay_at(0, (5ULL << 32) | 0xc0000000);
	INFER(r, 0x40000000, (6ULL << 32) | 0x40000000);
	INFER(r, 0x40000001, (5ULL << 32) | 0x40000001);
	INFER(r, 0x40000000 - 1, (6ULL << 32) | 0x3fffffff);
	free(r);
}

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u64 rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Inference against the model for random tops, windows and seq_low. */
static void test_esn_inference_random(void)
{
	static const u32 windows[] = { 0, 1, 2, 32, 64, 100, 4096 };
	unsigned int i, j;

	for (i = 0; i < 20000; i++) {
		u32 w = windows[i % 7];
		u64 top = rng();
		struct ipsecif_replay *r;

		switch (i % 5) {
		case 0:
			top &= 0xffffffffULL;		/* Th = 0 */
			break;
		case 1:
			top = (top & ~0xffffffffULL) | (top & 0x1fff);
			break;
		case 2:
			top |= 0xffffffff00000000ULL;	/* last space */
			break;
		}
		if (!top)
			top = 1;
		r = replay_at(w, top);
		for (j = 0; j < 50; j++) {
			u32 low = (u32)rng();
			u64 want, out = 0;
			int err;

			if (j < 8)
				low = (u32)top + (u32)(j - 4);
			else if (j < 12)
				low = (u32)top - w + (u32)(j - 10);
			want = model_infer(top, w, low);
			err = ipsecif_replay_check(r, low, true, &out);
			if (want == top)
				want = w ? 0 : top;	/* top is seen */
			if (!want)
				EXPECT_EQ(err, -EBADMSG);
			else if (err || out != want)
				fail(__func__, __LINE__,
				     "top %#llx W %u low %#x: err %d %#llx, want %#llx",
				     top, w, low, err, out, want);
		}
		free(r);
	}
}

/*
 * Random traffic against a model that keeps every number seen in a byte
 * array: reordering, duplicates, stale numbers, jumps past the window,
 * packets whose ICV fails (check without advance) and advances racing with
 * a check.  With ESN, traffic starts below 2^32 and crosses it.
 */
struct model {
	u64 origin;
	u64 top;
	u64 lost;
	u32 window;
	unsigned char *seen;
	size_t len;
};

static bool model_seen(const struct model *m, u64 seq)
{
	return seq >= m->origin && seq - m->origin < m->len &&
	       m->seen[seq - m->origin];
}

static void model_mark(struct model *m, u64 seq)
{
	size_t at = seq - m->origin;

	if (at >= m->len) {
		size_t len = m->len;

		while (len <= at)
			len = len ? 2 * len : 1 << 20;
		m->seen = realloc(m->seen, len);
		if (!m->seen)
			abort();
		memset(m->seen + m->len, 0, len - m->len);
		m->len = len;
	}
	m->seen[at] = 1;
}

static bool model_acceptable(const struct model *m, u64 seq)
{
	if (!seq)
		return false;
	if (!m->window || seq > m->top)
		return true;
	return seq + m->window > m->top && !model_seen(m, seq);
}

static void model_accept(struct model *m, u64 seq)
{
	if (seq > m->top) {
		u64 old_edge = m->top > m->window ? m->top - m->window : 0;
		u64 new_edge = seq > m->window ? seq - m->window : 0;
		u64 n;

		if (!m->window)
			old_edge = m->top, new_edge = seq - 1;
		for (n = old_edge + 1; n <= new_edge; n++)
			m->lost += !model_seen(m, n);
		m->top = seq;
	}
	model_mark(m, seq);
}

static u64 pick_seq(const struct model *m)
{
	u64 w = m->window ? m->window : 64;
	u64 r = rng() % 1000, back;

	if (r < 500)
		return m->top + 1 + rng() % 4;
	if (r < 800) {
		back = rng() % (w + w / 8 + 3);
		return back > m->top ? 0 : m->top - back;
	}
	if (r < 990)
		return m->top + 1 + rng() % 64;
	return m->top + 1 + rng() % (3 * w + 200);
}

static void run_model(u32 window, bool esn, unsigned int ops)
{
	size_t size = ipsecif_replay_size(window);
	struct ipsecif_replay *r = new_replay(window);
	struct ipsecif_replay *before = malloc(size);
	struct model m = { .window = window };
	u64 lost = 0, seq, full, want, n;
	unsigned int i;
	int err, want_err;

	if (esn) {
		m.origin = SPACE - 100000;
		if (ipsecif_replay_advance(r, m.origin, &lost))
			abort();
		lost = 0;
		m.top = m.origin;
		model_mark(&m, m.origin);
	}

	for (i = 0; i < ops && case_failures < 10; i++) {
		seq = pick_seq(&m);
		if (esn && seq < m.origin)
			seq = m.origin;

		if (rng() % 20 == 0) {
			/* An advance for a number checked long ago. */
			want_err = model_acceptable(&m, seq) ? 0 : -EBADMSG;
			err = ipsecif_replay_advance(r, seq, &lost);
			if (err != want_err)
				fail(__func__, __LINE__, "W %u advance %llu: %d",
				     window, seq, err);
			if (!err)
				model_accept(&m, seq);
			EXPECT_EQ(lost, m.lost);
			continue;
		}

		/* What check is expected to say about this seq_low. */
		want = esn ? model_infer(m.top, window, (u32)seq) : (u32)seq;
		if (!model_acceptable(&m, want))
			want = 0;

		memcpy(before, r, size);
		full = 0;
		err = ipsecif_replay_check(r, (u32)seq, esn, &full);
		if (memcmp(before, r, size))
			fail(__func__, __LINE__, "check modified state");
		if (want ? err || full != want : err != -EBADMSG) {
			fail(__func__, __LINE__,
			     "W %u esn %d top %llu seq %llu: err %d %llu, want %llu",
			     window, esn, m.top, seq, err, full, want);
			continue;
		}
		/* A number other than the one sent fails its ICV; so do some. */
		if (err || full != seq || rng() % 8 == 0)
			continue;
		if (ipsecif_replay_advance(r, full, &lost))
			fail(__func__, __LINE__, "advance %llu failed", full);
		model_accept(&m, full);
		EXPECT_EQ(r->top, m.top);
		EXPECT_EQ(lost, m.lost);
	}

	/* Lost, counted at the end: every number that left unseen. */
	if (window) {
		u64 edge = m.top > window ? m.top - window : 0, total = 0;

		n = m.origin > window ? m.origin - window + 1 : 1;
		for (; n <= edge; n++)
			total += !model_seen(&m, n);
		EXPECT_EQ(lost, total);
	}
	free(m.seen);
	free(before);
	free(r);
}

static void test_random(u32 window)
{
	run_model(window, false, 250000);
}

static void test_random_esn(u32 window)
{
	run_model(window, true, 100000);
}

struct test_case {
	const char *name;
	void (*run)(void);
	void (*run_window)(u32 window);
	u32 window;
};

#define CASE(fn) { #fn, test_##fn, NULL, 0 }
#define WINDOW_CASE(fn, w) { #fn "_w" #w, NULL, test_##fn, w }

static const struct test_case cases[] = {
	CASE(size_and_init),
	CASE(in_order),
	CASE(reorder_within_window),
	CASE(duplicate),
	CASE(too_old),
	WINDOW_CASE(boundary, 1),
	WINDOW_CASE(boundary, 2),
	WINDOW_CASE(boundary, 32),
	WINDOW_CASE(boundary, 63),
	WINDOW_CASE(boundary, 64),
	WINDOW_CASE(boundary, 65),
	WINDOW_CASE(boundary, 128),
	WINDOW_CASE(boundary, 1000),
	WINDOW_CASE(boundary, 4096),
	CASE(jump_beyond_window),
	CASE(lost_accounting),
	CASE(lost_at_start),
	CASE(check_does_not_modify),
	CASE(advance_race),
	CASE(zero_without_esn),
	CASE(esn_window_within_subspace),
	CASE(esn_window_spans_subspaces),
	CASE(esn_wrap),
	CASE(preset),
	CASE(esn_zero_rejected),
	CASE(window_zero),
	CASE(window_zero_esn),
	CASE(esn_inference_random),
	WINDOW_CASE(random, 0),
	WINDOW_CASE(random, 1),
	WINDOW_CASE(random, 32),
	WINDOW_CASE(random, 64),
	WINDOW_CASE(random, 100),
	WINDOW_CASE(random, 4096),
	WINDOW_CASE(random_esn, 0),
	WINDOW_CASE(random_esn, 32),
	WINDOW_CASE(random_esn, 64),
	WINDOW_CASE(random_esn, 100),
	WINDOW_CASE(random_esn, 4096),
};

int main(void)
{
	unsigned int count = ARRAY_SIZE(cases);
	unsigned int i, passed = 0, failed = 0;

	printf("KTAP version 1\n1..%u\n", count);
	for (i = 0; i < count; i++) {
		case_failures = 0;
		if (cases[i].run)
			cases[i].run();
		else
			cases[i].run_window(cases[i].window);
		if (case_failures) {
			printf("not ok %u %s\n", i + 1, cases[i].name);
			failed++;
		} else {
			printf("ok %u %s\n", i + 1, cases[i].name);
			passed++;
		}
		fflush(stdout);
	}
	printf("# %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
