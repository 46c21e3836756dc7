// SPDX-License-Identifier: GPL-2.0
/*
 * Running the AEAD of one packet: directly, or, for a parallel SA, on
 * whichever CPU is free.
 *
 * A parallel SA's packets go through padata: each request is sealed or
 * opened by a worker of an unbound workqueue, on any CPU, and the
 * completions are handed back in the order the requests were submitted,
 * each on the CPU its SA was given when it was added. One flow, which
 * otherwise is encrypted and decrypted on the CPU it happens to run on,
 * so gets the crypto of every CPU, and its packets still leave and arrive
 * in order: TCP sees no reordering, and the receiver's anti-replay window
 * and the inferred ESN high half move as they would without. The price is
 * a hand-over to a worker and back per packet.
 *
 * Sealing and opening have a reorder queue (padata shell) each; all
 * parallel SAs share them, as all users of one pcrypt instance do.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/padata.h>

#include "crypto.h"

/* Packet contexts come from a small per-CPU cache of blocks of one size,
 * large enough for the usual transforms with a full scatterlist: a packet
 * sealed or opened synchronously takes its context and gives it back on
 * the same CPU, with no trip to the allocator, which would also clear it
 * whole (init_on_alloc, on by default in distribution kernels). Larger
 * contexts are allocated and freed as they come.
 */
#define IPSECIF_CTX_BLOCK	2048
#define IPSECIF_CTX_CACHED	16

struct ipsecif_ctx_cache {
	unsigned int count;
	struct ipsecif_crypto_ctx *free[IPSECIF_CTX_CACHED];
};

static DEFINE_PER_CPU(struct ipsecif_ctx_cache, ipsecif_ctx_cache);

static struct padata_instance *ipsecif_padata;
static struct padata_shell *ipsecif_pshell[2];	/* [encrypt] */

static void ipsecif_crypto_complete(ipsecif_crypto_cb_arg_t arg, int err)
{
	struct ipsecif_crypto_ctx *ctx = ipsecif_crypto_cb_data(arg);

	ctx->done(ctx, err);
}

/* Parallel: the request finished, on a worker or asynchronously after
 * it; padata calls ipsecif_par_serial() when its turn comes.
 */
static void ipsecif_par_complete(ipsecif_crypto_cb_arg_t arg, int err)
{
	struct ipsecif_crypto_ctx *ctx = ipsecif_crypto_cb_data(arg);

	ctx->padata.info = err;
	padata_do_serial(&ctx->padata);
}

/* On a padata worker, bottom halves off. */
static void ipsecif_par_run(struct padata_priv *padata)
{
	struct ipsecif_crypto_ctx *ctx =
		container_of(padata, struct ipsecif_crypto_ctx, padata);
	struct aead_request *req = ipsecif_ctx_req(ctx, ctx->sa->aead);
	int err;

	err = ctx->encrypt ? crypto_aead_encrypt(req) : crypto_aead_decrypt(req);
	if (err == -EINPROGRESS)
		return;
	padata->info = err;
	padata_do_serial(padata);
}

/* In submission order, on the SA's CPU, bottom halves off. */
static void ipsecif_par_serial(struct padata_priv *padata)
{
	struct ipsecif_crypto_ctx *ctx =
		container_of(padata, struct ipsecif_crypto_ctx, padata);

	ctx->done(ctx, padata->info);
}

/**
 * ipsecif_crypto_run - seals (@encrypt) or opens the request of @ctx
 * @ctx: the packet's context; its request is set up but for the callback
 * @encrypt: seal, or open
 *
 * Return: -EINPROGRESS when ctx->done will be called later, otherwise the
 * result of a request already finished (the caller calls ctx->done).
 */
int ipsecif_crypto_run(struct ipsecif_crypto_ctx *ctx, bool encrypt)
{
	struct ipsecif_sa *sa = ctx->sa;
	struct aead_request *req = ipsecif_ctx_req(ctx, sa->aead);
	int cpu, err;

	if (!(sa->flags & IPSECIF_SA_F_PARALLEL)) {
		aead_request_set_callback(req, 0, ipsecif_crypto_complete, ctx);
		return encrypt ? crypto_aead_encrypt(req) :
				 crypto_aead_decrypt(req);
	}
	aead_request_set_callback(req, 0, ipsecif_par_complete, ctx);
	ctx->encrypt = encrypt;
	ctx->padata.parallel = ipsecif_par_run;
	ctx->padata.serial = ipsecif_par_serial;
	cpu = sa->cb_cpu;
	err = padata_do_parallel(ipsecif_pshell[encrypt], &ctx->padata, &cpu);
	return err ?: -EINPROGRESS;
}

/**
 * ipsecif_ctx_alloc - a packet context for @aead with @nsg scatterlist
 * entries, its common part cleared
 * @aead: the transform of the packet's SA
 * @nsg: scatterlist entries the packet needs
 *
 * Return: the context, or NULL when memory is short.
 */
struct ipsecif_crypto_ctx *ipsecif_ctx_alloc(struct crypto_aead *aead,
					     int nsg)
{
	size_t size = ipsecif_ctx_sg_offset(aead) +
		      nsg * sizeof(struct scatterlist);
	struct ipsecif_crypto_ctx *ctx = NULL;
	struct ipsecif_ctx_cache *cache;
	bool cached = size <= IPSECIF_CTX_BLOCK;

	if (cached) {
		local_bh_disable();
		cache = this_cpu_ptr(&ipsecif_ctx_cache);
		if (cache->count)
			ctx = cache->free[--cache->count];
		local_bh_enable();
		size = IPSECIF_CTX_BLOCK;
	}
	if (!ctx)
		ctx = kmalloc(size, GFP_ATOMIC);
	if (ctx) {
		memset(ctx, 0, sizeof(*ctx));
		ctx->cached = cached;
	}
	return ctx;
}

/* Gives a context back; NULL is fine. */
void ipsecif_ctx_free(struct ipsecif_crypto_ctx *ctx)
{
	struct ipsecif_ctx_cache *cache;

	if (ctx && ctx->cached) {
		local_bh_disable();
		cache = this_cpu_ptr(&ipsecif_ctx_cache);
		if (cache->count < IPSECIF_CTX_CACHED) {
			cache->free[cache->count++] = ctx;
			ctx = NULL;
		}
		local_bh_enable();
	}
	kfree(ctx);
}

static void ipsecif_ctx_cache_drain(void)
{
	struct ipsecif_ctx_cache *cache;
	int cpu;

	for_each_possible_cpu(cpu) {
		cache = per_cpu_ptr(&ipsecif_ctx_cache, cpu);
		while (cache->count)
			kfree(cache->free[--cache->count]);
	}
}

/* The CPU on which a new parallel SA's completions run: one after the
 * other, so that SAs spread over the CPUs.
 */
int ipsecif_crypto_cb_cpu(void)
{
	static atomic_t next = ATOMIC_INIT(0);
	unsigned int n = atomic_inc_return(&next);

	return cpumask_local_spread(n % num_online_cpus(), NUMA_NO_NODE);
}

int ipsecif_crypto_init(void)
{
	ipsecif_padata = padata_alloc(KBUILD_MODNAME);
	if (!ipsecif_padata)
		return -ENOMEM;
	ipsecif_pshell[0] = padata_alloc_shell(ipsecif_padata);
	if (!ipsecif_pshell[0])
		goto err_padata;
	ipsecif_pshell[1] = padata_alloc_shell(ipsecif_padata);
	if (!ipsecif_pshell[1])
		goto err_shell;
	return 0;

err_shell:
	padata_free_shell(ipsecif_pshell[0]);
err_padata:
	padata_free(ipsecif_padata);
	return -ENOMEM;
}

/* After the last SA is gone: nothing is in flight, and every context was
 * given back before its SA's last reference.
 */
void ipsecif_crypto_exit(void)
{
	padata_free_shell(ipsecif_pshell[1]);
	padata_free_shell(ipsecif_pshell[0]);
	padata_free(ipsecif_padata);
	ipsecif_ctx_cache_drain();
}
