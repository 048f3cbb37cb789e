/* UAPI text: "key=value" lines, a blank line ends a message; keys in hex.
 * The parser copies each value into a bounded buffer before reading it, so
 * an embedded NUL, an endless line or a huge number is an error naming the
 * line, never an overrun. Buffers that held key material are wiped. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "wg/uapi.h"

/* ---- formatting ---- */

struct sbuf {
	char *p;
	size_t len, cap;
	int ret;
};

/* Grows by copying and wiping, never realloc: the buffer may hold a key. */
static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->ret)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->ret = -EINVAL;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap * 2 + (size_t)n;
		char *np = malloc(cap);

		if (!np) {
			b->ret = -ENOMEM;
			return;
		}
		memcpy(np, b->p, b->len);
		sodium_memzero(b->p, b->cap);
		free(b->p);
		b->p = np;
		b->cap = cap;
	}
}

static void sb_key(struct sbuf *b, const char *name, const weft_wgkey_t *k)
{
	char hex[WEFT_WGKEY_LEN * 2 + 1];

	sodium_bin2hex(hex, sizeof(hex), k->b, WEFT_WGKEY_LEN);
	sb_printf(b, "%s=%s\n", name, hex);
	sodium_memzero(hex, sizeof(hex));
}

static void format_peer(struct sbuf *b, const weft_wg_peer_change_t *pc)
{
	char s[WEFT_EPSTRLEN > WEFT_CIDRSTRLEN ? WEFT_EPSTRLEN : WEFT_CIDRSTRLEN];
	size_t i;

	sb_key(b, "public_key", &pc->public_key);
	if (pc->flags & WEFT_WG_PC_REMOVE) {
		sb_printf(b, "remove=true\n");
		return;
	}
	/* wireguard-go honours update_only only right after public_key. */
	if (pc->flags & WEFT_WG_PC_UPDATE_ONLY)
		sb_printf(b, "update_only=true\n");
	if (pc->flags & WEFT_WG_PC_ENDPOINT)
		sb_printf(b, "endpoint=%s\n", weft_endpoint_format(&pc->endpoint, s, sizeof(s)));
	if (pc->flags & WEFT_WG_PC_KEEPALIVE)
		sb_printf(b, "persistent_keepalive_interval=%u\n", pc->keepalive);
	if (pc->flags & WEFT_WG_PC_REPLACE_ALLOWED) {
		sb_printf(b, "replace_allowed_ips=true\n");
		for (i = 0; i < pc->n_allowed_ips; i++)
			sb_printf(b, "allowed_ip=%s\n", weft_cidr_format(&pc->allowed_ips[i], s, sizeof(s)));
	}
}

int weft_wg_uapi_format_set(const weft_wg_changeset_t *cs, char **out, size_t *len, weft_wg_err_t *err)
{
	struct sbuf b = { .cap = 256 + cs->n_peers * 160 };
	size_t i;

	b.p = malloc(b.cap);
	if (!b.p)
		return weft_wg_errf(err, -ENOMEM, "UAPI set");
	sb_printf(&b, "set=1\n");
	if (cs->flags & WEFT_WG_DC_PRIVATE_KEY)
		sb_key(&b, "private_key", &cs->private_key);
	if (cs->flags & WEFT_WG_DC_LISTEN_PORT)
		sb_printf(&b, "listen_port=%u\n", cs->listen_port);
	/* wireguard-go remembers "keepalive was just turned on" from one peer
	 * to the next within a set (its ipcSetPeer.pkaOn is never reset), and
	 * then sends a keepalive -- a handshake -- to every later peer of the
	 * request. Peers with a keepalive line go last, so that each of them
	 * sets that flag for itself and no other peer inherits it. */
	for (i = 0; i < cs->n_peers; i++)
		if (!(cs->peers[i].flags & WEFT_WG_PC_KEEPALIVE))
			format_peer(&b, &cs->peers[i]);
	for (i = 0; i < cs->n_peers; i++)
		if (cs->peers[i].flags & WEFT_WG_PC_KEEPALIVE)
			format_peer(&b, &cs->peers[i]);
	sb_printf(&b, "\n");
	if (b.ret) {
		sodium_memzero(b.p, b.cap);
		free(b.p);
		return weft_wg_errf(err, b.ret, "UAPI set");
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

/* ---- parsing ---- */

size_t weft_wg_uapi_reply_len(const char *buf, size_t len)
{
	const char *p;

	if (len && buf[0] == '\n')
		return 1;
	p = memmem(buf, len, "\n\n", 2);
	return p ? (size_t)(p - buf) + 2 : 0;
}

/* Decimal digits only, at most max. */
static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_key(const char *s, weft_wgkey_t *k)
{
	size_t n;

	return strlen(s) == WEFT_WGKEY_LEN * 2 &&
	       !sodium_hex2bin(k->b, WEFT_WGKEY_LEN, s, WEFT_WGKEY_LEN * 2, NULL, &n, NULL) && n == WEFT_WGKEY_LEN;
}

/* "ip/prefix" as WireGuard prints it; host bits are masked, not refused. */
static bool parse_allowed(char *s, weft_cidr_t *c)
{
	char *slash = strrchr(s, '/');
	uint64_t prefix;

	if (!slash)
		return false;
	*slash = '\0';
	memset(c, 0, sizeof(*c));
	if (weft_ip_parse(&c->ip, s) || !parse_u64(slash + 1, c->ip.family == 4 ? 32 : 128, &prefix))
		return false;
	c->prefix = (uint8_t)prefix;
	weft_wg_cidr_mask(c);
	return true;
}

/* "1.2.3.4:5" or "[v6%zone]:5"; a zone is dropped (weft_ip_t has none). */
static bool parse_endpoint(char *s, weft_endpoint_t *ep)
{
	char *pct = strchr(s, '%'), *close = strchr(s, ']');

	if (pct && close && pct < close)
		memmove(pct, close, strlen(close) + 1);
	return !weft_endpoint_parse(ep, s);
}

struct parser {
	weft_wg_device_t *dev;
	size_t peer_idx; /* an index: adding peers moves them */
	bool in_peer;
	bool got_errno;
	long errno_val;
	unsigned line;
	weft_wg_err_t *err;
};

static int bad_line(struct parser *p, const char *key, const char *why)
{
	return weft_wg_errf(p->err, WEFT_EPROTO, "UAPI reply line %u (%.40s): %s", p->line, key, why);
}

static weft_wg_peer_t *cur_peer(struct parser *p)
{
	return p->in_peer ? &p->dev->peers[p->peer_idx] : NULL;
}

static int device_line(struct parser *p, const char *key, char *val)
{
	uint64_t v;

	if (!strcmp(key, "private_key")) {
		if (!parse_key(val, &p->dev->private_key))
			return bad_line(p, key, "not 64 hex digits");
		p->dev->has_private_key = !sodium_is_zero(p->dev->private_key.b, WEFT_WGKEY_LEN);
		if (p->dev->has_private_key)
			weft_wgkey_public(&p->dev->public_key, &p->dev->private_key);
	} else if (!strcmp(key, "listen_port")) {
		if (!parse_u64(val, 65535, &v))
			return bad_line(p, key, "not a port");
		p->dev->listen_port = (uint16_t)v;
	} else if (!strcmp(key, "fwmark")) {
		if (!parse_u64(val, UINT32_MAX, &v))
			return bad_line(p, key, "not a 32-bit number");
	}
	/* Other device keys (later protocol additions) are not weft's. */
	return 0;
}

static int peer_line(struct parser *p, weft_wg_peer_t *peer, const char *key, char *val)
{
	weft_wgkey_t psk;
	weft_cidr_t c;
	uint64_t v;

	if (!strcmp(key, "endpoint")) {
		if (!parse_endpoint(val, &peer->endpoint))
			return bad_line(p, key, "not an endpoint");
	} else if (!strcmp(key, "allowed_ip")) {
		if (!parse_allowed(val, &c))
			return bad_line(p, key, "not a prefix");
		if (weft_wg_peer_add_allowed_ip(peer, &c))
			return weft_wg_errf(p->err, -ENOMEM, "UAPI reply");
	} else if (!strcmp(key, "persistent_keepalive_interval")) {
		if (!parse_u64(val, 65535, &v))
			return bad_line(p, key, "not a 16-bit number");
		peer->keepalive = (uint16_t)v;
	} else if (!strcmp(key, "last_handshake_time_sec")) {
		if (!parse_u64(val, UINT64_MAX / 1000000000u - 1, &v))
			return bad_line(p, key, "out of range");
		peer->last_handshake_ns += v * 1000000000u;
	} else if (!strcmp(key, "last_handshake_time_nsec")) {
		if (!parse_u64(val, 999999999, &v))
			return bad_line(p, key, "out of range");
		peer->last_handshake_ns += v;
	} else if (!strcmp(key, "rx_bytes")) {
		if (!parse_u64(val, UINT64_MAX, &peer->rx_bytes))
			return bad_line(p, key, "not a number");
	} else if (!strcmp(key, "tx_bytes")) {
		if (!parse_u64(val, UINT64_MAX, &peer->tx_bytes))
			return bad_line(p, key, "not a number");
	} else if (!strcmp(key, "preshared_key")) {
		/* Checked, not kept: weft does not use preshared keys. */
		bool ok = parse_key(val, &psk);

		sodium_memzero(&psk, sizeof(psk));
		if (!ok)
			return bad_line(p, key, "not 64 hex digits");
	} else if (!strcmp(key, "protocol_version")) {
		if (!parse_u64(val, UINT32_MAX, &v))
			return bad_line(p, key, "not a number");
	}
	return 0;
}

static int one_line(struct parser *p, const char *key, char *val)
{
	weft_wgkey_t k;
	uint64_t v;

	if (p->got_errno)
		return bad_line(p, key, "after errno=");
	if (!strcmp(key, "errno")) {
		/* wireguard-go writes errno=-98, the C implementations 98. */
		if (!parse_u64(val[0] == '-' ? val + 1 : val, 4095, &v))
			return bad_line(p, key, "not an errno");
		p->got_errno = true;
		p->errno_val = (long)v;
		return 0;
	}
	if (!strcmp(key, "public_key")) {
		if (!parse_key(val, &k))
			return bad_line(p, key, "not 64 hex digits");
		if (!weft_wg_device_add_peer(p->dev, &k))
			return weft_wg_errf(p->err, -ENOMEM, "UAPI reply");
		p->in_peer = true;
		p->peer_idx = p->dev->n_peers - 1;
		return 0;
	}
	if (!p->in_peer)
		return device_line(p, key, val);
	return peer_line(p, cur_peer(p), key, val);
}

/* Runs every line of buf through one_line (dev NULL: errno only). */
static int parse(const char *buf, size_t len, weft_wg_device_t *dev, const char *what, weft_wg_err_t *err)
{
	struct parser p = { .dev = dev, .err = err };
	const char *pos = buf, *end = buf + len, *nl, *eq;
	char key[48], val[128];
	int ret = 0;

	while (pos < end) {
		p.line++;
		nl = memchr(pos, '\n', (size_t)(end - pos));
		if (!nl) {
			ret = weft_wg_errf(err, WEFT_EPROTO, "UAPI %s reply line %u: no end of line", what, p.line);
			break;
		}
		if (nl == pos) /* the blank line: end of the reply */
			break;
		eq = memchr(pos, '=', (size_t)(nl - pos));
		if (!eq || eq == pos || (size_t)(eq - pos) >= sizeof(key) || (size_t)(nl - eq - 1) >= sizeof(val) ||
		    memchr(pos, '\0', (size_t)(nl - pos))) {
			ret = weft_wg_errf(err, WEFT_EPROTO, "UAPI %s reply line %u: not a key=value line", what,
					   p.line);
			break;
		}
		memcpy(key, pos, (size_t)(eq - pos));
		key[eq - pos] = '\0';
		memcpy(val, eq + 1, (size_t)(nl - eq - 1));
		val[nl - eq - 1] = '\0';
		if (dev)
			ret = one_line(&p, key, val);
		else if (!strcmp(key, "errno") && !p.got_errno)
			ret = one_line(&p, key, val);
		else
			ret = bad_line(&p, key, "unexpected in a set reply");
		if (ret)
			break;
		pos = nl + 1;
	}
	sodium_memzero(val, sizeof(val));
	if (ret)
		return ret;
	if (!p.got_errno)
		return weft_wg_errf(err, WEFT_EPROTO, "UAPI %s reply without errno=", what);
	if (p.errno_val)
		return weft_wg_errf(err, -(int)p.errno_val, "UAPI %s: errno=%ld", what, p.errno_val);
	return 0;
}

int weft_wg_uapi_parse_get(const char *buf, size_t len, weft_wg_device_t *dev, weft_wg_err_t *err)
{
	int ret;

	memset(dev, 0, sizeof(*dev));
	if (len > WEFT_WG_UAPI_MAX_REPLY)
		return weft_wg_errf(err, WEFT_EOVERSIZE, "UAPI get reply of %zu bytes", len);
	ret = parse(buf, len, dev, "get", err);
	if (ret)
		weft_wg_device_free(dev);
	return ret;
}

int weft_wg_uapi_parse_set(const char *buf, size_t len, weft_wg_err_t *err)
{
	return parse(buf, len, NULL, "set", err);
}
