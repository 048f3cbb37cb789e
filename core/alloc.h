/* Overlay address allocation, a pure function of the member set (DESIGN §3):
 * pinned addresses first, then H(node id, attempt) inside the CIDR skipping
 * reserved addresses; on a collision the member that joined first (by
 * (join time, node id)) keeps the address and the other takes its next
 * attempt. Given the same inputs in any order, every node computes the same
 * assignment; a CIDR change simply reruns it. */
#ifndef WEFT_ALLOC_H
#define WEFT_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/keys.h"

/* Hash attempts per member before the linear scan (see alloc.c); an addr
 * found by the scan reports attempt == WEFT_ALLOC_MAX_ATTEMPTS. */
#define WEFT_ALLOC_MAX_ATTEMPTS 64

struct weft_alloc_entry {
	/* in */
	weft_pk_t node_id;
	uint64_t join_time;
	weft_ip_t pinned; /* family 0 = none; ignored if outside the CIDR or reserved */
	/* out */
	weft_ip_t addr;   /* family 0 if the CIDR is full */
	uint32_t attempt; /* which hash attempt produced addr; UINT32_MAX = pinned,
			   * WEFT_ALLOC_MAX_ATTEMPTS = linear scan */
};

/* Assigns e[i].addr for every entry inside cidr (IPv4 or IPv6). Entries may
 * come in any order; the result does not depend on it. Returns 0, or
 * WEFT_EFULL when the CIDR has fewer usable addresses than entries (the
 * entries that fit, first joiners first, still get addresses). */
int weft_alloc_assign(const weft_cidr_t *cidr, struct weft_alloc_entry *e, size_t n);

/* The same with nheld addresses that are taken already (held may be NULL
 * when nheld is 0): no entry's hash or scan gets one. They are placed after
 * the entries' pins (a pin on a held address still wins it) and before any
 * hash; held addresses outside cidr or reserved are ignored, duplicates
 * count once. The result does not depend on the order of held either. */
int weft_alloc_assign_taken(const weft_cidr_t *cidr, struct weft_alloc_entry *e, size_t n, const weft_ip_t *held,
			    size_t nheld);

/* The address attempt k of a node would get, before collisions. */
void weft_alloc_candidate(const weft_cidr_t *cidr, const weft_pk_t *node_id, uint32_t attempt, weft_ip_t *out);

#endif
