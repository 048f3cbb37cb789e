/* The view of a store at a given time: every member with its status (invite
 * uses, expiry, approval, revocation, leaving), name, tags and addresses.
 * Computed from the whole record set, so it needs nothing but store.h's
 * lookups and is the same on every node holding the same records.
 *
 * Decisions the view makes:
 *  - status precedence: revoked, left, over-used, expired, pending, active;
 *  - invite uses count every member record an invite signed, revoked and
 *    left ones included, so revoking a member does not free its place for
 *    another joiner (the invite was used);
 *  - only an override's expiry expires a member. An invite's expiry bounds
 *    when it may be used to join (checked by the join handshake and token),
 *    not how long the members it admitted stay;
 *  - every member except an over-used one holds an address, revoked and left
 *    ones included, so an address is never handed to a different node while
 *    the records of the one that had it are around;
 *  - a live (not deleted) external client's addresses are taken for the
 *    members' hashes: a pin on one still wins it (the admin asked), but no
 *    member is handed a client's address by chance;
 *  - a name is held by one member: of those that hold names (active,
 *    pending, expired) one whose name the admin set wins over one that
 *    chose its own, then the earlier in view order; a member whose own
 *    record takes an earlier member's name does not get it (a compromised
 *    member cannot take over another's DNS name), and is told so
 *    (name_lost, name_holder);
 *  - an announced endpoint is one member's too: an endpoint inside the
 *    network's own ranges is nobody's (it would route the tunnel into
 *    itself), and an address that names one host, with its port, belongs
 *    to the earliest member announcing it; the others' claims on it are
 *    ignored (ep_ignored), so a member cannot point the mesh's WireGuard
 *    at another member's address. Site-local addresses are exempt: two
 *    sites may well both have 192.168.1.10. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/store.h"

static const uint8_t zero_subject[32];

struct gather {
	struct weft_member_view *m;
	size_t n, cap;
	int err;
};

static int gather_fn(void *ctx, const weft_record_t *r)
{
	struct gather *g = ctx;

	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		struct weft_member_view *m = realloc(g->m, cap * sizeof(*m));

		if (!m) {
			g->err = -ENOMEM;
			return 1;
		}
		g->m = m;
		g->cap = cap;
	}
	memset(&g->m[g->n], 0, sizeof(g->m[0]));
	g->m[g->n].node_id = r->u.member.node_id;
	g->m[g->n].join_time = r->u.member.join_time;
	g->m[g->n].member = r;
	g->n++;
	return 0;
}

static int join_cmp(const void *a, const void *b)
{
	const struct weft_member_view *x = a, *y = b;

	if (x->join_time != y->join_time)
		return x->join_time < y->join_time ? -1 : 1;
	return memcmp(x->node_id.b, y->node_id.b, WEFT_PK_LEN);
}

/* For counting invite uses: group by invite, keep join order inside. */
struct use_ix {
	const uint8_t *invite;
	uint32_t i;
};

static int use_cmp(const void *a, const void *b)
{
	const struct use_ix *x = a, *y = b;
	int c = memcmp(x->invite, y->invite, WEFT_PK_LEN);

	if (c)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int id_cmp(const void *a, const void *b, void *ctx)
{
	const struct weft_member_view *m = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return memcmp(m[x].node_id.b, m[y].node_id.b, WEFT_PK_LEN);
}

/* Pinned address of one family: override first, then invite. */
static weft_ip_t pin_of(const weft_record_t *ovr, const weft_record_t *inv, unsigned family)
{
	weft_ip_t none = { 0 };
	uint32_t bit = family == 4 ? WEFT_OVR_ADDRESS4 : WEFT_OVR_ADDRESS6;

	if (ovr && (ovr->u.override.set & bit))
		return family == 4 ? ovr->u.override.address4 : ovr->u.override.address6;
	if (inv)
		return family == 4 ? inv->u.invite.address4 : inv->u.invite.address6;
	return none;
}

/* The addresses live external clients hold (DESIGN §5): taken for every
 * member's hash, or a new member could be given a client's address and the
 * client would be dropped (mesh/extclient.c leaves out a client whose
 * address a member has). */
struct held {
	weft_ip_t *ip;
	size_t n, cap;
	int err;
};

static int held_push(struct held *h, const weft_ip_t *ip)
{
	weft_ip_t *nip;

	if (!ip->family)
		return 0;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;

		nip = realloc(h->ip, cap * sizeof(*nip));
		if (!nip)
			return -ENOMEM;
		h->ip = nip;
		h->cap = cap;
	}
	h->ip[h->n++] = *ip;
	return 0;
}

static int held_fn(void *ctx, const weft_record_t *r)
{
	struct held *h = ctx;

	if (r->u.ext_client.deleted)
		return 0;
	h->err = held_push(h, &r->u.ext_client.address4);
	if (!h->err)
		h->err = held_push(h, &r->u.ext_client.address6);
	return h->err ? 1 : 0;
}

static int assign(const weft_cidr_t *cidr, weft_view_t *v, const weft_record_t **invites, unsigned family,
		  const struct held *held)
{
	struct weft_alloc_entry *e;
	size_t n = 0, i, j;
	int ret;

	if (cidr->ip.family != family)
		return 0;
	e = calloc(v->nmembers ? v->nmembers : 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (i = 0; i < v->nmembers; i++) {
		if (v->members[i].status == WEFT_MEMBER_OVERUSED)
			continue;
		e[n].node_id = v->members[i].node_id;
		e[n].join_time = v->members[i].join_time;
		e[n].pinned = pin_of(v->members[i].override, invites[i], family);
		n++;
	}
	ret = weft_alloc_assign_taken(cidr, e, n, held->ip, held->n);
	/* A full CIDR still assigns the first joiners; anything else (a CIDR
	 * the allocator cannot use) leaves addresses unset rather than hiding
	 * the members. */
	for (i = j = 0; i < v->nmembers && ret != -ENOMEM; i++) {
		if (v->members[i].status == WEFT_MEMBER_OVERUSED)
			continue;
		if (family == 4)
			v->members[i].address4 = e[j].addr;
		else
			v->members[i].address6 = e[j].addr;
		j++;
	}
	free(e);
	return ret == -ENOMEM ? ret : 0;
}

static void fill_names(struct weft_member_view *m, const weft_record_t *inv)
{
	const struct weft_rec_override *o = m->override ? &m->override->u.override : NULL;

	if (o && (o->set & WEFT_OVR_NAME) && o->name[0])
		memcpy(m->name, o->name, sizeof(m->name));
	else if (inv && inv->u.invite.name[0])
		memcpy(m->name, inv->u.invite.name, sizeof(m->name));
	else if (m->state)
		memcpy(m->name, m->state->u.node_state.name, sizeof(m->name));
	if (o && (o->set & WEFT_OVR_TAGS)) {
		m->ntags = o->ntags;
		memcpy(m->tags, o->tags, sizeof(m->tags));
	} else if (inv) {
		m->ntags = inv->u.invite.ntags;
		memcpy(m->tags, inv->u.invite.tags, sizeof(m->tags));
	}
	if (o && (o->set & WEFT_OVR_EXPIRES))
		m->expires = o->expires;
}

/* ---- one member per name, one per endpoint ---- */

static bool holds_names(const struct weft_member_view *m)
{
	return m->status == WEFT_MEMBER_ACTIVE || m->status == WEFT_MEMBER_PENDING ||
	       m->status == WEFT_MEMBER_EXPIRED;
}

/* Whether the admin set m's name (override, or a pin in its invite): the
 * node state's name is the member's own choice. */
static bool admin_named(const struct weft_member_view *m)
{
	return !m->state || strcmp(m->name, m->state->u.node_state.name) != 0 ||
	       (m->override && (m->override->u.override.set & WEFT_OVR_NAME) && m->override->u.override.name[0]);
}

struct claim {
	uint32_t i;   /* view index */
	uint8_t rank; /* 0: set by the admin, 1: its own */
	uint8_t ep;   /* endpoint index (endpoints) */
	weft_endpoint_t e;
};

static int name_cmp(const void *a, const void *b, void *ctx)
{
	const struct weft_member_view *m = ctx;
	const struct claim *x = a, *y = b;
	int c = strcmp(m[x->i].name, m[y->i].name);

	if (c)
		return c;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int resolve_names(weft_view_t *v)
{
	struct claim *c;
	size_t n = 0, i, j;

	c = calloc(v->nmembers ? v->nmembers : 1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (i = 0; i < v->nmembers; i++) {
		if (!holds_names(&v->members[i]) || !v->members[i].name[0])
			continue;
		c[n].i = (uint32_t)i;
		c[n].rank = admin_named(&v->members[i]) ? 0 : 1;
		n++;
	}
	if (n > 1)
		qsort_r(c, n, sizeof(*c), name_cmp, v->members);
	for (i = 0; i < n; i = j) {
		const struct weft_member_view *w = &v->members[c[i].i];

		for (j = i + 1; j < n && !strcmp(v->members[c[j].i].name, w->name); j++) {
			struct weft_member_view *l = &v->members[c[j].i];

			memcpy(l->name_lost, l->name, sizeof(l->name_lost));
			l->name_holder = w->node_id;
			l->name[0] = '\0';
		}
	}
	free(c);
	return 0;
}

static int ep_cmp(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;
	int c = weft_ip_cmp(&x->e.ip, &y->e.ip);

	if (c)
		return c;
	if (x->e.port != y->e.port)
		return x->e.port < y->e.port ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static bool in_network(const weft_view_t *v, const weft_ip_t *ip)
{
	const struct weft_rec_network *net = v->network ? &v->network->u.network : NULL;

	return net && ((net->cidr4.ip.family && weft_cidr_contains(&net->cidr4, ip)) ||
		       (net->cidr6.ip.family && weft_cidr_contains(&net->cidr6, ip)));
}

static int resolve_endpoints(weft_view_t *v)
{
	struct claim *c = NULL;
	size_t n = 0, cap = 0, i, j, k;

	for (i = 0; i < v->nmembers; i++) {
		struct weft_member_view *m = &v->members[i];
		const struct weft_rec_node_state *st;

		if (!holds_names(m) || !m->state)
			continue;
		st = &m->state->u.node_state;
		for (k = 0; k < st->nendpoints && k < WEFT_MAX_ENDPOINTS; k++) {
			weft_endpoint_t e = st->endpoints[k];

			if (in_network(v, &e.ip)) {
				m->ep_ignored |= (uint8_t)(1u << k);
				continue;
			}
			if (weft_ip_site_local(&e.ip))
				continue;
			if (!e.port)
				e.port = st->wg_port; /* no port: its WireGuard port */
			if (n == cap) {
				struct claim *nc;

				cap = cap ? cap * 2 : 64;
				nc = realloc(c, cap * sizeof(*c));
				if (!nc) {
					free(c);
					return -ENOMEM;
				}
				c = nc;
			}
			c[n].i = (uint32_t)i;
			c[n].ep = (uint8_t)k;
			c[n].e = e;
			n++;
		}
	}
	if (n > 1)
		qsort(c, n, sizeof(*c), ep_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && weft_endpoint_equal(&c[j].e, &c[i].e); j++) {
			struct weft_member_view *l = &v->members[c[j].i];

			/* Its own endpoint twice is no conflict. */
			if (c[j].i == c[i].i)
				continue;
			if (!l->ep_ignored || !memcmp(l->ep_holder.b, (uint8_t[WEFT_PK_LEN]){ 0 }, WEFT_PK_LEN))
				l->ep_holder = v->members[c[i].i].node_id;
			l->ep_ignored |= (uint8_t)(1u << c[j].ep);
		}
	}
	free(c);
	return 0;
}

int weft_store_view(const weft_store_t *s, uint64_t now_ms, weft_view_t *v)
{
	struct gather g = { 0 };
	const weft_record_t **invites = NULL;
	struct use_ix *uses = NULL;
	const weft_record_t *net;
	size_t i, n;
	int ret;

	memset(v, 0, sizeof(*v));
	/* record.h: the network-wide types have the all-zero subject. */
	net = weft_store_get(s, WEFT_REC_NETWORK, zero_subject);
	weft_store_foreach(s, WEFT_REC_MEMBER, gather_fn, &g);
	if (g.err) {
		ret = g.err;
		goto fail;
	}
	n = g.n;
	/* qsort's base must not be NULL, even for zero elements. */
	if (n)
		qsort(g.m, n, sizeof(*g.m), join_cmp);
	v->network = net;
	v->members = g.m;
	v->nmembers = n;
	g.m = NULL;

	invites = calloc(n ? n : 1, sizeof(*invites));
	uses = calloc(n ? n : 1, sizeof(*uses));
	v->by_id = calloc(n ? n : 1, sizeof(*v->by_id));
	if (!invites || !uses || !v->by_id) {
		ret = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		struct weft_member_view *m = &v->members[i];
		const uint8_t *id = m->node_id.b;

		m->state = weft_store_get(s, WEFT_REC_NODE_STATE, id);
		m->override = weft_store_get(s, WEFT_REC_OVERRIDE, id);
		/* NULL when an admin key certified the member directly. */
		invites[i] = weft_store_get(s, WEFT_REC_INVITE, m->member->u.member.invite_pk.b);
		uses[i].invite = m->member->u.member.invite_pk.b;
		uses[i].i = (uint32_t)i;
		m->status = WEFT_MEMBER_ACTIVE;
	}

	/* Invite uses: the first max_uses members of each invite by (join
	 * time, node id) hold it; the rest are over-used. */
	if (n)
		qsort(uses, n, sizeof(*uses), use_cmp);
	for (i = 0; i < n;) {
		size_t j = i, k;
		const weft_record_t *inv = invites[uses[i].i];

		while (j < n && !memcmp(uses[j].invite, uses[i].invite, WEFT_PK_LEN))
			j++;
		for (k = i; inv && k < j; k++)
			if (k - i >= inv->u.invite.max_uses)
				v->members[uses[k].i].status = WEFT_MEMBER_OVERUSED;
		i = j;
	}

	for (i = 0; i < n; i++) {
		struct weft_member_view *m = &v->members[i];
		const weft_record_t *inv = invites[i];
		bool approved = m->override && (m->override->u.override.set & WEFT_OVR_APPROVED) &&
				m->override->u.override.approved;

		fill_names(m, inv);
		if (weft_store_is_revoked(s, &m->node_id))
			m->status = WEFT_MEMBER_REVOKED;
		else if (m->state && (m->state->u.node_state.flags & WEFT_NODE_LEFT))
			m->status = WEFT_MEMBER_LEFT;
		else if (m->status == WEFT_MEMBER_OVERUSED)
			;
		else if (m->expires && now_ms / 1000 >= m->expires)
			m->status = WEFT_MEMBER_EXPIRED;
		else if (inv && inv->u.invite.approval && !approved)
			m->status = WEFT_MEMBER_PENDING;
	}

	if (net) {
		struct held held = { 0 };

		weft_store_foreach(s, WEFT_REC_EXT_CLIENT, held_fn, &held);
		ret = held.err;
		if (!ret)
			ret = assign(&net->u.network.cidr4, v, invites, 4, &held);
		if (!ret)
			ret = assign(&net->u.network.cidr6, v, invites, 6, &held);
		free(held.ip);
		if (ret)
			goto fail;
	}

	ret = resolve_names(v);
	if (!ret)
		ret = resolve_endpoints(v);
	if (ret)
		goto fail;

	for (i = 0; i < n; i++)
		v->by_id[i] = (uint32_t)i;
	if (n)
		qsort_r(v->by_id, n, sizeof(*v->by_id), id_cmp, v->members);
	free(invites);
	free(uses);
	return 0;
fail:
	free(g.m);
	free(invites);
	free(uses);
	weft_view_free(v);
	return ret;
}

void weft_view_free(weft_view_t *v)
{
	if (!v)
		return;
	free(v->members);
	free(v->by_id);
	memset(v, 0, sizeof(*v));
}

const struct weft_member_view *weft_view_find(const weft_view_t *v, const weft_pk_t *node_id)
{
	size_t lo = 0, hi = v->nmembers;

	if (!v->by_id)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct weft_member_view *m = &v->members[v->by_id[mid]];
		int c = memcmp(m->node_id.b, node_id->b, WEFT_PK_LEN);

		if (!c)
			return m;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
