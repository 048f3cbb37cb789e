/* This node's WireGuard key rotation (wgrotate.h): when the key is due,
 * making the new one, and which tunnels start again from nothing. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "mesh/wgrotate.h"

uint64_t weft_wgrotate_due_at(uint64_t key_time_s, const struct weft_rec_network *s,
			      const struct weft_rec_rotate *rot)
{
	if (rot && key_time_s < rot->older_than)
		return 0;
	if (s && s->wg_key_lifetime)
		return key_time_s + s->wg_key_lifetime;
	return UINT64_MAX;
}

struct served {
	const weft_pk_t *self;
	size_t n;
};

static int count_served(void *ctx, const weft_record_t *r)
{
	struct served *c = ctx;

	if (!r->u.ext_client.deleted && !memcmp(r->u.ext_client.gateway.b, c->self->b, WEFT_PK_LEN))
		c->n++;
	return 0;
}

size_t weft_wgrotate_ext_clients(const weft_store_t *s, const weft_pk_t *self)
{
	struct served c = { self, 0 };

	weft_store_foreach(s, WEFT_REC_EXT_CLIENT, count_served, &c);
	return c.n;
}

void weft_wgrotate_held_msg(char *buf, size_t len, const char *net, size_t nclients)
{
	snprintf(buf, len,
		 "%s: WireGuard key rotation is due but this node keeps its key: it is the gateway of %zu "
		 "external client%s whose configs hold its public key (weft ext-client %s list). To rotate "
		 "it, remove them (weft ext-client %s rm NAME) or move them to another gateway: the key "
		 "rotates once none is left, and weft ext-client %s add NAME --via NODE then issues "
		 "configs with the new key",
		 net, nclients, nclients == 1 ? "" : "s", net, net, net);
}

void weft_wgrotate_renew(weft_wgpair_t *wg, uint64_t *key_time_s, uint64_t now_s, uint64_t older_than)
{
	sodium_memzero(wg, sizeof(*wg));
	weft_wgpair_generate(wg);
	*key_time_s = now_s > older_than ? now_s : older_than;
}

size_t weft_wgrotate_reset_tunnels(struct weft_peerset *ps, bool all, uint64_t now_ns, weft_wgrotate_down_fn fn,
				   void *ctx)
{
	size_t i, k = 0;

	for (i = 0; i < ps->n; i++) {
		struct weft_peer *p = &ps->p[i];

		if (all) {
			if (p->wg_endpoint.ip.family)
				p->chosen = p->wg_endpoint;
			p->in_device = false;
			p->last_handshake_s = 0;
			p->tunnel_up = false;
			p->attempt = 0;
			p->backoff_ms = WEFT_PEER_RETRY_MIN_MS;
			p->next_try_ns = now_ns + (uint64_t)WEFT_PEER_RETRY_MIN_MS * 1000000u;
			p->poke = true;
		} else if (!p->poke || p->tunnel_up) {
			continue;
		}
		if (fn)
			fn(ctx, p);
		k++;
	}
	return k;
}
