// SPDX-License-Identifier: GPL-2.0
/*
 * ipsecctl.c exactly as the normal build compiles it, but for its main(),
 * renamed ipsecctl_main() for the harness to call once per input; and a
 * reset of the state that ipsecctl.c keeps for the life of the process (the
 * netlink sockets, the resolved family id, the global options), which a
 * real run starts without.
 */

#define main ipsecctl_main
#include "../ipsecctl.c"
#undef main

#include "fuzz.h"

void ipsecctl_reset(void)
{
	nl_close(&rtnl);
	nl_close(&genl);
	rtnl.portid = 0;
	rtnl.seq = 0;
	genl.portid = 0;
	genl.seq = 0;
	ipsecif_family = 0;
	memset(&ipsecctl_opts, 0, sizeof(ipsecctl_opts));
}
