/* IPv4/IPv6 addresses, CIDRs and endpoints: strict parsing, printing, and the
 * prefix and offset maths address allocation needs. An address is handled as
 * a big-endian number of 4 or 16 bytes; nothing here does I/O. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/addr.h"
#include "core/error.h"

static unsigned ip_len(unsigned family)
{
	return family == 4 ? 4 : family == 6 ? 16 : 0;
}

static unsigned ip_bits(unsigned family)
{
	return ip_len(family) * 8;
}

/* The byte of a netmask for a prefix of `prefix` bits at byte i. */
static uint8_t mask_byte(unsigned prefix, unsigned i)
{
	if (prefix >= (i + 1) * 8)
		return 0xff;
	if (prefix <= i * 8)
		return 0;
	return (uint8_t)(0xff << (8 - (prefix - i * 8)));
}

int weft_ip_parse(weft_ip_t *ip, const char *s)
{
	weft_ip_t out = { 0 };

	if (!s || !*s)
		return WEFT_EBADADDR;
	/* inet_pton is strict already: dotted quad only for IPv4 (no octal,
	 * no short forms, no leading zeros), no zone index for IPv6. */
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, out.b) != 1)
			return WEFT_EBADADDR;
		out.family = 6;
	} else {
		if (inet_pton(AF_INET, s, out.b) != 1)
			return WEFT_EBADADDR;
		out.family = 4;
	}
	*ip = out;
	return 0;
}

char *weft_ip_format(const weft_ip_t *ip, char *out, size_t len)
{
	int af = ip->family == 4 ? AF_INET : AF_INET6;

	if (len == 0)
		return out;
	out[0] = '\0';
	if ((ip->family == 4 || ip->family == 6) && !inet_ntop(af, ip->b, out, (socklen_t)len))
		out[0] = '\0';
	return out;
}

bool weft_ip_equal(const weft_ip_t *a, const weft_ip_t *b)
{
	return a->family == b->family && memcmp(a->b, b->b, ip_len(a->family)) == 0;
}

int weft_ip_cmp(const weft_ip_t *a, const weft_ip_t *b)
{
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = memcmp(a->b, b->b, ip_len(a->family));
	return c < 0 ? -1 : c > 0 ? 1 : 0;
}

/* Decimal without sign, spaces or leading zeros, at most max. */
static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	unsigned v = 0;
	const char *p;

	if (!*s || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9' || p - s >= 5)
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int weft_cidr_parse(weft_cidr_t *c, const char *s)
{
	char buf[WEFT_ADDRSTRLEN];
	const char *slash;
	weft_cidr_t out = { 0 };
	unsigned prefix, i;

	if (!s)
		return WEFT_EBADCIDR;
	slash = strrchr(s, '/');
	/* A bare address is refused: "10.0.0.0" could mean /8, /24 or /32. */
	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return WEFT_EBADCIDR;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (weft_ip_parse(&out.ip, buf) != 0)
		return WEFT_EBADCIDR;
	if (parse_uint(slash + 1, ip_bits(out.ip.family), &prefix) != 0)
		return WEFT_EBADCIDR;
	out.prefix = (uint8_t)prefix;
	for (i = 0; i < ip_len(out.ip.family); i++)
		if (out.ip.b[i] & ~mask_byte(prefix, i))
			return WEFT_EBADCIDR;
	*c = out;
	return 0;
}

char *weft_cidr_format(const weft_cidr_t *c, char *out, size_t len)
{
	char ip[WEFT_ADDRSTRLEN];

	if (len == 0)
		return out;
	out[0] = '\0';
	if (c->ip.family != 4 && c->ip.family != 6)
		return out;
	weft_ip_format(&c->ip, ip, sizeof(ip));
	if ((size_t)snprintf(out, len, "%s/%u", ip, c->prefix) >= len)
		out[0] = '\0';
	return out;
}

/* Whether a and b agree on their first `prefix` bits. */
static bool same_prefix(const uint8_t *a, const uint8_t *b, unsigned prefix, unsigned len)
{
	unsigned i;

	for (i = 0; i < len; i++)
		if ((a[i] ^ b[i]) & mask_byte(prefix, i))
			return false;
	return true;
}

bool weft_cidr_contains(const weft_cidr_t *c, const weft_ip_t *ip)
{
	if (c->ip.family != ip->family || !ip_len(ip->family))
		return false;
	return same_prefix(c->ip.b, ip->b, c->prefix, ip_len(ip->family));
}

bool weft_cidr_overlaps(const weft_cidr_t *a, const weft_cidr_t *b)
{
	/* Two prefixes overlap exactly when one contains the other, i.e.
	 * when they agree on the shorter prefix. */
	unsigned p = a->prefix < b->prefix ? a->prefix : b->prefix;

	if (a->ip.family != b->ip.family || !ip_len(a->ip.family))
		return false;
	return same_prefix(a->ip.b, b->ip.b, p, ip_len(a->ip.family));
}

unsigned weft_cidr_host_bits(const weft_cidr_t *c)
{
	unsigned bits = ip_bits(c->ip.family);

	return c->prefix >= bits ? 0 : bits - c->prefix;
}

/* Point-to-point prefixes (/31 and /32, RFC 3021; /127 and /128, RFC 6164)
 * reserve nothing; wider IPv4 prefixes lose the network and broadcast
 * addresses, wider IPv6 prefixes the subnet-router anycast address. */
uint64_t weft_cidr_usable(const weft_cidr_t *c)
{
	unsigned hb = weft_cidr_host_bits(c);

	if (!ip_len(c->ip.family))
		return 0;
	if (hb <= 1)
		return (uint64_t)1 << hb;
	if (hb >= 64) /* IPv6 only: 2^64 - 1 is UINT64_MAX, wider saturates */
		return UINT64_MAX;
	return ((uint64_t)1 << hb) - (c->ip.family == 4 ? 2 : 1);
}

bool weft_cidr_reserved(const weft_cidr_t *c, const weft_ip_t *ip)
{
	unsigned hb = weft_cidr_host_bits(c), len = ip_len(ip->family), i;
	bool zero = true, ones = true;

	if (!weft_cidr_contains(c, ip) || hb <= 1)
		return false;
	for (i = 0; i < len; i++) {
		uint8_t host = (uint8_t)~mask_byte(c->prefix, i);

		if (ip->b[i] & host)
			zero = false;
		if ((ip->b[i] & host) != host)
			ones = false;
	}
	return zero || (ip->family == 4 && ones);
}

void weft_cidr_nth(const weft_cidr_t *c, const uint8_t offset[16], weft_ip_t *ip)
{
	unsigned len = ip_len(c->ip.family), i;
	/* An IPv4 address lines up with the last 4 bytes of the offset. */
	const uint8_t *off = offset + 16 - len;
	unsigned carry = 0;
	weft_ip_t out = { .family = c->ip.family };

	/* Add the offset to the network's host part with carry, then keep the
	 * network's prefix: the sum wraps within the CIDR. */
	for (i = len; i-- > 0;) {
		unsigned s = c->ip.b[i] + off[i] + carry;

		carry = s >> 8;
		out.b[i] = (uint8_t)s;
	}
	for (i = 0; i < len; i++) {
		uint8_t m = mask_byte(c->prefix, i);

		out.b[i] = (uint8_t)((c->ip.b[i] & m) | (out.b[i] & ~m));
	}
	*ip = out;
}

int weft_endpoint_parse(weft_endpoint_t *ep, const char *s)
{
	char buf[WEFT_ADDRSTRLEN];
	const char *host, *colon;
	size_t hl;
	unsigned port;
	weft_endpoint_t out = { 0 };

	if (!s)
		return WEFT_EBADADDR;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return WEFT_EBADADDR;
		host = s + 1;
		hl = (size_t)(close - host);
		colon = close + 1;
	} else {
		/* Without brackets only IPv4: "fd00::1:80" is ambiguous. */
		colon = strchr(s, ':');
		if (!colon || strchr(colon + 1, ':'))
			return WEFT_EBADADDR;
		host = s;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(buf))
		return WEFT_EBADADDR;
	memcpy(buf, host, hl);
	buf[hl] = '\0';
	if (weft_ip_parse(&out.ip, buf) != 0)
		return WEFT_EBADADDR;
	if ((s[0] == '[') != (out.ip.family == 6))
		return WEFT_EBADADDR;
	if (parse_uint(colon + 1, 65535, &port) != 0 || port == 0)
		return WEFT_EBADADDR;
	out.port = (uint16_t)port;
	*ep = out;
	return 0;
}

char *weft_endpoint_format(const weft_endpoint_t *ep, char *out, size_t len)
{
	char ip[WEFT_ADDRSTRLEN];
	int n;

	if (len == 0)
		return out;
	out[0] = '\0';
	if (ep->ip.family != 4 && ep->ip.family != 6)
		return out;
	weft_ip_format(&ep->ip, ip, sizeof(ip));
	if (ep->ip.family == 6)
		n = snprintf(out, len, "[%s]:%u", ip, ep->port);
	else
		n = snprintf(out, len, "%s:%u", ip, ep->port);
	if (n < 0 || (size_t)n >= len)
		out[0] = '\0';
	return out;
}

bool weft_endpoint_equal(const weft_endpoint_t *a, const weft_endpoint_t *b)
{
	return a->port == b->port && weft_ip_equal(&a->ip, &b->ip);
}

bool weft_ip_site_local(const weft_ip_t *ip)
{
	static const uint8_t zero[16], lo6[16] = { [15] = 1 };
	const uint8_t *b = ip->b;

	if (ip->family == 4)
		return b[0] == 0 || b[0] == 10 || b[0] == 127 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		       (b[0] == 192 && b[1] == 168) || (b[0] == 100 && (b[1] & 0xc0) == 64) ||
		       (b[0] == 169 && b[1] == 254);
	if (ip->family == 6)
		return (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || !memcmp(b, zero, 16) ||
		       !memcmp(b, lo6, 16);
	return true;
}
