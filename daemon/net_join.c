/* Starting a network (net_internal.h): resuming it from its state
 * directory, joining with an invite token (and a revoked node's rejoin),
 * creating it as its first member; what each needs first — the WireGuard
 * interface, the gossip node, this node's identity and name — and the
 * outcome of a join, told to whoever waits for it. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "core/error.h"
#include "daemon/log.h"
#include "daemon/net_internal.h"
#include "daemon/prevkey.h"
#include "daemon/udpio.h"

static int start_join(struct weft_net *n, const weft_token_t *tok, struct weft_now now, char *err, size_t errlen);

/* The node's randomness: the system's CSPRNG (gossip.h asks for one). */
static void rand_fn(void *ctx, uint8_t *buf, size_t len)
{
	randombytes_buf(buf, len);
}

/* Short id for logs: the fingerprint of a node id. */
static const char *fpr(const weft_pk_t *id, char out[WEFT_FPR_LEN + 1])
{
	weft_fingerprint(out, id);
	return out;
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

const char *weft_net_join_error(struct weft_net *n, int err, char *buf, size_t cap)
{
	switch (err) {
	case WEFT_EEXPIRED:
		return "the invite has expired; ask the network's admin for a new one (weft invite)";
	case WEFT_EUSEDUP:
		snprintf(buf, cap,
			 "the invite is used up (it admits %u node%s, all taken); ask the network's admin "
			 "for a new one (weft invite --uses N)",
			 n->invite_uses, n->invite_uses == 1 ? "" : "s");
		return buf;
	case WEFT_EREVOKED:
		snprintf(buf, cap,
			 "the network's admin revoked this node, so its members refuse it; 'weft leave %s' "
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
		snprintf(buf, cap,
			 "members at %s refused the join request; is this host's clock more than 10 "
			 "minutes off?",
			 n->boot_text);
		return buf;
	case WEFT_ETIMEOUT:
		snprintf(buf, cap,
			 "no member answered at the token's bootstrap endpoints (%s): check that a member "
			 "runs there, that UDP to that port is not blocked, and that the token is for the "
			 "network those members are in",
			 n->boot_text);
		return buf;
	default:
		snprintf(buf, cap, "the join failed: %s", weft_strerror(err));
		return buf;
	}
}

void weft_net_joined(struct weft_net *n, struct weft_now now)
{
	char err[PATH_MAX + 128], f[WEFT_FPR_LEN + 1];
	int ret;

	if (n->saved_g) {
		/* Let in again: the new node and store are the network now. */
		weft_gossip_free(n->saved_g);
		weft_store_free(n->saved_store);
		n->saved_g = NULL;
		n->saved_store = NULL;
		weft_net_mark_dirty(n, true, true, now);
	}

	weft_net_drop_join_tok(n);
	if (n->persisted && n->local.status == WEFT_LOCAL_PENDING) {
		/* Approved after waiting on disk: a member's files from now. */
		ret = weft_netstate_drop_token(n->dir);
		if (ret)
			weft_log_warn("%s: cannot remove the token file in %s: %s", n->name, n->dir,
				      weft_strerror(ret));
		n->local.status = WEFT_LOCAL_MEMBER;
		weft_net_mark_dirty(n, true, true, now);
		weft_net_save(n, now);
	}
	n->phase = WEFT_NET_MEMBER;
	n->local.status = WEFT_LOCAL_MEMBER;
	ret = n->persisted ? 0 : weft_net_persist_first(n, now, err, sizeof(err));
	if (ret)
		weft_log_error("%s: %s", n->name, err);
	weft_log_info("%s: joined as node %s", n->name, fpr(&n->local.id.pk, f));
	n->dirty_peers = true;
	weft_net_sync_peers(n, now);
	weft_net_finish(n, 0, NULL);
}

/* Admitted, waiting for approval: the node, its records and the token go
 * on disk, so that a restart goes on waiting (the token re-runs the join
 * with the member record the members already hold) instead of losing it. */
void weft_net_persist_pending(struct weft_net *n, struct weft_now now)
{
	char err[PATH_MAX + 128];
	int ret;

	n->local.status = WEFT_LOCAL_PENDING;
	ret = weft_net_persist_first(n, now, err, sizeof(err));
	if (!ret && n->join_tok)
		ret = weft_netstate_save_token(n->dir, n->join_tok);
	else if (!ret)
		ret = -ENOENT;
	if (ret)
		weft_log_error("%s: cannot keep the waiting join on disk (%s): a restart before the approval "
			       "loses it, and 'weft join' must be run again",
			       n->name, weft_strerror(ret));
	weft_net_drop_join_tok(n);
}

static int setup_wg(struct weft_net *n, char *err, size_t errlen)
{
	const struct weft_rec_network *s = weft_net_settings(n);
	const struct weft_config *c = n->h->cfg;
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
			snprintf(err, errlen,
				 "no WireGuard on this host (%s): load the kernel module (modprobe "
				 "wireguard) or install wireguard-go",
				 werr.msg);
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

	for (o = n->h->nets; o; o = o->next) {
		if (o == n || o->closing)
			continue;
		if (!strcmp(o->local.ifname, n->local.ifname)) {
			snprintf(err, errlen, "interface %s is network %s's; choose another with --interface NAME",
				 n->local.ifname, o->name);
			return WEFT_EEXISTS;
		}
		if (o->gossip_port == n->gossip_port || o->wg_port == n->wg_port || o->gossip_port == n->wg_port ||
		    o->wg_port == n->gossip_port) {
			snprintf(err, errlen,
				 "network %s already uses UDP ports %u and %u on this host; choose others "
				 "with --listen-port N --gossip-port N",
				 o->name, o->wg_port, o->gossip_port);
			return -EADDRINUSE;
		}
	}
	return 0;
}

static weft_gossip_t *make_gossip(struct weft_net *n, weft_store_t *store, bool with_key, struct weft_now now,
				  int *err)
{
	const struct weft_config *c = n->h->cfg;
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
	g = weft_gossip_new(&gc, now.mono_ns, err);
	if (g)
		weft_gossip_set_wallclock(g, now.mono_ns, now.wall_ms);
	/* A restart within a network-key rotation's grace (prevkey.h). */
	if (g && gc.netkey && weft_prevkey_restore(g, &n->local, n->name, now.wall_ms))
		weft_net_mark_dirty(n, false, true, now);
	return g;
}

void weft_net_restore_saved(struct weft_net *n)
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
static int net_start(struct weft_net *n, struct weft_now now, char *err, size_t errlen)
{
	const struct weft_rec_network *s = weft_net_settings(n);
	const struct weft_config *c = n->h->cfg;
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
	n->g = make_gossip(n, n->store, true, now, &ret);
	if (!n->g) {
		snprintf(err, errlen, "cannot start the gossip node: %s", weft_strerror(ret));
		return ret;
	}
	weft_peerset_init(&n->peers, &n->local.id.pk);
	ret = weft_net_open_sockets(n, err, errlen);
	if (ret)
		return ret;
	ret = setup_wg(n, err, errlen);
	if (ret)
		return ret;
	weft_net_scan_endpoints(n, now);
	weft_net_relay_update(n);
	weft_net_start_tick(n);
	return 0;
}

static void fail_start(struct weft_net *n)
{
	n->remove_iface = n->phase != WEFT_NET_MEMBER && n->phase != WEFT_NET_REVOKED;
	n->done = NULL;
	weft_net_close(n);
}

/* A join that waited for approval when the daemon stopped: asked again
 * with the kept token, as the same node with the same member record. */
static void resume_pending(struct weft_net *n, struct weft_now now)
{
	const char *why = NULL;
	weft_token_t tok;
	char err[PATH_MAX + 256];
	int ret;

	ret = weft_netstate_load_token(n->dir, &tok, &why);
	if (!ret)
		ret = start_join(n, &tok, now, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "its token file: %s", why ? why : weft_strerror(ret));
	weft_token_wipe(&tok);
	if (ret)
		weft_log_error("%s: cannot go on waiting for approval: %s; run 'weft leave %s' and join again",
			       n->name, err, n->name);
	else
		weft_log_info("%s: still waiting for the admin's approval", n->name);
}

int weft_net_resume(struct weft_net_host *h, const char *name, struct weft_now now, char *err, size_t errlen)
{
	struct weft_net *n = weft_net_alloc(h, name, now);
	const char *why = NULL;
	char f[WEFT_FPR_LEN + 1];
	int ret;

	if (!n) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	n->phase = WEFT_NET_MEMBER;
	ret = weft_netstate_dir(n->dir, sizeof(n->dir), h->cfg->state_dir, name);
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
	n->store = weft_store_new(&n->local.network_id, h->cache, NULL);
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
	ret = net_start(n, now, err, errlen);
	if (ret)
		goto fail;
	weft_log_info("%s: resumed as node %s (%zu records, %s)", n->name, fpr(&n->local.id.pk, f),
		      weft_store_count(n->store), weft_net_phase_name(n->phase));
	if (n->phase == WEFT_NET_PENDING)
		resume_pending(n, now);
	if (n->phase == WEFT_NET_MEMBER && !weft_net_state_current(n))
		weft_net_publish_state(n, 0, now);
	weft_net_sync_peers(n, now);
	weft_net_poll_device(n, now);
	weft_net_pump(n, now);
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

static void local_new(struct weft_net *n, const weft_pk_t *network_id, const struct weft_net_opts *o,
		      struct weft_now now)
{
	const struct weft_config_net *cn = weft_config_net(n->h->cfg, n->name);

	snprintf(n->local.network, sizeof(n->local.network), "%s", n->name);
	n->local.network_id = *network_id;
	weft_wgpair_generate(&n->local.wg);
	n->local.wg_key_time = now.wall_ms / 1000;
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
	for (ai = res; ai && n < cap; ai = ai->ai_next)
		if (weft_sockaddr_to_endpoint(ai->ai_addr, &out[n]))
			n++;
	freeaddrinfo(res);
	return n;
}

static int start_join(struct weft_net *n, const weft_token_t *tok, struct weft_now now, char *err, size_t errlen)
{
	weft_endpoint_t boots[WEFT_TOKEN_MAX_BOOTSTRAP * 2];
	size_t nb = 0, i, len = 0;
	weft_record_t st;
	int ret;

	n->boot_text[0] = '\0';
	for (i = 0; i < tok->nbootstrap; i++) {
		nb += resolve(tok->bootstrap[i], boots + nb, sizeof(boots) / sizeof(boots[0]) - nb);
		if (len < sizeof(n->boot_text))
			len += (size_t)snprintf(n->boot_text + len, sizeof(n->boot_text) - len, "%s%s",
						i ? ", " : "", tok->bootstrap[i]);
	}
	if (!nb) {
		snprintf(err, errlen, "none of the token's bootstrap endpoints (%s) resolves to an address",
			 n->boot_text[0] ? n->boot_text : "none");
		return WEFT_ENOTFOUND;
	}
	n->invite_uses = tok->invite.u.invite.max_uses;
	weft_net_build_state(n, &st, 0, now);
	ret = weft_record_sign(&st, &n->local.id);
	if (!ret)
		ret = weft_gossip_join(n->g, tok, boots, nb, &st, now.mono_ns);
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

int weft_net_join(struct weft_net_host *h, const weft_token_t *tok, const struct weft_net_opts *o,
		  struct weft_now now, weft_net_done_fn done, void *ctx, char *err, size_t errlen)
{
	struct weft_net *n = weft_net_alloc(h, tok->settings.u.network.name, now);
	int ret;

	if (!n) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	n->phase = WEFT_NET_JOINING;
	weft_keypair_generate(&n->local.id);
	local_new(n, &tok->network_id, o, now);
	n->store = weft_store_new(&tok->network_id, h->cache, NULL);
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
	ret = net_start(n, now, err, errlen);
	if (!ret)
		ret = start_join(n, tok, now, err, errlen);
	if (ret)
		goto fail;
	n->join_tok = malloc(sizeof(*n->join_tok));
	if (n->join_tok)
		*n->join_tok = *tok; /* for the disk, if approval is needed */
	weft_net_sync_peers(n, now); /* the interface gets its key and port before the welcome */
	n->done = done;
	n->done_ctx = ctx;
	weft_net_pump(n, now);
	return 0;
fail:
	fail_start(n);
	return ret;
}

/* A revoked node asks again with a new invite, as itself: a fresh node
 * and store (the token's settings only) run the join, so the members judge
 * this identity with the new invite, and the old state is put back when
 * they refuse. */
int weft_net_rejoin(struct weft_net *n, const weft_token_t *tok, struct weft_now now, weft_net_done_fn done,
		    void *ctx, char *err, size_t errlen)
{
	weft_store_t *store;
	weft_gossip_t *g;
	int ret;

	if (n->done || n->saved_g) {
		snprintf(err, errlen, "a join of %s is already running", n->name);
		return -EBUSY;
	}
	store = weft_store_new(&tok->network_id, n->h->cache, NULL);
	for (unsigned k = 0; store && k < tok->nrolls; k++)
		weft_store_merge(store, &tok->rolls[k]);
	if (!store || weft_store_merge(store, &tok->settings) < 0) {
		weft_store_free(store);
		snprintf(err, errlen, "cannot take the token's settings");
		return -ENOMEM;
	}
	g = make_gossip(n, store, false, now, &ret);
	if (!g) {
		weft_store_free(store);
		snprintf(err, errlen, "cannot start the gossip node: %s", weft_strerror(ret));
		return ret;
	}
	n->saved_g = n->g;
	n->saved_store = n->store;
	n->g = g;
	n->store = store;
	ret = start_join(n, tok, now, err, errlen);
	if (ret) {
		weft_net_restore_saved(n);
		return ret;
	}
	n->done = done;
	n->done_ctx = ctx;
	weft_net_pump(n, now);
	return 0;
}

int weft_net_create(struct weft_net_host *h, const char *name, const weft_keypair_t *id,
		    const uint8_t (*records)[WEFT_RECORD_MAX], const uint16_t *lens, size_t nrecords,
		    const struct weft_net_opts *o, struct weft_now now, char *err, size_t errlen)
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
	n = weft_net_alloc(h, name, now);
	if (!n) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	n->phase = WEFT_NET_MEMBER;
	n->local.id = *id;
	local_new(n, &network_id, o, now);
	n->store = weft_store_new(&network_id, h->cache, NULL);
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
	ret = net_start(n, now, err, errlen);
	if (ret)
		goto fail;
	if (!weft_gossip_is_member(n->g)) {
		snprintf(err, errlen, "the records hold no network key for this node");
		ret = WEFT_ENOTFOUND;
		goto fail;
	}
	ret = weft_net_publish_state(n, 0, now);
	if (ret) {
		snprintf(err, errlen, "cannot publish this node's state: %s", weft_strerror(ret));
		goto fail;
	}
	ret = weft_net_persist_first(n, now, err, errlen);
	if (ret)
		goto fail;
	weft_log_info("%s: created the network with this host as its first member, node %s", n->name,
		      fpr(&n->local.id.pk, f));
	weft_net_sync_peers(n, now);
	weft_net_pump(n, now);
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
