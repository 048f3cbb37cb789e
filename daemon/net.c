/* One network in the daemon (daemon.h, net.h): the libuv shell around its
 * gossip node — the UDP sockets on the gossip port, one timer re-armed to
 * the node's next deadline, a housekeeping tick — and everything the node's
 * events drive: the WireGuard interface and its peers (through peersync),
 * this node's own state record, and the files in its state directory. */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon/dnssrv.h"
#include "core/error.h"
#include "mesh/extclient.h"
#include "daemon/log.h"
#include "daemon/net.h"
#include "daemon/resolver.h"
#include "mesh/policyapply.h"
#include "daemon/prevkey.h"
#include "mesh/pushcheck.h"
#include "daemon/udpio.h"
#include "mesh/routecheck.h"
#include "mesh/wgrotate.h"
#include "weft_config.h"

#define MS_NS 1000000ull
#define SEC_NS 1000000000ull
#define SAVE_DELAY_NS (1 * SEC_NS)
#define SCAN_INTERVAL_NS (30 * SEC_NS)
#define POLL_FAST_NS (1 * SEC_NS)
#define POLL_SLOW_NS (5 * SEC_NS)
#define SYNC_MIN_GAP_MS 50
#define LEAVE_LINGER_NS (1500 * MS_NS)
#define RECV_BATCH 64

static const uint8_t net_subject[32];

static void pump(struct weft_net *n);
static void net_close(struct weft_net *n);
static int start_join(struct weft_net *n, const weft_token_t *tok, char *err, size_t errlen);
static void restore_saved(struct weft_net *n);

const char *weft_net_phase_name(int phase)
{
	switch (phase) {
	case WEFT_NET_JOINING: return "joining";
	case WEFT_NET_PENDING: return "pending";
	case WEFT_NET_MEMBER: return "member";
	case WEFT_NET_REVOKED: return "revoked";
	case WEFT_NET_LEAVING: return "leaving";
	default: return "?";
	}
}

uint64_t weft_net_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t mono_ns(void)
{
	return uv_hrtime();
}

/* The node's randomness: the system's CSPRNG (gossip.h asks for one). */
static void rand_fn(void *ctx, uint8_t *buf, size_t len)
{
	randombytes_buf(buf, len);
}

const char *weft_net_name(const struct weft_net *n)
{
	return n->name;
}

int weft_net_phase(const struct weft_net *n)
{
	return n->phase;
}

const weft_pk_t *weft_net_id(const struct weft_net *n)
{
	return &n->network_id;
}

static const struct weft_rec_network *settings(const struct weft_net *n)
{
	const weft_record_t *r = n->store ? weft_store_get(n->store, WEFT_REC_NETWORK, net_subject) : NULL;

	return r ? &r->u.network : NULL;
}

/* Short id for logs: the fingerprint of a node id. */
static const char *fpr(const weft_pk_t *id, char out[WEFT_FPR_LEN + 1])
{
	weft_fingerprint(out, id);
	return out;
}

static const char *peer_label(struct weft_net *n, const weft_pk_t *id, char *buf, size_t cap)
{
	struct weft_peer *p = weft_peerset_find(&n->peers, id);
	char f[WEFT_FPR_LEN + 1];

	weft_fingerprint(f, id);
	if (p && p->name[0])
		snprintf(buf, cap, "%s (%.8s)", p->name, f);
	else
		snprintf(buf, cap, "%.8s", f);
	return buf;
}

/* ---- lifecycle of the handles ---- */

static void drop_join_tok(struct weft_net *n)
{
	if (!n->join_tok)
		return;
	weft_token_wipe(n->join_tok);
	free(n->join_tok);
	n->join_tok = NULL;
}

static void net_free(struct weft_net *n)
{
	int ret;

	if (n->remove_state && n->dir[0]) {
		ret = weft_netstate_remove(n->dir);
		if (ret)
			weft_log_warn("%s: cannot remove %s: %s", n->name, n->dir, weft_strerror(ret));
	}
	weft_gossip_free(n->g);
	weft_store_free(n->store);
	weft_gossip_free(n->saved_g);
	weft_store_free(n->saved_store);
	weft_wg_close(n->wg);
	weft_peerset_free(&n->peers);
	weft_wg_device_free(&n->dev);
	weft_local_wipe(&n->local);
	drop_join_tok(n);
	weft_resolver_free(n->resolver);
	weft_daemon_net_gone(n->d, n);
	free(n);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct weft_net *n = h->data;

	if (--n->open_handles == 0)
		net_free(n);
}

static void finish(struct weft_net *n, int err, const char *msg)
{
	weft_net_done_fn done = n->done;

	n->done = NULL;
	if (done)
		done(n->done_ctx, n, err, msg);
	n->done_ctx = NULL;
}

static void net_close(struct weft_net *n)
{
	weft_wg_err_t werr;
	int i, ret;

	if (n->closing)
		return;
	n->closing = true;
	if (n->done)
		finish(n, -ECANCELED, "the daemon is stopping this network");
	weft_gateway_close(n);
	if (n->remove_iface && n->wg && n->iface_ours) {
		ret = weft_wg_delete(n->wg, &werr);
		if (ret && ret != -ENODEV)
			weft_log_warn("%s: cannot remove interface: %s", n->name, werr.msg);
		else
			weft_log_info("%s: removed interface %s", n->name, n->local.ifname);
	}
	for (i = 0; i < 2; i++) {
		if (n->fd[i] < 0)
			continue;
		uv_poll_stop(&n->poll[i]);
		close(n->fd[i]);
		n->fd[i] = -1;
		uv_close((uv_handle_t *)&n->poll[i], on_handle_closed);
	}
	uv_close((uv_handle_t *)&n->gtimer, on_handle_closed);
	uv_close((uv_handle_t *)&n->tick, on_handle_closed);
	uv_close((uv_handle_t *)&n->soon, on_handle_closed);
	weft_dnssrv_free(n->dns);
	n->dns = NULL;
}

void weft_net_forget_waiter(struct weft_net *n, void *ctx)
{
	if (n->done_ctx == ctx) {
		n->done = NULL;
		n->done_ctx = NULL;
	}
}

static void default_ifname(char out[WEFT_WG_IFNAMSIZ], const char *name)
{
	uint8_t h[8];

	if (strlen(name) + 5 < WEFT_WG_IFNAMSIZ) {
		snprintf(out, WEFT_WG_IFNAMSIZ, "weft-%s", name);
		return;
	}
	/* Too long for IFNAMSIZ: keep a readable prefix and a hash, so two
	 * long names that share a prefix still differ. */
	crypto_generichash(h, sizeof(h), (const uint8_t *)name, strlen(name), NULL, 0);
	snprintf(out, WEFT_WG_IFNAMSIZ, "weft-%.5s-%02x%02x", name, h[0], h[1]);
}

static void on_gtimer(uv_timer_t *t);
static void on_tick(uv_timer_t *t);
static void on_soon(uv_timer_t *t);

static struct weft_net *net_alloc(struct weft_daemon *d, const char *name)
{
	struct weft_net *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->d = d;
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->fd[0] = n->fd[1] = -1;
	uv_timer_init(d->loop, &n->gtimer);
	uv_timer_init(d->loop, &n->tick);
	uv_timer_init(d->loop, &n->soon);
	n->gtimer.data = n->tick.data = n->soon.data = n;
	n->open_handles = 3;
	n->dns = weft_dnssrv_new(d->loop, name);
	n->resolver = weft_resolver_new(&d->cfg, name);
	n->started_ns = mono_ns();
	n->next = d->nets;
	d->nets = n;
	return n;
}

/* ---- persistence ---- */

static void mark_dirty(struct weft_net *n, bool store, bool local)
{
	n->dirty_store |= store;
	n->dirty_local |= local;
	if (!n->save_due_ns)
		n->save_due_ns = mono_ns() + SAVE_DELAY_NS;
}

static void save_now(struct weft_net *n)
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
			n->save_due_ns = mono_ns() + 5 * SEC_NS;
			return;
		}
		n->dirty_store = false;
	}
	if (n->dirty_local) {
		ret = weft_netstate_save_local(n->dir, &n->local);
		if (ret) {
			weft_log_error("%s: cannot save node state in %s: %s (will retry)", n->name, n->dir,
				       weft_strerror(ret));
			n->save_due_ns = mono_ns() + 5 * SEC_NS;
			return;
		}
		n->dirty_local = false;
	}
}

static int persist_first(struct weft_net *n, char *err, size_t errlen)
{
	int ret = weft_netstate_mkdir(n->d->cfg.state_dir, n->name);

	if (ret) {
		snprintf(err, errlen, "cannot create the state directory %s: %s", n->dir, weft_strerror(ret));
		return ret;
	}
	n->persisted = true;
	n->dirty_store = n->dirty_local = true;
	save_now(n);
	return n->dirty_store || n->dirty_local ? -EIO : 0;
}

/* ---- this node's state record ---- */

static void build_state(struct weft_net *n, weft_record_t *r, uint32_t flags)
{
	struct weft_rec_node_state *st = &r->u.node_state;

	memset(r, 0, sizeof(*r));
	r->type = WEFT_REC_NODE_STATE;
	st->node_id = n->local.id.pk;
	st->version = weft_hlc_next(n->local.state_version, weft_net_wall_ms());
	st->wg_pub = n->local.wg.pub;
	st->wg_key_time = n->local.wg_key_time;
	st->wg_port = n->wg_port;
	st->gossip_port = n->gossip_port;
	snprintf(st->name, sizeof(st->name), "%s", n->local.name);
	st->nendpoints = n->neps;
	memcpy(st->endpoints, n->eps, sizeof(st->endpoints));
	st->nroutes = (uint8_t)weft_gateway_advertised(weft_config_net(&n->d->cfg, n->name), st->routes);
	st->flags = flags | n->relay.flags;
	snprintf(st->sw_version, sizeof(st->sw_version), "weft %s", WEFT_VERSION);
}

/* Whether our state record advertises the routes the configuration does. */
static bool routes_current(struct weft_net *n, const struct weft_rec_node_state *st)
{
	weft_cidr_t r[WEFT_MAX_ROUTES];
	size_t k = weft_gateway_advertised(weft_config_net(&n->d->cfg, n->name), r);

	return st->nroutes == k && !memcmp(st->routes, r, k * sizeof(r[0]));
}

/* Whether the held state record says what we would say now. */
static bool state_current(struct weft_net *n)
{
	const weft_record_t *r = weft_store_get(n->store, WEFT_REC_NODE_STATE, n->local.id.pk.b);
	const struct weft_rec_node_state *st;

	if (!r)
		return false;
	st = &r->u.node_state;
	return !memcmp(st->wg_pub.b, n->local.wg.pub.b, WEFT_WGKEY_LEN) && st->wg_port == n->wg_port &&
	       st->gossip_port == n->gossip_port && !strcmp(st->name, n->local.name) && st->flags == n->relay.flags &&
	       st->nendpoints == n->neps && !memcmp(st->endpoints, n->eps, n->neps * sizeof(n->eps[0])) &&
	       routes_current(n, st);
}

static int publish_state(struct weft_net *n, uint32_t flags)
{
	weft_record_t r;
	int ret;

	build_state(n, &r, flags);
	ret = weft_record_sign(&r, &n->local.id);
	if (ret) {
		weft_log_error("%s: cannot sign our state record: %s", n->name, weft_strerror(ret));
		return ret;
	}
	ret = weft_gossip_publish(n->g, &r, mono_ns());
	if (ret < 0 && ret != WEFT_EDUPLICATE) {
		weft_log_error("%s: our state record was refused: %s", n->name, weft_strerror(ret));
		return ret;
	}
	n->local.state_version = r.u.node_state.version;
	mark_dirty(n, true, true);
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
static bool scan_endpoints(struct weft_net *n)
{
	const struct weft_config_net *cn = weft_config_net(&n->d->cfg, n->name);
	struct weft_gossip_candidate refl[WEFT_MAX_ENDPOINTS];
	const char *skip_ifs[WEFT_NETSTATE_MAX_NETS];
	weft_cidr_t skip_nets[2 * WEFT_NETSTATE_MAX_NETS];
	weft_ip_t addrs[WEFT_NET_MAX_LOCAL];
	weft_endpoint_t eps[WEFT_MAX_ENDPOINTS], ep;
	const struct weft_rec_network *s;
	size_t nifs = 0, nnets = 0, na, nr, i, j, neps = 0;
	struct weft_net *o;
	bool changed, local;

	for (o = n->d->nets; o; o = o->next) {
		if (nifs < WEFT_NETSTATE_MAX_NETS)
			skip_ifs[nifs++] = o->local.ifname;
		s = settings(o);
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
	changed = neps != n->neps || memcmp(eps, n->eps, sizeof(eps)) != 0;
	memcpy(n->eps, eps, sizeof(eps));
	n->neps = (uint8_t)neps;
	n->next_scan_ns = mono_ns() + SCAN_INTERVAL_NS;
	return changed;
}

/* ---- WireGuard ---- */

static size_t cands_fn(void *ctx, const weft_pk_t *id, struct weft_gossip_candidate *out, size_t cap)
{
	struct weft_net *n = ctx;

	return n->g ? weft_gossip_candidates(n->g, id, out, cap) : 0;
}

/* Alive or suspect: a member that gossip has not given up on (relays). */
static bool alive_fn(void *ctx, const weft_pk_t *id)
{
	struct weft_net *n = ctx;
	struct weft_gossip_member_info mi;

	return n->g && weft_gossip_member(n->g, id, &mi) == 0 &&
	       (mi.state == WEFT_LIVE_ALIVE || mi.state == WEFT_LIVE_SUSPECT);
}

/* A peer's traffic goes through a relay, or no longer (peersync.h): gossip
 * uses the overlay whenever it reaches the peer, the relay's way too. */
static void on_relayed(void *ctx, struct weft_peer *p, bool overlay_up)
{
	struct weft_net *n = ctx;
	char label[WEFT_NAME_MAX + 32], rl[WEFT_NAME_MAX + 32];

	if (n->g)
		weft_gossip_tunnel(n->g, &p->node_id, overlay_up, NULL, mono_ns());
	if (p->relayed)
		weft_log_info("%s: no direct path to %s: relayed through %s", n->name,
			      peer_label(n, &p->node_id, label, sizeof(label)), peer_label(n, &p->relay, rl, sizeof(rl)));
	else
		weft_log_info("%s: %s is no longer relayed%s", n->name, peer_label(n, &p->node_id, label, sizeof(label)),
			      p->tunnel_up ? " (direct path)" : "");
}

/* Whether we offer relaying changed (relay.h): after every endpoint scan. */
static bool relay_update(struct weft_net *n)
{
	return weft_relay_update(&n->relay, n->d->cfg.relay, n->name, n->local.ifname, n->wg_ifindex != 0, n->eps,
				 n->neps, n->behind_nat);
}

static void env_fill(struct weft_net *n, struct weft_peersync_env *env)
{
	const struct weft_config_net *cn = weft_config_net(&n->d->cfg, n->name);
	const struct weft_rec_network *s = settings(n);

	memset(env, 0, sizeof(*env));
	env->cands = cands_fn;
	env->cands_ctx = n;
	env->local_nets = n->lnets;
	env->nlocal_nets = n->nlnets;
	env->self_behind_nat = n->behind_nat;
	env->keepalive = cn && cn->keepalive >= 0 ? cn->keepalive : s ? s->keepalive : 0;
	env->local_only = s && (s->options & WEFT_NETOPT_LOCAL_ONLY);
	env->alive = alive_fn;
	env->alive_ctx = n;
	env->relayed = on_relayed;
}

static void apply_addresses(struct weft_net *n)
{
	const struct weft_rec_network *s = settings(n);
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
	const struct weft_rec_network *s = settings(n);
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
	struct weft_net *n = ctx;
	char label[WEFT_NAME_MAX + 32], ep[WEFT_EPSTRLEN];

	weft_gossip_tunnel(n->g, &p->node_id, up, p->wg_endpoint.ip.family ? &p->wg_endpoint : NULL, mono_ns());
	weft_log_debug("%s: tunnel to %s %s%s%s", n->name, peer_label(n, &p->node_id, label, sizeof(label)),
		       up ? "up" : "down", up && p->wg_endpoint.ip.family ? " via " : "",
		       up && p->wg_endpoint.ip.family ? weft_endpoint_format(&p->wg_endpoint, ep, sizeof(ep)) : "");
}

/* Read the device into n->dev and take in what it says; false when it
 * could not be read (n->dev is then the last good read). */
static bool poll_device(struct weft_net *n)
{
	weft_wg_device_t dev = { 0 };
	weft_wg_err_t werr;
	size_t i;
	bool waiting = false;
	int ret;

	ret = weft_wg_get_device(n->wg, &dev, &werr);
	if (ret) {
		weft_log_warn("%s: cannot read the interface: %s", n->name, werr.msg);
		n->next_poll_ns = mono_ns() + POLL_SLOW_NS;
		return false;
	}
	weft_wg_device_free(&n->dev);
	n->dev = dev;
	n->have_dev = true;
	weft_peerset_observe(&n->peers, &n->dev, weft_net_wall_ms() / 1000, on_tunnel, n);
	for (i = 0; i < n->peers.n; i++)
		waiting |= weft_peer_wanted(&n->peers.p[i]) && !n->peers.p[i].tunnel_up;
	n->next_poll_ns = mono_ns() + (waiting ? POLL_FAST_NS : POLL_SLOW_NS);
	return true;
}

static void became_revoked(struct weft_net *n)
{
	if (n->phase == WEFT_NET_REVOKED)
		return;
	weft_log_warn("%s: the network's admin revoked this node; it no longer takes part (weft leave %s "
		      "forgets the network)", n->name, n->name);
	n->phase = WEFT_NET_REVOKED;
	n->local.status = WEFT_LOCAL_REVOKED;
	mark_dirty(n, true, true);
}

/* DNS on the overlay addresses once they are on the interface (none with
 * the memory backend), and on the configured loopback address. */
static void dns_listen(struct weft_net *n)
{
	const struct weft_config_net *cn = weft_config_net(&n->d->cfg, n->name);
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
		eps[k++] = cn && cn->dns_listen.ip.family ? cn->dns_listen : n->d->cfg.dns_listen;
	weft_dnssrv_listen(n->dns, eps, k);
	if (cn && cn->nforward)
		weft_dnssrv_set_forward(n->dns, cn->forward, cn->nforward);
	else
		weft_dnssrv_set_forward(n->dns, n->d->cfg.forward, n->d->cfg.nforward);
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
			       "taken)", n->name, st.skipped, st.skipped == 1 ? "" : "s");
	n->ext_served = st.served;
	return ret;
}

static void tunnel_reset(void *ctx, struct weft_peer *p)
{
	struct weft_net *n = ctx;

	weft_gossip_tunnel(n->g, &p->node_id, false, NULL, mono_ns());
}

/* What the admin's records mean beyond each member's status: the policy,
 * the next expiry, and gossip off the tunnels being rebuilt. */
static void admin_apply(struct weft_net *n, const weft_view_t *v)
{
	const weft_record_t *pol = weft_store_get(n->store, WEFT_REC_POLICY, net_subject);

	weft_policyapply_mark(&n->peers, v, pol ? &pol->u.policy : NULL);
	n->next_expiry_s = weft_policyapply_next_expiry(v, weft_net_wall_ms() / 1000);
	weft_wgrotate_reset_tunnels(&n->peers, false, mono_ns(), tunnel_reset, n);
}

static void log_warning(void *ctx, const char *msg)
{
	weft_log_warn("%s", msg);
}

static void sync_peers(struct weft_net *n)
{
	weft_wg_device_t want = { 0 };
	struct weft_peersync_env env;
	weft_wg_changes_t ch;
	weft_wg_err_t werr;
	weft_view_t v;
	uint64_t now = mono_ns();
	bool fresh;
	int ret;

	n->dirty_peers = false;
	n->last_sync_ns = now;
	ret = weft_store_view(n->store, weft_net_wall_ms(), &v);
	if (ret) {
		weft_log_error("%s: cannot compute the view: %s", n->name, weft_strerror(ret));
		return;
	}
	ret = weft_peerset_update(&n->peers, &v, now);
	if (!ret)
		admin_apply(n, &v);
	if (!ret)
		weft_routecheck_news(n->name, &n->peers, log_warning, NULL);
	if (n->dns)
		weft_dnssrv_update(n->dns, &v, n->store);
	if (n->phase == WEFT_NET_MEMBER && !ret)
		weft_resolver_update(n->resolver, &v, weft_dnssrv_zone(n->dns), n->wg_ifindex ? n->local.ifname : NULL,
				     &n->peers.self4, &n->peers.self6);
	weft_view_free(&v);
	if (ret) {
		weft_log_error("%s: cannot update peers: %s", n->name, weft_strerror(ret));
		return;
	}
	if (n->peers.self_status == WEFT_MEMBER_REVOKED)
		became_revoked(n);
	if (!n->wg) {
		dns_listen(n);
		return;
	}
	apply_addresses(n);
	apply_mtu(n);
	dns_listen(n);
	env_fill(n, &env);
	want.has_private_key = true;
	want.private_key = n->local.wg.priv;
	want.listen_port = n->wg_port;
	/* WireGuard as it is now, not at the last poll (up to 1 s ago): a
	 * handshake done since, at the endpoint WireGuard roamed to, must
	 * keep it, not get a retry's next candidate (the NATed pair then
	 * sent to each other's LAN address for 180 s). The apply below diffs
	 * against this same read. */
	fresh = n->phase == WEFT_NET_MEMBER && poll_device(n);
	if (n->phase == WEFT_NET_MEMBER || n->phase == WEFT_NET_LEAVING)
		ret = weft_peerset_desired(&n->peers, &env, weft_net_wall_ms() / 1000, &want);
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
	weft_gateway_sync(n, n->ext_served);
	send_pokes(n);
	if (weft_peerset_kicking(&n->peers))
		n->dirty_peers = true; /* the second half of a kick (peersync.h) */
	if (!n->next_poll_ns || n->next_poll_ns > now + POLL_FAST_NS)
		n->next_poll_ns = now + POLL_FAST_NS;
}

static void on_soon(uv_timer_t *t)
{
	struct weft_net *n = t->data;

	if (n->closing)
		return;
	sync_peers(n);
	pump(n);
}

static void sync_soon(struct weft_net *n)
{
	uint64_t now = mono_ns(), gap;

	if (uv_is_active((uv_handle_t *)&n->soon) || n->closing)
		return;
	/* Events come in bursts: one apply for the burst, not one per event. */
	gap = now - n->last_sync_ns >= SYNC_MIN_GAP_MS * MS_NS ? 5 : SYNC_MIN_GAP_MS;
	uv_timer_start(&n->soon, on_soon, gap, 0);
}

/* ---- the gossip node's outputs ---- */

static void drain_send(struct weft_net *n)
{
	uint8_t buf[WEFT_GOSSIP_MTU];
	struct weft_gossip_dgram dg;
	struct weft_peer *p;
	weft_endpoint_t to;
	int len, fd;

	while ((len = weft_gossip_poll_send(n->g, buf, sizeof(buf), &dg)) > 0) {
		to = dg.to;
		if (dg.path == WEFT_PATH_OVERLAY) {
			p = dg.has_peer ? weft_peerset_find(&n->peers, &dg.peer) : NULL;
			if (p && p->addr4.family) {
				memset(&to, 0, sizeof(to));
				to.ip = p->addr4;
				to.port = p->gossip_port ? p->gossip_port : n->gossip_port;
			}
		}
		if (!to.ip.family)
			continue;
		fd = n->fd[to.ip.family == 6 ? 1 : 0];
		if (fd >= 0)
			weft_udp_send(fd, &to, buf, (size_t)len);
	}
}

static const char *join_error(struct weft_net *n, int err, char *buf, size_t cap)
{
	switch (err) {
	case WEFT_EEXPIRED:
		return "the invite has expired; ask the network's admin for a new one (weft invite)";
	case WEFT_EUSEDUP:
		snprintf(buf, cap, "the invite is used up (it admits %u node%s, all taken); ask the network's admin "
				   "for a new one (weft invite --uses N)",
			 n->invite_uses, n->invite_uses == 1 ? "" : "s");
		return buf;
	case WEFT_EREVOKED:
		snprintf(buf, cap, "the network's admin revoked this node, so its members refuse it; 'weft leave %s' "
				   "forgets the network, and a new invite joins this host as a new node",
			 n->name);
		return buf;
	case WEFT_EBADSIG:
		return "a member refused the join: a signature does not verify (was the token altered?)";
	case WEFT_ENORIGHT:
		return "a member refused the invite: it is not signed by this network's admin";
	case WEFT_EEXISTS:
		return "a member already holds another membership for this node's id";
	case WEFT_EWRONGNET:
		return "the bootstrap member belongs to another network";
	case WEFT_EPROTO:
		snprintf(buf, cap, "members at %s refused the join request; is this host's clock more than 10 "
				   "minutes off?", n->boot_text);
		return buf;
	case WEFT_ETIMEOUT:
		snprintf(buf, cap, "no member answered at the token's bootstrap endpoints (%s): check that a member "
				   "runs there, that UDP to that port is not blocked, and that the token is for the "
				   "network those members are in",
			 n->boot_text);
		return buf;
	default:
		snprintf(buf, cap, "the join failed: %s", weft_strerror(err));
		return buf;
	}
}

static void joined(struct weft_net *n)
{
	char err[256], f[WEFT_FPR_LEN + 1];
	int ret;

	if (n->saved_g) {
		/* Let in again: the new node and store are the network now. */
		weft_gossip_free(n->saved_g);
		weft_store_free(n->saved_store);
		n->saved_g = NULL;
		n->saved_store = NULL;
		mark_dirty(n, true, true);
	}

	drop_join_tok(n);
	if (n->persisted && n->local.status == WEFT_LOCAL_PENDING) {
		/* Approved after waiting on disk: a member's files from now. */
		ret = weft_netstate_drop_token(n->dir);
		if (ret)
			weft_log_warn("%s: cannot remove the token file in %s: %s", n->name, n->dir,
				      weft_strerror(ret));
		n->local.status = WEFT_LOCAL_MEMBER;
		mark_dirty(n, true, true);
		save_now(n);
	}
	n->phase = WEFT_NET_MEMBER;
	n->local.status = WEFT_LOCAL_MEMBER;
	ret = n->persisted ? 0 : persist_first(n, err, sizeof(err));
	if (ret)
		weft_log_error("%s: %s", n->name, err);
	weft_log_info("%s: joined as node %s", n->name, fpr(&n->local.id.pk, f));
	n->dirty_peers = true;
	sync_peers(n);
	finish(n, 0, NULL);
}

/* Admitted, waiting for approval: the node, its records and the token go
 * on disk, so that a restart goes on waiting (the token re-runs the join
 * with the member record the members already hold) instead of losing it. */
static void persist_pending(struct weft_net *n)
{
	char err[256];
	int ret;

	n->local.status = WEFT_LOCAL_PENDING;
	ret = persist_first(n, err, sizeof(err));
	if (!ret && n->join_tok)
		ret = weft_netstate_save_token(n->dir, n->join_tok);
	else if (!ret)
		ret = -ENOENT;
	if (ret)
		weft_log_error("%s: cannot keep the waiting join on disk (%s): a restart before the approval "
			       "loses it, and 'weft join' must be run again",
			       n->name, weft_strerror(ret));
	drop_join_tok(n);
}

static void on_event(struct weft_net *n, const struct weft_gossip_event *ev)
{
	char label[WEFT_NAME_MAX + 32], msg[400];
	bool self = !memcmp(ev->node.b, n->local.id.pk.b, WEFT_PK_LEN);

	switch (ev->type) {
	case WEFT_GEV_RECORD:
		mark_dirty(n, true, false);
		switch (ev->rec_type) {
		case WEFT_REC_NETWORK:
		case WEFT_REC_MEMBER:
		case WEFT_REC_NODE_STATE:
		case WEFT_REC_OVERRIDE:
		case WEFT_REC_REVOCATION:
		case WEFT_REC_POLICY:
		case WEFT_REC_DNS: /* the zone is rebuilt with the peers */
		case WEFT_REC_EXT_CLIENT:
			n->dirty_peers = true;
			break;
		}
		if (ev->rec_type == WEFT_REC_REVOCATION && !memcmp(ev->subject, n->local.id.pk.b, WEFT_PK_LEN))
			became_revoked(n);
		break;
	case WEFT_GEV_MEMBER_ADDED:
		n->dirty_peers = true;
		if (!self)
			weft_log_info("%s: new member %s", n->name, peer_label(n, &ev->node, label, sizeof(label)));
		break;
	case WEFT_GEV_MEMBER_CHANGED:
		n->dirty_peers = true;
		break;
	case WEFT_GEV_MEMBER_REMOVED:
		n->dirty_peers = true;
		weft_log_info("%s: member %s was revoked", n->name, peer_label(n, &ev->node, label, sizeof(label)));
		break;
	case WEFT_GEV_LIVENESS:
		/* "none": no longer a member, said by the event that removed it */
		weft_log(ev->state == WEFT_LIVE_ALIVE || ev->state == WEFT_LIVE_NONE ? WEFT_LOG_DEBUG : WEFT_LOG_INFO,
			 "%s: member %s is %s",
			 n->name, peer_label(n, &ev->node, label, sizeof(label)), weft_liveness_name(ev->state));
		break;
	case WEFT_GEV_ENDPOINT:
		if (self || ev->ep_kind == WEFT_EP_REFLEXIVE)
			n->next_scan_ns = mono_ns();
		else
			n->dirty_peers = true;
		break;
	case WEFT_GEV_JOINED:
		if (ev->state == 1) {
			if (n->phase == WEFT_NET_JOINING) {
				n->phase = WEFT_NET_PENDING;
				weft_log_info("%s: admitted, waiting for the admin's approval", n->name);
				persist_pending(n);
				finish(n, WEFT_EPENDING, "admitted; this node waits for the network's admin to approve "
							 "it (weft node NETWORK NODE set --approve)");
			}
		} else if (n->phase != WEFT_NET_MEMBER) {
			joined(n);
		}
		break;
	case WEFT_GEV_JOIN_FAILED:
		weft_log_warn("%s: join failed: %s", n->name, weft_strerror(ev->err));
		finish(n, ev->err, join_error(n, ev->err, msg, sizeof(msg)));
		if (n->saved_g) {
			restore_saved(n);
		} else if (n->phase == WEFT_NET_JOINING || n->phase == WEFT_NET_PENDING) {
			/* Nothing of a failed join stays behind, on disk neither
			 * (a join that waited for approval there). */
			n->remove_iface = true;
			n->remove_state = n->persisted;
			net_close(n);
		}
		break;
	case WEFT_GEV_NETKEY:
		mark_dirty(n, false, true);
		if (n->phase == WEFT_NET_PENDING && weft_gossip_is_member(n->g))
			joined(n);
		break;
	case WEFT_GEV_OVERFLOW:
		n->dirty_peers = true;
		mark_dirty(n, true, true);
		break;
	case WEFT_GEV_REVOKED:
		/* Also seen as a revocation record about ourselves; this event
		 * comes when a member answered us with it, or at start. */
		became_revoked(n);
		break;
	}
}

static bool drain_events(struct weft_net *n)
{
	struct weft_gossip_event ev;
	bool any = false;

	while (!n->closing && weft_gossip_poll_event(n->g, &ev)) {
		on_event(n, &ev);
		any = true;
	}
	return any;
}

/* After every call into the node: send what it queued, act on its events,
 * and re-arm the one timer at its next deadline. */
static void pump(struct weft_net *n)
{
	uint64_t dl, now;
	int i;

	if (n->closing || !n->g || n->in_pump)
		return;
	n->in_pump = 1;
	for (i = 0; i < 8; i++) {
		drain_send(n);
		if (!drain_events(n) || n->closing)
			break;
	}
	if (!n->closing) {
		drain_send(n);
		dl = weft_gossip_next_deadline(n->g);
		now = mono_ns();
		if (dl == UINT64_MAX)
			uv_timer_stop(&n->gtimer);
		else
			uv_timer_start(&n->gtimer, on_gtimer, dl > now ? (dl - now + MS_NS - 1) / MS_NS : 0, 0);
		if (n->dirty_peers)
			sync_soon(n);
	}
	n->in_pump = 0;
}

static void on_gtimer(uv_timer_t *t)
{
	struct weft_net *n = t->data;

	if (n->closing)
		return;
	weft_gossip_handle_timeout(n->g, mono_ns());
	pump(n);
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct weft_net *n = h->data;
	struct weft_udp_msg m;
	uint8_t buf[WEFT_GOSSIP_MTU + 64];
	int fam = h == &n->poll[1] ? 1 : 0, i, ret;
	uint8_t path;
	ssize_t len;

	if (n->closing || status < 0)
		return;
	for (i = 0; i < RECV_BATCH; i++) {
		len = weft_udp_recv(n->fd[fam], buf, sizeof(buf), &m);
		if (len == -EAGAIN)
			break;
		if (len < 0 || len > WEFT_GOSSIP_MTU) {
			n->recv_dropped++;
			continue;
		}
		/* Overlay only when WireGuard's interface delivered it:
		 * WireGuard authenticated the source address then. */
		path = n->wg_ifindex && m.ifindex == n->wg_ifindex ? WEFT_PATH_OVERLAY : WEFT_PATH_UNDERLAY;
		ret = weft_gossip_recv(n->g, path, &m.from, buf, (size_t)len, mono_ns());
		if (ret < 0) {
			n->recv_dropped++;
			if (weft_log_get_level() >= WEFT_LOG_DEBUG && len > 1) {
				char ep[WEFT_EPSTRLEN];

				weft_log_debug("%s: dropped %zd bytes from %s (%s): %s", n->name, len,
					       weft_endpoint_format(&m.from, ep, sizeof(ep)),
					       path == WEFT_PATH_OVERLAY ? "overlay" : "underlay", weft_strerror(ret));
			}
		}
	}
	pump(n);
}

static void leave_done(struct weft_net *n)
{
	weft_net_done_fn done = n->done;
	int ret;

	weft_log_info("%s: left the network; removing its interface and state", n->name);
	/* Both go before the answer: whoever waits on `weft leave` finds them
	 * gone, and a join of the same name right after cannot lose its new
	 * state to this network's cleanup in net_free(). */
	n->done = NULL;
	n->remove_iface = true;
	weft_resolver_remove(n->resolver);
	net_close(n);
	if (n->dir[0]) {
		ret = weft_netstate_remove(n->dir);
		if (ret)
			weft_log_warn("%s: cannot remove %s: %s", n->name, n->dir, weft_strerror(ret));
		n->persisted = false;
	}
	n->done = done;
	finish(n, 0, NULL);
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
static void rotate_wg_key(struct weft_net *n)
{
	const weft_record_t *rot = weft_store_get(n->store, WEFT_REC_ROTATE, net_subject);
	uint64_t now_s = weft_net_wall_ms() / 1000;
	weft_wg_device_t bare = { 0 };
	weft_wg_changes_t ch;
	weft_wg_err_t werr;
	char b64[WEFT_WGKEY_B64_LEN + 1];

	if (n->phase != WEFT_NET_MEMBER || !n->wg ||
	    now_s < weft_wgrotate_due_at(n->local.wg_key_time, settings(n), rot ? &rot->u.rotate : NULL))
		return;
	if (wg_rotate_held(n))
		return;
	weft_wgrotate_renew(&n->local.wg, &n->local.wg_key_time, now_s, rot ? rot->u.rotate.older_than : 0);
	mark_dirty(n, false, true);
	save_now(n);
	bare.has_private_key = true;
	bare.private_key = n->local.wg.priv;
	bare.listen_port = n->wg_port;
	if (weft_wg_apply(n->wg, &bare, &ch, &werr))
		weft_log_warn("%s: cannot set the new WireGuard key: %s", n->name, werr.msg);
	weft_wg_device_free(&bare);
	weft_wgrotate_reset_tunnels(&n->peers, true, mono_ns(), tunnel_reset, n);
	weft_key_to_base64(b64, n->local.wg.pub.b);
	weft_log_info("%s: new WireGuard key %s", n->name, b64);
	publish_state(n, 0);
	sync_peers(n);
}

static void on_tick(uv_timer_t *t)
{
	struct weft_net *n = t->data;
	uint64_t now = mono_ns();

	if (n->closing)
		return;
	weft_gossip_set_wallclock(n->g, now, weft_net_wall_ms());
	if (n->leave_at_ns && now >= n->leave_at_ns) {
		leave_done(n);
		return;
	}
	if (now >= n->next_scan_ns && n->phase != WEFT_NET_LEAVING) {
		bool scanned = scan_endpoints(n);

		if ((relay_update(n) || scanned) && n->phase == WEFT_NET_MEMBER && !state_current(n)) {
			weft_log_info("%s: our endpoints changed; announcing them", n->name);
			publish_state(n, 0);
			n->dirty_peers = true;
		}
	}
	if (n->next_poll_ns && now >= n->next_poll_ns && n->phase == WEFT_NET_MEMBER)
		poll_device(n);
	rotate_wg_key(n);
	if (n->next_expiry_s && weft_net_wall_ms() / 1000 >= n->next_expiry_s) {
		n->next_expiry_s = 0;
		n->dirty_peers = true; /* a member's expiry passed */
	}
	if (n->phase == WEFT_NET_MEMBER) {
		struct weft_peersync_env env;

		env_fill(n, &env);
		if (weft_peerset_retry(&n->peers, &env, now))
			n->dirty_peers = true;
	}
	if (n->save_due_ns && now >= n->save_due_ns)
		save_now(n);
	if (n->dirty_peers)
		sync_soon(n);
	pump(n);
}

/* ---- starting ---- */

static int open_sockets(struct weft_net *n, char *err, size_t errlen)
{
	int fam, ret;

	for (fam = 0; fam < 2; fam++) {
		ret = weft_udp_open(fam ? 6 : 4, n->gossip_port, &n->fd[fam]);
		if (ret) {
			if (fam == 1 && ret != -EADDRINUSE) {
				weft_log_debug("%s: no IPv6 gossip socket: %s", n->name, weft_strerror(ret));
				continue;
			}
			snprintf(err, errlen,
				 ret == -EADDRINUSE
					 ? "UDP port %u (gossip) is in use on this host; another program or network has it: "
					   "choose another with --gossip-port N"
					 : "cannot open UDP port %u (gossip): %s",
				 n->gossip_port, weft_strerror(ret));
			return ret;
		}
		uv_poll_init(n->d->loop, &n->poll[fam], n->fd[fam]);
		n->poll[fam].data = n;
		n->open_handles++;
		uv_poll_start(&n->poll[fam], UV_READABLE, on_readable);
	}
	return 0;
}

static int setup_wg(struct weft_net *n, char *err, size_t errlen)
{
	const struct weft_rec_network *s = settings(n);
	struct weft_config *c = &n->d->cfg;
	weft_wg_opts_t o = { 0 };
	weft_wg_link_t link;
	weft_wg_err_t werr;
	int ret;

	o.backend = c->wg_backend;
	o.userspace_impl = c->wg_userspace[0] ? c->wg_userspace : NULL;
	o.sock_dir = c->wg_socket_dir[0] ? c->wg_socket_dir : NULL;
	ret = weft_wg_open(&n->wg, n->local.ifname, &o, &werr);
	if (!ret) {
		ret = weft_wg_exists(n->wg, &werr);
		if (ret == 0) {
			ret = weft_wg_create(n->wg, &werr);
			if (!ret)
				weft_log_info("%s: created interface %s (%s)", n->name, n->local.ifname,
					      weft_wg_backend_name(n->wg));
		} else if (ret == 1) {
			weft_log_info("%s: taking over the existing interface %s (%s)", n->name, n->local.ifname,
				      weft_wg_backend_name(n->wg));
			ret = 0;
		}
	}
	if (ret) {
		if (ret == WEFT_EUNSUPPORTED)
			snprintf(err, errlen, "no WireGuard on this host (%s): load the kernel module (modprobe "
					      "wireguard) or install wireguard-go", werr.msg);
		else
			snprintf(err, errlen, "cannot set up WireGuard interface %s: %s", n->local.ifname, werr.msg);
		return ret;
	}
	n->iface_ours = true;
	if (s && s->mtu && weft_wg_set_mtu(n->wg, s->mtu, &werr))
		weft_log_warn("%s: cannot set the MTU: %s", n->name, werr.msg);
	if (weft_wg_set_up(n->wg, true, &werr))
		weft_log_warn("%s: cannot bring the interface up: %s", n->name, werr.msg);
	n->wg_ifindex = 0;
	if (strcmp(weft_wg_backend_name(n->wg), "memory") != 0 && weft_wg_get_link(n->wg, &link, &werr) == 0)
		n->wg_ifindex = link.ifindex;
	return 0;
}

static int check_conflicts(struct weft_net *n, char *err, size_t errlen)
{
	struct weft_net *o;

	for (o = n->d->nets; o; o = o->next) {
		if (o == n || o->closing)
			continue;
		if (!strcmp(o->local.ifname, n->local.ifname)) {
			snprintf(err, errlen, "interface %s is network %s's; choose another with --interface NAME",
				 n->local.ifname, o->name);
			return WEFT_EEXISTS;
		}
		if (o->gossip_port == n->gossip_port || o->wg_port == n->wg_port || o->gossip_port == n->wg_port ||
		    o->wg_port == n->gossip_port) {
			snprintf(err, errlen, "network %s already uses UDP ports %u and %u on this host; choose others "
					      "with --listen-port N --gossip-port N",
				 o->name, o->wg_port, o->gossip_port);
			return -EADDRINUSE;
		}
	}
	return 0;
}

static weft_gossip_t *make_gossip(struct weft_net *n, weft_store_t *store, bool with_key, int *err)
{
	const struct weft_config *c = &n->d->cfg;
	struct weft_gossip_config gc = { 0 };
	struct weft_gossip_params gp;
	weft_gossip_t *g;

	weft_gossip_params_default(&gp);
	if (c->join_timeout_ms)
		gp.join_timeout_ms = c->join_timeout_ms;
	if (c->probe_interval_ms)
		gp.probe_interval_ms = c->probe_interval_ms;
	if (c->gossip_interval_ms)
		gp.gossip_interval_ms = c->gossip_interval_ms;
	gc.identity = &n->local.id;
	gc.store = store;
	gc.rand = rand_fn;
	gc.params = &gp;
	gc.netkey = with_key && n->local.has_netkey ? n->local.netkey : NULL;
	gc.netkey_epoch = n->local.netkey_epoch;
	gc.incarnation = n->local.incarnation;
	g = weft_gossip_new(&gc, mono_ns(), err);
	if (g)
		weft_gossip_set_wallclock(g, mono_ns(), weft_net_wall_ms());
	/* A restart within a network-key rotation's grace (prevkey.h). */
	if (g && gc.netkey && weft_prevkey_restore(g, &n->local, n->name, weft_net_wall_ms()))
		mark_dirty(n, false, true);
	return g;
}

/* Back to the node and store a rejoin set aside (the join failed). */
static void restore_saved(struct weft_net *n)
{
	if (!n->saved_g)
		return;
	weft_gossip_free(n->g);
	weft_store_free(n->store);
	n->g = n->saved_g;
	n->store = n->saved_store;
	n->saved_g = NULL;
	n->saved_store = NULL;
}

/* Everything common to resume, join and create once local state and the
 * store hold what they should. */
static int net_start(struct weft_net *n, char *err, size_t errlen)
{
	const struct weft_rec_network *s = settings(n);
	const struct weft_config *c = &n->d->cfg;
	int ret;

	if (!s) {
		snprintf(err, errlen, "the network's settings are missing");
		return WEFT_ENOTFOUND;
	}
	n->network_id = *weft_store_network_id(n->store);
	n->wg_port = n->local.listen_port ? n->local.listen_port : s->wg_port;
	n->gossip_port = n->local.gossip_port ? n->local.gossip_port : s->gossip_port;
	if (n->wg_port == n->gossip_port) {
		snprintf(err, errlen, "the WireGuard and gossip ports are both %u; give different ones", n->wg_port);
		return -EINVAL;
	}
	ret = check_conflicts(n, err, errlen);
	if (ret)
		return ret;
	ret = weft_netstate_dir(n->dir, sizeof(n->dir), c->state_dir, n->name);
	if (ret) {
		snprintf(err, errlen, "state directory path too long");
		return ret;
	}
	n->g = make_gossip(n, n->store, true, &ret);
	if (!n->g) {
		snprintf(err, errlen, "cannot start the gossip node: %s", weft_strerror(ret));
		return ret;
	}
	weft_peerset_init(&n->peers, &n->local.id.pk);
	ret = open_sockets(n, err, errlen);
	if (ret)
		return ret;
	ret = setup_wg(n, err, errlen);
	if (ret)
		return ret;
	scan_endpoints(n);
	relay_update(n);
	uv_timer_start(&n->tick, on_tick, 1000, 1000);
	return 0;
}

static void fail_start(struct weft_net *n)
{
	n->remove_iface = n->phase != WEFT_NET_MEMBER && n->phase != WEFT_NET_REVOKED;
	n->done = NULL;
	net_close(n);
}

/* A join that waited for approval when the daemon stopped: asked again
 * with the kept token, as the same node with the same member record. */
static void resume_pending(struct weft_net *n)
{
	const char *why = NULL;
	weft_token_t tok;
	char err[512];
	int ret;

	ret = weft_netstate_load_token(n->dir, &tok, &why);
	if (!ret)
		ret = start_join(n, &tok, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "its token file: %s", why ? why : weft_strerror(ret));
	weft_token_wipe(&tok);
	if (ret)
		weft_log_error("%s: cannot go on waiting for approval: %s; run 'weft leave %s' and join again",
			       n->name, err, n->name);
	else
		weft_log_info("%s: still waiting for the admin's approval", n->name);
}

int weft_net_resume(struct weft_daemon *d, const char *name, char *err, size_t errlen)
{
	struct weft_net *n = net_alloc(d, name);
	const char *why = NULL;
	char f[WEFT_FPR_LEN + 1];
	int ret;

	if (!n) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	n->phase = WEFT_NET_MEMBER;
	ret = weft_netstate_dir(n->dir, sizeof(n->dir), d->cfg.state_dir, name);
	if (!ret)
		ret = weft_netstate_load_local(n->dir, &n->local, &why);
	if (ret) {
		snprintf(err, errlen, "cannot load %s: %s", n->dir, why ? why : weft_strerror(ret));
		goto fail;
	}
	if (strcmp(n->local.network, name) != 0) {
		snprintf(err, errlen, "%s holds network %s, not %s", n->dir, n->local.network, name);
		ret = WEFT_EMALFORMED;
		goto fail;
	}
	n->store = weft_store_new(&n->local.network_id, d->cache, NULL);
	if (!n->store) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	ret = weft_netstate_load_store(n->dir, n->store, &why);
	if (ret) {
		snprintf(err, errlen, "cannot load the records in %s: %s", n->dir, why ? why : weft_strerror(ret));
		goto fail;
	}
	n->persisted = true;
	if (n->local.status == WEFT_LOCAL_REVOKED)
		n->phase = WEFT_NET_REVOKED;
	if (n->local.status == WEFT_LOCAL_PENDING)
		n->phase = WEFT_NET_PENDING;
	ret = net_start(n, err, errlen);
	if (ret)
		goto fail;
	weft_log_info("%s: resumed as node %s (%zu records, %s)", n->name, fpr(&n->local.id.pk, f),
		      weft_store_count(n->store), weft_net_phase_name(n->phase));
	if (n->phase == WEFT_NET_PENDING)
		resume_pending(n);
	if (n->phase == WEFT_NET_MEMBER && !state_current(n))
		publish_state(n, 0);
	sync_peers(n);
	poll_device(n);
	pump(n);
	return 0;
fail:
	fail_start(n);
	return ret;
}

/* A node needs a name (it is its DNS label): the host's, made a label,
 * else one from its id. */
static void default_name(struct weft_net *n, char out[WEFT_NAME_MAX + 1])
{
	char host[256], f[WEFT_FPR_LEN + 1];
	size_t i, k = 0;

	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		for (i = 0; host[i] && host[i] != '.' && k < WEFT_NAME_MAX; i++) {
			char c = host[i];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
				c = '-';
			if (c == '-' && (k == 0 || out[k - 1] == '-'))
				continue;
			out[k++] = c;
		}
		while (k && out[k - 1] == '-')
			k--;
	}
	out[k] = '\0';
	if (!k)
		snprintf(out, WEFT_NAME_MAX + 1, "node-%.8s", fpr(&n->local.id.pk, f));
}

static void local_new(struct weft_net *n, const weft_pk_t *network_id, const struct weft_net_opts *o)
{
	const struct weft_config_net *cn = weft_config_net(&n->d->cfg, n->name);

	snprintf(n->local.network, sizeof(n->local.network), "%s", n->name);
	n->local.network_id = *network_id;
	weft_wgpair_generate(&n->local.wg);
	n->local.wg_key_time = weft_net_wall_ms() / 1000;
	n->local.listen_port = o->listen_port;
	n->local.gossip_port = o->gossip_port;
	if (o->name[0])
		snprintf(n->local.name, sizeof(n->local.name), "%s", o->name);
	else
		default_name(n, n->local.name);
	n->local.nendpoints = o->nendpoints;
	memcpy(n->local.endpoints, o->endpoints, sizeof(n->local.endpoints));
	n->local.status = WEFT_LOCAL_MEMBER;
	if (o->ifname[0])
		snprintf(n->local.ifname, sizeof(n->local.ifname), "%s", o->ifname);
	else if (cn && cn->ifname[0])
		snprintf(n->local.ifname, sizeof(n->local.ifname), "%s", cn->ifname);
	else
		default_ifname(n->local.ifname, n->name);
}

/* "HOST:PORT" to endpoints; a name is looked up (this blocks the loop for
 * as long as the resolver takes, which only a join waits for). */
static size_t resolve(const char *hostport, weft_endpoint_t *out, size_t cap)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV }, *res, *ai;
	char host[WEFT_HOSTPORT_MAX];
	const char *colon = strrchr(hostport, ':');
	size_t n = 0, hl;

	if (cap && weft_endpoint_parse(&out[0], hostport) == 0)
		return 1;
	if (!colon || colon == hostport)
		return 0;
	hl = (size_t)(colon - hostport);
	if (hl >= sizeof(host))
		return 0;
	memcpy(host, hostport, hl);
	host[hl] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		return 0;
	for (ai = res; ai && n < cap; ai = ai->ai_next) {
		weft_endpoint_t ep = { 0 };

		if (ai->ai_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)ai->ai_addr;

			ep.ip.family = 4;
			memcpy(ep.ip.b, &a->sin_addr, 4);
			ep.port = ntohs(a->sin_port);
		} else if (ai->ai_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)ai->ai_addr;

			ep.ip.family = 6;
			memcpy(ep.ip.b, &a->sin6_addr, 16);
			ep.port = ntohs(a->sin6_port);
		} else {
			continue;
		}
		out[n++] = ep;
	}
	freeaddrinfo(res);
	return n;
}

static int start_join(struct weft_net *n, const weft_token_t *tok, char *err, size_t errlen)
{
	weft_endpoint_t boots[WEFT_TOKEN_MAX_BOOTSTRAP * 2];
	size_t nb = 0, i, len = 0;
	weft_record_t st;
	int ret;

	n->boot_text[0] = '\0';
	for (i = 0; i < tok->nbootstrap; i++) {
		nb += resolve(tok->bootstrap[i], boots + nb, sizeof(boots) / sizeof(boots[0]) - nb);
		if (len < sizeof(n->boot_text))
			len += (size_t)snprintf(n->boot_text + len, sizeof(n->boot_text) - len, "%s%s", i ? ", " : "",
						tok->bootstrap[i]);
	}
	if (!nb) {
		snprintf(err, errlen, "none of the token's bootstrap endpoints (%s) resolves to an address",
			 n->boot_text[0] ? n->boot_text : "none");
		return WEFT_ENOTFOUND;
	}
	n->invite_uses = tok->invite.u.invite.max_uses;
	build_state(n, &st, 0);
	ret = weft_record_sign(&st, &n->local.id);
	if (!ret)
		ret = weft_gossip_join(n->g, tok, boots, nb, &st, mono_ns());
	if (ret) {
		if (ret == WEFT_EEXPIRED)
			snprintf(err, errlen, "the invite has expired; ask the network's admin for a new one");
		else
			snprintf(err, errlen, "cannot start joining: %s", weft_strerror(ret));
		return ret;
	}
	n->local.state_version = st.u.node_state.version;
	weft_log_info("%s: joining through %s", n->name, n->boot_text);
	return 0;
}

int weft_net_join(struct weft_daemon *d, const weft_token_t *tok, const struct weft_net_opts *o,
		  weft_net_done_fn done, void *ctx, char *err, size_t errlen)
{
	struct weft_net *n = net_alloc(d, tok->settings.u.network.name);
	int ret;

	if (!n) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	n->phase = WEFT_NET_JOINING;
	weft_keypair_generate(&n->local.id);
	local_new(n, &tok->network_id, o);
	n->store = weft_store_new(&tok->network_id, d->cache, NULL);
	if (!n->store) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	for (unsigned k = 0; k < tok->nrolls; k++)
		weft_store_merge(n->store, &tok->rolls[k]); /* a later admin key's */
	ret = weft_store_merge(n->store, &tok->settings);
	if (ret < 0) {
		snprintf(err, errlen, "the token's network settings were refused: %s", weft_strerror(ret));
		goto fail;
	}
	ret = net_start(n, err, errlen);
	if (!ret)
		ret = start_join(n, tok, err, errlen);
	if (ret)
		goto fail;
	n->join_tok = malloc(sizeof(*n->join_tok));
	if (n->join_tok)
		*n->join_tok = *tok; /* for the disk, if approval is needed */
	sync_peers(n); /* the interface gets its key and port before the welcome */
	n->done = done;
	n->done_ctx = ctx;
	pump(n);
	return 0;
fail:
	fail_start(n);
	return ret;
}

/* A revoked node asks again with a new invite, as itself: a fresh node
 * and store (the token's settings only) run the join, so the members judge
 * this identity with the new invite, and the old state is put back when
 * they refuse. */
int weft_net_rejoin(struct weft_net *n, const weft_token_t *tok, weft_net_done_fn done, void *ctx, char *err,
		    size_t errlen)
{
	weft_store_t *store;
	weft_gossip_t *g;
	int ret;

	if (n->done || n->saved_g) {
		snprintf(err, errlen, "a join of %s is already running", n->name);
		return -EBUSY;
	}
	store = weft_store_new(&tok->network_id, n->d->cache, NULL);
	for (unsigned k = 0; store && k < tok->nrolls; k++)
		weft_store_merge(store, &tok->rolls[k]);
	if (!store || weft_store_merge(store, &tok->settings) < 0) {
		weft_store_free(store);
		snprintf(err, errlen, "cannot take the token's settings");
		return -ENOMEM;
	}
	g = make_gossip(n, store, false, &ret);
	if (!g) {
		weft_store_free(store);
		snprintf(err, errlen, "cannot start the gossip node: %s", weft_strerror(ret));
		return ret;
	}
	n->saved_g = n->g;
	n->saved_store = n->store;
	n->g = g;
	n->store = store;
	ret = start_join(n, tok, err, errlen);
	if (ret) {
		restore_saved(n);
		return ret;
	}
	n->done = done;
	n->done_ctx = ctx;
	pump(n);
	return 0;
}

int weft_net_create(struct weft_daemon *d, const char *name, const weft_keypair_t *id,
		    const uint8_t (*records)[WEFT_RECORD_MAX], const uint16_t *lens, size_t nrecords,
		    const struct weft_net_opts *o, char *err, size_t errlen)
{
	struct weft_net *n;
	weft_record_t r;
	const weft_record_t *settings_rec = NULL;
	const char *why = NULL;
	char f[WEFT_FPR_LEN + 1];
	weft_pk_t network_id;
	size_t i;
	int ret;

	/* The settings name the network: its signer is the genesis key. */
	for (i = 0; i < nrecords && !settings_rec; i++) {
		if (weft_record_decode(&r, records[i], lens[i], &why) == 0 && r.type == WEFT_REC_NETWORK) {
			network_id = r.signer;
			settings_rec = &r;
		}
	}
	if (!settings_rec || strcmp(r.u.network.name, name) != 0) {
		snprintf(err, errlen, "the records hold no settings for network %s", name);
		return WEFT_EMALFORMED;
	}
	n = net_alloc(d, name);
	if (!n) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	n->phase = WEFT_NET_MEMBER;
	n->local.id = *id;
	local_new(n, &network_id, o);
	n->store = weft_store_new(&network_id, d->cache, NULL);
	if (!n->store) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < nrecords; i++) {
		ret = weft_store_merge_bytes(n->store, records[i], lens[i], &why);
		if (ret < 0 && ret != WEFT_EDUPLICATE) {
			snprintf(err, errlen, "a record was refused: %s", why ? why : weft_strerror(ret));
			goto fail;
		}
	}
	if (!weft_store_get(n->store, WEFT_REC_MEMBER, n->local.id.pk.b)) {
		snprintf(err, errlen, "the records do not make this node a member");
		ret = WEFT_ENORIGHT;
		goto fail;
	}
	ret = net_start(n, err, errlen);
	if (ret)
		goto fail;
	if (!weft_gossip_is_member(n->g)) {
		snprintf(err, errlen, "the records hold no network key for this node");
		ret = WEFT_ENOTFOUND;
		goto fail;
	}
	ret = publish_state(n, 0);
	if (ret) {
		snprintf(err, errlen, "cannot publish this node's state: %s", weft_strerror(ret));
		goto fail;
	}
	ret = persist_first(n, err, errlen);
	if (ret)
		goto fail;
	weft_log_info("%s: created the network with this host as its first member, node %s", n->name,
		      fpr(&n->local.id.pk, f));
	sync_peers(n);
	pump(n);
	return 0;
fail:
	if (n->persisted) {
		n->remove_state = true;
		n->persisted = false;
	}
	n->phase = WEFT_NET_JOINING; /* so fail_start removes the interface */
	fail_start(n);
	return ret;
}

int weft_net_leave(struct weft_net *n, weft_net_done_fn done, void *ctx, char *err, size_t errlen)
{
	if (n->done) {
		snprintf(err, errlen, "%s is busy with a join; try again when it is done", n->name);
		return -EBUSY;
	}
	n->done = done;
	n->done_ctx = ctx;
	if (n->phase != WEFT_NET_MEMBER) {
		leave_done(n);
		return 0;
	}
	weft_gossip_leave(n->g, mono_ns());
	publish_state(n, WEFT_NODE_LEFT);
	n->phase = WEFT_NET_LEAVING;
	n->leave_at_ns = mono_ns() + LEAVE_LINGER_NS;
	weft_log_info("%s: leaving the network", n->name);
	pump(n);
	return 0;
}

void weft_net_stop(struct weft_net *n)
{
	if (n->closing)
		return;
	mark_dirty(n, true, true);
	save_now(n);
	n->remove_iface = true;
	net_close(n);
}

void weft_net_reconfigure(struct weft_net *n)
{
	if (n->closing)
		return;
	n->next_scan_ns = mono_ns();
	n->dirty_peers = true;
	if (n->phase == WEFT_NET_MEMBER && !state_current(n))
		publish_state(n, 0); /* the advertised routes may have changed */
	sync_soon(n);
}

bool weft_net_owns(struct weft_net *n, const weft_record_t *r)
{
	const weft_pk_t *admin = weft_store_admin_key(n->store);

	if (!memcmp(r->signer.b, n->network_id.b, WEFT_PK_LEN) || (admin && !memcmp(r->signer.b, admin->b, WEFT_PK_LEN)))
		return true;
	if (weft_store_get(n->store, WEFT_REC_MEMBER, r->signer.b) ||
	    weft_store_get(n->store, WEFT_REC_INVITE, r->signer.b))
		return true;
	return false;
}

const char *weft_net_push_why(const struct weft_net *n)
{
	return n->push_why[0] ? n->push_why : NULL;
}

int weft_net_push(struct weft_net *n, const weft_record_t *r)
{
	int ret;

	if (n->closing || !n->g)
		return -ESHUTDOWN;
	ret = weft_pushcheck(n->store, r, weft_net_wall_ms(), n->push_why, sizeof(n->push_why));
	if (ret)
		return ret;
	ret = weft_gossip_publish(n->g, r, mono_ns());
	pump(n);
	return ret;
}
