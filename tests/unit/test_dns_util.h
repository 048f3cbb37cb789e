/* Helpers for the dns tests, its fuzzer and its benchmark: a view built by
 * hand, query bytes from text, and a DNS message parser written apart from
 * dns/wire.c so that the replies are checked by a second implementation.
 * Test code: no cmocka here (the fuzzer includes it too). */
#ifndef WEFT_TEST_DNS_UTIL_H
#define WEFT_TEST_DNS_UTIL_H

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "dns/dns.h"
#include "core/record.h"
#include "core/store.h"

/* ---- a view by hand ---- */

struct tview {
	weft_view_t v;
	weft_record_t net;
	struct weft_member_view *m;
	size_t cap;
};

static inline void tv_init(struct tview *t, const char *name, const char *domain, const char *cidr4,
			   const char *cidr6)
{
	memset(t, 0, sizeof(*t));
	t->net.type = WEFT_REC_NETWORK;
	snprintf(t->net.u.network.name, sizeof(t->net.u.network.name), "%s", name);
	snprintf(t->net.u.network.domain, sizeof(t->net.u.network.domain), "%s", domain ? domain : "");
	if (cidr4 && weft_cidr_parse(&t->net.u.network.cidr4, cidr4))
		abort();
	if (cidr6 && weft_cidr_parse(&t->net.u.network.cidr6, cidr6))
		abort();
	t->v.network = &t->net;
}

/* Appends a member (view order = order of calls). id seeds its node id. */
static inline struct weft_member_view *tv_add(struct tview *t, uint32_t id, const char *name, const char *a4,
					      const char *a6, uint8_t status)
{
	struct weft_member_view *m;

	if (t->v.nmembers == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->m = realloc(t->m, t->cap * sizeof(*t->m));
		if (!t->m)
			abort();
		t->v.members = t->m;
	}
	m = &t->m[t->v.nmembers++];
	memset(m, 0, sizeof(*m));
	m->node_id.b[0] = (uint8_t)(id >> 24);
	m->node_id.b[1] = (uint8_t)(id >> 16);
	m->node_id.b[2] = (uint8_t)(id >> 8);
	m->node_id.b[3] = (uint8_t)id;
	m->node_id.b[31] = 0x77;
	m->status = status;
	m->join_time = 1000 + id;
	snprintf(m->name, sizeof(m->name), "%s", name ? name : "");
	if (a4 && weft_ip_parse(&m->address4, a4))
		abort();
	if (a6 && weft_ip_parse(&m->address6, a6))
		abort();
	return m;
}

static inline void tv_free(struct tview *t)
{
	free(t->m);
	memset(t, 0, sizeof(*t));
}

static inline struct weft_rec_dns te_entry(const char *name, uint16_t type, uint32_t ttl, const char *value)
{
	struct weft_rec_dns e;

	memset(&e, 0, sizeof(e));
	e.version = 1;
	memcpy(e.name, name, strnlen(name, sizeof(e.name) - 1));
	e.rtype = type;
	e.ttl = ttl;
	memcpy(e.value, value, strnlen(value, sizeof(e.value) - 1));
	return e;
}

/* ---- the zone most tests, the fuzzer and the benchmark answer from ---- */

/* Network "net" (zone net.internal), 10.42.0.0/16 and fd00:42::/64. */
static inline void tz_fixture_view(struct tview *t)
{
	tv_init(t, "net", NULL, "10.42.0.0/16", "fd00:42::/64");
	tv_add(t, 1, "web", "10.42.0.5", "fd00:42::5", WEFT_MEMBER_ACTIVE);
	tv_add(t, 2, "db", "10.42.0.6", NULL, WEFT_MEMBER_ACTIVE);
	tv_add(t, 3, "Web", "10.42.0.7", NULL, WEFT_MEMBER_ACTIVE); /* loses to 1 */
	tv_add(t, 4, "gone", "10.42.0.8", NULL, WEFT_MEMBER_REVOKED);
	tv_add(t, 5, "pend", "10.42.0.9", NULL, WEFT_MEMBER_PENDING);
	tv_add(t, 6, "left", "10.42.0.10", NULL, WEFT_MEMBER_LEFT);
	tv_add(t, 7, "old", "10.42.0.11", NULL, WEFT_MEMBER_EXPIRED);
	tv_add(t, 8, "over", "10.42.0.12", NULL, WEFT_MEMBER_OVERUSED);
	tv_add(t, 9, "api", "10.42.1.1", "fd00:42::1:1", WEFT_MEMBER_ACTIVE);
	tv_add(t, 10, "mail", "10.42.0.13", NULL, WEFT_MEMBER_ACTIVE);     /* loses to the CNAME */
	tv_add(t, 11, "bad name", "10.42.0.14", NULL, WEFT_MEMBER_ACTIVE); /* not a label */
	tv_add(t, 12, "", "10.42.0.15", NULL, WEFT_MEMBER_ACTIVE);         /* no name */
	tv_add(t, 13, "outside", "192.168.1.1", NULL, WEFT_MEMBER_ACTIVE); /* no PTR */
}

#define TZ_NENTRIES 19

static inline void tz_fixture_entries(struct weft_rec_dns e[TZ_NENTRIES])
{
	char big[201];
	size_t i = 0, k;

	e[i++] = te_entry("www", WEFT_DNS_CNAME, 300, "web");
	e[i++] = te_entry("ext", WEFT_DNS_CNAME, 120, "example.com.");
	e[i++] = te_entry("loop1", WEFT_DNS_CNAME, 60, "loop2");
	e[i++] = te_entry("loop2", WEFT_DNS_CNAME, 60, "loop1");
	e[i++] = te_entry("chain", WEFT_DNS_CNAME, 60, "www");
	e[i++] = te_entry("txt", WEFT_DNS_TXT, 30, "hello world");
	e[i++] = te_entry("_sip._udp", WEFT_DNS_SRV, 60, "10 20 5060 web");
	e[i++] = te_entry("*.dev", WEFT_DNS_A, 10, "10.42.9.9");
	e[i++] = te_entry("x.dev", WEFT_DNS_TXT, 60, "exists");
	e[i++] = te_entry("db", WEFT_DNS_A, 60, "10.42.100.100");
	e[i++] = te_entry("mail", WEFT_DNS_CNAME, 60, "web");
	e[i++] = te_entry("v6", WEFT_DNS_AAAA, 60, "fd00:42::99");
	e[i++] = te_entry("*.wc", WEFT_DNS_CNAME, 60, "web");
	e[i++] = te_entry("far", WEFT_DNS_SRV, 60, "1 2 443 srv.example.org.");
	e[i++] = te_entry("dangle", WEFT_DNS_CNAME, 60, "nothing");
	/* Four 200-byte TXT strings at one name: 852 bytes of answer. */
	for (k = 0; k < 4; k++) {
		memset(big, 'a' + (int)k, 200);
		big[200] = '\0';
		e[i++] = te_entry("big", WEFT_DNS_TXT, 60, big);
	}
}

static inline weft_dns_zone_t *tz_fixture(void)
{
	struct weft_rec_dns e[TZ_NENTRIES];
	const struct weft_rec_dns *ep[TZ_NENTRIES];
	weft_dns_zone_t *z = NULL;
	struct tview t;
	size_t i;

	tz_fixture_view(&t);
	tz_fixture_entries(e);
	for (i = 0; i < TZ_NENTRIES; i++)
		ep[i] = &e[i];
	if (weft_dns_zone_build_entries(&z, &t.v, ep, TZ_NENTRIES, NULL))
		abort();
	tv_free(&t);
	return z;
}

/* ---- queries ---- */

/* Text name to wire, case kept; 0 on overflow. */
static inline size_t tq_name(uint8_t *out, const char *name)
{
	size_t o = 0, i = 0, n = strlen(name);

	if (n && name[n - 1] == '.')
		n--;
	while (i < n) {
		size_t s = i;

		while (i < n && name[i] != '.')
			i++;
		if (i - s > 63 || o + 1 + (i - s) + 1 > 255)
			return 0;
		out[o++] = (uint8_t)(i - s);
		memcpy(out + o, name + s, i - s);
		o += i - s;
		i++;
	}
	out[o++] = 0;
	return o;
}

/* A standard query; edns < 0: no OPT, else an OPT with that payload size. */
static inline size_t tq_build(uint8_t *out, uint16_t id, uint16_t flags, const char *name, uint16_t qtype, int edns,
			      bool dnssec_ok)
{
	size_t o = 12, n;

	memset(out, 0, 12);
	out[0] = (uint8_t)(id >> 8), out[1] = (uint8_t)id;
	out[2] = (uint8_t)(flags >> 8), out[3] = (uint8_t)flags;
	out[5] = 1;
	n = tq_name(out + o, name);
	o += n;
	out[o++] = (uint8_t)(qtype >> 8), out[o++] = (uint8_t)qtype;
	out[o++] = 0, out[o++] = 1;
	if (edns >= 0) {
		out[11] = 1;
		out[o++] = 0;
		out[o++] = 0, out[o++] = 41;
		out[o++] = (uint8_t)(edns >> 8), out[o++] = (uint8_t)edns;
		out[o++] = 0, out[o++] = 0;
		out[o++] = dnssec_ok ? 0x80 : 0, out[o++] = 0;
		out[o++] = 0, out[o++] = 0;
	}
	return o;
}

static inline size_t hex_to_bytes(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;

	while (hex[0] && hex[1] && n < cap) {
		unsigned v;

		if (sscanf(hex, "%2x", &v) != 1)
			abort();
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

/* ---- queries captured from dig ---- */

/* Captured from DiG 9.18.49-1~deb12u3-Debian sending to a UDP socket on
 * 127.0.0.1 (a small Python listener), e.g.
 * `dig @127.0.0.1 -p PORT +tries=1 Web.Net.Internal A`. */
enum {
	DIG_A_MIXED_COOKIE, /* Web.Net.Internal A: RD AD, EDNS 1232, a cookie option */
	DIG_AAAA_NOEDNS,    /* web.net.internal AAAA +noedns */
	DIG_A_DNSSEC_4096,  /* web.net.internal A +dnssec +bufsize=4096 */
	DIG_PTR4,           /* -x 10.42.0.5 */
	DIG_PTR6,           /* -x fd00::5 */
	DIG_SRV_NORD,       /* _sip._udp.net.internal SRV +nocookie +norecurse */
	DIG_ANY,            /* web.net.internal ANY +nocookie */
	DIG_TXT_NOAD,       /* web.net.internal TXT +nocookie +noadflag */
	DIG_NVECTORS
};

static inline size_t dig_vector(unsigned which, uint8_t *out, size_t cap)
{
	static const char *const hex[DIG_NVECTORS] = {
		"75810120000100000000000103576562034e657408496e7465726e616c000001000100002904d0"
		"00000000000c000a000827974cfadcff0206",
		"08fe0120000100000000000003776562036e657408696e7465726e616c00001c0001",
		"44b40120000100000000000103776562036e657408696e7465726e616c00000100010000291000"
		"00008000000c000a0008d5b2468f6d921ac9",
		"4fe5012000010000000000010135013002343202313007696e2d61646472046172706100000c00"
		"0100002904d000000000000c000a00087e8fb377511fc391",
		"b11e01200001000000000001013501300130013001300130013001300130013001300130013001"
		"300130013001300130013001300130013001300130013001300130013001300130016401660369"
		"7036046172706100000c000100002904d000000000000c000a0008f34408916cf36387",
		"4b5400200001000000000001045f736970045f756470036e657408696e7465726e616c00002100"
		"0100002904d0000000000000",
		"2f6a0120000100000000000103776562036e657408696e7465726e616c0000ff000100002904d0"
		"000000000000",
		"e03d0100000100000000000103776562036e657408696e7465726e616c000010000100002904d0"
		"000000000000",
	};

	return hex_to_bytes(out, cap, hex[which]);
}

/* ---- an independent reply parser ---- */

#define TM_MAX_RR 128

struct tm_rr {
	unsigned section; /* 1 answer, 2 authority, 3 additional */
	char name[1100];  /* dotted, case as on the wire, "." for the root */
	uint16_t type, klass;
	uint32_t ttl;
	uint16_t rdlen;
	size_t rdoff;    /* offset of the RDATA in the message */
	char data[1200]; /* A/AAAA printed, names dotted, SRV "p w port target",
			   * SOA "mname rname serial refresh retry expire minimum",
			   * TXT the text, others hex */
};

struct tm_msg {
	uint16_t id, flags;
	unsigned qd, an, ns, ar;
	char qname[1100];
	uint16_t qtype, qclass;
	size_t qend; /* past the question (12 when there is none) */
	size_t nrr;
	struct tm_rr rr[TM_MAX_RR];
	bool edns;
	uint16_t edns_size;
	uint8_t edns_ext_rcode, edns_version;
	bool edns_do;
	unsigned max_hops; /* most compression pointers followed for one name */
};

/* Reads a name, following pointers that must point strictly backwards
 * (before the pointer itself); enforces 255 bytes. Returns 0 or -1. */
static inline int tm_name(const uint8_t *m, size_t len, size_t *off, char *out, size_t cap, unsigned *hops_out)
{
	size_t p = *off, end = 0, o = 0, total = 0;
	unsigned hops = 0;
	bool jumped = false;

	out[0] = '\0';
	for (;;) {
		uint8_t c;

		if (p >= len)
			return -1;
		c = m[p];
		if ((c & 0xc0) == 0xc0) {
			size_t t;

			if (p + 1 >= len || ++hops > 128)
				return -1;
			t = (size_t)(c & 0x3f) << 8 | m[p + 1];
			if (t >= p)
				return -1;
			if (!jumped)
				end = p + 2;
			jumped = true;
			p = t;
			continue;
		}
		if (c & 0xc0)
			return -1;
		if (c == 0) {
			total++;
			p++;
			break;
		}
		if (p + 1 + c > len)
			return -1;
		total += 1 + (size_t)c;
		if (total + 1 > 255)
			return -1;
		if (o && o + 1 < cap)
			out[o++] = '.';
		for (size_t j = 0; j < c; j++) {
			if (o + 1 < cap)
				out[o++] = (char)m[p + 1 + j];
		}
		p += 1 + (size_t)c;
	}
	if (o == 0 && cap > 1)
		out[o++] = '.';
	out[o < cap ? o : cap - 1] = '\0';
	*off = jumped ? end : p;
	if (hops_out && hops > *hops_out)
		*hops_out = hops;
	return 0;
}

static inline unsigned tm_be32(const uint8_t *p)
{
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

static inline int tm_rdata(const uint8_t *m, size_t len, struct tm_rr *r, unsigned *hops)
{
	size_t o = r->rdoff, end = r->rdoff + r->rdlen;
	char n1[1100], n2[1100];

	switch (r->type) {
	case 1:
	case 28:
		if (r->rdlen != (r->type == 1 ? 4 : 16))
			return -1;
		inet_ntop(r->type == 1 ? AF_INET : AF_INET6, m + o, r->data, sizeof(r->data));
		return 0;
	case 5:
	case 12:
		if (tm_name(m, len, &o, r->data, sizeof(r->data), hops) || o != end)
			return -1;
		return 0;
	case 6:
		if (tm_name(m, len, &o, n1, sizeof(n1), hops) || tm_name(m, len, &o, n2, sizeof(n2), hops) ||
		    o + 20 != end)
			return -1;
		if (snprintf(r->data, sizeof(r->data), "%s %s %u %u %u %u %u", n1, n2, tm_be32(m + o),
			     tm_be32(m + o + 4), tm_be32(m + o + 8), tm_be32(m + o + 12),
			     tm_be32(m + o + 16)) >= (int)sizeof(r->data))
			return -1; /* two names too long for one line: not a record we can show */
		return 0;
	case 33: {
		size_t t;
		uint8_t first;

		if (r->rdlen < 7)
			return -1;
		t = o + 6;
		first = m[t];
		/* RFC 2782: the target is never compressed. */
		if ((first & 0xc0) == 0xc0)
			return -1;
		if (tm_name(m, len, &t, n1, sizeof(n1), hops) || t != end)
			return -1;
		snprintf(r->data, sizeof(r->data), "%u %u %u %s", m[o] << 8 | m[o + 1], m[o + 2] << 8 | m[o + 3],
			 m[o + 4] << 8 | m[o + 5], n1);
		return 0;
	}
	case 16: {
		size_t d = 0;

		while (o < end) {
			uint8_t l = m[o++];

			if (o + l > end)
				return -1;
			if (d + l + 1 < sizeof(r->data)) {
				memcpy(r->data + d, m + o, l);
				d += l;
			}
			o += l;
		}
		r->data[d] = '\0';
		return 0;
	}
	default:
		for (size_t i = 0; i < r->rdlen && 2 * i + 2 < sizeof(r->data); i++)
			snprintf(r->data + 2 * i, 3, "%02x", m[o + i]);
		return 0;
	}
}

/* 0 when m is one well-formed DNS message with at most one question, no
 * trailing bytes and at most one OPT (in the additional section). */
static inline int tm_parse(const uint8_t *m, size_t len, struct tm_msg *t)
{
	size_t off = 12, total, i;

	memset(t, 0, sizeof(*t));
	if (len < 12)
		return -1;
	t->id = (uint16_t)(m[0] << 8 | m[1]);
	t->flags = (uint16_t)(m[2] << 8 | m[3]);
	t->qd = (unsigned)(m[4] << 8 | m[5]);
	t->an = (unsigned)(m[6] << 8 | m[7]);
	t->ns = (unsigned)(m[8] << 8 | m[9]);
	t->ar = (unsigned)(m[10] << 8 | m[11]);
	if (t->qd > 1)
		return -1;
	if (t->qd) {
		if (tm_name(m, len, &off, t->qname, sizeof(t->qname), &t->max_hops) || off + 4 > len)
			return -1;
		t->qtype = (uint16_t)(m[off] << 8 | m[off + 1]);
		t->qclass = (uint16_t)(m[off + 2] << 8 | m[off + 3]);
		off += 4;
	}
	t->qend = off;
	total = (size_t)t->an + t->ns + t->ar;
	if (total > TM_MAX_RR)
		return -1;
	for (i = 0; i < total; i++) {
		struct tm_rr *r = &t->rr[t->nrr++];

		r->section = i < t->an ? 1 : i < (size_t)t->an + t->ns ? 2 : 3;
		if (tm_name(m, len, &off, r->name, sizeof(r->name), &t->max_hops) || off + 10 > len)
			return -1;
		r->type = (uint16_t)(m[off] << 8 | m[off + 1]);
		r->klass = (uint16_t)(m[off + 2] << 8 | m[off + 3]);
		r->ttl = (uint32_t)m[off + 4] << 24 | (uint32_t)m[off + 5] << 16 | (uint32_t)m[off + 6] << 8 |
			 m[off + 7];
		r->rdlen = (uint16_t)(m[off + 8] << 8 | m[off + 9]);
		off += 10;
		r->rdoff = off;
		if (off + r->rdlen > len)
			return -1;
		if (r->type == 41) {
			if (r->section != 3 || t->edns || strcmp(r->name, "."))
				return -1;
			t->edns = true;
			t->edns_size = r->klass;
			t->edns_ext_rcode = (uint8_t)(r->ttl >> 24);
			t->edns_version = (uint8_t)(r->ttl >> 16);
			t->edns_do = (r->ttl & 0x8000) != 0;
		} else if (tm_rdata(m, len, r, &t->max_hops)) {
			return -1;
		}
		off += r->rdlen;
	}
	return off == len ? 0 : -1;
}

static inline unsigned tm_rcode(const struct tm_msg *t)
{
	return (unsigned)(t->flags & 0xf) | (t->edns ? (unsigned)t->edns_ext_rcode << 4 : 0);
}

/* The i-th record of a section (1 answer, 2 authority, 3 additional). */
static inline const struct tm_rr *tm_get(const struct tm_msg *t, unsigned section, unsigned i)
{
	for (size_t k = 0; k < t->nrr; k++) {
		if (t->rr[k].section == section && i-- == 0)
			return &t->rr[k];
	}
	return NULL;
}

#endif
