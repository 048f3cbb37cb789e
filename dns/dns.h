/* weft's private DNS, the pure part (DESIGN §6): an immutable zone snapshot
 * built from the store's view, and the answering of one query from it. No
 * I/O, no clock, no logging; answering never allocates.
 *
 * The zone. Its origin is the network settings' `domain` when set, else
 * "NETWORK.internal" (NETWORK = the network's name, lower-cased). It holds:
 *  - NAME.<origin> A and AAAA for every ACTIVE member with a name (members
 *    pending, expired, revoked, over-used or left have none). Names are
 *    single labels of [a-z0-9_-], compared case-insensitively. When two
 *    members claim one name, the first in view order (join time, node id)
 *    keeps it; the others are reported by weft_dns_zone_conflicts().
 *  - PTR for those members' overlay addresses when they lie inside the
 *    network's CIDRs: in-addr.arpa for IPv4, ip6.arpa nibbles for IPv6. The
 *    reverse zone's apex is the CIDR rounded down to a label boundary (an
 *    octet, a nibble); inside the CIDR a full address with no member is
 *    NXDOMAIN and a shorter name is NODATA; a reverse name outside the CIDR
 *    is not ours (REFUSED, or forwarded).
 *  - The admin's DNS entries (A, AAAA, CNAME, TXT, SRV). An entry's name is
 *    relative to the origin ("@" or "" is the apex; a trailing dot makes it
 *    absolute, and it must then lie inside the zone). A CNAME or SRV target
 *    without a dot is a name in the zone; with a dot it is a full domain
 *    name. An SRV value reads "PRIORITY WEIGHT PORT TARGET". Entries that do
 *    not parse are skipped and counted. At a member's name an entry of type
 *    A (AAAA) replaces the member's A (AAAA); a CNAME there takes the name
 *    from the member (reported as a conflict); a CNAME and other data at one
 *    name: the CNAME wins and the rest is skipped.
 *  - Wildcards "*.NAME" (RFC 4592, simplified): used only for a name that
 *    does not exist, whose closest existing ancestor (an empty non-terminal
 *    counts) is NAME. A wildcard never applies across a name that exists.
 *  - An SOA at each apex (forward and reverse): MNAME = the origin, RNAME =
 *    hostmaster.<origin>, serial = a BLAKE2b hash of the zone's sorted
 *    contents, so every node with the same records answers the same serial.
 *    Negative answers carry it in the authority section (RFC 2308).
 *
 * Answers: AA for everything inside the zones; NXDOMAIN vs NODATA per name
 * existence (empty non-terminals exist); CNAMEs are chased inside the
 * forward zone, at most WEFT_DNS_CNAME_CHAIN links and never in a loop; the
 * rcode follows the last name of the chain (RFC 6604). ANY is answered with
 * every RRset held at the name (they are few and small, so RFC 8482's
 * minimal answer buys nothing here). AXFR/IXFR are REFUSED, MAILA/MAILB
 * NOTIMP. Classes other than IN are REFUSED. Names outside every zone are
 * REFUSED, or handed back as WEFT_DNS_FORWARD when the caller has upstream
 * resolvers (WEFT_DNS_F_FORWARD).
 *
 * Queries: exactly one question (else FORMERR), opcode QUERY (else NOTIMP,
 * no question echoed), QR clear (else dropped, as is anything shorter than
 * a header). Compression pointers in a query must point backwards into an
 * earlier name and not into the header, so the question never holds one;
 * loops, forward pointers, names over 255 bytes, reserved label types,
 * trailing bytes and truncated records are FORMERR. EDNS0 (RFC 6891): one
 * OPT in the additional section, owner root; the payload size is honoured
 * (below 512 counts as 512, above WEFT_DNS_UDP_MAX as WEFT_DNS_UDP_MAX); the
 * reply echoes an OPT with the DO bit copied; version > 0 gets BADVERS; two
 * OPTs, or an OPT elsewhere, are FORMERR. The question is echoed byte for
 * byte, so a resolver's 0x20 case randomisation survives.
 *
 * Truncation: over UDP an answer that does not fit the payload size is
 * replaced by header + question (+ OPT) with TC set, so the client retries
 * over TCP (WEFT_DNS_F_TCP lifts the limit to the buffer's capacity). */
#ifndef WEFT_DNS_H
#define WEFT_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/keys.h"
#include "core/record.h"
#include "core/store.h"

#define WEFT_DNS_PORT 53
#define WEFT_DNS_UDP_MIN 512  /* RFC 1035 UDP payload; EDNS sizes below count as this */
#define WEFT_DNS_UDP_MAX 1232 /* the DNS flag day 2020 size: we cap at and advertise it */
#define WEFT_DNS_TCP_MAX 65535
#define WEFT_DNS_MEMBER_TTL 60 /* seconds, members' A/AAAA/PTR */
#define WEFT_DNS_NEG_TTL 60    /* SOA TTL and MINIMUM: negative answers are cached this long */
#define WEFT_DNS_CNAME_CHAIN 8 /* CNAME links followed inside the zone */
#define WEFT_DNS_TEXT_MAX 254  /* a domain name as text, with the NUL */

/* Flags for weft_dns_answer() and weft_dns_relay(). */
#define WEFT_DNS_F_FORWARD 0x1u /* upstream resolvers are configured */
#define WEFT_DNS_F_TCP 0x2u     /* the query came over TCP: no UDP size limit */

/* What to do with a query. */
typedef enum {
	WEFT_DNS_DROP = 0,    /* send nothing (a response, or not even a header) */
	WEFT_DNS_REPLY = 1,   /* send the *out_len bytes written to out */
	WEFT_DNS_FORWARD = 2, /* outside the zone: weft_dns_forward_query() then weft_dns_relay() */
} weft_dns_verdict_t;

typedef struct weft_dns_zone weft_dns_zone_t;

struct weft_dns_zone_opts {
	uint32_t member_ttl; /* 0 = WEFT_DNS_MEMBER_TTL */
	/* SipHash key of the name table. Members choose their own names, so
	 * the daemon passes random bytes to keep them from crafting
	 * collisions; all zeros is fine for tests. */
	uint8_t hash_key[16];
};

/* Build a zone from a view (its network settings must be known, else
 * WEFT_ENOTFOUND) and the store's DNS entry records (tombstones skipped).
 * opts may be NULL. The zone copies what it needs: the view and the store
 * may change or go away afterwards. */
int weft_dns_zone_build(weft_dns_zone_t **out, const weft_view_t *v, const weft_store_t *s,
			const struct weft_dns_zone_opts *opts);
/* The same from an array of DNS entry bodies (the store need not exist). */
int weft_dns_zone_build_entries(weft_dns_zone_t **out, const weft_view_t *v,
				const struct weft_rec_dns *const *entries, size_t nentries,
				const struct weft_dns_zone_opts *opts);
void weft_dns_zone_free(weft_dns_zone_t *z);

/* The origin as text, lower case, without the trailing dot ("net.internal"). */
const char *weft_dns_zone_origin(const weft_dns_zone_t *z);
uint32_t weft_dns_zone_serial(const weft_dns_zone_t *z);

struct weft_dns_zone_stats {
	size_t names;   /* owner names held (empty non-terminals included) */
	size_t rrs;     /* resource records held (the SOAs included) */
	size_t members; /* members that have a name */
	size_t entries; /* admin entries in use */
	size_t skipped; /* admin entries that did not parse or lost to a CNAME */
	size_t conflicts;
};
void weft_dns_zone_stats(const weft_dns_zone_t *z, struct weft_dns_zone_stats *st);

/* The reverse zones the zone answers for (in-addr.arpa and ip6.arpa names
 * of the network's ranges, as text without the trailing dot): at most 2.
 * Returns how many were written to out (cap entries). */
size_t weft_dns_zone_reverse(const weft_dns_zone_t *z, char (*out)[WEFT_DNS_TEXT_MAX], size_t cap);

/* Every address (A and AAAA) the forward zone holds under a name that is
 * not a wildcard, in the zone's order: members, external clients and admin
 * entries alike; the name as text without the trailing dot. For a hosts
 * file, which knows no other record type. cb returns false to stop. */
typedef bool (*weft_dns_addr_fn)(void *ctx, const char *name, const weft_ip_t *ip);
void weft_dns_zone_addresses(const weft_dns_zone_t *z, weft_dns_addr_fn cb, void *ctx);

/* Why an active member with a name has no DNS name. */
typedef enum {
	WEFT_DNS_LOST_TAKEN = 1,   /* a member earlier in the view holds it (winner) */
	WEFT_DNS_LOST_ENTRY = 2,   /* an admin CNAME entry holds it */
	WEFT_DNS_LOST_INVALID = 3, /* not a DNS label, or too long with the origin */
} weft_dns_lost_t;

struct weft_dns_conflict {
	weft_pk_t node_id;
	weft_pk_t winner;             /* WEFT_DNS_LOST_TAKEN only; zero otherwise */
	uint8_t why;                  /* weft_dns_lost_t */
	char name[WEFT_NAME_MAX + 1]; /* the name it asked for, as given */
};
/* The members that lost their name, in view order. *out stays valid for
 * the zone's lifetime. */
size_t weft_dns_zone_conflicts(const weft_dns_zone_t *z, const struct weft_dns_conflict **out);
/* The conflict for node_id, or NULL when it has its name (or never had one). */
const struct weft_dns_conflict *weft_dns_zone_conflict_of(const weft_dns_zone_t *z, const weft_pk_t *node_id);

/* Answer one query (query, len) from z into out (cap bytes; 512 or more is
 * needed for UDP answers to be useful). Returns a weft_dns_verdict_t, with
 * *out_len set for WEFT_DNS_REPLY, or WEFT_EOVERSIZE when out cannot hold
 * even the header and question. Never reads past query + len, never writes
 * past out + cap; out must not overlap query. flags: WEFT_DNS_F_*. */
int weft_dns_answer(const weft_dns_zone_t *z, const uint8_t *query, size_t len, uint8_t *out, size_t cap,
		    size_t *out_len, unsigned flags);

/* Forwarding. The daemon sends the client's query upstream with an id it
 * draws at random: this copies it with that id and clamps an EDNS payload
 * size to WEFT_DNS_UDP_MAX (so the reply comes back unfragmented). The
 * query must be one weft_dns_answer() returned WEFT_DNS_FORWARD for; out may
 * be the query's own buffer. */
int weft_dns_forward_query(const uint8_t *query, size_t len, uint16_t upstream_id, uint8_t *out, size_t cap,
			   size_t *out_len);
/* Turn an upstream reply into the client's reply: it must be a response
 * (QR) with upstream_id, opcode QUERY and the same single question (name
 * case-insensitively, type and class) as query, else WEFT_EPROTO (ignore
 * it: it may be spoofed or late) or WEFT_EMALFORMED. The reply is copied
 * with the client's id; if it exceeds the client's payload size (512, or
 * its EDNS size capped at WEFT_DNS_UDP_MAX; the capacity with
 * WEFT_DNS_F_TCP) it becomes header + question (+ OPT) with TC set. out
 * must not overlap query. */
int weft_dns_relay(const uint8_t *query, size_t qlen, uint16_t upstream_id, const uint8_t *resp, size_t rlen,
		   uint8_t *out, size_t cap, size_t *out_len, unsigned flags);
/* A reply with rcode (e.g. 2, SERVFAIL, when no upstream answered) and the
 * query's question echoed; WEFT_EMALFORMED if the query does not parse. */
int weft_dns_error_reply(const uint8_t *query, size_t len, unsigned rcode, uint8_t *out, size_t cap,
			 size_t *out_len);

/* "A", "AAAA", ... or NULL for a type we do not name (for logs). */
const char *weft_dns_type_name(uint16_t type);

#endif
