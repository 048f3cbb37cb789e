/* gossip/ratelimit.c: a token bucket per source address for the packets a
 * node must answer before it knows who sent them (join hellos and
 * requests). A fixed table of WEFT_G_RL_SLOTS buckets indexed by a keyed
 * hash of the address: sources that collide share a bucket, which only
 * makes the limit stricter, and memory stays constant under a flood. */
#include <string.h>

#include <sodium.h>

#include "gossip/internal.h"

bool weft_ratelimit_allow(weft_gossip_t *g, const weft_ip_t *ip)
{
	uint8_t h[crypto_shorthash_BYTES];
	const uint64_t full = WEFT_G_RL_BURST * 1000ull;
	uint64_t tokens, add;
	struct grl *e;
	uint32_t i;

	if (!g->rl) {
		g->rl = weft_g_calloc(&g->mem, WEFT_G_RL_SLOTS, sizeof(*g->rl));
		if (!g->rl)
			return false;
	}
	crypto_shorthash(h, (const uint8_t *)ip, sizeof(*ip), g->cookie_key);
	memcpy(&i, h, sizeof(i));
	e = &g->rl[i % WEFT_G_RL_SLOTS];
	if (!weft_ip_equal(&e->ip, ip)) {
		/* An idle bucket changes hands; a busy one is shared. */
		add = (g->now - e->last) / (1000000000ull / (WEFT_G_RL_RATE * 1000ull));
		if (e->ip.family == 0 || e->tokens + add >= full) {
			e->ip = *ip;
			e->tokens = (uint32_t)full;
			e->last = g->now;
		}
	}
	add = (g->now - e->last) / (1000000000ull / (WEFT_G_RL_RATE * 1000ull));
	tokens = e->tokens + add;
	if (tokens > full)
		tokens = full;
	e->last = g->now;
	if (tokens < 1000) {
		e->tokens = (uint32_t)tokens;
		return false;
	}
	e->tokens = (uint32_t)(tokens - 1000);
	return true;
}
