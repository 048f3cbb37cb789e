/* What the control socket reports about a network (CLI.md's JSON fields):
 * its status, one row per member, a line for `weft list`, and the
 * endpoints `weft invite` offers joiners. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "daemon/ctl.h"
#include "core/error.h"
#include "daemon/dnssrv.h"
#include "daemon/net_internal.h"

static struct json_object *str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static struct json_object *ip_or_null(const weft_ip_t *ip)
{
	char buf[WEFT_ADDRSTRLEN];

	return ip->family ? json_object_new_string(weft_ip_format(ip, buf, sizeof(buf))) : NULL;
}

static struct json_object *hex_of(const weft_pk_t *pk)
{
	char hex[65];

	weft_pk_to_hex(hex, pk);
	return json_object_new_string(hex);
}

static const char *liveness_of(struct weft_net *n, const weft_pk_t *id)
{
	struct weft_gossip_member_info mi;

	if (weft_gossip_member(n->g, id, &mi) != 0)
		return "alive";
	switch (mi.state) {
	case WEFT_LIVE_SUSPECT:
		return "suspect";
	case WEFT_LIVE_DEAD:
		return "dead";
	case WEFT_LIVE_LEFT:
		return "left";
	default:
		return "alive";
	}
}

/* CLI.md's states: alive|suspect|dead|left|pending|revoked|expired, and
 * "overused" for a member beyond its invite's uses. */
static const char *state_of(struct weft_net *n, const struct weft_peer *p)
{
	switch (p->status) {
	case WEFT_MEMBER_PENDING:
		return "pending";
	case WEFT_MEMBER_EXPIRED:
		return "expired";
	case WEFT_MEMBER_REVOKED:
		return "revoked";
	case WEFT_MEMBER_OVERUSED:
		return "overused";
	case WEFT_MEMBER_LEFT:
		return "left";
	default:
		return liveness_of(n, &p->node_id);
	}
}

/* Our own row says what the view says of us, like every other row (an
 * expired, pending, revoked or over-used node must see it), and else what
 * the daemon is doing. */
static const char *self_state(const struct weft_net *n)
{
	if (n->phase == WEFT_NET_REVOKED || n->peers.self_status == WEFT_MEMBER_REVOKED)
		return "revoked";
	switch (n->peers.self_status) {
	case WEFT_MEMBER_PENDING:
		return "pending";
	case WEFT_MEMBER_EXPIRED:
		return "expired";
	case WEFT_MEMBER_OVERUSED:
		return "overused";
	case WEFT_MEMBER_LEFT:
		return "left";
	default:
		break;
	}
	if (n->phase == WEFT_NET_PENDING)
		return "pending";
	if (n->phase == WEFT_NET_LEAVING)
		return "left";
	return "alive";
}

static void count_alive(struct weft_net *n, unsigned *members, unsigned *alive)
{
	size_t i;

	*members = n->peers.self_status || n->phase == WEFT_NET_MEMBER ? 1 : 0;
	*alive = n->phase == WEFT_NET_MEMBER && !strcmp(self_state(n), "alive") ? 1 : 0;
	for (i = 0; i < n->peers.n; i++) {
		const struct weft_peer *p = &n->peers.p[i];

		if (p->status == WEFT_MEMBER_REVOKED || p->status == WEFT_MEMBER_OVERUSED)
			continue;
		(*members)++;
		if (!strcmp(state_of(n, p), "alive"))
			(*alive)++;
	}
}

/* Our announced endpoints the view gives nobody, or an earlier member
 * (issue #22): [{"endpoint", "holder", "message"}]. */
static struct json_object *endpoints_ignored(struct weft_net *n)
{
	static const uint8_t zero[WEFT_PK_LEN];
	struct json_object *a = json_object_new_array(), *e;
	char ep[WEFT_EPSTRLEN], label[WEFT_NAME_MAX + 32], msg[300];
	const struct weft_rec_network *net = weft_net_settings(n);
	bool inside;
	size_t i;

	if (!a)
		return NULL;
	for (i = 0; i < n->peers.self_nignored; i++) {
		const weft_endpoint_t *x = &n->peers.self_ignored[i];

		e = json_object_new_object();
		if (!e)
			break;
		weft_endpoint_format(x, ep, sizeof(ep));
		inside = net && ((net->cidr4.ip.family && weft_cidr_contains(&net->cidr4, &x->ip)) ||
				 (net->cidr6.ip.family && weft_cidr_contains(&net->cidr6, &x->ip)));
		if (inside) {
			snprintf(msg, sizeof(msg),
				 "%s is inside the network's own addresses: nobody uses it; announce the host's "
				 "underlay address instead (endpoints in the configuration)",
				 ep);
			json_object_object_add(e, "holder", NULL);
		} else {
			snprintf(msg, sizeof(msg),
				 "%s is announced by member %s, which did so first: nobody uses it for this node; if "
				 "the address is this host's, find out why that member claims it",
				 ep,
				 memcmp(n->peers.self_ep_holder.b, zero, WEFT_PK_LEN)
					 ? weft_net_peer_label(n, &n->peers.self_ep_holder, label, sizeof(label))
					 : "?");
			json_object_object_add(e, "holder",
					       memcmp(n->peers.self_ep_holder.b, zero, WEFT_PK_LEN)
						       ? hex_of(&n->peers.self_ep_holder)
						       : NULL);
		}
		json_object_object_add(e, "endpoint", json_object_new_string(ep));
		json_object_object_add(e, "message", json_object_new_string(msg));
		json_object_array_add(a, e);
	}
	return a;
}

struct json_object *weft_net_status_json(struct weft_net *n)
{
	struct json_object *o = json_object_new_object();
	char f[WEFT_FPR_LEN + 1];
	unsigned members, alive, up = 0;
	size_t i;

	if (!o)
		return NULL;
	count_alive(n, &members, &alive);
	for (i = 0; i < n->peers.n; i++)
		up += n->peers.p[i].tunnel_up;
	json_object_object_add(o, "network", json_object_new_string(n->name));
	json_object_object_add(o, "network_id", hex_of(&n->network_id));
	weft_fingerprint(f, &n->network_id);
	json_object_object_add(o, "fingerprint", json_object_new_string(f));
	json_object_object_add(o, "node_id", hex_of(&n->local.id.pk));
	json_object_object_add(o, "name", str_or_null(n->local.name));
	json_object_object_add(o, "address", ip_or_null(&n->peers.self4));
	json_object_object_add(o, "address6", ip_or_null(&n->peers.self6));
	json_object_object_add(o, "interface", json_object_new_string(n->local.ifname));
	json_object_object_add(o, "backend", n->wg ? json_object_new_string(weft_wg_backend_name(n->wg)) : NULL);
	json_object_object_add(o, "listen_port", json_object_new_int(n->wg_port));
	json_object_object_add(o, "gossip_port", json_object_new_int(n->gossip_port));
	json_object_object_add(o, "members", json_object_new_int((int)members));
	json_object_object_add(o, "alive", json_object_new_int((int)alive));
	json_object_object_add(o, "tunnels_up", json_object_new_int((int)up));
	json_object_object_add(o, "state", json_object_new_string(weft_net_phase_name(n->phase)));
	json_object_object_add(o, "records", json_object_new_uint64(weft_store_count(n->store)));
	json_object_object_add(o, "name_conflict", weft_dnssrv_conflict_json(n->dns, &n->local.id.pk));
	json_object_object_add(o, "endpoints_ignored", endpoints_ignored(n));
	json_object_object_add(o, "health", weft_health_json(&n->health));
	return o;
}

static struct json_object *ep_or_null(const weft_endpoint_t *ep)
{
	char buf[WEFT_EPSTRLEN];

	return ep->ip.family ? json_object_new_string(weft_endpoint_format(ep, buf, sizeof(buf))) : NULL;
}

static struct json_object *self_row(struct weft_net *n)
{
	struct json_object *o = json_object_new_object();
	char key[WEFT_WGKEY_B64_LEN + 1];

	json_object_object_add(o, "node_id", hex_of(&n->local.id.pk));
	json_object_object_add(o, "name", str_or_null(n->local.name));
	json_object_object_add(o, "address", ip_or_null(&n->peers.self4));
	json_object_object_add(o, "address6", ip_or_null(&n->peers.self6));
	json_object_object_add(o, "endpoint", n->neps ? ep_or_null(&n->eps[0]) : NULL);
	json_object_object_add(o, "state", json_object_new_string(self_state(n)));
	weft_key_to_base64(key, n->local.wg.pub.b);
	json_object_object_add(o, "wg_public_key", json_object_new_string(key));
	json_object_object_add(o, "latest_handshake", NULL);
	json_object_object_add(o, "relay", NULL);
	json_object_object_add(o, "self", json_object_new_boolean(1));
	return o;
}

struct json_object *weft_net_peers_json(struct weft_net *n)
{
	struct json_object *a = json_object_new_array(), *o;
	char key[WEFT_WGKEY_B64_LEN + 1];
	size_t i;

	if (!a)
		return NULL;
	json_object_array_add(a, self_row(n));
	for (i = 0; i < n->peers.n; i++) {
		const struct weft_peer *p = &n->peers.p[i];
		const weft_endpoint_t *ep = p->wg_endpoint.ip.family ? &p->wg_endpoint : &p->chosen;

		o = json_object_new_object();
		json_object_object_add(o, "node_id", hex_of(&p->node_id));
		json_object_object_add(o, "name", str_or_null(p->name));
		json_object_object_add(o, "address", ip_or_null(&p->addr4));
		json_object_object_add(o, "address6", ip_or_null(&p->addr6));
		json_object_object_add(o, "endpoint", weft_peer_wanted(p) ? ep_or_null(ep) : NULL);
		json_object_object_add(o, "state", json_object_new_string(state_of(n, p)));
		if (p->has_state) {
			weft_key_to_base64(key, p->wg_pub.b);
			json_object_object_add(o, "wg_public_key", json_object_new_string(key));
		} else {
			json_object_object_add(o, "wg_public_key", NULL);
		}
		json_object_object_add(o, "latest_handshake",
				       p->in_device && p->last_handshake_s
					       ? json_object_new_int64((int64_t)p->last_handshake_s)
					       : NULL);
		/* The member our traffic to it goes through (peersync.h). */
		json_object_object_add(o, "relay", p->relayed ? hex_of(&p->relay) : NULL);
		json_object_object_add(o, "self", json_object_new_boolean(0));
		json_object_array_add(a, o);
	}
	return a;
}

struct json_object *weft_net_list_json(struct weft_net *n)
{
	struct json_object *o = json_object_new_object();
	unsigned members, alive;

	count_alive(n, &members, &alive);
	json_object_object_add(o, "network", json_object_new_string(n->name));
	json_object_object_add(o, "network_id", hex_of(&n->network_id));
	json_object_object_add(o, "interface", json_object_new_string(n->local.ifname));
	json_object_object_add(o, "address", ip_or_null(&n->peers.self4));
	json_object_object_add(o, "state", json_object_new_string(weft_net_phase_name(n->phase)));
	json_object_object_add(o, "members", json_object_new_int((int)members));
	return o;
}

static void add_hostport(struct json_object *a, const weft_ip_t *ip, uint16_t port)
{
	weft_endpoint_t ep = { .ip = *ip, .port = port };
	char buf[WEFT_EPSTRLEN];
	size_t i, n = json_object_array_length(a);

	if (!ip->family || n >= WEFT_TOKEN_MAX_BOOTSTRAP)
		return;
	weft_endpoint_format(&ep, buf, sizeof(buf));
	for (i = 0; i < n; i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)), buf))
			return;
	json_object_array_add(a, json_object_new_string(buf));
}

struct boot_ctx {
	struct weft_net *n;
	struct json_object *a;
	unsigned pass;
};

/* Pass 0: each live member's first endpoint; pass 1: the rest. A joiner
 * tries them in order, so spreading over members first keeps a token
 * useful when any one of them is gone. */
static int add_member(void *ctx, const weft_record_t *r)
{
	struct boot_ctx *b = ctx;
	const struct weft_rec_node_state *st = &r->u.node_state;
	unsigned k;

	if (!memcmp(st->node_id.b, b->n->local.id.pk.b, WEFT_PK_LEN) ||
	    weft_store_is_revoked(b->n->store, &st->node_id) || (st->flags & WEFT_NODE_LEFT) ||
	    strcmp(liveness_of(b->n, &st->node_id), "alive"))
		return 0;
	for (k = b->pass ? 1 : 0; k < st->nendpoints && k < (b->pass ? st->nendpoints : 1u); k++)
		add_hostport(b->a, &st->endpoints[k].ip, st->gossip_port ? st->gossip_port : b->n->gossip_port);
	return 0;
}

/* Joiners reach members on the underlay gossip port: our own endpoint
 * first, then the members seen alive. */
struct json_object *weft_net_bootstrap_json(struct weft_net *n)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	struct boot_ctx b = { n, a, 0 };

	if (n->neps)
		add_hostport(a, &n->eps[0].ip, n->gossip_port);
	weft_store_foreach(n->store, WEFT_REC_NODE_STATE, add_member, &b);
	b.pass = 1;
	weft_store_foreach(n->store, WEFT_REC_NODE_STATE, add_member, &b);
	json_object_object_add(o, "network", json_object_new_string(n->name));
	json_object_object_add(o, "network_id", hex_of(&n->network_id));
	json_object_object_add(o, "bootstrap", a);
	return o;
}

static int add_record(void *ctx, const weft_record_t *r)
{
	char *b64 = weft_ctl_b64(r->raw, r->raw_len);

	if (b64)
		json_object_array_add(ctx, json_object_new_string(b64));
	free(b64);
	return 0;
}

struct json_object *weft_net_records_json(struct weft_net *n, unsigned type)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();

	weft_store_foreach(n->store, type, add_record, a);
	json_object_object_add(o, "network", json_object_new_string(n->name));
	json_object_object_add(o, "network_id", hex_of(&n->network_id));
	json_object_object_add(o, "records", a);
	return o;
}
