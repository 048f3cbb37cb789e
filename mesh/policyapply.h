/* What the admin's policy and expiries mean for the daemon's peer set,
 * besides the status the view gives each member (DESIGN §5: a peer is a
 * member that is not revoked, not expired, allowed by policy and not
 * self): which peers the policy denies us, and when the view next changes
 * with no new record at all (a member's expiry passing). Pure: the daemon
 * passes the view and the time. */
#ifndef WEFT_POLICYAPPLY_H
#define WEFT_POLICYAPPLY_H

#include <stddef.h>
#include <stdint.h>

#include "mesh/peersync.h"
#include "core/record.h"
#include "core/store.h"

/* Sets p->denied on every peer in ps: whether policy (the POLICY record's
 * body; NULL: none, every pair allowed) forbids it and us as a pair, from
 * the tags the view gives both (core/policy.h: the decision is symmetric,
 * so both sides leave the pair out). A peer or self missing from the view
 * has no tags. Returns how many peers are denied. */
size_t weft_policyapply_mark(struct weft_peerset *ps, const weft_view_t *v, const struct weft_rec_policy *policy);

/* The earliest expiry (unix seconds) still ahead of now_s among members
 * whose status the clock can change (active or pending), or UINT64_MAX:
 * the daemon recomputes the view then, so an expired member drops out on
 * time even when no record arrives. */
uint64_t weft_policyapply_next_expiry(const weft_view_t *v, uint64_t now_s);

#endif
