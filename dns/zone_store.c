/* The zone from a live record store: gathers its DNS entry records, and an
 * A/AAAA entry for each external client (a phone behind an ingress node
 * has a name too), and hands them to weft_dns_zone_build_entries(). Kept
 * apart so that the rest of dns/ links without the store. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "dns/dns.h"

struct gather {
	const struct weft_rec_dns **v;
	size_t n, cap;
	int err;
	const weft_view_t *view;
	struct weft_rec_dns *ext; /* made for external clients */
	size_t next, extcap;
};

static int push(struct gather *g, const struct weft_rec_dns *d)
{
	if (g->n == g->cap) {
		size_t ncap = g->cap ? g->cap * 2 : 64;
		const struct weft_rec_dns **nv = realloc(g->v, ncap * sizeof(*nv));

		if (!nv) {
			g->err = -ENOMEM;
			return 1;
		}
		g->v = nv;
		g->cap = ncap;
	}
	g->v[g->n++] = d;
	return 0;
}

static int gather_one(void *ctx, const weft_record_t *r)
{
	if (r->type != WEFT_REC_DNS)
		return 0;
	return push(ctx, &r->u.dns);
}

static bool member_named(const weft_view_t *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->nmembers; i++)
		if (v->members[i].status == WEFT_MEMBER_ACTIVE && !strcmp(v->members[i].name, name))
			return true;
	return false;
}

/* Counted first, so the entries made for clients never move (the list
 * points into them). A member keeps its name over a client's. */
static int count_ext(void *ctx, const weft_record_t *r)
{
	struct gather *g = ctx;

	if (!r->u.ext_client.deleted)
		g->extcap += 2;
	return 0;
}

static int gather_ext(void *ctx, const weft_record_t *r)
{
	const struct weft_rec_ext_client *c = &r->u.ext_client;
	const weft_ip_t *ips[2] = { &c->address4, &c->address6 };
	struct gather *g = ctx;
	unsigned k;

	if (c->deleted || member_named(g->view, c->name))
		return 0;
	for (k = 0; k < 2 && g->next < g->extcap; k++) {
		struct weft_rec_dns *d = &g->ext[g->next];

		if (!ips[k]->family)
			continue;
		memset(d, 0, sizeof(*d));
		snprintf(d->name, sizeof(d->name), "%s", c->name);
		d->rtype = ips[k]->family == 4 ? WEFT_DNS_A : WEFT_DNS_AAAA;
		d->ttl = 300;
		weft_ip_format(ips[k], d->value, sizeof(d->value));
		g->next++;
		if (push(g, d))
			return 1;
	}
	return 0;
}

int weft_dns_zone_build(weft_dns_zone_t **out, const weft_view_t *v, const weft_store_t *s,
			const struct weft_dns_zone_opts *opts)
{
	struct gather g = { .view = v };
	int ret;

	*out = NULL;
	weft_store_foreach(s, WEFT_REC_DNS, gather_one, &g);
	weft_store_foreach(s, WEFT_REC_EXT_CLIENT, count_ext, &g);
	if (g.extcap && !(g.ext = calloc(g.extcap, sizeof(*g.ext))))
		g.err = -ENOMEM;
	if (!g.err && g.ext)
		weft_store_foreach(s, WEFT_REC_EXT_CLIENT, gather_ext, &g);
	ret = g.err;
	if (!ret)
		ret = weft_dns_zone_build_entries(out, v, g.v, g.n, opts);
	free(g.v);
	free(g.ext);
	return ret;
}
