/* gossip/netkey.c: the network key that seals member traffic on the
 * underlay. The key in force and, during a rotation's grace period, the
 * previous one; our share of a new epoch is unsealed from the KEYSHARE
 * record addressed to us and checked against the admin-signed KEYRING. */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "gossip/internal.h"

int weft_netkey_x25519(const weft_gossip_t *g, uint8_t pk[32], uint8_t sk[32])
{
	if (weft_pk_to_x25519(pk, &g->id.pk))
		return WEFT_EMALFORMED;
	if (crypto_sign_ed25519_sk_to_curve25519(sk, g->id.sk)) {
		sodium_memzero(sk, 32);
		return WEFT_EMALFORMED;
	}
	return 0;
}

int weft_netkey_install(weft_gossip_t *g, uint32_t epoch, const uint8_t key[WEFT_NETKEY_LEN], uint32_t grace_s)
{
	struct weft_gossip_event ev;

	if (g->key.valid) {
		if (epoch == g->key.epoch)
			return sodium_memcmp(key, g->key.key, WEFT_NETKEY_LEN) ? WEFT_EEXISTS : 0;
		if (epoch < g->key.epoch)
			return WEFT_ESTALE;
		/* The previous key stays good for the grace period, so members
		 * that have not seen the new epoch yet can still reach us; and
		 * for the first half of it we still seal with it, or the news of
		 * the new epoch could not reach them at all. A member that gets
		 * the new key up to half a grace period after us still opens
		 * everything. */
		sodium_memzero(&g->old_key, sizeof(g->old_key));
		g->old_seal_until = 0;
		if (grace_s) {
			g->old_key = g->key;
			g->old_key_until = g->now + (uint64_t)grace_s * 1000000000ull;
			g->old_seal_until = g->now + (uint64_t)grace_s * 500000000ull;
		}
	}
	g->key.valid = true;
	g->key.epoch = epoch;
	memcpy(g->key.key, key, WEFT_NETKEY_LEN);
	memset(&ev, 0, sizeof(ev));
	ev.type = WEFT_GEV_NETKEY;
	ev.epoch = epoch;
	weft_g_event(g, &ev);
	return 0;
}

/* A wall-clock deadline into the node's monotonic time, and back. The
 * longest grace a keyring can give bounds what a persisted file may ask. */
#define MAX_GRACE_MS ((uint64_t)UINT32_MAX * 1000ull)

static uint64_t mono_of(const weft_gossip_t *g, uint64_t wall_now, uint64_t until_ms)
{
	uint64_t d = until_ms - wall_now;

	return g->now + (d > MAX_GRACE_MS ? MAX_GRACE_MS : d) * 1000000ull;
}

int weft_gossip_prev_netkey(const weft_gossip_t *g, struct weft_gossip_prevkey *pk)
{
	uint64_t wall;

	memset(pk, 0, sizeof(*pk));
	if (!g->key.valid || !g->old_key.valid || g->now >= g->old_key_until || !weft_g_wall_ms(g, &wall))
		return WEFT_ENOTFOUND;
	memcpy(pk->key, g->old_key.key, WEFT_NETKEY_LEN);
	pk->epoch = g->old_key.epoch;
	pk->open_until_ms = wall + (g->old_key_until - g->now) / 1000000ull;
	if (g->now < g->old_seal_until)
		pk->seal_until_ms = wall + (g->old_seal_until - g->now) / 1000000ull;
	return 0;
}

int weft_gossip_restore_prev_netkey(weft_gossip_t *g, const struct weft_gossip_prevkey *pk)
{
	uint64_t wall;

	if (!weft_g_wall_ms(g, &wall))
		return -EINVAL;
	if (!g->key.valid)
		return WEFT_ENOTFOUND;
	if (pk->epoch >= g->key.epoch || pk->open_until_ms <= wall)
		return WEFT_ESTALE;
	/* A rotation seen since (the store's keyring at start) already gave
	 * a previous key with a grace of its own. */
	if (g->old_key.valid && g->old_key.epoch >= pk->epoch && g->now < g->old_key_until)
		return 0;
	sodium_memzero(&g->old_key, sizeof(g->old_key));
	g->old_key.valid = true;
	g->old_key.epoch = pk->epoch;
	memcpy(g->old_key.key, pk->key, WEFT_NETKEY_LEN);
	g->old_key_until = mono_of(g, wall, pk->open_until_ms);
	g->old_seal_until = pk->seal_until_ms > wall ? mono_of(g, wall, pk->seal_until_ms) : 0;
	if (g->old_seal_until > g->old_key_until)
		g->old_seal_until = g->old_key_until;
	return 0;
}

const struct gkey *weft_netkey_sealing(const weft_gossip_t *g)
{
	if (g->old_key.valid && g->now < g->old_seal_until)
		return &g->old_key;
	return g->key.valid ? &g->key : NULL;
}

const uint8_t *weft_netkey_for(const weft_gossip_t *g, uint32_t epoch)
{
	if (g->key.valid && g->key.epoch == epoch)
		return g->key.key;
	if (g->old_key.valid && g->old_key.epoch == epoch && g->now < g->old_key_until)
		return g->old_key.key;
	return NULL;
}

void weft_netkey_record(weft_gossip_t *g, uint8_t type)
{
	const weft_record_t *kr, *ks;
	uint8_t key[WEFT_NETKEY_LEN], h[32], xpk[32], xsk[32];
	uint32_t epoch;

	kr = weft_store_get(g->store, WEFT_REC_KEYRING, weft_g_net_subject);
	ks = weft_store_get(g->store, WEFT_REC_KEYSHARE, g->id.pk.b);
	if (!kr || !ks || ks->u.keyshare.epoch != kr->u.keyring.epoch)
		return;
	epoch = (uint32_t)kr->u.keyring.epoch;
	if (g->key.valid && epoch <= g->key.epoch)
		return;
	if (weft_netkey_x25519(g, xpk, xsk))
		return;
	if (crypto_box_seal_open(key, ks->u.keyshare.sealed, WEFT_SEALED_KEY_LEN, xpk, xsk) == 0) {
		crypto_generichash(h, sizeof(h), key, sizeof(key), NULL, 0);
		if (sodium_memcmp(h, kr->u.keyring.key_hash, sizeof(h)) == 0)
			weft_netkey_install(g, epoch, key, kr->u.keyring.grace_s);
	}
	sodium_memzero(xsk, sizeof(xsk));
	sodium_memzero(key, sizeof(key));
}
