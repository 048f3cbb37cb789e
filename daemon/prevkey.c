/* The previous network key between the gossip node and the node file
 * (prevkey.h). Every copy of the key on the stack is wiped. */
#include <inttypes.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "daemon/log.h"
#include "daemon/prevkey.h"

static void drop(struct weft_local *l)
{
	sodium_memzero(l->prev_netkey, sizeof(l->prev_netkey));
	l->has_prev_netkey = false;
	l->prev_netkey_epoch = 0;
	l->prev_open_until_ms = 0;
	l->prev_seal_until_ms = 0;
}

bool weft_prevkey_save(const weft_gossip_t *g, struct weft_local *l)
{
	struct weft_gossip_prevkey pk;
	bool changed;

	if (weft_gossip_prev_netkey(g, &pk) != 0) {
		changed = l->has_prev_netkey;
		drop(l);
		return changed;
	}
	changed = !l->has_prev_netkey || l->prev_netkey_epoch != pk.epoch ||
		  l->prev_open_until_ms != pk.open_until_ms || l->prev_seal_until_ms != pk.seal_until_ms ||
		  sodium_memcmp(l->prev_netkey, pk.key, sizeof(pk.key)) != 0;
	memcpy(l->prev_netkey, pk.key, sizeof(pk.key));
	l->prev_netkey_epoch = pk.epoch;
	l->prev_open_until_ms = pk.open_until_ms;
	l->prev_seal_until_ms = pk.seal_until_ms;
	l->has_prev_netkey = true;
	sodium_memzero(&pk, sizeof(pk));
	return changed;
}

bool weft_prevkey_restore(weft_gossip_t *g, struct weft_local *l, const char *netname, uint64_t now_ms)
{
	struct weft_gossip_prevkey pk;
	int ret;

	if (!l->has_prev_netkey)
		return false;
	memcpy(pk.key, l->prev_netkey, sizeof(pk.key));
	pk.epoch = l->prev_netkey_epoch;
	pk.open_until_ms = l->prev_open_until_ms;
	pk.seal_until_ms = l->prev_seal_until_ms;
	ret = weft_gossip_restore_prev_netkey(g, &pk);
	sodium_memzero(&pk, sizeof(pk));
	if (ret == 0) {
		weft_log_info("%s: the previous network key (epoch %" PRIu32 ") stays good for %" PRIu64
			      " s more (the rotation's grace period)",
			      netname, l->prev_netkey_epoch,
			      l->prev_open_until_ms > now_ms ? (l->prev_open_until_ms - now_ms + 999) / 1000 : 0);
		return false;
	}
	if (ret != WEFT_ESTALE)
		weft_log_warn("%s: cannot restore the previous network key: %s", netname, weft_strerror(ret));
	drop(l);
	return true;
}
