/* External clients in the desired WireGuard device (DESIGN §5): devices
 * that run only WireGuard, described by admin-signed EXT_CLIENT records.
 * Their gateway makes each one a peer (its /32 and /128, no endpoint: the
 * client dials in); every other member routes the client's addresses
 * through the gateway's peer. Pure: records and peer table in, device out,
 * so it is unit-tested with the memory backend. */
#ifndef WEFT_EXTCLIENT_H
#define WEFT_EXTCLIENT_H

#include <stddef.h>

#include "mesh/peersync.h"
#include "core/store.h"
#include "wg/wg.h"

/* What one pass did, for logs and the gateway's forwarding. */
struct weft_extclient_stats {
	size_t served;  /* clients we are the gateway of, made peers */
	size_t routed;  /* clients routed through another member's peer */
	size_t skipped; /* live records left out: no usable gateway, an
			  * address outside the network or already taken,
			  * or a key that is a member's */
};

/* Adds the live (not deleted) external clients of the store to dev, which
 * weft_peerset_desired() filled from ps. A record is left out when its
 * gateway is not an active member with a known key, when its addresses
 * are outside the network's ranges or held by a member or by a client
 * earlier by name, or when its key is ours or a member's: one bad record
 * never stops the rest of the device from being applied. 0 or -ENOMEM. */
int weft_extclient_desired(const weft_store_t *s, const struct weft_peerset *ps, const weft_wgkey_t *self_key,
			   weft_wg_device_t *dev, struct weft_extclient_stats *stats);

#endif
