/* Saving a network's state (net_internal.h): its files in the state
 * directory, written a second after a change (netstate.h does the writing),
 * this node's own state record — what it announces to the members — and
 * the endpoints it announces in it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "daemon/log.h"
#include "daemon/net_internal.h"
#include "daemon/prevkey.h"
#include "daemon/udpio.h"
#include "weft_config.h"

#define SAVE_DELAY_NS (1 * WEFT_NET_SEC_NS)
#define SAVE_RETRY_NS (5 * WEFT_NET_SEC_NS)
#define SCAN_INTERVAL_NS (30 * WEFT_NET_SEC_NS)

void weft_net_mark_dirty(struct weft_net *n, bool store, bool local, struct weft_now now)
{
	n->dirty_store |= store;
	n->dirty_local |= local;
	if (!n->save_due_ns)
		n->save_due_ns = now.mono_ns + SAVE_DELAY_NS;
}

void weft_net_save(struct weft_net *n, struct weft_now now)
{
	uint8_t key[WEFT_NETKEY_LEN];
	uint32_t epoch, inc;
	int ret;

	n->save_due_ns = 0;
	if (!n->persisted || (!n->dirty_store && !n->dirty_local))
		return;
	if (n->g) {
		inc = weft_gossip_incarnation(n->g);
		if (inc != n->local.incarnation) {
			n->local.incarnation = inc;
			n->dirty_local = true;
		}
		if (weft_gossip_netkey(n->g, key, &epoch) == 0 &&
		    (!n->local.has_netkey || epoch != n->local.netkey_epoch ||
		     sodium_memcmp(key, n->local.netkey, sizeof(key)))) {
			memcpy(n->local.netkey, key, sizeof(key));
			n->local.netkey_epoch = epoch;
			n->local.has_netkey = true;
			n->dirty_local = true;
		}
		sodium_memzero(key, sizeof(key));
		if (weft_prevkey_save(n->g, &n->local))
			n->dirty_local = true;
	}
	if (n->dirty_store) {
		ret = weft_netstate_save_store(n->dir, n->store);
		if (ret) {
			weft_log_error("%s: cannot save records in %s: %s (will retry)", n->name, n->dir,
				       weft_strerror(ret));
			n->save_due_ns = now.mono_ns + SAVE_RETRY_NS;
			return;
		}
		n->dirty_store = false;
	}
	if (n->dirty_local) {
		ret = weft_netstate_save_local(n->dir, &n->local);
		if (ret) {
			weft_log_error("%s: cannot save node state in %s: %s (will retry)", n->name, n->dir,
				       weft_strerror(ret));
			n->save_due_ns = now.mono_ns + SAVE_RETRY_NS;
			return;
		}
		n->dirty_local = false;
	}
}

int weft_net_persist_first(struct weft_net *n, struct weft_now now, char *err, size_t errlen)
{
	int ret = weft_netstate_mkdir(n->h->cfg->state_dir, n->name);

	if (ret) {
		snprintf(err, errlen, "cannot create the state directory %s: %s", n->dir, weft_strerror(ret));
		return ret;
	}
	n->persisted = true;
	n->dirty_store = n->dirty_local = true;
	weft_net_save(n, now);
	return n->dirty_store || n->dirty_local ? -EIO : 0;
}

/* ---- this node's state record ---- */

void weft_net_build_state(struct weft_net *n, weft_record_t *r, uint32_t flags, struct weft_now now)
{
	struct weft_rec_node_state *st = &r->u.node_state;

	memset(r, 0, sizeof(*r));
	r->type = WEFT_REC_NODE_STATE;
	st->node_id = n->local.id.pk;
	st->version = weft_hlc_next(n->local.state_version, now.wall_ms);
	st->wg_pub = n->local.wg.pub;
	st->wg_key_time = n->local.wg_key_time;
	st->wg_port = n->wg_port;
	st->gossip_port = n->gossip_port;
	snprintf(st->name, sizeof(st->name), "%s", n->local.name);
	st->nendpoints = n->neps;
	memcpy(st->endpoints, n->eps, sizeof(st->endpoints));
	st->nroutes = (uint8_t)weft_gateway_advertised(weft_config_net(n->h->cfg, n->name), st->routes);
	st->flags = flags | n->relay.flags;
	snprintf(st->sw_version, sizeof(st->sw_version), "weft %s", WEFT_VERSION);
}

/* weft_endpoint_equal over two lists: a memcmp would compare the padding
 * between an endpoint's address and its port too. */
static bool eps_equal(const weft_endpoint_t *a, const weft_endpoint_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!weft_endpoint_equal(&a[i], &b[i]))
			return false;
	return true;
}

/* Whether our state record advertises the routes the configuration does. */
static bool routes_current(struct weft_net *n, const struct weft_rec_node_state *st)
{
	weft_cidr_t r[WEFT_MAX_ROUTES];
	size_t k = weft_gateway_advertised(weft_config_net(n->h->cfg, n->name), r);

	return st->nroutes == k && !memcmp(st->routes, r, k * sizeof(r[0]));
}

bool weft_net_state_current(struct weft_net *n)
{
	const weft_record_t *r = weft_store_get(n->store, WEFT_REC_NODE_STATE, n->local.id.pk.b);
	const struct weft_rec_node_state *st;

	if (!r)
		return false;
	st = &r->u.node_state;
	return !memcmp(st->wg_pub.b, n->local.wg.pub.b, WEFT_WGKEY_LEN) && st->wg_port == n->wg_port &&
	       st->gossip_port == n->gossip_port && !strcmp(st->name, n->local.name) &&
	       st->flags == n->relay.flags && st->nendpoints == n->neps &&
	       eps_equal(st->endpoints, n->eps, n->neps) && routes_current(n, st);
}

int weft_net_publish_state(struct weft_net *n, uint32_t flags, struct weft_now now)
{
	weft_record_t r;
	int ret;

	weft_net_build_state(n, &r, flags, now);
	ret = weft_record_sign(&r, &n->local.id);
	if (ret) {
		weft_log_error("%s: cannot sign our state record: %s", n->name, weft_strerror(ret));
		return ret;
	}
	ret = weft_gossip_publish(n->g, &r, now.mono_ns);
	if (ret < 0 && ret != WEFT_EDUPLICATE) {
		weft_log_error("%s: our state record was refused: %s", n->name, weft_strerror(ret));
		return ret;
	}
	n->local.state_version = r.u.node_state.version;
	weft_net_mark_dirty(n, true, true, now);
	weft_log_debug("%s: published our state (version %" PRIu64 ", %u endpoints)", n->name,
		       r.u.node_state.version, n->neps);
	return 0;
}

/* ---- endpoints ---- */

static bool ep_in(const weft_endpoint_t *v, size_t n, const weft_endpoint_t *ep)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (weft_endpoint_equal(&v[i], ep))
			return true;
	return false;
}

/* What we announce: the configured endpoints, else those given at join,
 * else our underlay addresses; plus, when peers see us from an address
 * that is none of ours, that address (we are behind a NAT). */
bool weft_net_scan_endpoints(struct weft_net *n, struct weft_now now)
{
	const struct weft_config_net *cn = weft_config_net(n->h->cfg, n->name);
	struct weft_gossip_candidate refl[WEFT_MAX_ENDPOINTS];
	const char *skip_ifs[WEFT_NETSTATE_MAX_NETS];
	weft_cidr_t skip_nets[2 * WEFT_NETSTATE_MAX_NETS];
	weft_ip_t addrs[WEFT_NET_MAX_LOCAL];
	weft_endpoint_t eps[WEFT_MAX_ENDPOINTS], ep;
	const struct weft_rec_network *s;
	size_t nifs = 0, nnets = 0, na, nr, i, j, neps = 0;
	struct weft_net *o;
	bool changed, local;

	for (o = n->h->nets; o; o = o->next) {
		if (nifs < WEFT_NETSTATE_MAX_NETS)
			skip_ifs[nifs++] = o->local.ifname;
		s = weft_net_settings(o);
		if (s && nnets + 2 <= 2 * WEFT_NETSTATE_MAX_NETS) {
			skip_nets[nnets++] = s->cidr4;
			if (s->cidr6.ip.family)
				skip_nets[nnets++] = s->cidr6;
		}
	}
	na = weft_local_addrs(addrs, n->lnets, WEFT_NET_MAX_LOCAL, skip_ifs, nifs, skip_nets, nnets);
	n->nlnets = na;
	memset(eps, 0, sizeof(eps));
	if (cn && cn->nendpoints) {
		for (i = 0; i < cn->nendpoints; i++) {
			ep = cn->endpoints[i];
			if (!ep.port)
				ep.port = n->wg_port;
			if (!ep_in(eps, neps, &ep))
				eps[neps++] = ep;
		}
	} else if (n->local.nendpoints) {
		for (i = 0; i < n->local.nendpoints; i++) {
			ep = n->local.endpoints[i];
			if (!ep.port)
				ep.port = n->wg_port;
			if (!ep_in(eps, neps, &ep))
				eps[neps++] = ep;
		}
	} else {
		for (i = 0; i < na && neps < WEFT_MAX_ENDPOINTS - 1; i++) {
			memset(&ep, 0, sizeof(ep));
			ep.ip = addrs[i];
			ep.port = n->wg_port;
			eps[neps++] = ep;
		}
	}
	n->behind_nat = false;
	nr = n->g ? weft_gossip_candidates(n->g, &n->local.id.pk, refl, WEFT_MAX_ENDPOINTS) : 0;
	for (i = 0; i < nr; i++) {
		if (refl[i].kind != WEFT_EP_REFLEXIVE && refl[i].kind != WEFT_EP_REFLEXIVE_WG)
			continue;
		for (j = 0, local = false; j < na; j++)
			local |= weft_ip_equal(&addrs[j], &refl[i].ep.ip);
		if (local)
			continue;
		n->behind_nat = true;
		memset(&ep, 0, sizeof(ep));
		ep.ip = refl[i].ep.ip;
		/* A peer's WireGuard saw our WireGuard port's mapping; the gossip
		 * port's says only the address: then a guess, NATs often keep
		 * the port. */
		ep.port = refl[i].kind == WEFT_EP_REFLEXIVE_WG ? refl[i].ep.port : n->wg_port;
		if (neps < WEFT_MAX_ENDPOINTS && !ep_in(eps, neps, &ep))
			eps[neps++] = ep;
	}
	if (n->store) { /* after a restart, what we announced stands (peersync.h) */
		const weft_record_t *held = weft_store_get(n->store, WEFT_REC_NODE_STATE, n->local.id.pk.b);

		neps = weft_peer_keep_reflexive(refl, nr, held ? &held->u.node_state : NULL, addrs, na, eps, neps,
						WEFT_MAX_ENDPOINTS, &n->behind_nat);
	}
	changed = neps != n->neps || !eps_equal(eps, n->eps, neps);
	memcpy(n->eps, eps, sizeof(eps));
	n->neps = (uint8_t)neps;
	n->next_scan_ns = now.mono_ns + SCAN_INTERVAL_NS;
	return changed;
}

bool weft_net_relay_update(struct weft_net *n)
{
	return weft_relay_update(&n->relay, n->h->cfg->relay, n->name, n->local.ifname, n->wg_ifindex != 0, n->eps,
				 n->neps, n->behind_nat);
}
