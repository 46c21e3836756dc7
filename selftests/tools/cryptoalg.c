// SPDX-License-Identifier: GPL-2.0
/*
 * cryptoalg: instantiates or removes an AEAD through the kernel's
 * crypto user API (NETLINK_CRYPTO, CRYPTO_MSG_NEWALG / DELALG), as crconf
 * does. The selftests use it to put pcrypt in front of an AEAD, so that every
 * ESP packet completes asynchronously:
 *
 *   cryptoalg add 'rfc4106(gcm(aes))' --name --sync
 *                      instantiate by algorithm name, a synchronous one
 *   cryptoalg add 'cryptd(rfc4106(gcm_base(ctr(aes-aesni),ghash-clmulni)))'
 *                 --priority 1000
 *                      instantiate by driver name, with that priority
 *   cryptoalg del 'cryptd(...)'                  remove an unused instance
 *
 * Exit status 0 on success (also "add" of one that exists), 1 otherwise.
 */

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/cryptouser.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* From the kernel's linux/crypto.h: every algorithm here is an AEAD. */
#define CRYPTO_ALG_TYPE_AEAD	0x00000003
#define CRYPTO_ALG_TYPE_MASK	0x0000000f
#define CRYPTO_ALG_ASYNC	0x00000080

int main(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct crypto_user_alg *alg;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	int by_name = 0, sync = 0, ret, add, i;
	unsigned int seq;
	long priority = -1;

	if (argc < 3 || (strcmp(argv[1], "add") && strcmp(argv[1], "del"))) {
		fprintf(stderr, "usage: cryptoalg add|del DRIVER [--name] [--sync] [--priority N]\n");
		return 1;
	}
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--name"))
			by_name = 1;
		else if (!strcmp(argv[i], "--sync"))
			sync = 1;
		else if (!strcmp(argv[i], "--priority") && i + 1 < argc)
			priority = strtol(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "cryptoalg: unknown option %s\n", argv[i]);
			return 1;
		}
	}
	if (strlen(argv[2]) >= CRYPTO_MAX_NAME) {
		fprintf(stderr, "cryptoalg: name too long\n");
		return 1;
	}

	nlh = mnl_nlmsg_put_header(buf);
	add = !strcmp(argv[1], "add");
	nlh->nlmsg_type = add ? CRYPTO_MSG_NEWALG : CRYPTO_MSG_DELALG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq = time(NULL);
	alg = mnl_nlmsg_put_extra_header(nlh, sizeof(*alg));
	strcpy(by_name ? alg->cru_name : alg->cru_driver_name, argv[2]);
	/* Templates such as pcrypt need the type to build an instance. */
	alg->cru_type = CRYPTO_ALG_TYPE_AEAD;
	alg->cru_mask = CRYPTO_ALG_TYPE_MASK | (sync ? CRYPTO_ALG_ASYNC : 0);
	if (priority >= 0)
		mnl_attr_put_u32(nlh, CRYPTOCFGA_PRIORITY_VAL, priority);

	nl = mnl_socket_open(NETLINK_CRYPTO);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("cryptoalg: NETLINK_CRYPTO (crypto_user module?)");
		return 1;
	}
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror("cryptoalg: send");
		return 1;
	}
	ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (ret > 0)
		ret = mnl_cb_run(buf, ret, seq, mnl_socket_get_portid(nl),
				 NULL, NULL);
	mnl_socket_close(nl);
	if (ret < 0 && !(errno == EEXIST && add)) {
		fprintf(stderr, "cryptoalg: %s %s: %s\n", argv[1], argv[2],
			strerror(errno));
		return 1;
	}
	return 0;
}
