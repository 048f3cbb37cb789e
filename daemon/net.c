/* One network in the daemon (net.h): its lifecycle — the handles it opens
 * and closes, the list of networks — and the event pump around its gossip
 * node: the UDP sockets on the gossip port, one timer re-armed to the
 * node's next deadline, the housekeeping tick, and what the node's events
 * set off. The libuv callbacks here are where a network reads the clock;
 * everything below them gets `now`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "core/error.h"
#include "daemon/dnssrv.h"
#include "daemon/log.h"
#include "daemon/net_internal.h"
#include "daemon/resolver.h"
#include "daemon/udpio.h"
#include "mesh/pushcheck.h"

#define SYNC_MIN_GAP_MS 50
#define RECV_BATCH 64
#define LEAVE_LINGER_NS (1500 * WEFT_NET_MS_NS) /* the news gets out before we go */

static const uint8_t net_subject[32];

const char *weft_net_phase_name(int phase)
{
	switch (phase) {
	case WEFT_NET_JOINING:
		return "joining";
	case WEFT_NET_PENDING:
		return "pending";
	case WEFT_NET_MEMBER:
		return "member";
	case WEFT_NET_REVOKED:
		return "revoked";
	case WEFT_NET_LEAVING:
		return "leaving";
	default:
		return "?";
	}
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

struct weft_net *weft_net_find(struct weft_net_host *h, const char *name)
{
	struct weft_net *n;

	for (n = h->nets; n; n = n->next)
		if (!n->closing && !strcmp(n->name, name))
			return n;
	return NULL;
}

struct weft_net *weft_net_next(struct weft_net_host *h, struct weft_net *n)
{
	return n ? n->next : h->nets;
}

const struct weft_rec_network *weft_net_settings(const struct weft_net *n)
{
	const weft_record_t *r = n->store ? weft_store_get(n->store, WEFT_REC_NETWORK, net_subject) : NULL;

	return r ? &r->u.network : NULL;
}

const char *weft_net_peer_label(struct weft_net *n, const weft_pk_t *id, char *buf, size_t cap)
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

void weft_net_drop_join_tok(struct weft_net *n)
{
	if (!n->join_tok)
		return;
	weft_token_wipe(n->join_tok);
	free(n->join_tok);
	n->join_tok = NULL;
}

static void unlink_net(struct weft_net *n)
{
	struct weft_net **pp;

	for (pp = &n->h->nets; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			return;
		}
}

static void net_free(struct weft_net *n)
{
	struct weft_net_host *h = n->h;
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
	weft_net_drop_join_tok(n);
	weft_resolver_free(n->resolver);
	unlink_net(n);
	if (h->gone)
		h->gone(h->gone_ctx, n);
	free(n);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct weft_net *n = h->data;

	if (--n->open_handles == 0)
		net_free(n);
}

void weft_net_finish(struct weft_net *n, int err, const char *msg)
{
	weft_net_done_fn done = n->done;

	n->done = NULL;
	if (done)
		done(n->done_ctx, n, err, msg);
	n->done_ctx = NULL;
}

void weft_net_close(struct weft_net *n)
{
	weft_wg_err_t werr;
	int i, ret;

	if (n->closing)
		return;
	n->closing = true;
	if (n->done)
		weft_net_finish(n, -ECANCELED, "the daemon is stopping this network");
	weft_net_gateway_close(n);
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

struct weft_net *weft_net_alloc(struct weft_net_host *h, const char *name, struct weft_now now)
{
	struct weft_net *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->h = h;
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->fd[0] = n->fd[1] = -1;
	uv_timer_init(h->loop, &n->gtimer);
	uv_timer_init(h->loop, &n->tick);
	uv_timer_init(h->loop, &n->soon);
	n->gtimer.data = n->tick.data = n->soon.data = n;
	n->open_handles = 3;
	n->dns = weft_dnssrv_new(h->loop, name);
	n->resolver = weft_resolver_new(h->cfg, name);
	n->started_ns = now.mono_ns;
	n->next = h->nets;
	h->nets = n;
	return n;
}

void weft_net_became_revoked(struct weft_net *n, struct weft_now now)
{
	if (n->phase == WEFT_NET_REVOKED)
		return;
	weft_log_warn("%s: the network's admin revoked this node; it no longer takes part (weft leave %s "
		      "forgets the network)",
		      n->name, n->name);
	n->phase = WEFT_NET_REVOKED;
	n->local.status = WEFT_LOCAL_REVOKED;
	weft_net_mark_dirty(n, true, true, now);
}

/* ---- the peer sync, coalesced ---- */

static void on_soon(uv_timer_t *t)
{
	struct weft_net *n = t->data;
	struct weft_now now = weft_clock_now();

	if (n->closing)
		return;
	weft_net_sync_peers(n, now);
	weft_net_pump(n, now);
}

void weft_net_sync_soon(struct weft_net *n, struct weft_now now)
{
	uint64_t gap;

	if (uv_is_active((uv_handle_t *)&n->soon) || n->closing)
		return;
	/* Events come in bursts: one apply for the burst, not one per event. */
	gap = now.mono_ns - n->last_sync_ns >= SYNC_MIN_GAP_MS * WEFT_NET_MS_NS ? 5 : SYNC_MIN_GAP_MS;
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

/* How long a member-misbehaving line stays after the last report: gossip
 * forgives one refuted accusation per 5 minutes (gossip/auth.c), so 15
 * minutes after a report of three the member is heard again. */
#define MISBEHAVING_SHOWN_MS (15 * 60 * 1000ull)

void weft_net_misbehaving(struct weft_net *n, const weft_pk_t *who, uint32_t count, struct weft_now now)
{
	char label[WEFT_NAME_MAX + 32], ref[WEFT_NAME_MAX + 1], hex[65], msg[512];
	struct weft_peer *p = weft_peerset_find(&n->peers, who);

	weft_net_peer_label(n, who, label, sizeof(label));
	/* What `weft revoke` takes: its name, or a prefix of its id. */
	weft_pk_to_hex(hex, who);
	snprintf(ref, sizeof(ref), "%.*s", p && p->name[0] ? WEFT_NAME_MAX : 12, p && p->name[0] ? p->name : hex);
	snprintf(msg, sizeof(msg),
		 "member %s: %u of its accusations proved wrong lately; ignored for now. Compromised, or on a bad "
		 "link? To cut it off: weft revoke %s %s --admin-key FILE",
		 label, count, n->name, ref);
	if (weft_health_set(&n->health, WEFT_HEALTH_MISBEHAVING, now.wall_ms, msg))
		weft_log_warn("%s: %s", n->name, msg);
	else
		weft_log_info("%s: %s", n->name, msg);
	n->misbehaving_until_ms = now.wall_ms + MISBEHAVING_SHOWN_MS;
}

void weft_net_misbehaving_expire(struct weft_net *n, struct weft_now now)
{
	if (!n->misbehaving_until_ms || now.wall_ms < n->misbehaving_until_ms)
		return;
	n->misbehaving_until_ms = 0;
	if (weft_health_clear(&n->health, WEFT_HEALTH_MISBEHAVING))
		weft_log_info("%s: no member has been proved wrong in its accusations lately", n->name);
}

static void on_event(struct weft_net *n, const struct weft_gossip_event *ev, struct weft_now now)
{
	char label[WEFT_NAME_MAX + 32], msg[400];
	bool self = !memcmp(ev->node.b, n->local.id.pk.b, WEFT_PK_LEN);

	switch (ev->type) {
	case WEFT_GEV_RECORD:
		weft_net_mark_dirty(n, true, false, now);
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
			weft_net_became_revoked(n, now);
		break;
	case WEFT_GEV_MEMBER_ADDED:
		n->dirty_peers = true;
		if (!self)
			weft_log_info("%s: new member %s", n->name,
				      weft_net_peer_label(n, &ev->node, label, sizeof(label)));
		break;
	case WEFT_GEV_MEMBER_CHANGED:
		n->dirty_peers = true;
		break;
	case WEFT_GEV_MEMBER_REMOVED:
		n->dirty_peers = true;
		weft_log_info("%s: member %s was revoked", n->name,
			      weft_net_peer_label(n, &ev->node, label, sizeof(label)));
		break;
	case WEFT_GEV_LIVENESS:
		/* "none": no longer a member, said by the event that removed it */
		weft_log(ev->state == WEFT_LIVE_ALIVE || ev->state == WEFT_LIVE_NONE ? WEFT_LOG_DEBUG
										     : WEFT_LOG_INFO,
			 "%s: member %s is %s", n->name, weft_net_peer_label(n, &ev->node, label, sizeof(label)),
			 weft_liveness_name(ev->state));
		break;
	case WEFT_GEV_ENDPOINT:
		if (self || ev->ep_kind == WEFT_EP_REFLEXIVE)
			n->next_scan_ns = now.mono_ns;
		else
			n->dirty_peers = true;
		break;
	case WEFT_GEV_JOINED:
		if (ev->state == 1) {
			if (n->phase == WEFT_NET_JOINING) {
				n->phase = WEFT_NET_PENDING;
				weft_log_info("%s: admitted, waiting for the admin's approval", n->name);
				weft_net_persist_pending(n, now);
				weft_net_finish(n, WEFT_EPENDING,
						"admitted; this node waits for the network's admin "
						"to approve it (weft node NETWORK NODE set --approve)");
			}
		} else if (n->phase != WEFT_NET_MEMBER) {
			weft_net_joined(n, now);
		}
		break;
	case WEFT_GEV_JOIN_FAILED:
		weft_log_warn("%s: join failed: %s", n->name, weft_strerror(ev->err));
		weft_net_finish(n, ev->err, weft_net_join_error(n, ev->err, msg, sizeof(msg)));
		if (n->saved_g) {
			weft_net_restore_saved(n);
		} else if (n->phase == WEFT_NET_JOINING || n->phase == WEFT_NET_PENDING) {
			/* Nothing of a failed join stays behind, on disk neither
			 * (a join that waited for approval there). */
			n->remove_iface = true;
			n->remove_state = n->persisted;
			weft_net_close(n);
		}
		break;
	case WEFT_GEV_NETKEY:
		weft_net_mark_dirty(n, false, true, now);
		if (n->phase == WEFT_NET_PENDING && weft_gossip_is_member(n->g))
			weft_net_joined(n, now);
		break;
	case WEFT_GEV_OVERFLOW:
		n->dirty_peers = true;
		weft_net_mark_dirty(n, true, true, now);
		break;
	case WEFT_GEV_REVOKED:
		/* Also seen as a revocation record about ourselves; this event
		 * comes when a member answered us with it, or at start. */
		weft_net_became_revoked(n, now);
		break;
	case WEFT_GEV_INCARNATION:
		/* Saved soon: a restart that comes back below what the others
		 * hold must climb back up (docs/PROTOCOL.md, "5. Membership and failure
		 * detection"). */
		weft_net_mark_dirty(n, false, true, now);
		break;
	case WEFT_GEV_MISBEHAVING:
		weft_net_misbehaving(n, &ev->node, ev->count, now);
		break;
	}
}

static bool drain_events(struct weft_net *n, struct weft_now now)
{
	struct weft_gossip_event ev;
	bool any = false;

	while (!n->closing && weft_gossip_poll_event(n->g, &ev)) {
		on_event(n, &ev, now);
		any = true;
	}
	return any;
}

static void on_gtimer(uv_timer_t *t)
{
	struct weft_net *n = t->data;
	struct weft_now now = weft_clock_now();

	if (n->closing)
		return;
	weft_gossip_handle_timeout(n->g, now.mono_ns);
	weft_net_pump(n, now);
}

void weft_net_pump(struct weft_net *n, struct weft_now now)
{
	uint64_t dl;
	int i;

	if (n->closing || !n->g || n->in_pump)
		return;
	n->in_pump = 1;
	for (i = 0; i < 8; i++) {
		drain_send(n);
		if (!drain_events(n, now) || n->closing)
			break;
	}
	if (!n->closing) {
		drain_send(n);
		dl = weft_gossip_next_deadline(n->g);
		if (dl == UINT64_MAX)
			uv_timer_stop(&n->gtimer);
		else
			uv_timer_start(&n->gtimer, on_gtimer,
				       dl > now.mono_ns ? (dl - now.mono_ns + WEFT_NET_MS_NS - 1) / WEFT_NET_MS_NS
							: 0,
				       0);
		if (n->dirty_peers)
			weft_net_sync_soon(n, now);
	}
	n->in_pump = 0;
}

/* libuv's unix/udp.c bounded receive loop: at most RECV_BATCH datagrams per
 * wake-up, so one busy socket cannot starve the rest of the loop. */
static void on_readable(uv_poll_t *h, int status, int events)
{
	struct weft_net *n = h->data;
	struct weft_now now = weft_clock_now();
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
		ret = weft_gossip_recv(n->g, path, &m.from, buf, (size_t)len, now.mono_ns);
		if (ret < 0) {
			n->recv_dropped++;
			if (weft_log_get_level() >= WEFT_LOG_DEBUG && len > 1) {
				char ep[WEFT_EPSTRLEN];

				weft_log_debug("%s: dropped %zd bytes from %s (%s): %s", n->name, len,
					       weft_endpoint_format(&m.from, ep, sizeof(ep)),
					       path == WEFT_PATH_OVERLAY ? "overlay" : "underlay",
					       weft_strerror(ret));
			}
		}
	}
	weft_net_pump(n, now);
}

int weft_net_open_sockets(struct weft_net *n, char *err, size_t errlen)
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
		uv_poll_init(n->h->loop, &n->poll[fam], n->fd[fam]);
		n->poll[fam].data = n;
		n->open_handles++;
		uv_poll_start(&n->poll[fam], UV_READABLE, on_readable);
	}
	return 0;
}

/* ---- leaving ---- */

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
	weft_net_close(n);
	if (n->dir[0]) {
		ret = weft_netstate_remove(n->dir);
		if (ret)
			weft_log_warn("%s: cannot remove %s: %s", n->name, n->dir, weft_strerror(ret));
		n->persisted = false;
	}
	n->done = done;
	weft_net_finish(n, 0, NULL);
}

int weft_net_leave(struct weft_net *n, struct weft_now now, weft_net_done_fn done, void *ctx, char *err,
		   size_t errlen)
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
	weft_gossip_leave(n->g, now.mono_ns);
	weft_net_publish_state(n, WEFT_NODE_LEFT, now);
	n->phase = WEFT_NET_LEAVING;
	n->leave_at_ns = now.mono_ns + LEAVE_LINGER_NS;
	weft_log_info("%s: leaving the network", n->name);
	weft_net_pump(n, now);
	return 0;
}

/* ---- housekeeping ---- */

static void on_tick(uv_timer_t *t)
{
	struct weft_net *n = t->data;
	struct weft_now now = weft_clock_now();

	if (n->closing)
		return;
	weft_gossip_set_wallclock(n->g, now.mono_ns, now.wall_ms);
	if (n->leave_at_ns && now.mono_ns >= n->leave_at_ns) {
		leave_done(n);
		return;
	}
	if (now.mono_ns >= n->next_scan_ns && n->phase != WEFT_NET_LEAVING) {
		bool scanned = weft_net_scan_endpoints(n, now);

		if ((weft_net_relay_update(n) || scanned) && n->phase == WEFT_NET_MEMBER &&
		    !weft_net_state_current(n)) {
			weft_log_info("%s: our endpoints changed; announcing them", n->name);
			weft_net_publish_state(n, 0, now);
			n->dirty_peers = true;
		}
	}
	/* A revoked node keeps its (empty) device: still read, so that what
	 * it says of it stays true whoever changes it. */
	if (n->next_poll_ns && now.mono_ns >= n->next_poll_ns &&
	    (n->phase == WEFT_NET_MEMBER || n->phase == WEFT_NET_REVOKED))
		weft_net_poll_device(n, now);
	weft_net_rotate_wg_key(n, now);
	if (n->next_expiry_s && now.wall_ms / 1000 >= n->next_expiry_s) {
		n->next_expiry_s = 0;
		n->dirty_peers = true; /* a member's expiry passed */
	}
	if (n->phase == WEFT_NET_MEMBER && weft_net_retry_peers(n, now))
		n->dirty_peers = true;
	if (n->save_due_ns && now.mono_ns >= n->save_due_ns)
		weft_net_save(n, now);
	weft_net_misbehaving_expire(n, now);
	if (n->dirty_peers)
		weft_net_sync_soon(n, now);
	weft_net_pump(n, now);
}

void weft_net_start_tick(struct weft_net *n)
{
	uv_timer_start(&n->tick, on_tick, 1000, 1000);
}

/* ---- the daemon's calls ---- */

void weft_net_stop(struct weft_net *n, struct weft_now now)
{
	if (n->closing)
		return;
	weft_net_mark_dirty(n, true, true, now);
	weft_net_save(n, now);
	n->remove_iface = true;
	weft_net_close(n);
}

void weft_net_reconfigure(struct weft_net *n, struct weft_now now)
{
	if (n->closing)
		return;
	n->next_scan_ns = now.mono_ns;
	n->dirty_peers = true;
	if (n->phase == WEFT_NET_MEMBER && !weft_net_state_current(n))
		weft_net_publish_state(n, 0, now); /* the advertised routes may have changed */
	weft_net_sync_soon(n, now);
}

bool weft_net_owns(struct weft_net *n, const weft_record_t *r)
{
	const weft_pk_t *admin = weft_store_admin_key(n->store);

	if (!memcmp(r->signer.b, n->network_id.b, WEFT_PK_LEN) ||
	    (admin && !memcmp(r->signer.b, admin->b, WEFT_PK_LEN)))
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

int weft_net_push(struct weft_net *n, const weft_record_t *r, struct weft_now now)
{
	int ret;

	if (n->closing || !n->g)
		return -ESHUTDOWN;
	ret = weft_pushcheck(n->store, r, now.wall_ms, n->push_why, sizeof(n->push_why));
	if (ret)
		return ret;
	ret = weft_gossip_publish(n->g, r, now.mono_ns);
	weft_net_pump(n, now);
	return ret;
}
