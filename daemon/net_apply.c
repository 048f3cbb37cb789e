/* Applying a network's desired state (net_internal.h): mesh/ computes it
 * from the view — peers, endpoints, relays, policy, external clients, key
 * rotations — and this file makes WireGuard and the host match it: the
 * interface's peers, addresses, MTU and routes, the DNS server's listening
 * addresses, the gateway's duties, and this node's WireGuard key when it
 * is due. Every call gets `now` from the event that caused it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "daemon/dnssrv.h"
#include "daemon/log.h"
#include "daemon/net_internal.h"
#include "daemon/resolver.h"
#include "daemon/udpio.h"
#include "mesh/extclient.h"
#include "mesh/policyapply.h"
#include "mesh/routecheck.h"
#include "mesh/wgrotate.h"

#define POLL_FAST_NS (1 * WEFT_NET_SEC_NS)
#define POLL_SLOW_NS (5 * WEFT_NET_SEC_NS)

static const uint8_t net_subject[32];

/* What peersync's and wgrotate's callbacks need: the network and the time
 * of the event the call came from. */
struct env_ctx {
	struct weft_net *n;
	struct weft_now now;
};

static size_t cands_fn(void *ctx, const weft_pk_t *id, struct weft_gossip_candidate *out, size_t cap)
{
	struct weft_net *n = ctx;

	return n->g ? weft_gossip_candidates(n->g, id, out, cap) : 0;
}

/* Alive or suspect: a member that gossip has not given up on (relays). */
static bool alive_fn(void *ctx, const weft_pk_t *id)
{
	struct weft_net *n = ((struct env_ctx *)ctx)->n;
	struct weft_gossip_member_info mi;

	return n->g && weft_gossip_member(n->g, id, &mi) == 0 &&
	       (mi.state == WEFT_LIVE_ALIVE || mi.state == WEFT_LIVE_SUSPECT);
}

/* A peer's traffic goes through a relay, or no longer (peersync.h): gossip
 * uses the overlay whenever it reaches the peer, the relay's way too. */
static void on_relayed(void *ctx, struct weft_peer *p, bool overlay_up)
{
	struct env_ctx *e = ctx;
	struct weft_net *n = e->n;
	char label[WEFT_NAME_MAX + 32], rl[WEFT_NAME_MAX + 32];

	if (n->g)
		weft_gossip_tunnel(n->g, &p->node_id, overlay_up, NULL, e->now.mono_ns);
	if (p->relayed)
		weft_log_info("%s: no direct path to %s: relayed through %s", n->name,
			      weft_net_peer_label(n, &p->node_id, label, sizeof(label)),
			      weft_net_peer_label(n, &p->relay, rl, sizeof(rl)));
	else
		weft_log_info("%s: %s is no longer relayed%s", n->name,
			      weft_net_peer_label(n, &p->node_id, label, sizeof(label)),
			      p->tunnel_up ? " (direct path)" : "");
}

static void env_fill(struct weft_net *n, struct weft_peersync_env *env, struct env_ctx *e)
{
	const struct weft_config_net *cn = weft_config_net(n->h->cfg, n->name);
	const struct weft_rec_network *s = weft_net_settings(n);

	memset(env, 0, sizeof(*env));
	env->cands = cands_fn;
	env->cands_ctx = n;
	env->local_nets = n->lnets;
	env->nlocal_nets = n->nlnets;
	env->self_behind_nat = n->behind_nat;
	env->keepalive = cn && cn->keepalive >= 0 ? cn->keepalive : s ? s->keepalive : 0;
	env->local_only = s && (s->options & WEFT_NETOPT_LOCAL_ONLY);
	env->alive = alive_fn;
	env->alive_ctx = e;
	env->relayed = on_relayed;
}

static void apply_addresses(struct weft_net *n)
{
	const struct weft_rec_network *s = weft_net_settings(n);
	weft_wg_ifaddr_t a[2];
	weft_wg_err_t werr;
	char b4[WEFT_ADDRSTRLEN], b6[WEFT_ADDRSTRLEN];
	weft_ip_t want4 = { 0 }, want6 = { 0 };
	size_t k = 0;
	int ret;

	if (n->phase == WEFT_NET_MEMBER || n->phase == WEFT_NET_LEAVING) {
		want4 = n->peers.self4;
		want6 = n->peers.self6;
	}
	if (n->addrs_applied && weft_ip_equal(&want4, &n->applied4) && weft_ip_equal(&want6, &n->applied6))
		return;
	if (want4.family && s) {
		a[k].ip = want4;
		a[k++].prefix = s->cidr4.prefix;
	}
	if (want6.family && s && s->cidr6.ip.family) {
		a[k].ip = want6;
		a[k++].prefix = s->cidr6.prefix;
	}
	ret = weft_wg_set_addresses(n->wg, a, k, &werr);
	if (ret) {
		weft_log_error("%s: cannot set the interface's addresses: %s", n->name, werr.msg);
		return;
	}
	n->applied4 = want4;
	n->applied6 = want6;
	n->addrs_applied = true;
	if (k)
		weft_log_info("%s: overlay address %s%s%s", n->name, weft_ip_format(&want4, b4, sizeof(b4)),
			      want6.family ? ", " : "", weft_ip_format(&want6, b6, sizeof(b6)));
}

/* The network's MTU, also when the admin changes it. */
static void apply_mtu(struct weft_net *n)
{
	const struct weft_rec_network *s = weft_net_settings(n);
	weft_wg_err_t werr;

	if (!s || !s->mtu || s->mtu == n->applied_mtu)
		return;
	if (weft_wg_set_mtu(n->wg, s->mtu, &werr)) {
		weft_log_warn("%s: cannot set the MTU to %u: %s", n->name, s->mtu, werr.msg);
		return;
	}
	if (n->applied_mtu)
		weft_log_info("%s: MTU %u", n->name, s->mtu);
	n->applied_mtu = s->mtu;
}

static void apply_routes(struct weft_net *n)
{
	weft_cidr_t routes[64];
	weft_wg_err_t werr;
	uint64_t h = 1469598103934665603ull;
	size_t k = 0, i;
	unsigned r, b;
	int ret;

	if (!n->wg_ifindex)
		return;
	for (i = 0; i < n->peers.n; i++) {
		const struct weft_peer *p = &n->peers.p[i];

		if (!weft_peer_wanted(p))
			continue;
		for (r = 0; r < p->nroutes && k < sizeof(routes) / sizeof(routes[0]); r++) {
			routes[k++] = p->routes[r];
			for (b = 0; b < 17; b++)
				h = (h ^ (b < 16 ? p->routes[r].ip.b[b] : p->routes[r].prefix)) * 1099511628211ull;
		}
	}
	if (h == n->applied_routes_hash)
		return;
	ret = weft_wg_set_routes(n->wg, routes, k, &werr);
	if (ret) {
		weft_log_error("%s: cannot set routes: %s", n->name, werr.msg);
		return;
	}
	n->applied_routes_hash = h;
}

/* A datagram into a peer's tunnel makes WireGuard start a handshake; the
 * peer's gossip socket drops it as malformed. */
static void send_pokes(struct weft_net *n)
{
	static const uint8_t poke[1] = { 0 };
	weft_endpoint_t to;
	size_t i;

	for (i = 0; i < n->peers.n; i++) {
		struct weft_peer *p = &n->peers.p[i];

		if (!p->poke)
			continue;
		p->poke = false;
		if (!weft_peer_wanted(p) || !n->wg_ifindex || n->phase != WEFT_NET_MEMBER)
			continue;
		memset(&to, 0, sizeof(to));
		to.ip = p->addr4;
		to.port = p->gossip_port ? p->gossip_port : n->gossip_port;
		if (n->fd[0] >= 0)
			weft_udp_send(n->fd[0], &to, poke, sizeof(poke));
	}
}

static void on_tunnel(void *ctx, struct weft_peer *p, bool up)
{
	struct env_ctx *e = ctx;
	struct weft_net *n = e->n;
	char label[WEFT_NAME_MAX + 32], ep[WEFT_EPSTRLEN];

	weft_gossip_tunnel(n->g, &p->node_id, up, p->wg_endpoint.ip.family ? &p->wg_endpoint : NULL, e->now.mono_ns);
	weft_log_debug("%s: tunnel to %s %s%s%s", n->name, weft_net_peer_label(n, &p->node_id, label, sizeof(label)),
		       up ? "up" : "down", up && p->wg_endpoint.ip.family ? " via " : "",
		       up && p->wg_endpoint.ip.family ? weft_endpoint_format(&p->wg_endpoint, ep, sizeof(ep)) : "");
}

/* Read the device into n->dev and take in what it says; false when it
 * could not be read (n->dev is then the last good read). */
bool weft_net_poll_device(struct weft_net *n, struct weft_now now)
{
	struct env_ctx e = { n, now };
	weft_wg_device_t dev = { 0 };
	weft_wg_err_t werr;
	size_t i;
	bool waiting = false;
	int ret;

	ret = weft_wg_get_device(n->wg, &dev, &werr);
	if (ret) {
		weft_log_warn("%s: cannot read the interface: %s", n->name, werr.msg);
		n->next_poll_ns = now.mono_ns + POLL_SLOW_NS;
		return false;
	}
	weft_wg_device_free(&n->dev);
	n->dev = dev;
	n->have_dev = true;
	weft_peerset_observe(&n->peers, &n->dev, now.wall_ms / 1000, on_tunnel, &e);
	for (i = 0; i < n->peers.n; i++)
		waiting |= weft_peer_wanted(&n->peers.p[i]) && !n->peers.p[i].tunnel_up;
	n->next_poll_ns = now.mono_ns + (waiting ? POLL_FAST_NS : POLL_SLOW_NS);
	return true;
}

/* DNS on the overlay addresses once they are on the interface (none with
 * the memory backend), and on the configured loopback address. */
static void dns_listen(struct weft_net *n)
{
	const struct weft_config_net *cn = weft_config_net(n->h->cfg, n->name);
	weft_endpoint_t eps[3];
	size_t k = 0;

	memset(eps, 0, sizeof(eps));
	if (n->wg_ifindex && n->addrs_applied && !n->closing) {
		if (n->applied4.family) {
			eps[k].ip = n->applied4;
			eps[k++].port = WEFT_DNS_PORT;
		}
		if (n->applied6.family) {
			eps[k].ip = n->applied6;
			eps[k++].port = WEFT_DNS_PORT;
		}
	}
	if (!n->closing)
		eps[k++] = cn && cn->dns_listen.ip.family ? cn->dns_listen : n->h->cfg->dns_listen;
	weft_dnssrv_listen(n->dns, eps, k);
	if (cn && cn->nforward)
		weft_dnssrv_set_forward(n->dns, cn->forward, cn->nforward);
	else
		weft_dnssrv_set_forward(n->dns, n->h->cfg->forward, n->h->cfg->nforward);
}

/* External clients into the device (extclient.h); logs when what we
 * serve or leave out changes. */
static int ext_clients(struct weft_net *n, weft_wg_device_t *want)
{
	struct weft_extclient_stats st;
	int ret;

	ret = weft_extclient_desired(n->store, &n->peers, &n->local.wg.pub, want, &st);
	if (!ret && st.served != n->ext_served)
		weft_log_info("%s: serving %zu external client%s", n->name, st.served, st.served == 1 ? "" : "s");
	if (!ret && st.skipped)
		weft_log_debug("%s: %zu external client record%s left out (gateway unknown, address or key "
			       "taken)",
			       n->name, st.skipped, st.skipped == 1 ? "" : "s");
	n->ext_served = st.served;
	return ret;
}

static void tunnel_reset(void *ctx, struct weft_peer *p)
{
	struct env_ctx *e = ctx;

	weft_gossip_tunnel(e->n->g, &p->node_id, false, NULL, e->now.mono_ns);
}

/* What the admin's records mean beyond each member's status: the policy,
 * the next expiry, and gossip off the tunnels being rebuilt. */
static void admin_apply(struct weft_net *n, const weft_view_t *v, struct weft_now now)
{
	struct env_ctx e = { n, now };
	const weft_record_t *pol = weft_store_get(n->store, WEFT_REC_POLICY, net_subject);

	weft_policyapply_mark(&n->peers, v, pol ? &pol->u.policy : NULL);
	n->next_expiry_s = weft_policyapply_next_expiry(v, now.wall_ms / 1000);
	weft_wgrotate_reset_tunnels(&n->peers, false, now.mono_ns, tunnel_reset, &e);
}

/* ---- the gateway's duties on the host (gateway.h) ---- */

/* After every peer sync. The memory backend has no host to change. */
static void gateway_sync(struct weft_net *n)
{
	struct weft_gateway_want w;

	if (!n->wg_ifindex)
		return;
	if (n->phase == WEFT_NET_MEMBER)
		weft_gateway_want(n->store, &n->local.id.pk, weft_config_net(n->h->cfg, n->name), n->ext_served, &w);
	else
		memset(&w, 0, sizeof(w));
	weft_gateway_apply(&n->gw, n->name, n->local.ifname, &w);
}

void weft_net_gateway_close(struct weft_net *n)
{
	weft_gateway_stop(&n->gw, n->name);
}

static void log_warning(void *ctx, const char *msg)
{
	weft_log_warn("%s", msg);
}

void weft_net_sync_peers(struct weft_net *n, struct weft_now now)
{
	struct env_ctx e = { n, now };
	weft_wg_device_t want = { 0 };
	struct weft_peersync_env env;
	weft_wg_changes_t ch;
	weft_wg_err_t werr;
	weft_view_t v;
	bool fresh;
	int ret;

	n->dirty_peers = false;
	n->last_sync_ns = now.mono_ns;
	ret = weft_store_view(n->store, now.wall_ms, &v);
	if (ret) {
		weft_log_error("%s: cannot compute the view: %s", n->name, weft_strerror(ret));
		return;
	}
	ret = weft_peerset_update(&n->peers, &v, now.mono_ns);
	if (!ret)
		admin_apply(n, &v, now);
	if (!ret)
		weft_peerset_route_news(&n->peers, n->name, log_warning, NULL);
	if (n->dns)
		weft_dnssrv_update(n->dns, &v, n->store);
	if (n->phase == WEFT_NET_MEMBER && !ret)
		weft_resolver_update(n->resolver, &v, weft_dnssrv_zone(n->dns),
				     n->wg_ifindex ? n->local.ifname : NULL, &n->peers.self4, &n->peers.self6);
	weft_view_free(&v);
	if (ret) {
		weft_log_error("%s: cannot update peers: %s", n->name, weft_strerror(ret));
		return;
	}
	if (n->peers.self_status == WEFT_MEMBER_REVOKED)
		weft_net_became_revoked(n, now);
	if (!n->wg) {
		dns_listen(n);
		return;
	}
	apply_addresses(n);
	apply_mtu(n);
	dns_listen(n);
	env_fill(n, &env, &e);
	want.has_private_key = true;
	want.private_key = n->local.wg.priv;
	want.listen_port = n->wg_port;
	/* WireGuard as it is now, not at the last poll (up to 1 s ago): a
	 * handshake done since, at the endpoint WireGuard roamed to, must
	 * keep it, not get a retry's next candidate (the NATed pair then
	 * sent to each other's LAN address for 180 s). The apply below diffs
	 * against this same read. */
	fresh = n->phase == WEFT_NET_MEMBER && weft_net_poll_device(n, now);
	if (n->phase == WEFT_NET_MEMBER || n->phase == WEFT_NET_LEAVING)
		ret = weft_peerset_desired(&n->peers, &env, now.wall_ms / 1000, &want);
	if (!ret && (n->phase == WEFT_NET_MEMBER || n->phase == WEFT_NET_LEAVING))
		ret = ext_clients(n, &want);
	else
		n->ext_served = 0;
	if (!ret)
		ret = fresh ? weft_wg_apply_from(n->wg, &want, &n->dev, &ch, &werr)
			    : weft_wg_apply(n->wg, &want, &ch, &werr);
	else
		snprintf(werr.msg, sizeof(werr.msg), "%s", weft_strerror(ret));
	if (ret)
		weft_log_error("%s: cannot configure WireGuard: %s", n->name, werr.msg);
	else if (ch.added || ch.removed || ch.device_changed)
		weft_log_info("%s: WireGuard peers: %u added, %u removed, %u updated (%zu wanted)", n->name,
			      ch.added, ch.removed, ch.updated, want.n_peers);
	else if (ch.updated) /* endpoint retries, relay keepalive kicks: routine */
		weft_log_debug("%s: WireGuard peers: %u updated (%zu wanted)", n->name, ch.updated, want.n_peers);
	weft_wg_device_free(&want);
	apply_routes(n);
	gateway_sync(n);
	send_pokes(n);
	if (weft_peerset_kicking(&n->peers))
		n->dirty_peers = true; /* the second half of a kick (peersync.h) */
	if (!n->next_poll_ns || n->next_poll_ns > now.mono_ns + POLL_FAST_NS)
		n->next_poll_ns = now.mono_ns + POLL_FAST_NS;
}

bool weft_net_retry_peers(struct weft_net *n, struct weft_now now)
{
	struct env_ctx e = { n, now };
	struct weft_peersync_env env;

	env_fill(n, &env, &e);
	return weft_peerset_retry(&n->peers, &env, now.mono_ns) > 0;
}

/* A due rotation waits while we are the gateway of external clients
 * (wgrotate.h): said once each time their number changes. */
static bool wg_rotate_held(struct weft_net *n)
{
	size_t k = weft_wgrotate_ext_clients(n->store, &n->local.id.pk);
	char msg[768];

	if (k && k != n->wg_rotate_held) {
		weft_wgrotate_held_msg(msg, sizeof(msg), n->name, k);
		weft_log_warn("%s", msg);
	}
	n->wg_rotate_held = k;
	return k > 0;
}

/* Our WireGuard key, when due (wgrotate.h): the new one is saved before
 * anyone can learn it, set on the device with every peer as a new entry,
 * then published; each peer switches when the news reaches it and starts
 * a handshake at once, which we can answer. */
void weft_net_rotate_wg_key(struct weft_net *n, struct weft_now now)
{
	struct env_ctx e = { n, now };
	const weft_record_t *rot = weft_store_get(n->store, WEFT_REC_ROTATE, net_subject);
	uint64_t now_s = now.wall_ms / 1000;
	weft_wg_device_t bare = { 0 };
	weft_wg_changes_t ch;
	weft_wg_err_t werr;
	char b64[WEFT_WGKEY_B64_LEN + 1];

	if (n->phase != WEFT_NET_MEMBER || !n->wg ||
	    now_s < weft_wgrotate_due_at(n->local.wg_key_time, weft_net_settings(n), rot ? &rot->u.rotate : NULL))
		return;
	if (wg_rotate_held(n))
		return;
	weft_wgrotate_renew(&n->local.wg, &n->local.wg_key_time, now_s, rot ? rot->u.rotate.older_than : 0);
	weft_net_mark_dirty(n, false, true, now);
	weft_net_save(n, now);
	bare.has_private_key = true;
	bare.private_key = n->local.wg.priv;
	bare.listen_port = n->wg_port;
	if (weft_wg_apply(n->wg, &bare, &ch, &werr))
		weft_log_warn("%s: cannot set the new WireGuard key: %s", n->name, werr.msg);
	weft_wg_device_free(&bare);
	weft_wgrotate_reset_tunnels(&n->peers, true, now.mono_ns, tunnel_reset, &e);
	weft_key_to_base64(b64, n->local.wg.pub.b);
	weft_log_info("%s: new WireGuard key %s", n->name, b64);
	weft_net_publish_state(n, 0, now);
	weft_net_sync_peers(n, now);
}
