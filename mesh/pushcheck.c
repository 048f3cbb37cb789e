/* The daemon's checks on records an admin pushes (pushcheck.h): new
 * settings tried on a clone of the store, and the node an override or a
 * revocation names. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "mesh/pushcheck.h"

/* Members that would hold no address of a family under the settings in
 * the clone: every member but the over-used ones needs one (store.h: the
 * revoked and departed keep theirs reserved). */
static int check_fit(const weft_store_t *clone, const struct weft_rec_network *nw, uint64_t now_ms, char *why,
		     size_t cap)
{
	char cidr[64];
	size_t need = 0, got4 = 0, got6 = 0, i;
	weft_view_t v;
	int ret;

	ret = weft_store_view(clone, now_ms, &v);
	if (ret)
		return ret;
	for (i = 0; i < v.nmembers; i++) {
		if (v.members[i].status == WEFT_MEMBER_OVERUSED)
			continue;
		need++;
		got4 += v.members[i].address4.family != 0;
		got6 += v.members[i].address6.family != 0;
	}
	weft_view_free(&v);
	if (got4 < need || (nw->cidr6.ip.family && got6 < need)) {
		const weft_cidr_t *c = got4 < need ? &nw->cidr4 : &nw->cidr6;

		weft_cidr_format(c, cidr, sizeof(cidr));
		snprintf(why, cap,
			 "%s is too small: it holds %zu member address%s and network %s has %zu members (revoked "
			 "and departed ones keep theirs); choose a larger range",
			 cidr, got4 < need ? got4 : got6, (got4 < need ? got4 : got6) == 1 ? "" : "es", nw->name,
			 need);
		return WEFT_EFULL;
	}
	return 0;
}

int weft_pushcheck(const weft_store_t *s, const weft_record_t *r, uint64_t now_ms, char *why, size_t cap)
{
	char hex[65];
	const weft_pk_t *id = NULL;
	weft_store_t *clone;
	int ret;

	if (cap)
		why[0] = '\0';
	if (r->type == WEFT_REC_OVERRIDE)
		id = &r->u.override.node_id;
	else if (r->type == WEFT_REC_REVOCATION)
		id = &r->u.revocation.node_id;
	if (id && !weft_store_get(s, WEFT_REC_MEMBER, id->b)) {
		weft_pk_to_hex(hex, id);
		snprintf(why, cap,
			 "the %s names node %.16s..., which is not a member of this network; "
			 "'weft peers NETWORK' lists the members",
			 weft_rec_type_name(r->type), hex);
		return WEFT_ENOTFOUND;
	}
	if (r->type != WEFT_REC_NETWORK)
		return 0;
	clone = weft_store_clone(s);
	if (!clone)
		return -ENOMEM;
	/* Only settings the store would take matter: anything else is
	 * refused (or ignored as stale) by the store itself. */
	ret = weft_store_merge(clone, r);
	ret = ret == WEFT_MERGE_ADDED || ret == WEFT_MERGE_REPLACED
		      ? check_fit(clone, &r->u.network, now_ms, why, cap)
		      : 0;
	weft_store_free(clone);
	return ret;
}
