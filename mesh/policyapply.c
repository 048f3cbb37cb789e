/* The policy and expiry deadlines applied to the daemon's peer set
 * (policyapply.h). */
#include <stdint.h>
#include <string.h>

#include "core/policy.h"
#include "mesh/policyapply.h"

size_t weft_policyapply_mark(struct weft_peerset *ps, const weft_view_t *v, const struct weft_rec_policy *policy)
{
	const struct weft_member_view *self = weft_view_find(v, &ps->self), *mv;
	static const char none[1][WEFT_TAG_MAX + 1];
	size_t i, k = 0;

	for (i = 0; i < ps->n; i++) {
		struct weft_peer *p = &ps->p[i];

		p->denied = false;
		if (!policy)
			continue;
		mv = weft_view_find(v, &p->node_id);
		p->denied = !weft_policy_allows(policy, self ? self->tags : none, self ? self->ntags : 0,
						mv ? mv->tags : none, mv ? mv->ntags : 0);
		k += p->denied;
	}
	return k;
}

uint64_t weft_policyapply_next_expiry(const weft_view_t *v, uint64_t now_s)
{
	uint64_t t = UINT64_MAX;
	size_t i;

	for (i = 0; i < v->nmembers; i++) {
		const struct weft_member_view *m = &v->members[i];

		if (m->status != WEFT_MEMBER_ACTIVE && m->status != WEFT_MEMBER_PENDING)
			continue;
		if (m->expires && m->expires > now_s && m->expires < t)
			t = m->expires;
	}
	return t;
}
