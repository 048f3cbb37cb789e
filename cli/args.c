/* Command-line input: names, DNS domains, CIDRs, numbers, ports, durations
 * and tags. Every parser explains a refusal in one line that says what was
 * wrong and gives an example of what would work. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/error.h"
#include "core/record.h"

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int check_label(const char *s, size_t n)
{
	return weft_name_valid(s, n) ? 0 : -1;
}

int weft_cli_check_name(const char *s)
{
	return s ? check_label(s, strlen(s)) : -1;
}

int weft_cli_check_tag(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > WEFT_TAG_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-' && s[i] != '_')
			return -1;
	return 0;
}

int weft_cli_parse_name(struct weft_cli *cli, const char *what, const char *s)
{
	if (weft_cli_check_name(s) == 0)
		return 0;
	weft_cli_fail(cli,
		      "bad %s '%s': use 1-63 lower-case letters, digits and '-' (not first or last), e.g. home-lab",
		      what, s);
	return -1;
}

int weft_cli_parse_domain(struct weft_cli *cli, const char *s)
{
	const char *p = s, *dot;
	size_t n = strlen(s);

	if (n == 0 || n > WEFT_DOMAIN_MAX)
		goto bad;
	for (;;) {
		dot = strchr(p, '.');
		if (check_label(p, dot ? (size_t)(dot - p) : strlen(p)))
			goto bad;
		if (!dot)
			return 0;
		p = dot + 1;
	}
bad:
	weft_cli_fail(cli,
		      "bad --domain '%s': use a lower-case DNS name of up to 253 characters, e.g. corp.internal", s);
	return -1;
}

/* Explain why weft_cidr_parse refused s: the common mistake is an address
 * with host bits set, for which the network meant is shown. */
static void explain_cidr(struct weft_cli *cli, const char *opt, const char *s, unsigned family)
{
	const char *eg = family == 6 ? "fd42::/64" : "10.42.0.0/16";
	const char *slash = strrchr(s, '/');
	char addr[WEFT_ADDRSTRLEN], fixed[WEFT_CIDRSTRLEN];
	weft_cidr_t c = { 0 };
	unsigned long prefix;
	unsigned i, bits;
	char *end;

	if (!slash) {
		weft_cli_fail(cli, "bad %s '%s': give the prefix length too, e.g. %s", opt, s, eg);
		return;
	}
	if ((size_t)(slash - s) < sizeof(addr)) {
		memcpy(addr, s, (size_t)(slash - s));
		addr[slash - s] = '\0';
		errno = 0;
		prefix = strtoul(slash + 1, &end, 10);
		if (weft_ip_parse(&c.ip, addr) == 0 && slash[1] >= '0' && slash[1] <= '9' && !*end && !errno &&
		    prefix <= (c.ip.family == 4 ? 32u : 128u)) {
			bits = (unsigned)prefix;
			for (i = 0; i < 16; i++) {
				if (bits >= 8)
					bits -= 8;
				else {
					c.ip.b[i] &= (uint8_t)(0xff00 >> bits);
					bits = 0;
				}
			}
			c.prefix = (uint8_t)prefix;
			weft_cli_fail(cli, "bad %s '%s': the address has host bits set; did you mean %s?", opt, s,
				      weft_cidr_format(&c, fixed, sizeof(fixed)));
			return;
		}
	}
	weft_cli_fail(cli, "bad %s '%s': not an IPv%u network in CIDR form; e.g. %s", opt, s, family, eg);
}

int weft_cli_parse_cidr(struct weft_cli *cli, const char *opt, const char *s, unsigned family, weft_cidr_t *c)
{
	if (weft_cidr_parse(c, s) != 0) {
		explain_cidr(cli, opt, s, family);
		return -1;
	}
	if (c->ip.family != family) {
		weft_cli_fail(cli, "bad %s '%s': %s takes an IPv%u network, e.g. %s", opt, s, opt, family,
			      family == 6 ? "fd42::/64" : "10.42.0.0/16");
		return -1;
	}
	if (weft_cidr_usable(c) < 2) {
		weft_cli_fail(cli, "bad %s '%s': too small for a network; use a shorter prefix, e.g. %s", opt, s,
			      family == 6 ? "/64" : "/24");
		return -1;
	}
	return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	const char *p;

	if (!s || !*s)
		return -1;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	*v = x;
	return 0;
}

int weft_cli_parse_uint(struct weft_cli *cli, const char *opt, const char *s, uint64_t min, uint64_t max,
			uint64_t *v)
{
	if (parse_u64(s, v) == 0 && *v >= min && *v <= max)
		return 0;
	weft_cli_fail(cli, "bad %s '%s': give a whole number from %" PRIu64 " to %" PRIu64, opt, s, min, max);
	return -1;
}

int weft_cli_parse_port(struct weft_cli *cli, const char *opt, const char *s, uint16_t *port)
{
	uint64_t v;

	if (parse_u64(s, &v) == 0 && v >= 1 && v <= 65535) {
		*port = (uint16_t)v;
		return 0;
	}
	weft_cli_fail(cli, "bad %s '%s': give a UDP port from 1 to 65535", opt, s);
	return -1;
}

int weft_cli_duration(const char *s, uint64_t *secs)
{
	uint64_t total = 0, n, unit;
	const char *p = s;

	if (!s || !*s)
		return -1;
	if (strcmp(s, "never") == 0) {
		*secs = 0;
		return 0;
	}
	/* One or more NUMBER UNIT pairs, largest first or not: "1d12h". */
	while (*p) {
		if (*p < '0' || *p > '9')
			return -1;
		for (n = 0; *p >= '0' && *p <= '9'; p++) {
			if (n > (UINT32_MAX - (uint64_t)(*p - '0')) / 10)
				return -1;
			n = n * 10 + (uint64_t)(*p - '0');
		}
		switch (*p++) {
		case 's':
			unit = 1;
			break;
		case 'm':
			unit = 60;
			break;
		case 'h':
			unit = 3600;
			break;
		case 'd':
			unit = 86400;
			break;
		case 'w':
			unit = 7 * 86400;
			break;
		default:
			return -1;
		}
		total += n * unit;                /* n < 2^32 and unit < 2^20: no overflow per term */
		if (total > 100ull * 366 * 86400) /* beyond a century is a typo */
			return -1;
	}
	if (total == 0)
		return -1;
	*secs = total;
	return 0;
}

int weft_cli_parse_duration(struct weft_cli *cli, const char *opt, const char *s, uint64_t *secs)
{
	if (weft_cli_duration(s, secs) == 0)
		return 0;
	weft_cli_fail(cli, "bad %s '%s': give a duration like 30m, 12h, 7d or 2w (at most 100 years), or never", opt,
		      s);
	return -1;
}

int weft_cli_parse_tags(struct weft_cli *cli, const char *s, char tags[][WEFT_TAG_MAX + 1], uint8_t *ntags)
{
	const char *p = s, *comma;
	char tag[WEFT_TAG_MAX + 2];
	size_t n, i;

	*ntags = 0;
	for (;;) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (n > WEFT_TAG_MAX)
			n = WEFT_TAG_MAX + 1; /* checked as too long below */
		memcpy(tag, p, n);
		tag[n] = '\0';
		if (weft_cli_check_tag(tag)) {
			weft_cli_fail(
				cli,
				"bad tag '%.*s' in --tags: use 1-31 lower-case letters, digits, '-' or '_', e.g. --tags dev,eu",
				comma ? (int)(comma - p) : (int)strlen(p), p);
			return -1;
		}
		for (i = 0; i < *ntags; i++) {
			if (strcmp(tags[i], tag) == 0) {
				weft_cli_fail(cli, "bad --tags '%s': tag '%s' is given twice", s, tag);
				return -1;
			}
		}
		if (*ntags == WEFT_MAX_TAGS) {
			weft_cli_fail(cli, "bad --tags '%s': at most %d tags", s, WEFT_MAX_TAGS);
			return -1;
		}
		memcpy(tags[(*ntags)++], tag, n + 1);
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* A token pasted from a mail or a terminal may be wrapped or carry a
 * newline; base64url has no white space, so dropping it loses nothing. */
int weft_cli_read_token(struct weft_cli *cli, const char *arg, char *out, size_t cap)
{
	size_t n = 0;
	int c;

	if (strcmp(arg, "-") != 0) {
		for (; *arg; arg++) {
			if (isspace((unsigned char)*arg))
				continue;
			if (n + 1 >= cap)
				goto too_long;
			out[n++] = *arg;
		}
	} else {
		while ((c = fgetc(cli->in)) != EOF) {
			if (isspace(c))
				continue;
			if (n + 1 >= cap)
				goto too_long;
			out[n++] = (char)c;
		}
		if (ferror(cli->in)) {
			weft_cli_fail(cli, "cannot read the token from standard input");
			return -1;
		}
	}
	out[n] = '\0';
	return 0;
too_long:
	weft_cli_fail(cli, "this is not a weft invite token (far too long)");
	return -1;
}
