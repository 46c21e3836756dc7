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

static struct padata_instance *ipsecif_padata;
static struct padata_shell *ipsecif_pshell[2];	/* [encrypt] */

static void ipsecif_crypto_complete(struct crypto_async_request *base,
				    int err)
{
	struct ipsecif_crypto_ctx *ctx = base->data;

	ctx->done(ctx, err);
}

/* Parallel: the request finished, on a worker or asynchronously after
 * it; padata calls ipsecif_par_serial() when its turn comes.
 */
static void ipsecif_par_complete(struct crypto_async_request *base, int err)
{
	struct ipsecif_crypto_ctx *ctx = base->data;

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

/* After the last SA is gone: nothing is in flight. */
void ipsecif_crypto_exit(void)
{
	padata_free_shell(ipsecif_pshell[1]);
	padata_free_shell(ipsecif_pshell[0]);
	padata_free(ipsecif_padata);
}
