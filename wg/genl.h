/* WireGuard's generic netlink messages (linux/wireguard.h): resolving the
 * family, the WG_CMD_GET_DEVICE request and the parser that coalesces its
 * dump, and WG_CMD_SET_DEVICE built in chunks that resume where the last
 * one stopped. Message code is pure so that it can be tested and fuzzed
 * without the module; kernel.c does the exchanges. */
#ifndef WEFT_WG_GENL_H
#define WEFT_WG_GENL_H

#include "wg/backend.h"

/* Asks the kernel for a generic netlink family's id. -ENOENT when there is
 * no such family (for "wireguard": no module). */
int weft_wg_genl_resolve(weft_wg_nl_t *nl, const char *name, uint16_t *id, weft_wg_err_t *err);

/* WG_CMD_GET_DEVICE dump request for ifname, into buf (at least
 * MNL_SOCKET_BUFFER_SIZE bytes). */
struct nlmsghdr *weft_wg_genl_put_get(void *buf, uint16_t family, const char *ifname);

/* Parses one message of a GET_DEVICE dump into ctx->dev: the device fields
 * of the first message, and the peers, merging a peer whose allowed IPs
 * continue from the previous message. A weft_wg_nl_cb_t. */
typedef struct {
	weft_wg_device_t *dev;
	uint16_t family;
} weft_wg_genl_dump_t;
int weft_wg_genl_parse_device(const struct nlmsghdr *nlh, void *ctx, weft_wg_err_t *err);

/* Where the next SET_DEVICE chunk starts. Zero it before the first. */
typedef struct {
	size_t peer;       /* index into cs->peers */
	size_t aip;        /* next allowed IP of that peer */
	bool peer_started; /* that peer's first fragment is already sent */
	bool first_sent;   /* the device fields are already sent */
} weft_wg_genl_cursor_t;

/* Builds the next SET_DEVICE message of at most cap bytes into buf (aligned
 * for struct nlmsghdr). The device fields go in the first message only, a
 * peer's flags, endpoint and keepalive in its first fragment only
 * (WGPEER_F_REPLACE_ALLOWEDIPS must not clear what an earlier fragment
 * added); WGPEER_F_UPDATE_ONLY is repeated so that a later fragment cannot
 * create a peer the first one declined to. WGDEVICE_F_REPLACE_PEERS is never
 * sent. Returns 1 when more messages follow, 0 for the last, or -EMSGSIZE
 * when cap cannot hold even one fragment. */
int weft_wg_genl_build_set(void *buf, size_t cap, uint16_t family, const char *ifname, const weft_wg_changeset_t *cs,
			   weft_wg_genl_cursor_t *cur, weft_wg_err_t *err);

#endif
