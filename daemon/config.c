/* The configuration file (config.h): a line-oriented parser with a message
 * naming the line for every refusal, and the defaults. Unknown keys are
 * errors, so a typo never silently leaves a setting at its default. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "core/error.h"
#include "core/record.h"
#include "daemon/log.h"

void weft_config_defaults(struct weft_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", WEFT_DEFAULT_STATE_DIR);
	snprintf(c->socket, sizeof(c->socket), "%s", WEFT_DEFAULT_SOCKET);
	c->log_level = WEFT_LOG_INFO;
	c->wg_backend = WEFT_WG_AUTO;
}

const struct weft_config_net *weft_config_net(const struct weft_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nnets; i++)
		if (strcmp(c->nets[i].name, name) == 0)
			return &c->nets[i];
	return NULL;
}

struct parser {
	struct weft_config *c;
	struct weft_config_net *net; /* current section, NULL = global */
	unsigned line;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return -EINVAL;
	n = snprintf(p->err, p->errlen, "line %u: ", p->line);
	if (n > 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* A name as record.h allows for networks: a lower-case DNS label. */
static bool valid_label(const char *s)
{
	return weft_name_valid(s, strlen(s));
}

static bool valid_ifname(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= WEFT_WG_IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || is_space(s[i]) || (unsigned char)s[i] < 0x21 ||
		    (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static int copy_path(struct parser *p, const char *key, const char *v, char *out, size_t cap)
{
	if (!*v || v[0] != '/')
		return perr(p, "%s must be an absolute path, e.g. %s = /var/lib/weft", key, key);
	if (strlen(v) >= cap)
		return perr(p, "%s is too long", key);
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

/* "30", "30s", "500ms", "2m" -> milliseconds, at most a day. */
static int parse_ms(struct parser *p, const char *key, const char *v, uint32_t *out)
{
	unsigned long long n = 0, mult = 1000;
	const char *s = v;

	if (*s < '0' || *s > '9')
		goto bad;
	for (; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (unsigned)(*s - '0');
		if (n > 86400000ull)
			goto bad;
	}
	if (!strcmp(s, "ms"))
		mult = 1;
	else if (!strcmp(s, "") || !strcmp(s, "s"))
		mult = 1000;
	else if (!strcmp(s, "m"))
		mult = 60000;
	else
		goto bad;
	if (n == 0 || n * mult > 86400000ull)
		goto bad;
	*out = (uint32_t)(n * mult);
	return 0;
bad:
	return perr(p, "bad %s '%s': give a duration such as 500ms, 30s or 2m (at most a day)", key, v);
}

static int parse_endpoint(struct parser *p, const char *v, weft_endpoint_t *ep)
{
	char buf[WEFT_EPSTRLEN + 2];

	memset(ep, 0, sizeof(*ep));
	if (weft_ip_parse(&ep->ip, v) == 0) /* an address alone: the WireGuard port */
		return ep->ip.family ? 0 : -1;
	if (strlen(v) >= sizeof(buf) || weft_endpoint_parse(ep, v) != 0 || !ep->ip.family)
		return perr(p,
			    "bad endpoint '%s': give an IP address, optionally with a port "
			    "(203.0.113.5, 203.0.113.5:51820 or [2001:db8::5]:51820)",
			    v);
	return 0;
}

static int parse_dns_listen(struct parser *p, const char *v, weft_endpoint_t *ep)
{
	char buf[WEFT_EPSTRLEN + 2];

	memset(ep, 0, sizeof(*ep));
	if (weft_ip_parse(&ep->ip, v) == 0 && ep->ip.family) {
		ep->port = 53;
		return 0;
	}
	memset(ep, 0, sizeof(*ep));
	if (strlen(v) >= sizeof(buf) || weft_endpoint_parse(ep, v) != 0 || !ep->ip.family || !ep->port)
		return perr(p,
			    "bad dns_listen '%s': give an IP address, optionally with a port "
			    "(127.0.0.53, 127.0.0.1:5353 or [::1]:5353)",
			    v);
	return 0;
}

/* "IP[:PORT] ...": one or more upstream resolvers on one line. */
static int parse_forward(struct parser *p, const char *v, weft_endpoint_t *eps, uint8_t *n)
{
	char word[WEFT_EPSTRLEN + 2];
	size_t len;

	*n = 0;
	while (*v) {
		while (is_space(*v))
			v++;
		if (!*v)
			break;
		len = strcspn(v, " \t\r");
		if (*n == WEFT_CONFIG_MAX_FORWARD)
			return perr(p, "too many dns_forward resolvers: at most %d", WEFT_CONFIG_MAX_FORWARD);
		if (len >= sizeof(word))
			return perr(p, "bad dns_forward '%.*s': give IP addresses, optionally with ports", (int)len,
				    v);
		memcpy(word, v, len);
		word[len] = '\0';
		if (parse_dns_listen(p, word, &eps[*n]))
			return perr(p,
				    "bad dns_forward '%s': give IP addresses, optionally with ports "
				    "(192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:53)",
				    word);
		(*n)++;
		v += len;
	}
	return 0;
}

/* "CIDR,CIDR ...": egress routes, appended to the section's (commas or
 * spaces between). A default route is refused: it would send the
 * underlay's own traffic, WireGuard's included, into the tunnel. */
static int parse_routes(struct parser *p, const char *v, struct weft_config_net *n)
{
	char word[WEFT_CIDRSTRLEN + 1];
	weft_cidr_t c;
	size_t len;
	unsigned i;

	while (*v) {
		while (is_space(*v) || *v == ',')
			v++;
		if (!*v)
			break;
		len = strcspn(v, ", \t\r");
		if (len >= sizeof(word) || (memcpy(word, v, len), word[len] = '\0', weft_cidr_parse(&c, word)))
			return perr(p,
				    "bad route '%.*s': give network CIDRs, e.g. routes = 192.168.1.0/24, "
				    "fd00:1::/64 (host bits zero)",
				    (int)(len < 60 ? len : 60), v);
		if (c.prefix == 0)
			return perr(p,
				    "bad route '%.*s': weft does not carry a default route (its tunnels "
				    "would route through themselves)",
				    (int)len, v);
		for (i = 0; i < n->nroutes; i++)
			if (n->routes[i].prefix == c.prefix && weft_ip_equal(&n->routes[i].ip, &c.ip))
				break;
		if (i == n->nroutes) {
			if (n->nroutes == WEFT_MAX_ROUTES)
				return perr(p, "too many routes: at most %d per network", WEFT_MAX_ROUTES);
			n->routes[n->nroutes++] = c;
		}
		v += len;
	}
	return 0;
}

static int global_key(struct parser *p, const char *key, const char *v)
{
	struct weft_config *c = p->c;
	int level;

	if (!strcmp(key, "state_dir"))
		return copy_path(p, key, v, c->state_dir, sizeof(c->state_dir));
	if (!strcmp(key, "socket"))
		return copy_path(p, key, v, c->socket, sizeof(c->socket));
	if (!strcmp(key, "wg_socket_dir"))
		return copy_path(p, key, v, c->wg_socket_dir, sizeof(c->wg_socket_dir));
	if (!strcmp(key, "wg_userspace")) {
		if (!*v || strlen(v) >= sizeof(c->wg_userspace))
			return perr(p, "bad wg_userspace: give a program name or path, e.g. wireguard-go");
		memcpy(c->wg_userspace, v, strlen(v) + 1);
		return 0;
	}
	if (!strcmp(key, "log_level")) {
		level = weft_log_parse_level(v);
		if (level < 0)
			return perr(p, "bad log_level '%s': use error, warn, info or debug", v);
		c->log_level = level;
		return 0;
	}
	if (!strcmp(key, "wg_backend")) {
		if (!strcmp(v, "auto"))
			c->wg_backend = WEFT_WG_AUTO;
		else if (!strcmp(v, "kernel"))
			c->wg_backend = WEFT_WG_KERNEL;
		else if (!strcmp(v, "userspace"))
			c->wg_backend = WEFT_WG_USERSPACE;
		else if (!strcmp(v, "memory"))
			c->wg_backend = WEFT_WG_MEMORY;
		else
			return perr(p, "bad wg_backend '%s': use auto, kernel, userspace or memory", v);
		return 0;
	}
	if (!strcmp(key, "join_timeout"))
		return parse_ms(p, key, v, &c->join_timeout_ms);
	if (!strcmp(key, "probe_interval"))
		return parse_ms(p, key, v, &c->probe_interval_ms);
	if (!strcmp(key, "gossip_interval"))
		return parse_ms(p, key, v, &c->gossip_interval_ms);
	if (!strcmp(key, "dns_listen"))
		return parse_dns_listen(p, v, &c->dns_listen);
	if (!strcmp(key, "dns_forward"))
		return parse_forward(p, v, c->forward, &c->nforward);
	if (!strcmp(key, "hosts_file"))
		return copy_path(p, key, v, c->hosts_file, sizeof(c->hosts_file));
	if (!strcmp(key, "resolver")) {
		if (!strcmp(v, "auto"))
			c->resolver = WEFT_RESOLVER_AUTO;
		else if (!strcmp(v, "resolved"))
			c->resolver = WEFT_RESOLVER_RESOLVED;
		else if (!strcmp(v, "hosts"))
			c->resolver = WEFT_RESOLVER_HOSTS;
		else if (!strcmp(v, "off"))
			c->resolver = WEFT_RESOLVER_OFF;
		else
			return perr(p, "bad resolver '%s': use auto, resolved, hosts or off", v);
		return 0;
	}
	if (!strcmp(key, "relay")) {
		if (!strcmp(v, "auto"))
			c->relay = WEFT_RELAY_AUTO;
		else if (!strcmp(v, "on"))
			c->relay = WEFT_RELAY_ON;
		else if (!strcmp(v, "off"))
			c->relay = WEFT_RELAY_OFF;
		else
			return perr(p, "bad relay '%s': use auto, on or off", v);
		return 0;
	}
	return perr(p,
		    "unknown setting '%s' (known: state_dir, socket, log_level, wg_backend, wg_userspace, "
		    "wg_socket_dir, join_timeout, probe_interval, gossip_interval, dns_listen, dns_forward, "
		    "resolver, hosts_file, relay)",
		    key);
}

static int net_key(struct parser *p, const char *key, const char *v)
{
	struct weft_config_net *n = p->net;
	char *end;
	long k;

	if (!strcmp(key, "interface")) {
		if (!valid_ifname(v))
			return perr(p, "bad interface '%s': 1-15 printable characters without '/', ':' or spaces",
				    v);
		memcpy(n->ifname, v, strlen(v) + 1);
		return 0;
	}
	if (!strcmp(key, "endpoint")) {
		if (n->nendpoints == WEFT_MAX_ENDPOINTS)
			return perr(p, "too many endpoints: at most %d per network", WEFT_MAX_ENDPOINTS);
		if (parse_endpoint(p, v, &n->endpoints[n->nendpoints]))
			return -EINVAL;
		n->nendpoints++;
		return 0;
	}
	if (!strcmp(key, "keepalive")) {
		errno = 0;
		k = strtol(v, &end, 10);
		if (!*v || *end || errno || k < 0 || k > 65535)
			return perr(p, "bad keepalive '%s': seconds from 0 to 65535", v);
		n->keepalive = (int)k;
		return 0;
	}
	if (!strcmp(key, "dns_listen"))
		return parse_dns_listen(p, v, &n->dns_listen);
	if (!strcmp(key, "dns_forward"))
		return parse_forward(p, v, n->forward, &n->nforward);
	if (!strcmp(key, "routes"))
		return parse_routes(p, v, n);
	if (!strcmp(key, "egress_nat")) {
		if (strcmp(v, "on") && strcmp(v, "off"))
			return perr(p, "bad egress_nat '%s': use on or off", v);
		n->egress_nat_off = !strcmp(v, "off");
		return 0;
	}
	return perr(p,
		    "unknown network setting '%s' (known: interface, endpoint, keepalive, dns_listen, "
		    "dns_forward, routes, egress_nat)",
		    key);
}

static int section(struct parser *p, char *s)
{
	char *name, *end = s + strlen(s) - 1;
	size_t i;

	if (*end != ']')
		return perr(p, "a section reads [network NAME]");
	*end = '\0';
	s++;
	while (is_space(*s))
		s++;
	if (strncmp(s, "network", 7) == 0 && (s[7] == '\0' || is_space(s[7])) && !s[7 + strspn(s + 7, " \t\r")])
		return perr(p, "a section reads [network NAME]");
	if (strncmp(s, "network", 7) != 0 || !is_space(s[7]))
		return perr(p, "unknown section; the only one is [network NAME]");
	name = s + 7;
	while (is_space(*name))
		name++;
	for (end = name + strlen(name); end > name && is_space(end[-1]); end--)
		;
	*end = '\0';
	if (!valid_label(name))
		return perr(p, "bad network name '%s' in the section header", name);
	for (i = 0; i < p->c->nnets; i++)
		if (!strcmp(p->c->nets[i].name, name))
			return perr(p, "network %s has two sections", name);
	if (p->c->nnets == WEFT_CONFIG_MAX_NETS)
		return perr(p, "too many [network] sections (at most %d)", WEFT_CONFIG_MAX_NETS);
	p->net = &p->c->nets[p->c->nnets++];
	memset(p->net, 0, sizeof(*p->net));
	memcpy(p->net->name, name, strlen(name) + 1);
	p->net->keepalive = -1;
	return 0;
}

static int line(struct parser *p, char *s)
{
	char *eq, *key, *v, *end, *hash;

	while (is_space(*s))
		s++;
	for (end = s + strlen(s); end > s && is_space(end[-1]); end--)
		;
	*end = '\0';
	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[')
		return section(p, s);
	eq = strchr(s, '=');
	if (!eq)
		return perr(p, "expected 'key = value', a [network NAME] section or a # comment");
	key = s;
	for (end = eq; end > key && is_space(end[-1]); end--)
		;
	*end = '\0';
	if (!*key)
		return perr(p, "a setting needs a name before '='");
	for (end = key; *end; end++)
		if (!((*end >= 'a' && *end <= 'z') || *end == '_'))
			return perr(p, "bad setting name '%s'", key);
	v = eq + 1;
	while (is_space(*v))
		v++;
	if (*v == '"') {
		end = strchr(v + 1, '"');
		if (!end)
			return perr(p, "unterminated quote");
		for (hash = end + 1; is_space(*hash); hash++)
			;
		if (*hash && *hash != '#')
			return perr(p, "text after the closing quote");
		*end = '\0';
		v++;
	} else {
		/* " # comment" after a value; '#' inside a word stays. */
		for (hash = v; (hash = strchr(hash, '#')) != NULL; hash++)
			if (hash > v && is_space(hash[-1]))
				break;
		if (hash) {
			for (end = hash; end > v && is_space(end[-1]); end--)
				;
			*end = '\0';
		}
	}
	if (!*v)
		return perr(p, "%s has no value", key);
	return p->net ? net_key(p, key, v) : global_key(p, key, v);
}

int weft_config_parse(struct weft_config *c, const char *text, size_t len, char *err, size_t errlen)
{
	struct parser p = { .c = c, .err = err, .errlen = errlen };
	char buf[1024];
	size_t i = 0, n;
	const char *nl;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (len > WEFT_CONFIG_MAX_SIZE) {
		if (err && errlen)
			snprintf(err, errlen, "the file is larger than %u KiB", WEFT_CONFIG_MAX_SIZE >> 10);
		return -EINVAL;
	}
	while (i < len) {
		p.line++;
		nl = memchr(text + i, '\n', len - i);
		n = nl ? (size_t)(nl - (text + i)) : len - i;
		if (n >= sizeof(buf))
			return perr(&p, "line too long (at most %zu characters)", sizeof(buf) - 1);
		memcpy(buf, text + i, n);
		buf[n] = '\0';
		if (memchr(buf, '\0', n))
			return perr(&p, "a NUL byte: this is not a text file");
		ret = line(&p, buf);
		if (ret)
			return ret;
		i += n + (nl ? 1 : 0);
	}
	return 0;
}

int weft_config_load(struct weft_config *c, const char *path, int missing_ok, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ENOENT && missing_ok)
			return 0;
		snprintf(err, errlen, "cannot read %s: %s", path, weft_strerror(ret));
		return ret;
	}
	buf = malloc(WEFT_CONFIG_MAX_SIZE + 1);
	if (!buf) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory reading %s", path);
		goto out;
	}
	while (len <= WEFT_CONFIG_MAX_SIZE && (r = read(fd, buf + len, WEFT_CONFIG_MAX_SIZE + 1 - len)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			snprintf(err, errlen, "cannot read %s: %s", path, weft_strerror(ret));
			goto out;
		}
		len += (size_t)r;
	}
	ret = weft_config_parse(c, buf, len, err, errlen);
	if (ret && err && errlen) {
		char tmp[512];

		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "%s: %s", path, tmp);
	}
out:
	free(buf);
	close(fd);
	return ret;
}
