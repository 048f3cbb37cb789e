/* The zone snapshot's layout, shared by zone.c (which builds it) and
 * answer.c (which reads it). Not a public header. */
#ifndef WEFT_DNS_ZONE_H
#define WEFT_DNS_ZONE_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "dns/dns.h"
#include "dns/wire.h"

/* One resource record. rdata is an offset into the zone's pool and holds
 * the RDATA with every name uncompressed and lower case; answer.c
 * compresses CNAME, PTR and SOA names as it writes them. */
struct weft_dns_rr {
	uint16_t type;
	uint16_t rdlen;
	uint32_t ttl;
	uint32_t rdata;
};

/* An owner name and its records (none for an empty non-terminal). The
 * records of one type are adjacent. */
struct weft_dns_node {
	uint32_t name; /* pool offset of the wire name */
	uint8_t name_len;
	uint32_t rr; /* first record in rrs */
	uint32_t nrr;
};

/* A reverse zone: the apex is cidr rounded down to a label boundary. */
struct weft_dns_rzone {
	struct weft_dns_name apex;
	weft_cidr_t cidr;
};

struct weft_dns_zone {
	uint8_t *pool;
	struct weft_dns_rr *rrs;
	size_t nrrs;
	struct weft_dns_node *nodes; /* sorted by wire name (bytes) */
	size_t nnodes;
	uint32_t *slots; /* open addressing: node index + 1, 0 = empty */
	size_t slot_mask;
	uint8_t hash_key[16];
	struct weft_dns_name origin;
	char origin_text[WEFT_DNS_TEXT_MAX];
	struct weft_dns_rzone rev[2];
	unsigned nrev;
	uint32_t serial;
	struct weft_dns_conflict *conflicts;
	size_t nconflicts;
	struct weft_dns_zone_stats st;
};

/* The node named exactly n (lower-case wire form), or NULL. */
const struct weft_dns_node *weft_dns_zone_find(const weft_dns_zone_t *z, const struct weft_dns_name *n);

static inline const uint8_t *weft_dns_rr_data(const weft_dns_zone_t *z, const struct weft_dns_rr *rr)
{
	return z->pool + rr->rdata;
}

#endif
