// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only: WARNs once as it loads, so the VM runner can prove that it fails
 * a run whose guest kernel splats. Only the runner's self-test boot packs it.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init splat_trigger_init(void)
{
	WARN(1, "ipsecif selftest: deliberate splat\n");
	return 0;
}

static void __exit splat_trigger_exit(void)
{
}

module_init(splat_trigger_init);
module_exit(splat_trigger_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ipsecif selftest: deliberate kernel WARN");
