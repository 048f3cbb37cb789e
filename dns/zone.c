/* Building the zone snapshot from a view and the admin's DNS entries: the
 * owner names and their records, empty non-terminals, the SOAs, the serial,
 * the name conflicts and the hashed name table. The result never changes;
 * answer.c reads it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "dns/zone.h"

#define TTL_MAX 0x7fffffffu /* RFC 2181 §8 */
#define SOA_REFRESH 3600u
#define SOA_RETRY 600u
#define SOA_EXPIRE 86400u

enum { SRC_MEMBER = 0, SRC_ENTRY = 1, SRC_SOA = 2 };

/* A record while the zone is being built: names and rdata in the pool. */
struct brr {
	uint32_t owner;
	uint8_t owner_len;
	uint8_t src;
	uint8_t dead;
	uint16_t type;
	uint16_t rdlen;
	uint32_t ttl;
	uint32_t rdata;
};

struct claim {
	uint32_t owner;
	uint8_t owner_len;
	size_t idx; /* in the view */
};

struct cfx {
	size_t idx; /* in the view, to report in view order */
	struct weft_dns_conflict c;
};

struct bld {
	weft_dns_zone_t *z;
	uint8_t *pool;
	size_t plen, pcap;
	struct brr *v;
	size_t n, vcap;
	size_t nentries; /* v[0..nentries) are the admin's, sorted once added */
	struct cfx *cf;
	size_t ncf, cfcap;
	uint32_t member_ttl;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

static int pool_add(struct bld *b, const void *p, size_t n, uint32_t *off)
{
	int ret;

	if (b->plen + n > UINT32_MAX)
		return WEFT_EOVERSIZE;
	ret = grow((void **)&b->pool, &b->pcap, b->plen + n, 1);
	if (ret)
		return ret;
	memcpy(b->pool + b->plen, p, n);
	*off = (uint32_t)b->plen;
	b->plen += n;
	return 0;
}

static int rr_add(struct bld *b, uint32_t owner, uint8_t owner_len, uint16_t type, uint32_t ttl, const void *rdata,
		  size_t rdlen, uint8_t src)
{
	struct brr *r;
	int ret;

	ret = grow((void **)&b->v, &b->vcap, b->n + 1, sizeof(*b->v));
	if (ret)
		return ret;
	r = &b->v[b->n];
	memset(r, 0, sizeof(*r));
	ret = pool_add(b, rdata, rdlen, &r->rdata);
	if (ret)
		return ret;
	r->owner = owner;
	r->owner_len = owner_len;
	r->type = type;
	r->ttl = ttl > TTL_MAX ? TTL_MAX : ttl;
	r->rdlen = (uint16_t)rdlen;
	r->src = src;
	b->n++;
	return 0;
}

static int conflict_add(struct bld *b, size_t idx, const struct weft_member_view *m, uint8_t why,
			const weft_pk_t *winner)
{
	struct cfx *c;
	int ret;

	ret = grow((void **)&b->cf, &b->cfcap, b->ncf + 1, sizeof(*b->cf));
	if (ret)
		return ret;
	c = &b->cf[b->ncf++];
	memset(c, 0, sizeof(*c));
	c->idx = idx;
	c->c.node_id = m->node_id;
	c->c.why = why;
	if (winner)
		c->c.winner = *winner;
	/* A name the view gave another member (core/view.c) is the one it
	 * asked for. */
	memcpy(c->c.name, m->name[0] ? m->name : m->name_lost, sizeof(c->c.name) - 1);
	return 0;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int bytes_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return (alen > blen) - (alen < blen);
}

/* The order of records: by owner bytes, type, rdata and ttl. Any total
 * order on the content would do; this one keeps an owner's records and an
 * RRset's records adjacent, and makes the serial independent of input
 * order. */
static int brr_cmp(const void *x, const void *y, void *ctx)
{
	const struct brr *a = x, *b = y;
	const uint8_t *pool = ctx;
	int c;

	c = bytes_cmp(pool + a->owner, a->owner_len, pool + b->owner, b->owner_len);
	if (c)
		return c;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	c = bytes_cmp(pool + a->rdata, a->rdlen, pool + b->rdata, b->rdlen);
	if (c)
		return c;
	if (a->ttl != b->ttl)
		return a->ttl < b->ttl ? -1 : 1;
	return (a->src > b->src) - (a->src < b->src);
}

static int claim_cmp(const void *x, const void *y, void *ctx)
{
	const struct claim *a = x, *b = y;
	const uint8_t *pool = ctx;
	int c;

	c = bytes_cmp(pool + a->owner, a->owner_len, pool + b->owner, b->owner_len);
	if (c)
		return c;
	return (a->idx > b->idx) - (a->idx < b->idx);
}

static int cfx_cmp(const void *x, const void *y)
{
	const struct cfx *a = x, *b = y;

	return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Is there an admin entry of this type at owner? v[0..nentries) is sorted. */
static bool has_entry(const struct bld *b, const struct weft_dns_name *owner, uint16_t type)
{
	size_t lo = 0, hi = b->nentries;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct brr *r = &b->v[mid];
		int c = bytes_cmp(b->pool + r->owner, r->owner_len, owner->b, owner->len);

		if (c == 0)
			c = r->type < type ? -1 : r->type > type;
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void put_label(struct weft_dns_name *n, size_t *pos, const char *s, size_t len)
{
	n->b[(*pos)++] = (uint8_t)len;
	memcpy(n->b + *pos, s, len);
	*pos += len;
}

/* The reverse name of the first units octets (IPv4) or nibbles (IPv6) of
 * ip: "c.b.a.in-addr.arpa", "n.n.n.ip6.arpa". */
static void reverse_name(struct weft_dns_name *n, const weft_ip_t *ip, unsigned units)
{
	static const char hex[] = "0123456789abcdef";
	size_t pos = 0;
	unsigned i;

	for (i = units; i-- > 0;) {
		char d[4];
		size_t l = 0;

		if (ip->family == 4) {
			unsigned o = ip->b[i];

			if (o >= 100)
				d[l++] = (char)('0' + o / 100);
			if (o >= 10)
				d[l++] = (char)('0' + o / 10 % 10);
			d[l++] = (char)('0' + o % 10);
		} else {
			d[l++] = hex[(ip->b[i / 2] >> ((i & 1) ? 0 : 4)) & 0xf];
		}
		put_label(n, &pos, d, l);
	}
	if (ip->family == 4) {
		put_label(n, &pos, "in-addr", 7);
		put_label(n, &pos, "arpa", 4);
	} else {
		put_label(n, &pos, "ip6", 3);
		put_label(n, &pos, "arpa", 4);
	}
	n->b[pos++] = 0;
	n->len = (uint8_t)pos;
	weft_dns_wire_name_index(n);
}

static int set_origin(weft_dns_zone_t *z, const struct weft_rec_network *net)
{
	char text[WEFT_DOMAIN_MAX + 16];
	size_t dl = strnlen(net->domain, sizeof(net->domain));
	size_t nl = strnlen(net->name, sizeof(net->name));
	int ret;

	if (dl) {
		memcpy(text, net->domain, dl);
		text[dl] = '\0';
	} else {
		memcpy(text, net->name, nl);
		memcpy(text + nl, ".internal", sizeof(".internal"));
	}
	ret = weft_dns_wire_name_from_text(&z->origin, text, false);
	if (ret)
		return ret;
	if (z->origin.nlabels == 0)
		return WEFT_EMALFORMED;
	weft_dns_wire_name_to_text(&z->origin, z->origin_text, sizeof(z->origin_text));
	return 0;
}

static void set_reverse(weft_dns_zone_t *z, const struct weft_rec_network *net)
{
	const weft_cidr_t *c[2] = { &net->cidr4, &net->cidr6 };
	unsigned i;

	for (i = 0; i < 2; i++) {
		struct weft_dns_rzone *r = &z->rev[z->nrev];
		unsigned bits;

		if (c[i]->ip.family != (i ? 6 : 4))
			continue;
		bits = i ? 4 : 8;
		if (c[i]->prefix > (i ? 128 : 32))
			continue;
		r->cidr = *c[i];
		reverse_name(&r->apex, &c[i]->ip, c[i]->prefix / bits);
		z->nrev++;
	}
}

/* A name an entry refers to: "@" is the apex, no dot is relative to the
 * origin, a dot anywhere makes it a full name. */
static int target_name(const weft_dns_zone_t *z, const char *text, struct weft_dns_name *n)
{
	int ret;

	if (!strcmp(text, "@")) {
		*n = z->origin;
		return 0;
	}
	ret = weft_dns_wire_name_from_text(n, text, false);
	if (ret)
		return ret;
	if (!strchr(text, '.'))
		return weft_dns_wire_name_append(n, &z->origin);
	return 0;
}

/* An entry's owner: relative to the origin unless it ends with a dot. */
static int entry_owner(const weft_dns_zone_t *z, const char *text, struct weft_dns_name *n)
{
	size_t l = strlen(text);
	int ret;

	if (l == 0 || !strcmp(text, "@")) {
		*n = z->origin;
		return 0;
	}
	ret = weft_dns_wire_name_from_text(n, text, true);
	if (ret)
		return ret;
	if (text[l - 1] == '.')
		return weft_dns_wire_name_under(n, &z->origin, NULL) ? 0 : WEFT_EMALFORMED;
	return weft_dns_wire_name_append(n, &z->origin);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int parse_u16(const char **s, uint16_t *out)
{
	const char *p = *s;
	uint32_t v = 0;
	unsigned nd = 0;

	while (is_space(*p))
		p++;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (uint32_t)(*p++ - '0');
		if (++nd > 5 || v > 65535)
			return WEFT_EMALFORMED;
	}
	if (nd == 0 || !is_space(*p))
		return WEFT_EMALFORMED;
	*out = (uint16_t)v;
	*s = p;
	return 0;
}

/* "PRIORITY WEIGHT PORT TARGET" to SRV rdata (target uncompressed). */
static int srv_rdata(const weft_dns_zone_t *z, const char *value, uint8_t *rd, size_t *rdlen)
{
	char target[WEFT_DNS_VALUE_MAX + 1];
	struct weft_dns_name n;
	const char *p = value;
	uint16_t f[3];
	size_t tl = 0;
	unsigned i;
	int ret;

	for (i = 0; i < 3; i++) {
		ret = parse_u16(&p, &f[i]);
		if (ret)
			return ret;
		weft_dns_set16(rd + 2 * i, f[i]);
	}
	while (is_space(*p))
		p++;
	while (p[tl] && !is_space(p[tl]))
		tl++;
	memcpy(target, p, tl);
	target[tl] = '\0';
	for (p += tl; is_space(*p); p++)
		;
	if (tl == 0 || *p)
		return WEFT_EMALFORMED;
	ret = strcmp(target, ".") ? target_name(z, target, &n) : weft_dns_wire_name_from_text(&n, "", false);
	if (ret)
		return ret;
	memcpy(rd + 6, n.b, n.len);
	*rdlen = 6 + (size_t)n.len;
	return 0;
}

/* 0 added, 1 skipped (does not parse), < 0 error. */
static int add_entry(struct bld *b, const struct weft_rec_dns *e)
{
	char name[WEFT_DOMAIN_MAX + 1], value[WEFT_DNS_VALUE_MAX + 1];
	uint8_t rd[6 + DNS_NAME_MAX];
	struct weft_dns_name owner, n;
	size_t rdlen = 0;
	weft_ip_t ip;
	uint32_t off;
	int ret;

	/* The record codec should have bounded these; copy anyway so a
	 * missing NUL cannot walk us off the struct. */
	memcpy(name, e->name, sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memcpy(value, e->value, sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';

	if (entry_owner(b->z, name, &owner))
		return 1;
	switch (e->rtype) {
	case WEFT_DNS_A:
	case WEFT_DNS_AAAA:
		if (weft_ip_parse(&ip, value) || ip.family != (e->rtype == WEFT_DNS_A ? 4 : 6))
			return 1;
		rdlen = ip.family == 4 ? 4 : 16;
		memcpy(rd, ip.b, rdlen);
		break;
	case WEFT_DNS_CNAME:
		/* A CNAME at the apex would hide the SOA (RFC 1912 §2.4). */
		if (owner.len == b->z->origin.len || target_name(b->z, value, &n) || n.nlabels == 0)
			return 1;
		memcpy(rd, n.b, n.len);
		rdlen = n.len;
		break;
	case WEFT_DNS_TXT:
		rdlen = strlen(value);
		rd[0] = (uint8_t)rdlen;
		memcpy(rd + 1, value, rdlen);
		rdlen++;
		break;
	case WEFT_DNS_SRV:
		if (srv_rdata(b->z, value, rd, &rdlen))
			return 1;
		break;
	default:
		return 1;
	}
	ret = pool_add(b, owner.b, owner.len, &off);
	if (ret)
		return ret;
	return rr_add(b, off, owner.len, e->rtype, e->ttl, rd, rdlen, SRC_ENTRY);
}

static int add_entries(struct bld *b, const struct weft_rec_dns *const *e, size_t n)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		if (!e[i] || e[i]->deleted)
			continue;
		ret = add_entry(b, e[i]);
		if (ret < 0)
			return ret;
		if (ret > 0)
			b->z->st.skipped++;
	}
	b->nentries = b->n;
	if (b->n > 1)
		qsort_r(b->v, b->n, sizeof(*b->v), brr_cmp, b->pool);
	return 0;
}

static int add_ptr(struct bld *b, const weft_ip_t *ip, const struct weft_dns_name *target)
{
	const weft_dns_zone_t *z = b->z;
	struct weft_dns_name rn;
	unsigned i;
	uint32_t off;
	int ret;

	for (i = 0; i < z->nrev; i++) {
		if (z->rev[i].cidr.ip.family != ip->family || !weft_cidr_contains(&z->rev[i].cidr, ip))
			continue;
		reverse_name(&rn, ip, ip->family == 4 ? 4 : 32);
		ret = pool_add(b, rn.b, rn.len, &off);
		if (ret)
			return ret;
		return rr_add(b, off, rn.len, DNS_T_PTR, b->member_ttl, target->b, target->len, SRC_MEMBER);
	}
	return 0;
}

/* The records of a member that keeps its name. */
static int add_member(struct bld *b, const struct weft_member_view *m, const struct claim *c)
{
	struct weft_dns_name owner;
	int ret;

	owner.len = c->owner_len;
	memcpy(owner.b, b->pool + c->owner, c->owner_len);
	weft_dns_wire_name_index(&owner);
	if (m->address4.family == 4 && !has_entry(b, &owner, DNS_T_A)) {
		ret = rr_add(b, c->owner, c->owner_len, DNS_T_A, b->member_ttl, m->address4.b, 4, SRC_MEMBER);
		if (ret)
			return ret;
	}
	if (m->address6.family == 6 && !has_entry(b, &owner, DNS_T_AAAA)) {
		ret = rr_add(b, c->owner, c->owner_len, DNS_T_AAAA, b->member_ttl, m->address6.b, 16, SRC_MEMBER);
		if (ret)
			return ret;
	}
	if (m->address4.family == 4 && (ret = add_ptr(b, &m->address4, &owner)))
		return ret;
	if (m->address6.family == 6 && (ret = add_ptr(b, &m->address6, &owner)))
		return ret;
	b->z->st.members++;
	return 0;
}

static int add_members(struct bld *b, const weft_view_t *v)
{
	struct claim *cl = NULL;
	size_t ncl = 0, i, j;
	int ret = 0;

	cl = calloc(v->nmembers ? v->nmembers : 1, sizeof(*cl));
	if (!cl)
		return -ENOMEM;
	for (i = 0; i < v->nmembers; i++) {
		const struct weft_member_view *m = &v->members[i];
		char text[WEFT_NAME_MAX + 1];
		struct weft_dns_name n;

		if (m->status == WEFT_MEMBER_ACTIVE && m->name[0] == '\0' && m->name_lost[0]) {
			/* The view gave its name to an earlier member. */
			ret = conflict_add(b, i, m, WEFT_DNS_LOST_TAKEN, &m->name_holder);
			if (ret)
				goto out;
			continue;
		}
		if (m->status != WEFT_MEMBER_ACTIVE || m->name[0] == '\0')
			continue;
		memcpy(text, m->name, sizeof(text) - 1);
		text[sizeof(text) - 1] = '\0';
		if (weft_dns_wire_name_from_text(&n, text, false) || n.nlabels != 1 ||
		    weft_dns_wire_name_append(&n, &b->z->origin)) {
			ret = conflict_add(b, i, m, WEFT_DNS_LOST_INVALID, NULL);
			if (ret)
				goto out;
			continue;
		}
		ret = pool_add(b, n.b, n.len, &cl[ncl].owner);
		if (ret)
			goto out;
		cl[ncl].owner_len = n.len;
		cl[ncl].idx = i;
		ncl++;
	}
	if (ncl > 1)
		qsort_r(cl, ncl, sizeof(*cl), claim_cmp, b->pool);
	/* Sorted by (name, view index): the first of each run keeps the name. */
	for (i = 0; i < ncl; i = j) {
		const struct weft_member_view *w = &v->members[cl[i].idx];
		struct weft_dns_name owner;

		for (j = i + 1; j < ncl && !bytes_cmp(b->pool + cl[j].owner, cl[j].owner_len, b->pool + cl[i].owner,
						      cl[i].owner_len);
		     j++) {
			ret = conflict_add(b, cl[j].idx, &v->members[cl[j].idx], WEFT_DNS_LOST_TAKEN, &w->node_id);
			if (ret)
				goto out;
		}
		owner.len = cl[i].owner_len;
		memcpy(owner.b, b->pool + cl[i].owner, owner.len);
		if (has_entry(b, &owner, DNS_T_CNAME)) {
			ret = conflict_add(b, cl[i].idx, w, WEFT_DNS_LOST_ENTRY, NULL);
			if (ret)
				goto out;
			continue;
		}
		ret = add_member(b, w, &cl[i]);
		if (ret)
			goto out;
	}
out:
	free(cl);
	return ret;
}

/* One SOA per apex; the serial is patched in once the content is known. */
static int add_soas(struct bld *b)
{
	const weft_dns_zone_t *z = b->z;
	struct weft_dns_name rname;
	uint8_t rd[2 * DNS_NAME_MAX + 20];
	const struct weft_dns_name *apex[3];
	size_t rdlen, i, napex = 0;
	uint32_t off;
	int ret;

	weft_dns_wire_name_from_text(&rname, "hostmaster", false);
	if (weft_dns_wire_name_append(&rname, &z->origin))
		rname = z->origin;
	memcpy(rd, z->origin.b, z->origin.len);
	rdlen = z->origin.len;
	memcpy(rd + rdlen, rname.b, rname.len);
	rdlen += rname.len;
	be32(rd + rdlen, 0); /* the serial, patched in by set_serial() */
	be32(rd + rdlen + 4, SOA_REFRESH);
	be32(rd + rdlen + 8, SOA_RETRY);
	be32(rd + rdlen + 12, SOA_EXPIRE);
	be32(rd + rdlen + 16, WEFT_DNS_NEG_TTL);
	rdlen += 20;

	apex[napex++] = &z->origin;
	for (i = 0; i < z->nrev; i++)
		apex[napex++] = &z->rev[i].apex;
	for (i = 0; i < napex; i++) {
		ret = pool_add(b, apex[i]->b, apex[i]->len, &off);
		if (ret)
			return ret;
		ret = rr_add(b, off, apex[i]->len, DNS_T_SOA, WEFT_DNS_NEG_TTL, rd, rdlen, SRC_SOA);
		if (ret)
			return ret;
	}
	return 0;
}

/* Sorted records: drop exact duplicates, keep a CNAME alone at its name,
 * give every RRset one TTL (the lowest). */
static void normalize(struct bld *b)
{
	size_t i, j, k, out = 0;

	for (i = 0; i < b->n; i = j) {
		const struct brr *o = &b->v[i];
		bool cname = false;

		for (j = i; j < b->n &&
			    !bytes_cmp(b->pool + b->v[j].owner, b->v[j].owner_len, b->pool + o->owner, o->owner_len);
		     j++) {
			struct brr *r = &b->v[j];

			if (j > i && r->type == b->v[j - 1].type && r->rdlen == b->v[j - 1].rdlen &&
			    !memcmp(b->pool + r->rdata, b->pool + b->v[j - 1].rdata, r->rdlen))
				r->dead = 1;
			if (r->type == DNS_T_CNAME && !r->dead)
				cname = true;
		}
		if (!cname)
			continue;
		/* One CNAME and nothing else (RFC 1034 §3.6.2). */
		for (k = i; k < j; k++) {
			struct brr *r = &b->v[k];

			if (r->dead)
				continue;
			if (r->type == DNS_T_CNAME && cname) {
				cname = false;
				continue;
			}
			r->dead = 1;
			if (r->src == SRC_ENTRY)
				b->z->st.skipped++;
		}
	}
	for (i = 0; i < b->n; i++) {
		if (!b->v[i].dead)
			b->v[out++] = b->v[i];
	}
	b->n = out;
	for (i = 0; i < b->n; i = j) {
		uint32_t ttl = b->v[i].ttl;

		for (j = i + 1; j < b->n && b->v[j].type == b->v[i].type && b->v[j].owner_len == b->v[i].owner_len &&
				!memcmp(b->pool + b->v[j].owner, b->pool + b->v[i].owner, b->v[i].owner_len);
		     j++) {
			if (b->v[j].ttl < ttl)
				ttl = b->v[j].ttl;
		}
		for (k = i; k < j; k++)
			b->v[k].ttl = ttl;
	}
}

/* The serial: BLAKE2b over every record but the SOAs, in sorted order, so
 * it changes with the content and is the same on every node. */
static void set_serial(struct bld *b)
{
	crypto_generichash_state st;
	uint8_t h[8];
	size_t i;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	for (i = 0; i < b->n; i++) {
		const struct brr *r = &b->v[i];
		uint8_t f[8];

		if (r->type == DNS_T_SOA)
			continue;
		weft_dns_set16(f, r->type);
		be32(f + 2, r->ttl);
		weft_dns_set16(f + 6, r->rdlen);
		crypto_generichash_update(&st, &r->owner_len, 1);
		crypto_generichash_update(&st, b->pool + r->owner, r->owner_len);
		crypto_generichash_update(&st, f, sizeof(f));
		crypto_generichash_update(&st, b->pool + r->rdata, r->rdlen);
	}
	crypto_generichash_final(&st, h, sizeof(h));
	b->z->serial = weft_dns_get32(h);
	if (b->z->serial == 0)
		b->z->serial = 1;
	for (i = 0; i < b->n; i++) {
		const struct brr *r = &b->v[i];
		uint8_t *s;

		if (r->type != DNS_T_SOA)
			continue;
		s = b->pool + r->rdata + r->rdlen - 20;
		be32(s, b->z->serial);
	}
}

static int node_cmp(const void *x, const void *y, void *ctx)
{
	const struct weft_dns_node *a = x, *b = y;
	const uint8_t *pool = ctx;

	return bytes_cmp(pool + a->name, a->name_len, pool + b->name, b->name_len);
}

static uint64_t name_hash(const weft_dns_zone_t *z, const uint8_t *name, size_t len)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;
	unsigned i;

	crypto_shorthash(h, name, len, z->hash_key);
	for (i = 0; i < sizeof(h); i++)
		v |= (uint64_t)h[i] << (8 * i);
	return v;
}

/* Owner names (with the empty non-terminals above forward owners), their
 * record ranges and the hash table. */
static int build_nodes(struct bld *b)
{
	weft_dns_zone_t *z = b->z;
	struct weft_dns_node *nd = NULL;
	size_t nn = 0, ncap = 0, i, j, k, nslots;
	int ret;

	for (i = 0; i < b->n; i = j) {
		const struct brr *r = &b->v[i];
		struct weft_dns_name owner;
		unsigned depth;

		for (j = i + 1; j < b->n && b->v[j].owner_len == r->owner_len &&
				!memcmp(b->pool + b->v[j].owner, b->pool + r->owner, r->owner_len);
		     j++)
			;
		owner.len = r->owner_len;
		memcpy(owner.b, b->pool + r->owner, owner.len);
		weft_dns_wire_name_index(&owner);
		depth = 0;
		weft_dns_wire_name_under(&owner, &z->origin, &depth);
		ret = grow((void **)&nd, &ncap, nn + depth + 1, sizeof(*nd));
		if (ret)
			goto fail;
		/* The name itself, then every ancestor strictly between it and
		 * the origin: a suffix of a wire name is a wire name, so the
		 * ancestors point into the owner's bytes. */
		for (k = 0; k < (depth ? depth : 1); k++) {
			nd[nn].name = r->owner + owner.lab[k];
			nd[nn].name_len = (uint8_t)(owner.len - owner.lab[k]);
			nd[nn].rr = 0;
			nd[nn].nrr = 0;
			nn++;
		}
	}
	if (nn > 1)
		qsort_r(nd, nn, sizeof(*nd), node_cmp, b->pool);
	for (i = 0, k = 0; i < nn; i++) {
		if (k && !node_cmp(&nd[k - 1], &nd[i], b->pool))
			continue;
		nd[k++] = nd[i];
	}
	nn = k;
	/* Records and nodes share one order, so one pass pairs them. */
	for (i = 0, j = 0; i < nn; i++) {
		nd[i].rr = (uint32_t)j;
		while (j < b->n && b->v[j].owner_len == nd[i].name_len &&
		       !memcmp(b->pool + b->v[j].owner, b->pool + nd[i].name, nd[i].name_len))
			j++;
		nd[i].nrr = (uint32_t)(j - nd[i].rr);
	}

	z->rrs = calloc(b->n ? b->n : 1, sizeof(*z->rrs));
	for (nslots = 16; nslots < 2 * nn; nslots *= 2)
		;
	z->slots = calloc(nslots, sizeof(*z->slots));
	if (!z->rrs || !z->slots) {
		ret = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < b->n; i++) {
		z->rrs[i].type = b->v[i].type;
		z->rrs[i].rdlen = b->v[i].rdlen;
		z->rrs[i].ttl = b->v[i].ttl;
		z->rrs[i].rdata = b->v[i].rdata;
	}
	z->nrrs = b->n;
	z->nodes = nd;
	z->nnodes = nn;
	z->slot_mask = nslots - 1;
	for (i = 0; i < nn; i++) {
		size_t s = name_hash(z, b->pool + nd[i].name, nd[i].name_len) & z->slot_mask;

		while (z->slots[s])
			s = (s + 1) & z->slot_mask;
		z->slots[s] = (uint32_t)(i + 1);
	}
	return 0;
fail:
	free(nd);
	return ret;
}

const struct weft_dns_node *weft_dns_zone_find(const weft_dns_zone_t *z, const struct weft_dns_name *n)
{
	size_t s = name_hash(z, n->b, n->len) & z->slot_mask;

	/* The table is at most half full, so an empty slot ends the probe. */
	for (;; s = (s + 1) & z->slot_mask) {
		const struct weft_dns_node *nd;

		if (!z->slots[s])
			return NULL;
		nd = &z->nodes[z->slots[s] - 1];
		if (nd->name_len == n->len && !memcmp(z->pool + nd->name, n->b, n->len))
			return nd;
	}
}

void weft_dns_zone_free(weft_dns_zone_t *z)
{
	if (!z)
		return;
	free(z->pool);
	free(z->rrs);
	free(z->nodes);
	free(z->slots);
	free(z->conflicts);
	free(z);
}

int weft_dns_zone_build_entries(weft_dns_zone_t **out, const weft_view_t *v,
				const struct weft_rec_dns *const *entries, size_t nentries,
				const struct weft_dns_zone_opts *opts)
{
	struct bld b;
	weft_dns_zone_t *z;
	size_t i;
	int ret;

	*out = NULL;
	if (!v->network || v->network->type != WEFT_REC_NETWORK)
		return WEFT_ENOTFOUND;
	memset(&b, 0, sizeof(b));
	z = calloc(1, sizeof(*z));
	if (!z)
		return -ENOMEM;
	b.z = z;
	b.member_ttl = opts && opts->member_ttl ? opts->member_ttl : WEFT_DNS_MEMBER_TTL;
	if (opts)
		memcpy(z->hash_key, opts->hash_key, sizeof(z->hash_key));

	ret = set_origin(z, &v->network->u.network);
	if (ret)
		goto out;
	set_reverse(z, &v->network->u.network);
	ret = add_entries(&b, entries, nentries);
	if (ret)
		goto out;
	ret = add_members(&b, v);
	if (ret)
		goto out;
	ret = add_soas(&b);
	if (ret)
		goto out;
	qsort_r(b.v, b.n, sizeof(*b.v), brr_cmp, b.pool);
	normalize(&b);
	set_serial(&b);
	ret = build_nodes(&b);
	if (ret)
		goto out;

	if (b.ncf) {
		qsort(b.cf, b.ncf, sizeof(*b.cf), cfx_cmp);
		z->conflicts = calloc(b.ncf, sizeof(*z->conflicts));
		if (!z->conflicts) {
			ret = -ENOMEM;
			goto out;
		}
		for (i = 0; i < b.ncf; i++)
			z->conflicts[i] = b.cf[i].c;
		z->nconflicts = b.ncf;
	}
	for (i = 0; i < b.n; i++)
		z->st.entries += b.v[i].src == SRC_ENTRY;
	z->st.names = z->nnodes;
	z->st.rrs = z->nrrs;
	z->st.conflicts = z->nconflicts;
	z->pool = b.pool;
	b.pool = NULL;
	*out = z;
	z = NULL;
out:
	free(b.pool);
	free(b.v);
	free(b.cf);
	weft_dns_zone_free(z);
	return ret;
}

size_t weft_dns_zone_reverse(const weft_dns_zone_t *z, char (*out)[WEFT_DNS_TEXT_MAX], size_t cap)
{
	size_t i;

	for (i = 0; i < z->nrev && i < cap; i++)
		weft_dns_wire_name_to_text(&z->rev[i].apex, out[i], WEFT_DNS_TEXT_MAX);
	return i;
}

void weft_dns_zone_addresses(const weft_dns_zone_t *z, weft_dns_addr_fn cb, void *ctx)
{
	struct weft_dns_name n;
	char text[WEFT_DNS_TEXT_MAX];
	const struct weft_dns_node *nd;
	const struct weft_dns_rr *rr;
	weft_ip_t ip;
	size_t i, j;

	for (i = 0; i < z->nnodes; i++) {
		nd = &z->nodes[i];
		if (!nd->nrr)
			continue;
		memset(&n, 0, sizeof(n));
		memcpy(n.b, z->pool + nd->name, nd->name_len);
		n.len = nd->name_len;
		weft_dns_wire_name_index(&n);
		/* Not a wildcard, and in the forward zone (the reverse zones
		 * hold PTRs only, but say so anyway). */
		if ((n.nlabels && n.b[0] == 1 && n.b[1] == '*') || !weft_dns_wire_name_under(&n, &z->origin, NULL))
			continue;
		text[0] = '\0';
		for (j = 0; j < nd->nrr; j++) {
			rr = &z->rrs[nd->rr + j];
			memset(&ip, 0, sizeof(ip));
			if (rr->type == 1 && rr->rdlen == 4) {
				ip.family = 4;
				memcpy(ip.b, weft_dns_rr_data(z, rr), 4);
			} else if (rr->type == 28 && rr->rdlen == 16) {
				ip.family = 6;
				memcpy(ip.b, weft_dns_rr_data(z, rr), 16);
			} else {
				continue;
			}
			if (!text[0])
				weft_dns_wire_name_to_text(&n, text, sizeof(text));
			if (!cb(ctx, text, &ip))
				return;
		}
	}
}

const char *weft_dns_zone_origin(const weft_dns_zone_t *z)
{
	return z->origin_text;
}

uint32_t weft_dns_zone_serial(const weft_dns_zone_t *z)
{
	return z->serial;
}

void weft_dns_zone_stats(const weft_dns_zone_t *z, struct weft_dns_zone_stats *st)
{
	*st = z->st;
}

size_t weft_dns_zone_conflicts(const weft_dns_zone_t *z, const struct weft_dns_conflict **out)
{
	*out = z->conflicts;
	return z->nconflicts;
}

const struct weft_dns_conflict *weft_dns_zone_conflict_of(const weft_dns_zone_t *z, const weft_pk_t *node_id)
{
	size_t i;

	for (i = 0; i < z->nconflicts; i++) {
		if (!memcmp(z->conflicts[i].node_id.b, node_id->b, sizeof(node_id->b)))
			return &z->conflicts[i];
	}
	return NULL;
}
