/* What the daemon refuses from `weft push` (records an admin hands to
 * this node) beyond the store's own rules, because they would break what
 * they are meant to change: network settings whose CIDR cannot hold the
 * members, and an override or revocation naming a node that is no member
 * here (a mistyped id). Gossip does not apply these checks: a record that
 * is already in the network is the admin's decision, and every node must
 * hold the same records. Pure: the daemon passes the store and the time. */
#ifndef WEFT_PUSHCHECK_H
#define WEFT_PUSHCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "core/record.h"
#include "core/store.h"

/* 0 when r may go on to the store (which may still refuse it: signature,
 * right, age), else WEFT_EFULL (a CIDR too small) or WEFT_ENOTFOUND (no
 * such member) with a sentence in why (cap bytes). The store is not
 * changed: the new settings are tried on a clone. */
int weft_pushcheck(const weft_store_t *s, const weft_record_t *r, uint64_t now_ms, char *why, size_t cap);

#endif
