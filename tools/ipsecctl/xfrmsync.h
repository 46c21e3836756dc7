/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IPSECCTL_XFRMSYNC_H
#define IPSECCTL_XFRMSYNC_H

/* xfrmsync.c: "ipsecctl xfrm-sync", the bridge from an IKE daemon's xfrm SAs */
int cmd_xfrm_sync(int argc, char **argv);

#endif /* IPSECCTL_XFRMSYNC_H */
