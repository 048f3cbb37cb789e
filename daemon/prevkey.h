/* The previous network key across a restart (DESIGN §4, key rotation): a
 * member restarted during a rotation's grace period must still open, and
 * in its first half seal with, the previous key, or the members that have
 * not installed the new epoch cannot talk to it. The daemon keeps it in
 * the node file (netstate.h) and gives it back to the gossip node. */
#ifndef WEFT_PREVKEY_H
#define WEFT_PREVKEY_H

#include <stdbool.h>

#include "gossip/gossip.h"
#include "daemon/netstate.h"

/* Copies g's previous key (or its absence) into l, wiping a stale one.
 * True when l changed and must be saved. */
bool weft_prevkey_save(const weft_gossip_t *g, struct weft_local *l);

/* At start, after weft_gossip_set_wallclock: re-installs l's previous key
 * in g while its grace lasts (logs it), else wipes it from l. True when l
 * changed (the key was dropped) and must be saved. */
bool weft_prevkey_restore(weft_gossip_t *g, struct weft_local *l, const char *netname, uint64_t now_ms);

#endif
