/* Invite tokens (token.h): the one-line text form, its checksum, the token's
 * own array in canonical msgpack (mpack.h: written into a stack buffer, read
 * back strictly, so a token has one encoding), and the checks that make a
 * token trustworthy before anyone joins with it. Pure: the caller gives the
 * time. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/error.h"
#include "core/mpack.h"
#include "core/token.h"

#define TOKEN_FORMAT 1
#define TOKEN_FIELDS 6 /* 7 with the roll-over chain */
#define CSUM_LEN 4
#define PREFIX_LEN (sizeof(WEFT_TOKEN_PREFIX) - 1)
/* The most bytes a token's text can carry after its prefix. */
#define TEXT_BIN_MAX ((WEFT_TOKEN_MAX - 1 - PREFIX_LEN) * 3 / 4)
/* The most bytes the fields could take before the size of the text is
 * checked: array and version, two 32-byte bins, two records, the list. */
#define ENC_MAX                                                                                                  \
	(2 + 2 * (2 + 32) + 2 * (3 + WEFT_RECORD_MAX) + 1 + WEFT_TOKEN_MAX_BOOTSTRAP * (3 + WEFT_HOSTPORT_MAX) + \
	 1 + WEFT_TOKEN_MAX_ROLLS * (3 + WEFT_RECORD_MAX) + CSUM_LEN)

/* Reasons that name a value (a date, a field's own error) are built here;
 * token.h documents that the next call overwrites them. */
static _Thread_local char why_buf[192];

static int fail(const char **why, const char *msg, int err)
{
	if (why)
		*why = msg;
	return err;
}

__attribute__((format(printf, 3, 4))) static int failf(const char **why, int err, const char *fmt, ...)
{
	va_list ap;

	if (why) {
		va_start(ap, fmt);
		vsnprintf(why_buf, sizeof(why_buf), fmt, ap);
		va_end(ap);
		*why = why_buf;
	}
	return err;
}

/* ---- bootstrap endpoints ---- */

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* RFC 1123 host name: dot-separated labels of letters, digits and inner
 * hyphens. An all-numeric name must be a real dotted quad, so "999.1.1.1"
 * is refused rather than sent to a resolver. */
static int check_hostname(const char *h, size_t n)
{
	char ip[16];
	weft_ip_t addr;
	size_t i, label = 0;
	bool numeric = true;

	if (n == 0 || n > WEFT_DOMAIN_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		char c = h[i];

		if (c == '.') {
			if (label == 0 || h[i - 1] == '-')
				return -1;
			label = 0;
			continue;
		}
		if (!is_alnum(c) && c != '-')
			return -1;
		if (c == '-' && label == 0)
			return -1;
		if (!(c >= '0' && c <= '9'))
			numeric = false;
		if (++label > WEFT_NAME_MAX)
			return -1;
	}
	if (label == 0 || h[n - 1] == '-')
		return -1;
	if (!numeric)
		return 0;
	if (n >= sizeof(ip))
		return -1;
	memcpy(ip, h, n);
	ip[n] = '\0';
	return weft_ip_parse(&addr, ip) == 0 && addr.family == 4 ? 0 : -1;
}

int weft_token_check_bootstrap(const char *s, const char **why)
{
	const char *colon, *port;
	char ip6[WEFT_ADDRSTRLEN];
	weft_ip_t addr;
	size_t len, hlen, i;
	unsigned long p = 0;

	if (!s || !*s)
		return fail(why, "empty bootstrap endpoint (write HOST:PORT, e.g. 203.0.113.5:51821)",
			    WEFT_EBADADDR);
	len = strnlen(s, WEFT_HOSTPORT_MAX);
	if (len == WEFT_HOSTPORT_MAX)
		return fail(why, "bootstrap endpoint is too long (a host name has at most 253 characters)",
			    WEFT_EBADADDR);
	colon = strrchr(s, ':');
	if (!colon)
		return fail(why, "bootstrap endpoint has no port (write HOST:PORT, e.g. 203.0.113.5:51821)",
			    WEFT_EBADADDR);
	port = colon + 1;
	if (!*port || strlen(port) > 5 || port[0] == '0')
		return fail(why, "bootstrap endpoint has a bad port (use 1-65535, e.g. 203.0.113.5:51821)",
			    WEFT_EBADADDR);
	for (i = 0; port[i]; i++) {
		if (port[i] < '0' || port[i] > '9')
			return fail(why, "bootstrap endpoint has a bad port (use 1-65535, e.g. 203.0.113.5:51821)",
				    WEFT_EBADADDR);
		p = p * 10 + (unsigned long)(port[i] - '0');
	}
	if (p > 65535)
		return fail(why, "bootstrap endpoint has a bad port (use 1-65535, e.g. 203.0.113.5:51821)",
			    WEFT_EBADADDR);
	hlen = (size_t)(colon - s);
	if (hlen == 0)
		return fail(why, "bootstrap endpoint has no host (write HOST:PORT, e.g. 203.0.113.5:51821)",
			    WEFT_EBADADDR);
	if (s[0] == '[') {
		if (hlen < 3 || s[hlen - 1] != ']' || hlen - 2 >= sizeof(ip6))
			return fail(why,
				    "bootstrap endpoint has a bad IPv6 address (write [ADDRESS]:PORT, e.g. [2001:db8::1]:51821)",
				    WEFT_EBADADDR);
		memcpy(ip6, s + 1, hlen - 2);
		ip6[hlen - 2] = '\0';
		if (weft_ip_parse(&addr, ip6) != 0 || addr.family != 6)
			return fail(why,
				    "bootstrap endpoint has a bad IPv6 address (write [ADDRESS]:PORT, e.g. [2001:db8::1]:51821)",
				    WEFT_EBADADDR);
		return 0;
	}
	if (memchr(s, ':', hlen))
		return fail(why, "an IPv6 bootstrap endpoint needs brackets, e.g. [2001:db8::1]:51821",
			    WEFT_EBADADDR);
	if (check_hostname(s, hlen))
		return fail(why,
			    "bootstrap endpoint has a bad host (use a DNS name or an IP address, e.g. 203.0.113.5:51821)",
			    WEFT_EBADADDR);
	return 0;
}

/* ---- encode ---- */

static void checksum(uint8_t out[CSUM_LEN], const uint8_t *p, size_t len)
{
	uint8_t h[crypto_generichash_BYTES];

	crypto_generichash(h, sizeof(h), p, len, NULL, 0);
	memcpy(out, h, CSUM_LEN);
}

int weft_token_encode(const weft_token_t *t, char *out, size_t cap)
{
	uint8_t buf[ENC_MAX];
	struct weft_wbuf w = { .p = buf, .cap = sizeof(buf) };
	size_t i, b64len;
	int ret;

	if (cap)
		out[0] = '\0';
	if (t->settings.type != WEFT_REC_NETWORK || t->invite.type != WEFT_REC_INVITE || t->settings.raw_len == 0 ||
	    t->settings.raw_len > WEFT_RECORD_MAX || t->invite.raw_len == 0 || t->invite.raw_len > WEFT_RECORD_MAX)
		return -EINVAL;
	if (t->nbootstrap > WEFT_TOKEN_MAX_BOOTSTRAP || t->nrolls > WEFT_TOKEN_MAX_ROLLS)
		return WEFT_EOVERSIZE;
	for (i = 0; i < t->nrolls; i++)
		if (t->rolls[i].type != WEFT_REC_ADMIN_ROLL || t->rolls[i].raw_len == 0 ||
		    t->rolls[i].raw_len > WEFT_RECORD_MAX)
			return -EINVAL;
	for (i = 0; i < t->nbootstrap; i++) {
		ret = weft_token_check_bootstrap(t->bootstrap[i], NULL);
		if (ret)
			return ret;
	}

	weft_mp_array(&w, TOKEN_FIELDS + (t->nrolls ? 1 : 0));
	weft_mp_uint(&w, TOKEN_FORMAT);
	weft_mp_bin(&w, t->network_id.b, WEFT_PK_LEN);
	weft_mp_bin(&w, t->settings.raw, t->settings.raw_len);
	weft_mp_bin(&w, t->invite.raw, t->invite.raw_len);
	weft_mp_bin(&w, t->invite_kp.sk, WEFT_SEED_LEN); /* sk = seed || pk */
	weft_mp_array(&w, t->nbootstrap);
	for (i = 0; i < t->nbootstrap; i++)
		weft_mp_str(&w, t->bootstrap[i], strlen(t->bootstrap[i]));
	if (t->nrolls) {
		weft_mp_array(&w, t->nrolls);
		for (i = 0; i < t->nrolls; i++)
			weft_mp_bin(&w, t->rolls[i].raw, t->rolls[i].raw_len);
	}
	if (w.overflow || w.len + CSUM_LEN > TEXT_BIN_MAX) {
		ret = WEFT_EOVERSIZE;
		goto out;
	}
	checksum(buf + w.len, buf, w.len);
	w.len += CSUM_LEN;

	b64len = sodium_base64_ENCODED_LEN(w.len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if (cap < PREFIX_LEN + b64len) { /* b64len counts the NUL */
		ret = -ENOSPC;
		goto out;
	}
	memcpy(out, WEFT_TOKEN_PREFIX, PREFIX_LEN);
	sodium_bin2base64(out + PREFIX_LEN, cap - PREFIX_LEN, buf, w.len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	ret = 0;
out:
	sodium_memzero(buf, sizeof(buf)); /* it held the invite secret */
	return ret;
}

/* ---- decode ---- */

static int decode_record(weft_record_t *r, const uint8_t *p, size_t len, unsigned type, const char *what,
			 const char **why)
{
	const char *rwhy = NULL;

	if (len > WEFT_RECORD_MAX)
		return failf(why, WEFT_EBADTOKEN, "token is malformed: its %s record is too large", what);
	if (weft_record_decode(r, p, len, &rwhy) != 0)
		return failf(why, WEFT_EBADTOKEN, "token is malformed: its %s record does not decode (%s)", what,
			     rwhy ? rwhy : "invalid");
	if (r->type != type)
		return failf(why, WEFT_EBADTOKEN, "token is malformed: its %s record has the wrong type", what);
	return 0;
}

/* The token's arrays are an array 16 at most (the writer never needs more).
 * Their counts are held to the token's own limits (fields, endpoints) before
 * anything loops, so a count is read as such, not refused for exceeding the
 * bytes left: a list that claims too many endpoints is reported as that. */
static int get_array(struct weft_rbuf *r, uint32_t *n)
{
	if (weft_mp_read_array_head(r, n) || *n > 0xffff)
		return WEFT_EMALFORMED;
	return 0;
}

static int decode_body(weft_token_t *t, const uint8_t *buf, size_t len, const char **why)
{
	struct weft_rbuf r = { .p = buf, .len = len };
	const uint8_t *p;
	size_t n;
	uint32_t nfields, nboot, i;
	uint64_t version;
	int ret;

	if (get_array(&r, &nfields) || nfields < 1)
		return fail(why, "token is malformed: it is not a weft token array", WEFT_EBADTOKEN);
	if (weft_mp_read_uint(&r, &version))
		return fail(why, "token is malformed: it has no format version", WEFT_EBADTOKEN);
	if (version != TOKEN_FORMAT)
		return fail(why, "token has a format this weft does not know (made by a newer weft? upgrade weft)",
			    WEFT_EBADTOKEN);
	if (nfields != TOKEN_FIELDS && nfields != TOKEN_FIELDS + 1)
		return fail(why, "token is malformed: wrong number of fields", WEFT_EBADTOKEN);

	if (weft_mp_read_bin(&r, &p, &n) || n != WEFT_PK_LEN)
		return fail(why, "token is malformed: the network id is not a 32-byte key", WEFT_EBADTOKEN);
	memcpy(t->network_id.b, p, WEFT_PK_LEN);

	if (weft_mp_read_bin(&r, &p, &n))
		return fail(why, "token is malformed: no network settings record", WEFT_EBADTOKEN);
	ret = decode_record(&t->settings, p, n, WEFT_REC_NETWORK, "network settings", why);
	if (ret)
		return ret;
	if (weft_mp_read_bin(&r, &p, &n))
		return fail(why, "token is malformed: no invite certificate", WEFT_EBADTOKEN);
	ret = decode_record(&t->invite, p, n, WEFT_REC_INVITE, "invite certificate", why);
	if (ret)
		return ret;

	if (weft_mp_read_bin(&r, &p, &n) || n != WEFT_SEED_LEN)
		return fail(why, "token is malformed: the invite secret is not a 32-byte seed", WEFT_EBADTOKEN);
	weft_keypair_from_seed(&t->invite_kp, p);

	if (get_array(&r, &nboot))
		return fail(why, "token is malformed: no bootstrap endpoint list", WEFT_EBADTOKEN);
	if (nboot > WEFT_TOKEN_MAX_BOOTSTRAP)
		return fail(why, "token is malformed: more than 8 bootstrap endpoints", WEFT_EBADTOKEN);
	for (i = 0; i < nboot; i++) {
		const char *bwhy = NULL;

		if (weft_mp_read_str(&r, &p, &n) || n >= WEFT_HOSTPORT_MAX)
			return fail(why, "token is malformed: a bootstrap endpoint is not a short string",
				    WEFT_EBADTOKEN);
		if (memchr(p, '\0', n))
			return fail(why, "token is malformed: a bootstrap endpoint contains a NUL byte",
				    WEFT_EBADTOKEN);
		memcpy(t->bootstrap[i], p, n);
		t->bootstrap[i][n] = '\0';
		if (weft_token_check_bootstrap(t->bootstrap[i], &bwhy))
			return failf(why, WEFT_EBADTOKEN, "token is malformed: %s", bwhy);
	}
	t->nbootstrap = (uint8_t)nboot;
	if (nfields == TOKEN_FIELDS + 1) {
		uint32_t nrolls;

		if (get_array(&r, &nrolls) || nrolls == 0 || nrolls > WEFT_TOKEN_MAX_ROLLS)
			return fail(why, "token is malformed: its admin roll-over list is empty or too long",
				    WEFT_EBADTOKEN);
		for (i = 0; i < nrolls; i++) {
			if (weft_mp_read_bin(&r, &p, &n))
				return fail(why, "token is malformed: an admin roll-over is not a record",
					    WEFT_EBADTOKEN);
			ret = decode_record(&t->rolls[i], p, n, WEFT_REC_ADMIN_ROLL, "admin roll-over", why);
			if (ret)
				return ret;
		}
		t->nrolls = (uint8_t)nrolls;
	}
	if (weft_mp_end(&r))
		return fail(why, "token is malformed: trailing bytes after its contents", WEFT_EBADTOKEN);
	return 0;
}

int weft_token_decode(weft_token_t *t, const char *text, const char **why)
{
	uint8_t buf[TEXT_BIN_MAX + 1];
	uint8_t sum[CSUM_LEN];
	const char *b64_end;
	size_t len, binlen = 0, i;
	int ret;

	memset(t, 0, sizeof(*t));
	if (!text || !*text)
		return fail(why, "the token is empty", WEFT_EBADTOKEN);
	len = strnlen(text, WEFT_TOKEN_MAX);
	if (len == WEFT_TOKEN_MAX)
		return fail(why, "this is not a weft invite token (far too long)", WEFT_EBADTOKEN);
	if (len < PREFIX_LEN || memcmp(text, WEFT_TOKEN_PREFIX, PREFIX_LEN) != 0) {
		/* "weft2-..." will be a later format: say so rather than "not a token". */
		if (len > 5 && memcmp(text, "weft", 4) == 0 && text[4] >= '2' && text[4] <= '9' && text[5] == '-')
			return fail(why,
				    "token was made by a newer weft (its prefix is not \"weft1-\"); upgrade weft",
				    WEFT_EBADTOKEN);
		return fail(why, "this is not a weft invite token (it should start with \"weft1-\")",
			    WEFT_EBADTOKEN);
	}
	/* libsodium 1.0.18 takes some bytes >= 0x80 for letters, so the
	 * alphabet is checked here; sodium then rejects trailing bits that are
	 * not zero and lengths no encoding produces, so every changed or
	 * dropped character is caught here or by the checksum. */
	for (i = PREFIX_LEN; i < len; i++) {
		if (!is_alnum(text[i]) && text[i] != '-' && text[i] != '_') {
			ret = fail(why, "token was altered or truncated (it is not valid base64url text)",
				   WEFT_EBADTOKEN);
			goto out;
		}
	}
	if (sodium_base642bin(buf, sizeof(buf), text + PREFIX_LEN, len - PREFIX_LEN, NULL, &binlen, &b64_end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    b64_end != text + len) {
		ret = fail(why, "token was altered or truncated (it is not valid base64url text)", WEFT_EBADTOKEN);
		goto out;
	}
	if (binlen <= CSUM_LEN) {
		ret = fail(why, "token was truncated (too short)", WEFT_EBADTOKEN);
		goto out;
	}
	binlen -= CSUM_LEN;
	checksum(sum, buf, binlen);
	if (memcmp(sum, buf + binlen, CSUM_LEN) != 0) {
		ret = fail(why, "token was altered or truncated (checksum mismatch)", WEFT_EBADTOKEN);
		goto out;
	}
	ret = decode_body(t, buf, binlen, why);
out:
	sodium_memzero(buf, sizeof(buf));
	if (ret)
		weft_token_wipe(t);
	return ret;
}

/* ---- verify ---- */

static void format_utc(char *out, size_t len, uint64_t s)
{
	struct tm tm;
	time_t tt;

	/* gmtime_r is arithmetic, not a clock read; past year 9999 it is
	 * meaningless, so such times are shown as numbers. */
	if (s > 253402300799ull) {
		snprintf(out, len, "unix time %" PRIu64, s);
		return;
	}
	tt = (time_t)s;
	if (!gmtime_r(&tt, &tm) || strftime(out, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(out, len, "unix time %" PRIu64, s);
}

/* Whether pk is the network id or a key the token's roll-over chain leads
 * to from it (the chain was checked by verify_rolls). */
static bool admin_key_of(const weft_token_t *t, const weft_pk_t *pk)
{
	unsigned i;

	if (sodium_memcmp(pk->b, t->network_id.b, WEFT_PK_LEN) == 0)
		return true;
	for (i = 0; i < t->nrolls; i++)
		if (sodium_memcmp(pk->b, t->rolls[i].u.admin_roll.new_pk.b, WEFT_PK_LEN) == 0)
			return true;
	return false;
}

/* Each roll-over is signed by the key the one before it named (the first
 * by the network id), so the chain cannot be spliced. */
static int verify_rolls(const weft_token_t *t, const char **why)
{
	const weft_pk_t *cur = &t->network_id;
	unsigned i;

	for (i = 0; i < t->nrolls; i++) {
		const weft_record_t *r = &t->rolls[i];

		if (r->type != WEFT_REC_ADMIN_ROLL || sodium_memcmp(r->signer.b, cur->b, WEFT_PK_LEN) != 0)
			return fail(why, "admin roll-over chain is broken (token forged or mixed up)",
				    WEFT_EWRONGNET);
		if (weft_record_verify(r) != 0)
			return fail(why,
				    "signature of an admin roll-over does not verify (token forged or corrupted)",
				    WEFT_EBADSIG);
		cur = &r->u.admin_roll.new_pk;
	}
	return 0;
}

int weft_token_verify(const weft_token_t *t, uint64_t now_s, const char **why)
{
	const struct weft_rec_invite *inv = &t->invite.u.invite;
	weft_keypair_t kp;
	char when[48];
	int ret;

	if (t->settings.type != WEFT_REC_NETWORK || t->invite.type != WEFT_REC_INVITE)
		return fail(why, "token is malformed: its records have the wrong types", WEFT_EBADTOKEN);
	if (t->nrolls > WEFT_TOKEN_MAX_ROLLS)
		return fail(why, "token is malformed: too many admin roll-overs", WEFT_EBADTOKEN);
	ret = verify_rolls(t, why);
	if (ret)
		return ret;
	if (!admin_key_of(t, &t->settings.signer))
		return fail(why, "network settings are signed by another network's key (token forged or mixed up)",
			    WEFT_EWRONGNET);
	if (!admin_key_of(t, &t->invite.signer))
		return fail(why, "invite certificate is signed by another network's key (token forged or mixed up)",
			    WEFT_EWRONGNET);
	/* A settings record has no subject field: it is about the network whose
	 * key signed it, so the signer check above is the subject check. */
	if (weft_record_verify(&t->settings) != 0)
		return fail(why, "signature of the network settings does not verify (token forged or corrupted)",
			    WEFT_EBADSIG);
	if (weft_record_verify(&t->invite) != 0)
		return fail(why, "signature of the invite certificate does not verify (token forged or corrupted)",
			    WEFT_EBADSIG);

	/* Derive the pair again from the seed rather than trusting the public
	 * half stored beside it: the seed is what a joiner will sign with. */
	weft_keypair_from_seed(&kp, t->invite_kp.sk);
	if (sodium_memcmp(kp.pk.b, inv->invite_pk.b, WEFT_PK_LEN) != 0 ||
	    sodium_memcmp(kp.pk.b, t->invite_kp.pk.b, WEFT_PK_LEN) != 0) {
		ret = fail(why, "invite secret does not match the invite certificate (token forged or mixed up)",
			   WEFT_EBADTOKEN);
		goto out;
	}
	if (inv->expires != 0 && now_s >= inv->expires) {
		format_utc(when, sizeof(when), inv->expires);
		ret = failf(why, WEFT_EEXPIRED, "invite expired on %s", when);
		goto out;
	}
	ret = 0;
out:
	sodium_memzero(&kp, sizeof(kp));
	return ret;
}

void weft_token_wipe(weft_token_t *t)
{
	sodium_memzero(t, sizeof(*t));
}
