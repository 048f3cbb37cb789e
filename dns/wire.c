/* The DNS wire codec: names (text and wire forms, reading with pointer
 * checks, writing with compression), the strict query parser and the
 * response builder. Nothing here knows about zones. */
#include <string.h>

#include "core/error.h"
#include "dns/wire.h"
#include "dns/dns.h"

/* ASCII only: DNS compares names case-insensitively in ASCII (RFC 4343),
 * whatever the locale. */
static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static bool label_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int weft_dns_wire_name_from_text(struct weft_dns_name *n, const char *text, bool allow_star)
{
	size_t tl = strlen(text), i = 0, pos = 0;

	n->nlabels = 0;
	if (tl == 0 || (tl == 1 && text[0] == '.')) {
		n->b[0] = 0;
		n->len = 1;
		return 0;
	}
	if (text[tl - 1] == '.')
		tl--;
	while (i <= tl) {
		size_t start = i, ll, j;

		while (i < tl && text[i] != '.')
			i++;
		ll = i - start;
		if (ll == 0)
			return WEFT_EMALFORMED;
		if (ll > DNS_LABEL_MAX || pos + 1 + ll + 1 > DNS_NAME_MAX)
			return WEFT_EOVERSIZE;
		n->lab[n->nlabels++] = (uint8_t)pos;
		n->b[pos++] = (uint8_t)ll;
		for (j = 0; j < ll; j++) {
			uint8_t c = lower((uint8_t)text[start + j]);

			if (!label_char(c) && !(c == '*' && allow_star && n->nlabels == 1 && ll == 1))
				return WEFT_EMALFORMED;
			n->b[pos++] = c;
		}
		i++;
	}
	n->b[pos++] = 0;
	n->len = (uint8_t)pos;
	return 0;
}

void weft_dns_wire_name_to_text(const struct weft_dns_name *n, char *out, size_t cap)
{
	size_t o = 0, p = 0;

	if (cap == 0)
		return;
	while (p < n->len && n->b[p] != 0) {
		uint8_t ll = n->b[p++], j;

		if (o && o + 1 < cap)
			out[o++] = '.';
		for (j = 0; j < ll && p < n->len; j++, p++) {
			uint8_t c = n->b[p];

			if (label_char(c) || c == '*') {
				if (o + 1 < cap)
					out[o++] = (char)c;
			} else if (o + 4 < cap) {
				/* RFC 1035 \DDD, so odd bytes from a query print safely. */
				out[o++] = '\\';
				out[o++] = (char)('0' + c / 100);
				out[o++] = (char)('0' + c / 10 % 10);
				out[o++] = (char)('0' + c % 10);
			}
		}
	}
	out[o] = '\0';
}

void weft_dns_wire_name_index(struct weft_dns_name *n)
{
	size_t p = 0;

	n->nlabels = 0;
	while (p < n->len && n->b[p] != 0) {
		n->lab[n->nlabels++] = (uint8_t)p;
		p += 1 + (size_t)n->b[p];
	}
}

int weft_dns_wire_name_append(struct weft_dns_name *n, const struct weft_dns_name *suffix)
{
	size_t keep = (size_t)n->len - 1;

	if (keep + suffix->len > DNS_NAME_MAX)
		return WEFT_EOVERSIZE;
	memcpy(n->b + keep, suffix->b, suffix->len);
	n->len = (uint8_t)(keep + suffix->len);
	weft_dns_wire_name_index(n);
	return 0;
}

bool weft_dns_wire_name_under(const struct weft_dns_name *n, const struct weft_dns_name *zone, unsigned *depth)
{
	size_t off;
	unsigned i;

	if (zone->len > n->len)
		return false;
	off = (size_t)n->len - zone->len;
	if (memcmp(n->b + off, zone->b, zone->len) != 0)
		return false;
	/* The suffix must start on a label boundary: "xnet.internal" is not
	 * under "net.internal". */
	for (i = 0; i < n->nlabels; i++) {
		if (n->lab[i] == off)
			break;
	}
	if (i == n->nlabels && off != (size_t)n->len - 1)
		return false;
	if (depth)
		*depth = i;
	return true;
}

int weft_dns_wire_name_read(const uint8_t *msg, size_t len, size_t *off, struct weft_dns_name *n)
{
	size_t p = *off, end = 0, limit = *off, total = 0;
	unsigned nl = 0;
	bool jumped = false;

	for (;;) {
		uint8_t c;

		if (p >= len)
			return WEFT_EMALFORMED;
		c = msg[p];
		if ((c & 0xc0) == 0xc0) {
			size_t t;

			if (p + 1 >= len)
				return WEFT_EMALFORMED;
			t = (size_t)(c & 0x3f) << 8 | msg[p + 1];
			if (!jumped) {
				end = p + 2;
				jumped = true;
			}
			/* Strictly decreasing targets: no loop can form, and a
			 * pointer cannot reach forward or into the header. */
			if (t >= limit || t < DNS_HDR_LEN)
				return WEFT_EMALFORMED;
			limit = t;
			p = t;
			continue;
		}
		if (c & 0xc0)
			return WEFT_EMALFORMED; /* 0x40 extended, 0x80 reserved */
		if (c == 0) {
			if (n)
				n->b[total] = 0;
			total++;
			p++;
			break;
		}
		if (p + 1 + c > len)
			return WEFT_EMALFORMED;
		if (total + 1 + c + 1 > DNS_NAME_MAX)
			return WEFT_EOVERSIZE;
		if (n) {
			size_t j;

			n->lab[nl] = (uint8_t)total;
			n->b[total] = c;
			for (j = 0; j < c; j++)
				n->b[total + 1 + j] = lower(msg[p + 1 + j]);
		}
		nl++;
		total += 1 + (size_t)c;
		p += 1 + (size_t)c;
	}
	if (n) {
		n->len = (uint8_t)total;
		n->nlabels = (uint8_t)nl;
	}
	*off = jumped ? end : p;
	return 0;
}

/* The OPT pseudo-RR (RFC 6891 §6.1): owner root, class = payload size,
 * TTL = extended rcode, version, DO and zeros; options are TLVs. */
static weft_dns_pq_t parse_opt(const uint8_t *msg, size_t fixed, size_t rdlen, struct weft_dns_query *q)
{
	size_t o = fixed + 10, end = o + rdlen;

	if (q->edns)
		return DNS_PQ_FORMERR; /* one OPT at most */
	q->edns = true;
	q->opt_class_off = fixed + 2;
	q->edns_size = weft_dns_get16(msg + fixed + 2);
	q->edns_version = msg[fixed + 5];
	q->edns_do = (weft_dns_get16(msg + fixed + 6) & DNS_EDNS_DO) != 0;
	while (o < end) {
		if (o + 4 > end)
			return DNS_PQ_FORMERR;
		o += 4 + (size_t)weft_dns_get16(msg + o + 2);
		if (o > end)
			return DNS_PQ_FORMERR;
	}
	return DNS_PQ_OK;
}

weft_dns_pq_t weft_dns_wire_parse_query(const uint8_t *msg, size_t len, struct weft_dns_query *q)
{
	size_t off = DNS_HDR_LEN, nrr, i;
	uint16_t an, ns;

	memset(q, 0, sizeof(*q));
	if (len < DNS_HDR_LEN)
		return DNS_PQ_DROP;
	q->id = weft_dns_get16(msg);
	q->flags = weft_dns_get16(msg + 2);
	if (q->flags & DNS_F_QR)
		return DNS_PQ_DROP; /* never answer a response: no reflection loops */
	if (q->flags & DNS_F_OPCODE)
		return DNS_PQ_NOTIMP;
	if (weft_dns_get16(msg + 4) != 1)
		return DNS_PQ_FORMERR;
	an = weft_dns_get16(msg + 6);
	ns = weft_dns_get16(msg + 8);
	nrr = (size_t)an + ns + weft_dns_get16(msg + 10);

	if (weft_dns_wire_name_read(msg, len, &off, &q->qname) != 0 || off + 4 > len)
		return DNS_PQ_FORMERR;
	q->qtype = weft_dns_get16(msg + off);
	q->qclass = weft_dns_get16(msg + off + 2);
	off += 4;
	q->have_question = true;
	q->qend = off;
	if (q->qtype == DNS_T_OPT)
		return DNS_PQ_FORMERR;

	for (i = 0; i < nrr; i++) {
		struct weft_dns_name owner;
		size_t rdlen;
		uint16_t type;

		if (weft_dns_wire_name_read(msg, len, &off, &owner) != 0 || off + 10 > len)
			return DNS_PQ_FORMERR;
		type = weft_dns_get16(msg + off);
		rdlen = weft_dns_get16(msg + off + 8);
		if (off + 10 + rdlen > len)
			return DNS_PQ_FORMERR;
		if (type == DNS_T_OPT) {
			weft_dns_pq_t r;

			if (i < (size_t)an + ns || owner.len != 1)
				return DNS_PQ_FORMERR;
			r = parse_opt(msg, off, rdlen, q);
			if (r != DNS_PQ_OK)
				return r;
		}
		off += 10 + rdlen;
	}
	if (off != len)
		return DNS_PQ_FORMERR;
	if (q->edns && q->edns_version > 0)
		return DNS_PQ_BADVERS;
	return DNS_PQ_OK;
}

size_t weft_dns_wire_reply_limit(const struct weft_dns_query *q, size_t cap, bool tcp)
{
	size_t lim;

	if (tcp)
		return cap < WEFT_DNS_TCP_MAX ? cap : WEFT_DNS_TCP_MAX;
	lim = WEFT_DNS_UDP_MIN;
	if (q->edns) {
		lim = q->edns_size;
		if (lim < WEFT_DNS_UDP_MIN)
			lim = WEFT_DNS_UDP_MIN;
		if (lim > WEFT_DNS_UDP_MAX)
			lim = WEFT_DNS_UDP_MAX;
	}
	return lim < cap ? lim : cap;
}

void weft_dns_wire_begin(struct weft_dns_builder *b, uint8_t *buf, size_t cap)
{
	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->nptr = 0;
}

int weft_dns_wire_put(struct weft_dns_builder *b, const void *p, size_t n)
{
	if (n > b->cap - b->len)
		return WEFT_EOVERSIZE;
	if (n)
		memcpy(b->buf + b->len, p, n);
	b->len += n;
	return 0;
}

int weft_dns_wire_put16(struct weft_dns_builder *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return weft_dns_wire_put(b, x, 2);
}

int weft_dns_wire_put32(struct weft_dns_builder *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	return weft_dns_wire_put(b, x, 4);
}

int weft_dns_wire_header(struct weft_dns_builder *b, uint16_t id, uint16_t flags)
{
	uint8_t h[DNS_HDR_LEN] = { 0 };

	weft_dns_set16(h, id);
	weft_dns_set16(h + 2, flags);
	return weft_dns_wire_put(b, h, sizeof(h));
}

void weft_dns_wire_set_flags(struct weft_dns_builder *b, uint16_t flags)
{
	weft_dns_set16(b->buf + 2, flags);
}

uint16_t weft_dns_wire_flags(const struct weft_dns_builder *b)
{
	return weft_dns_get16(b->buf + 2);
}

void weft_dns_wire_count(struct weft_dns_builder *b, unsigned section)
{
	uint8_t *p = b->buf + 4 + 2 * section;

	weft_dns_set16(p, (uint16_t)(weft_dns_get16(p) + 1));
}

static void remember(struct weft_dns_builder *b, size_t off)
{
	/* A pointer holds 14 bits of offset. */
	if (off < 0x4000 && b->nptr < DNS_COMP_MAX)
		b->ptr[b->nptr++] = (uint16_t)off;
}

int weft_dns_wire_question(struct weft_dns_builder *b, const uint8_t *q, size_t len)
{
	size_t start = b->len, p = 0;
	int ret;

	ret = weft_dns_wire_put(b, q, len);
	if (ret)
		return ret;
	while (p < len && q[p] != 0 && q[p] <= DNS_LABEL_MAX) {
		remember(b, start + p);
		p += 1 + (size_t)q[p];
	}
	return 0;
}

/* Does the name at buf[t] (our own output, maybe compressed) equal the
 * lower-case wire name s? */
static bool name_at_equals(const uint8_t *buf, size_t blen, size_t t, const uint8_t *s)
{
	unsigned hops = 0;

	for (;;) {
		uint8_t c, j;

		if (t >= blen)
			return false;
		c = buf[t];
		if ((c & 0xc0) == 0xc0) {
			if (++hops > DNS_NAME_MAX || t + 1 >= blen)
				return false;
			t = (size_t)(c & 0x3f) << 8 | buf[t + 1];
			continue;
		}
		if (c != *s)
			return false;
		if (c == 0)
			return true;
		if (t + 1 + c > blen)
			return false;
		for (j = 1; j <= c; j++) {
			if (lower(buf[t + j]) != s[j])
				return false;
		}
		t += 1 + (size_t)c;
		s += 1 + (size_t)c;
	}
}

int weft_dns_wire_name(struct weft_dns_builder *b, const struct weft_dns_name *n, bool compress)
{
	unsigned i, k;

	if (compress) {
		/* The longest suffix already in the message wins: try from the
		 * whole name down to its last label. */
		for (i = 0; i < n->nlabels; i++) {
			const uint8_t *s = n->b + n->lab[i];

			for (k = 0; k < b->nptr; k++) {
				size_t start = b->len, j;
				uint16_t t = b->ptr[k];

				if (!name_at_equals(b->buf, b->len, t, s))
					continue;
				if ((size_t)n->lab[i] + 2 > b->cap - b->len)
					return WEFT_EOVERSIZE;
				memcpy(b->buf + b->len, n->b, n->lab[i]);
				b->len += n->lab[i];
				weft_dns_set16(b->buf + b->len, (uint16_t)(0xc000u | t));
				b->len += 2;
				for (j = 0; j < i; j++)
					remember(b, start + n->lab[j]);
				return 0;
			}
		}
	}
	if (n->len > b->cap - b->len)
		return WEFT_EOVERSIZE;
	if (compress) {
		for (i = 0; i < n->nlabels; i++)
			remember(b, b->len + n->lab[i]);
	}
	memcpy(b->buf + b->len, n->b, n->len);
	b->len += n->len;
	return 0;
}

void weft_dns_wire_mark(const struct weft_dns_builder *b, struct weft_dns_mark *m)
{
	unsigned i;

	m->len = b->len;
	m->nptr = b->nptr;
	for (i = 0; i < 4; i++)
		m->counts[i] = b->len >= DNS_HDR_LEN ? weft_dns_get16(b->buf + 4 + 2 * i) : 0;
}

void weft_dns_wire_rollback(struct weft_dns_builder *b, const struct weft_dns_mark *m)
{
	unsigned i;

	b->len = m->len;
	b->nptr = m->nptr;
	if (b->len >= DNS_HDR_LEN) {
		for (i = 0; i < 4; i++)
			weft_dns_set16(b->buf + 4 + 2 * i, m->counts[i]);
	}
}

int weft_dns_wire_rr_begin(struct weft_dns_builder *b, const struct weft_dns_name *owner, uint16_t type,
			   uint16_t klass, uint32_t ttl, size_t *rdlen_at)
{
	struct weft_dns_mark m;
	int ret;

	weft_dns_wire_mark(b, &m);
	ret = weft_dns_wire_name(b, owner, true);
	if (!ret && 10 > b->cap - b->len)
		ret = WEFT_EOVERSIZE;
	if (ret) {
		weft_dns_wire_rollback(b, &m);
		return ret;
	}
	weft_dns_wire_put16(b, type);
	weft_dns_wire_put16(b, klass);
	weft_dns_wire_put32(b, ttl);
	*rdlen_at = b->len;
	weft_dns_wire_put16(b, 0);
	return 0;
}

void weft_dns_wire_rr_end(struct weft_dns_builder *b, size_t rdlen_at)
{
	weft_dns_set16(b->buf + rdlen_at, (uint16_t)(b->len - rdlen_at - 2));
}

int weft_dns_wire_opt(struct weft_dns_builder *b, uint16_t size, uint8_t ext_rcode, bool dnssec_ok)
{
	uint8_t o[DNS_OPT_LEN] = { 0 };

	weft_dns_set16(o + 1, DNS_T_OPT);
	weft_dns_set16(o + 3, size);
	o[5] = ext_rcode;
	o[6] = 0; /* version 0 */
	weft_dns_set16(o + 7, dnssec_ok ? DNS_EDNS_DO : 0);
	return weft_dns_wire_put(b, o, sizeof(o));
}
