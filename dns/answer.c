/* Answering one query from a zone snapshot: classify the name (the
 * forward zone, a reverse zone, elsewhere), dispatch by qtype, resolve with
 * wildcards and CNAME chasing, and write the reply with compression,
 * truncation and EDNS. Reads the zone, writes only the caller's buffer. */
#include <string.h>

#include "core/error.h"
#include "dns/zone.h"

/* Where the question's name lies. */
enum where { IN_NONE = 0, IN_FORWARD = 1, IN_REVERSE = 2 };

/* A reverse name relative to its reverse zone. */
enum rev_class {
	REV_OUTSIDE = 0, /* not under the apex, or outside the CIDR */
	REV_PARTIAL = 1, /* a prefix inside the CIDR: exists, no data */
	REV_ADDRESS = 2, /* a whole address inside the CIDR */
	REV_BAD = 3,     /* under the apex but cannot be an address */
};

struct ans {
	const weft_dns_zone_t *z;
	const struct weft_dns_query *q;
	struct weft_dns_builder *b;
	uint8_t rcode;
};

typedef int (*qtype_fn)(struct ans *a, enum where w, const struct weft_dns_rzone *rz, enum rev_class rc);

/* The section a record goes to. */
enum { SEC_ANSWER = DNS_SEC_AN, SEC_AUTHORITY = DNS_SEC_NS };

static void rdata_name(const uint8_t *p, struct weft_dns_name *n)
{
	size_t l = 0;

	/* Our own pool holds only well-formed, uncompressed names. */
	while (p[l] != 0)
		l += 1 + (size_t)p[l];
	n->len = (uint8_t)(l + 1);
	memcpy(n->b, p, n->len);
	weft_dns_wire_name_index(n);
}

static int add_rr(struct ans *a, const struct weft_dns_name *owner, const struct weft_dns_rr *rr, unsigned section)
{
	const uint8_t *rd = weft_dns_rr_data(a->z, rr);
	struct weft_dns_builder *b = a->b;
	struct weft_dns_name n;
	struct weft_dns_mark m;
	size_t at;
	int ret;

	weft_dns_wire_mark(b, &m);
	ret = weft_dns_wire_rr_begin(b, owner, rr->type, DNS_C_IN, rr->ttl, &at);
	if (ret)
		return ret;
	switch (rr->type) {
	case DNS_T_CNAME:
	case DNS_T_PTR:
		rdata_name(rd, &n);
		ret = weft_dns_wire_name(b, &n, true);
		break;
	case DNS_T_SOA:
		rdata_name(rd, &n);
		ret = weft_dns_wire_name(b, &n, true);
		if (!ret) {
			size_t used = n.len;

			rdata_name(rd + used, &n);
			ret = weft_dns_wire_name(b, &n, true);
			if (!ret)
				ret = weft_dns_wire_put(b, rd + used + n.len, 20);
		}
		break;
	default:
		/* A, AAAA, TXT, and SRV, whose target RFC 2782 says must not
		 * be compressed. */
		ret = weft_dns_wire_put(b, rd, rr->rdlen);
		break;
	}
	if (ret) {
		weft_dns_wire_rollback(b, &m);
		return ret;
	}
	weft_dns_wire_rr_end(b, at);
	weft_dns_wire_count(b, section);
	return 0;
}

/* Every record of type at nd (type 0: all of them) into the answer. */
static int add_rrset(struct ans *a, const struct weft_dns_name *owner, const struct weft_dns_node *nd, uint16_t type)
{
	uint32_t i;
	int ret;

	for (i = 0; i < nd->nrr; i++) {
		const struct weft_dns_rr *rr = &a->z->rrs[nd->rr + i];

		if (type && rr->type != type)
			continue;
		ret = add_rr(a, owner, rr, SEC_ANSWER);
		if (ret)
			return ret;
	}
	return 0;
}

static const struct weft_dns_rr *node_rr(const weft_dns_zone_t *z, const struct weft_dns_node *nd, uint16_t type)
{
	uint32_t i;

	for (i = 0; i < nd->nrr; i++) {
		if (z->rrs[nd->rr + i].type == type)
			return &z->rrs[nd->rr + i];
	}
	return NULL;
}

/* A negative answer: the apex's SOA in the authority section (RFC 2308). */
static int negative(struct ans *a, const struct weft_dns_name *apex, uint8_t rcode)
{
	const struct weft_dns_node *nd = weft_dns_zone_find(a->z, apex);
	const struct weft_dns_rr *soa = nd ? node_rr(a->z, nd, DNS_T_SOA) : NULL;

	a->rcode = rcode;
	return soa ? add_rr(a, apex, soa, SEC_AUTHORITY) : 0;
}

/* RFC 4592, simplified: the closest encloser of a name that does not exist
 * is its longest existing ancestor (the origin at worst); the wildcard
 * that applies is "*." + that encloser, if there is one. */
static const struct weft_dns_node *wildcard(const weft_dns_zone_t *z, const struct weft_dns_name *n)
{
	struct weft_dns_name s;
	unsigned depth, i;

	if (!weft_dns_wire_name_under(n, &z->origin, &depth))
		return NULL;
	for (i = 1; i <= depth; i++) {
		size_t off = i < n->nlabels ? n->lab[i] : (size_t)n->len - 1;

		s.len = (uint8_t)(n->len - off);
		memcpy(s.b, n->b + off, s.len);
		if (!weft_dns_zone_find(z, &s))
			continue;
		memmove(s.b + 2, s.b, s.len);
		s.b[0] = 1;
		s.b[1] = '*';
		s.len = (uint8_t)(s.len + 2);
		return weft_dns_zone_find(z, &s);
	}
	return NULL;
}

/* Data for the question's name in the forward zone, following CNAMEs that
 * stay inside the zone. any: every RRset at the name instead of one type. */
static int resolve_forward(struct ans *a, bool any)
{
	const weft_dns_zone_t *z = a->z;
	struct weft_dns_name seen[WEFT_DNS_CNAME_CHAIN];
	struct weft_dns_name cur = a->q->qname;
	unsigned depth, k;
	int ret;

	for (depth = 0;; depth++) {
		const struct weft_dns_node *nd = weft_dns_zone_find(z, &cur);
		const struct weft_dns_rr *cname;

		if (!nd)
			nd = wildcard(z, &cur);
		if (!nd)
			return negative(a, &z->origin, DNS_R_NXDOMAIN);
		if (any)
			return nd->nrr ? add_rrset(a, &cur, nd, 0) : negative(a, &z->origin, DNS_R_NOERROR);
		if (node_rr(z, nd, a->q->qtype))
			return add_rrset(a, &cur, nd, a->q->qtype);
		cname = node_rr(z, nd, DNS_T_CNAME);
		if (!cname)
			return negative(a, &z->origin, DNS_R_NOERROR);
		ret = add_rr(a, &cur, cname, SEC_ANSWER);
		if (ret)
			return ret;
		/* Outside the zone the client's resolver chases it. */
		seen[depth] = cur;
		rdata_name(weft_dns_rr_data(z, cname), &cur);
		if (depth + 1 >= WEFT_DNS_CNAME_CHAIN || !weft_dns_wire_name_under(&cur, &z->origin, NULL))
			return 0;
		for (k = 0; k <= depth; k++) {
			if (seen[k].len == cur.len && !memcmp(seen[k].b, cur.b, cur.len))
				return 0; /* a loop: what we have is the answer */
		}
	}
}

static int resolve_reverse(struct ans *a, const struct weft_dns_rzone *rz, enum rev_class rc, bool any)
{
	const struct weft_dns_node *nd = weft_dns_zone_find(a->z, &a->q->qname);

	if (!nd)
		return negative(a, &rz->apex, rc == REV_PARTIAL ? DNS_R_NOERROR : DNS_R_NXDOMAIN);
	if (any)
		return nd->nrr ? add_rrset(a, &a->q->qname, nd, 0) : negative(a, &rz->apex, DNS_R_NOERROR);
	if (node_rr(a->z, nd, a->q->qtype))
		return add_rrset(a, &a->q->qname, nd, a->q->qtype);
	return negative(a, &rz->apex, DNS_R_NOERROR);
}

static int qtype_data(struct ans *a, enum where w, const struct weft_dns_rzone *rz, enum rev_class rc)
{
	return w == IN_FORWARD ? resolve_forward(a, false) : resolve_reverse(a, rz, rc, false);
}

/* ANY: every RRset at the name. They are few and small (A, AAAA, one
 * entry), so RFC 8482's minimal answer would save nothing. */
static int qtype_any(struct ans *a, enum where w, const struct weft_dns_rzone *rz, enum rev_class rc)
{
	return w == IN_FORWARD ? resolve_forward(a, true) : resolve_reverse(a, rz, rc, true);
}

/* Zone transfers are not offered (and never over UDP). */
static int qtype_refused(struct ans *a, enum where w, const struct weft_dns_rzone *rz, enum rev_class rc)
{
	a->rcode = DNS_R_REFUSED;
	return 0;
}

static int qtype_notimp(struct ans *a, enum where w, const struct weft_dns_rzone *rz, enum rev_class rc)
{
	a->rcode = DNS_R_NOTIMP;
	return 0;
}

static const struct {
	uint16_t type;
	const char *name;
	qtype_fn fn;
} qtypes[] = {
	{ DNS_T_A, "A", qtype_data },           { DNS_T_NS, "NS", qtype_data },
	{ DNS_T_CNAME, "CNAME", qtype_data },   { DNS_T_SOA, "SOA", qtype_data },
	{ DNS_T_PTR, "PTR", qtype_data },       { DNS_T_MX, "MX", qtype_data },
	{ DNS_T_TXT, "TXT", qtype_data },       { DNS_T_AAAA, "AAAA", qtype_data },
	{ DNS_T_SRV, "SRV", qtype_data },       { DNS_T_OPT, "OPT", NULL }, /* the parser refuses it as a question */
	{ DNS_T_IXFR, "IXFR", qtype_refused },  { DNS_T_AXFR, "AXFR", qtype_refused },
	{ DNS_T_MAILB, "MAILB", qtype_notimp }, { DNS_T_MAILA, "MAILA", qtype_notimp },
	{ DNS_T_ANY, "ANY", qtype_any },
};

const char *weft_dns_type_name(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(qtypes) / sizeof(qtypes[0]); i++) {
		if (qtypes[i].type == type)
			return qtypes[i].name;
	}
	return NULL;
}

static qtype_fn qtype_handler(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(qtypes) / sizeof(qtypes[0]); i++) {
		if (qtypes[i].type == type && qtypes[i].fn)
			return qtypes[i].fn;
	}
	/* Any other type is plain data we do not hold: NODATA or NXDOMAIN. */
	return qtype_data;
}

static bool rev_label(const uint8_t *l, bool v4, unsigned *val)
{
	unsigned len = l[0], i, v = 0;

	if (!v4) {
		if (len != 1)
			return false;
		if (l[1] >= '0' && l[1] <= '9')
			*val = (unsigned)(l[1] - '0');
		else if (l[1] >= 'a' && l[1] <= 'f')
			*val = (unsigned)(l[1] - 'a' + 10);
		else
			return false;
		return true;
	}
	/* Decimal 0..255 without leading zeros, as in-addr.arpa writes it. */
	if (len < 1 || len > 3 || (len > 1 && l[1] == '0'))
		return false;
	for (i = 1; i <= len; i++) {
		if (l[i] < '0' || l[i] > '9')
			return false;
		v = v * 10 + (unsigned)(l[i] - '0');
	}
	if (v > 255)
		return false;
	*val = v;
	return true;
}

static enum rev_class rev_classify(const struct weft_dns_rzone *rz, const struct weft_dns_name *n)
{
	bool v4 = rz->cidr.ip.family == 4;
	unsigned units, max = v4 ? 4 : 32, ub = v4 ? 8 : 4, k;
	weft_ip_t ip;

	if (!weft_dns_wire_name_under(n, &rz->apex, NULL))
		return REV_OUTSIDE;
	memset(&ip, 0, sizeof(ip));
	ip.family = rz->cidr.ip.family;
	units = n->nlabels - 2u; /* below in-addr.arpa or ip6.arpa */
	/* The label next to the suffix is the address's first unit. */
	for (k = 0; k < units; k++) {
		unsigned val;

		if (k == max || !rev_label(n->b + n->lab[units - 1 - k], v4, &val))
			return REV_BAD;
		if (v4)
			ip.b[k] = (uint8_t)val;
		else
			ip.b[k / 2] |= (uint8_t)(val << ((k & 1) ? 0 : 4));
		if ((k + 1) * ub >= rz->cidr.prefix && !weft_cidr_contains(&rz->cidr, &ip))
			return REV_OUTSIDE;
	}
	return units == max ? REV_ADDRESS : REV_PARTIAL;
}

static int start_reply(struct weft_dns_builder *b, const struct weft_dns_query *q, const uint8_t *msg, bool question,
		       uint16_t flags)
{
	int ret;

	flags |= DNS_F_QR | (q->flags & (DNS_F_OPCODE | DNS_F_RD | DNS_F_CD));
	ret = weft_dns_wire_header(b, q->id, flags);
	if (!ret && question) {
		ret = weft_dns_wire_question(b, msg + DNS_HDR_LEN, q->qend - DNS_HDR_LEN);
		if (!ret)
			weft_dns_wire_count(b, DNS_SEC_QD);
	}
	return ret;
}

static void set_rcode(struct weft_dns_builder *b, uint16_t set, unsigned rcode)
{
	weft_dns_wire_set_flags(b, (uint16_t)((weft_dns_wire_flags(b) & ~DNS_F_RCODE) | set | (rcode & 0xf)));
}

/* Replies that carry no data: FORMERR, NOTIMP, BADVERS. */
static int error_reply(const struct weft_dns_query *q, const uint8_t *msg, weft_dns_pq_t pq, uint8_t *out,
		       size_t cap, size_t *out_len)
{
	struct weft_dns_builder b;
	bool question = pq != DNS_PQ_NOTIMP && q->have_question;
	unsigned rcode = pq == DNS_PQ_NOTIMP ? DNS_R_NOTIMP : pq == DNS_PQ_BADVERS ? DNS_R_BADVERS : DNS_R_FORMERR;
	int ret;

	weft_dns_wire_begin(&b, out, cap < WEFT_DNS_UDP_MIN ? cap : WEFT_DNS_UDP_MIN);
	ret = start_reply(&b, q, msg, question, 0);
	/* BADVERS lives in the OPT's extended rcode; a FORMERR carries no OPT
	 * since the OPT may be what was wrong (RFC 6891 §7). */
	if (!ret && pq == DNS_PQ_BADVERS) {
		ret = weft_dns_wire_opt(&b, WEFT_DNS_UDP_MAX, DNS_R_BADVERS >> 4, q->edns_do);
		if (!ret)
			weft_dns_wire_count(&b, DNS_SEC_AR);
	}
	if (ret)
		return WEFT_EOVERSIZE;
	set_rcode(&b, 0, rcode);
	*out_len = b.len;
	return WEFT_DNS_REPLY;
}

int weft_dns_answer(const weft_dns_zone_t *z, const uint8_t *query, size_t len, uint8_t *out, size_t cap,
		    size_t *out_len, unsigned flags)
{
	const struct weft_dns_rzone *rz = NULL;
	enum rev_class rc = REV_OUTSIDE;
	enum where w = IN_NONE;
	struct weft_dns_query q;
	struct weft_dns_builder b;
	struct weft_dns_mark m;
	struct ans a;
	size_t limit, reserve;
	uint16_t set = 0;
	weft_dns_pq_t pq;
	unsigned i;
	int ret;

	pq = weft_dns_wire_parse_query(query, len, &q);
	if (pq == DNS_PQ_DROP)
		return WEFT_DNS_DROP;
	if (pq != DNS_PQ_OK)
		return error_reply(&q, query, pq, out, cap, out_len);

	if (weft_dns_wire_name_under(&q.qname, &z->origin, NULL)) {
		w = IN_FORWARD;
	} else {
		for (i = 0; i < z->nrev && w == IN_NONE; i++) {
			rc = rev_classify(&z->rev[i], &q.qname);
			if (rc != REV_OUTSIDE) {
				w = IN_REVERSE;
				rz = &z->rev[i];
			}
		}
	}
	if (w == IN_NONE && q.qclass == DNS_C_IN && (flags & WEFT_DNS_F_FORWARD))
		return WEFT_DNS_FORWARD;

	limit = weft_dns_wire_reply_limit(&q, cap, flags & WEFT_DNS_F_TCP);
	reserve = q.edns ? DNS_OPT_LEN : 0;
	weft_dns_wire_begin(&b, out, limit);
	ret = start_reply(&b, &q, query, true, (flags & WEFT_DNS_F_FORWARD) ? DNS_F_RA : 0);
	if (ret || b.len + reserve > limit)
		return WEFT_EOVERSIZE;
	weft_dns_wire_mark(&b, &m);
	b.cap = limit - reserve;

	a.z = z;
	a.q = &q;
	a.b = &b;
	a.rcode = DNS_R_NOERROR;
	if (q.qclass != DNS_C_IN || w == IN_NONE) {
		a.rcode = DNS_R_REFUSED;
	} else {
		ret = qtype_handler(q.qtype)(&a, w, rz, rc);
		if (ret == WEFT_EOVERSIZE) {
			/* What the client needs does not fit: say so and let it
			 * come back over TCP (RFC 2181 §9). */
			weft_dns_wire_rollback(&b, &m);
			set |= DNS_F_TC;
		} else if (ret) {
			return ret;
		}
		if (a.rcode == DNS_R_NOERROR || a.rcode == DNS_R_NXDOMAIN)
			set |= DNS_F_AA;
	}
	b.cap = limit;
	if (q.edns) {
		ret = weft_dns_wire_opt(&b, WEFT_DNS_UDP_MAX, 0, q.edns_do);
		if (ret)
			return ret;
		weft_dns_wire_count(&b, DNS_SEC_AR);
	}
	set_rcode(&b, set, a.rcode);
	*out_len = b.len;
	return WEFT_DNS_REPLY;
}

int weft_dns_error_reply(const uint8_t *query, size_t len, unsigned rcode, uint8_t *out, size_t cap, size_t *out_len)
{
	struct weft_dns_query q;
	struct weft_dns_builder b;
	int ret;

	if (rcode > 15)
		return WEFT_EUNSUPPORTED;
	if (weft_dns_wire_parse_query(query, len, &q) != DNS_PQ_OK)
		return WEFT_EMALFORMED;
	weft_dns_wire_begin(&b, out, weft_dns_wire_reply_limit(&q, cap, false));
	ret = start_reply(&b, &q, query, true, DNS_F_RA);
	if (!ret && q.edns) {
		ret = weft_dns_wire_opt(&b, WEFT_DNS_UDP_MAX, 0, q.edns_do);
		if (!ret)
			weft_dns_wire_count(&b, DNS_SEC_AR);
	}
	if (ret)
		return WEFT_EOVERSIZE;
	set_rcode(&b, 0, rcode);
	*out_len = b.len;
	return 0;
}
