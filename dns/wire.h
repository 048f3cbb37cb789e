/* DNS wire codec shared inside dns/ (not a public header): names in wire
 * form, the strict query parser and the response builder with name
 * compression. Bounds-checked everywhere; no allocation. */
#ifndef WEFT_DNS_WIRE_H
#define WEFT_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HDR_LEN 12
#define DNS_NAME_MAX 255 /* wire bytes of a name, root label included */
#define DNS_LABEL_MAX 63
#define DNS_OPT_LEN 11  /* an OPT RR with no options */
#define DNS_COMP_MAX 64 /* compression targets remembered per message */

enum {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_PTR = 12,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
	DNS_T_SRV = 33,
	DNS_T_OPT = 41,
	DNS_T_IXFR = 251,
	DNS_T_AXFR = 252,
	DNS_T_MAILB = 253,
	DNS_T_MAILA = 254,
	DNS_T_ANY = 255,
};

#define DNS_C_IN 1

enum {
	DNS_R_NOERROR = 0,
	DNS_R_FORMERR = 1,
	DNS_R_SERVFAIL = 2,
	DNS_R_NXDOMAIN = 3,
	DNS_R_NOTIMP = 4,
	DNS_R_REFUSED = 5,
	DNS_R_BADVERS = 16, /* extended: upper 8 bits travel in the OPT */
};

/* Header flag word (bytes 2-3). */
#define DNS_F_QR 0x8000u
#define DNS_F_OPCODE 0x7800u
#define DNS_F_AA 0x0400u
#define DNS_F_TC 0x0200u
#define DNS_F_RD 0x0100u
#define DNS_F_RA 0x0080u
#define DNS_F_AD 0x0020u
#define DNS_F_CD 0x0010u
#define DNS_F_RCODE 0x000fu
#define DNS_EDNS_DO 0x8000u /* in the OPT's TTL low 16 bits */

/* A name in uncompressed wire form, lower case, with its label offsets. */
struct weft_dns_name {
	uint8_t len;     /* bytes in b, the final 0 included (1 for the root) */
	uint8_t nlabels; /* not counting the root */
	uint8_t b[DNS_NAME_MAX];
	uint8_t lab[DNS_NAME_MAX / 2]; /* offset in b of each label's length byte */
};

/* Text ("a.b.c", "a.b.c.", "" or "." for the root) to wire form. Labels
 * are lower-cased and must be 1..63 of [a-z0-9_-], or "*" as the first
 * label when allow_star; else WEFT_EMALFORMED (WEFT_EOVERSIZE if too long). */
int weft_dns_wire_name_from_text(struct weft_dns_name *n, const char *text, bool allow_star);
/* Wire form to dotted text without the trailing dot ("" for the root). */
void weft_dns_wire_name_to_text(const struct weft_dns_name *n, char *out, size_t cap);
/* n = n (minus its root) + suffix; WEFT_EOVERSIZE past 255 bytes. */
int weft_dns_wire_name_append(struct weft_dns_name *n, const struct weft_dns_name *suffix);
/* Recompute lab/nlabels from b/len (b already valid wire form). */
void weft_dns_wire_name_index(struct weft_dns_name *n);
/* True when n equals or lies under zone (both lower case); *depth gets the
 * number of labels n has above zone. */
bool weft_dns_wire_name_under(const struct weft_dns_name *n, const struct weft_dns_name *zone, unsigned *depth);

/* Read the name at *off of msg[0..len), following compression pointers: a
 * pointer must point before the start of the labels that led to it and not
 * into the header, which rules out loops. n (lower-cased copy) may be NULL.
 * On success *off is past the name as it sits in msg. WEFT_EMALFORMED on
 * any violation, WEFT_EOVERSIZE past 255 bytes. */
int weft_dns_wire_name_read(const uint8_t *msg, size_t len, size_t *off, struct weft_dns_name *n);

/* How parsing a query ended. */
typedef enum {
	DNS_PQ_OK = 0,
	DNS_PQ_DROP = 1, /* shorter than a header, or QR set: say nothing */
	DNS_PQ_FORMERR = 2,
	DNS_PQ_NOTIMP = 3,  /* opcode other than QUERY */
	DNS_PQ_BADVERS = 4, /* EDNS version above 0 */
} weft_dns_pq_t;

struct weft_dns_query {
	uint16_t id;
	uint16_t flags;
	uint16_t qtype, qclass;
	struct weft_dns_name qname; /* lower case */
	bool have_question;         /* msg[12..qend) is a valid question to echo */
	size_t qend;
	bool edns;
	uint8_t edns_version;
	bool edns_do;
	uint16_t edns_size;   /* as sent */
	size_t opt_class_off; /* where the OPT's class (payload size) sits */
};

weft_dns_pq_t weft_dns_wire_parse_query(const uint8_t *msg, size_t len, struct weft_dns_query *q);
/* The payload size a reply may use: 512, or the EDNS size within
 * [512, WEFT_DNS_UDP_MAX]; never above cap. With tcp, cap (at most 65535). */
size_t weft_dns_wire_reply_limit(const struct weft_dns_query *q, size_t cap, bool tcp);

/* The response builder. Writes never pass cap; a write that does not fit
 * fails with WEFT_EOVERSIZE and leaves the message as it was before that
 * write, so callers roll back to a mark and carry on. */
struct weft_dns_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	unsigned nptr;
	uint16_t ptr[DNS_COMP_MAX]; /* offsets of label starts usable as pointer targets */
};

struct weft_dns_mark {
	size_t len;
	unsigned nptr;
	uint16_t counts[4];
};

enum { DNS_SEC_QD = 0, DNS_SEC_AN = 1, DNS_SEC_NS = 2, DNS_SEC_AR = 3 };

void weft_dns_wire_begin(struct weft_dns_builder *b, uint8_t *buf, size_t cap);
/* Header with zero counts. */
int weft_dns_wire_header(struct weft_dns_builder *b, uint16_t id, uint16_t flags);
void weft_dns_wire_set_flags(struct weft_dns_builder *b, uint16_t flags);
uint16_t weft_dns_wire_flags(const struct weft_dns_builder *b);
void weft_dns_wire_count(struct weft_dns_builder *b, unsigned section);
/* Copy a question verbatim (it holds no pointers: the parser checked) and
 * remember its labels as compression targets. */
int weft_dns_wire_question(struct weft_dns_builder *b, const uint8_t *q, size_t len);
int weft_dns_wire_put(struct weft_dns_builder *b, const void *p, size_t n);
int weft_dns_wire_put16(struct weft_dns_builder *b, uint16_t v);
int weft_dns_wire_put32(struct weft_dns_builder *b, uint32_t v);
/* A name, compressed against earlier names when compress is set (then its
 * own labels become targets too); RFC 2782 forbids it in SRV targets. */
int weft_dns_wire_name(struct weft_dns_builder *b, const struct weft_dns_name *n, bool compress);
/* Owner, type, class, ttl and a placeholder rdlength; *rdlen_at marks it. */
int weft_dns_wire_rr_begin(struct weft_dns_builder *b, const struct weft_dns_name *owner, uint16_t type,
			   uint16_t klass, uint32_t ttl, size_t *rdlen_at);
void weft_dns_wire_rr_end(struct weft_dns_builder *b, size_t rdlen_at);
/* An OPT RR: payload size, extended rcode (upper 8 bits), DO. */
int weft_dns_wire_opt(struct weft_dns_builder *b, uint16_t size, uint8_t ext_rcode, bool dnssec_ok);
void weft_dns_wire_mark(const struct weft_dns_builder *b, struct weft_dns_mark *m);
void weft_dns_wire_rollback(struct weft_dns_builder *b, const struct weft_dns_mark *m);

static inline uint16_t weft_dns_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t weft_dns_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void weft_dns_set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

#endif
