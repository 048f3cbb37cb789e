/* The zone from a live record store: gathers its DNS entry records and
 * hands them to weft_dns_zone_build_entries(). Kept apart so that the rest
 * of dns/ links without the store. */
#include <errno.h>
#include <stdlib.h>

#include "error.h"
#include "dns.h"

struct gather {
	const struct weft_rec_dns **v;
	size_t n, cap;
	int err;
};

static int gather_one(void *ctx, const weft_record_t *r)
{
	struct gather *g = ctx;

	if (r->type != WEFT_REC_DNS)
		return 0;
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
	g->v[g->n++] = &r->u.dns;
	return 0;
}

int weft_dns_zone_build(weft_dns_zone_t **out, const weft_view_t *v, const weft_store_t *s,
			const struct weft_dns_zone_opts *opts)
{
	struct gather g = { 0 };
	int ret;

	*out = NULL;
	weft_store_foreach(s, WEFT_REC_DNS, gather_one, &g);
	ret = g.err;
	if (!ret)
		ret = weft_dns_zone_build_entries(out, v, g.v, g.n, opts);
	free(g.v);
	return ret;
}
