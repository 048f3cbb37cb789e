/* The host resolver's view of each network's zone (resolver.h): the pure
 * edit of a hosts file's managed block, and the daemon's side — choosing
 * systemd-resolved or the hosts file, running resolvectl, rewriting the
 * hosts file atomically — done only when what it would say changed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "core/error.h"
#include "core/fileio.h"
#include "daemon/log.h"
#include "daemon/resolver.h"

extern char **environ;

/* ---- the managed block (pure) ---- */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* Is line (n bytes, no newline) "# BEGIN weft network NETWORK" or the END
 * marker, followed by nothing or a space? */
static bool marker(const char *line, size_t n, const char *word, const char *network)
{
	char head[WEFT_NAME_MAX + 40];
	size_t h;

	h = (size_t)snprintf(head, sizeof(head), "# %s weft network %s", word, network);
	while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	return n >= h && !memcmp(line, head, h) && (n == h || line[h] == ' ');
}

static void put_block(struct sbuf *b, const char *network, const struct weft_hosts_line *lines, size_t n)
{
	char ip[WEFT_ADDRSTRLEN];
	size_t i;

	sb_str(b, "# BEGIN weft network ");
	sb_str(b, network);
	sb_str(b, " (managed by the weft daemon: edits here are overwritten)\n");
	for (i = 0; i < n; i++) {
		sb_str(b, weft_ip_format(&lines[i].ip, ip, sizeof(ip)));
		sb_str(b, "\t");
		sb_str(b, lines[i].name);
		sb_str(b, "\n");
	}
	sb_str(b, "# END weft network ");
	sb_str(b, network);
	sb_str(b, "\n");
}

int weft_resolver_hosts_edit(const char *text, size_t len, const char *network, const struct weft_hosts_line *lines,
			     size_t n, char **out, size_t *outlen)
{
	struct sbuf b = { 0 };
	size_t i = 0, ll, j, end;
	const char *nl;
	bool placed = false;

	while (i < len) {
		nl = memchr(text + i, '\n', len - i);
		ll = nl ? (size_t)(nl - (text + i)) : len - i;
		end = i + ll + (nl ? 1 : 0);
		if (marker(text + i, ll, "BEGIN", network)) {
			/* Find its END; without one only this line goes. */
			for (j = end; j < len;) {
				const char *nl2 = memchr(text + j, '\n', len - j);
				size_t l2 = nl2 ? (size_t)(nl2 - (text + j)) : len - j;

				if (marker(text + j, l2, "END", network)) {
					end = j + l2 + (nl2 ? 1 : 0);
					break;
				}
				j += l2 + (nl2 ? 1 : 0);
			}
			if (!placed && n) {
				/* A file that ended inside the old block still ends in a newline. */
				put_block(&b, network, lines, n);
			}
			placed = true;
			i = end;
			continue;
		}
		sb_put(&b, text + i, end - i);
		i = end;
	}
	if (!placed && n) {
		if (b.len && b.p[b.len - 1] != '\n')
			sb_str(&b, "\n");
		put_block(&b, network, lines, n);
	}
	if (!b.p && !b.oom)
		sb_put(&b, "", 0);
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	*out = b.p;
	*outlen = b.len;
	return 0;
}

struct more_ctx {
	struct weft_hosts_line *out;
	size_t cap, k;
	const struct weft_hosts_line **members; /* the members' lines, sorted */
	size_t nmembers;
};

static int cmp_line(const struct weft_hosts_line *a, const struct weft_hosts_line *b)
{
	int c = strcmp(a->name, b->name);

	if (c)
		return c;
	if (a->ip.family != b->ip.family)
		return a->ip.family < b->ip.family ? -1 : 1;
	return memcmp(a->ip.b, b->ip.b, a->ip.family == 4 ? 4 : sizeof(a->ip.b));
}

static int cmp_line_ptr(const void *a, const void *b)
{
	return cmp_line(*(const struct weft_hosts_line *const *)a, *(const struct weft_hosts_line *const *)b);
}

static bool more_line(void *ctx, const char *name, const weft_ip_t *ip)
{
	struct more_ctx *mc = ctx;
	struct weft_hosts_line *l;
	size_t lo = 0, hi = mc->nmembers, mid;
	int c;

	if (mc->k == mc->cap)
		return false;
	l = &mc->out[mc->k];
	l->ip = *ip;
	if ((size_t)snprintf(l->name, sizeof(l->name), "%s", name) >= sizeof(l->name))
		return true;
	/* A member's name and address, listed already? (A binary search:
	 * this runs at every peer sync, for every address of the zone.) */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = cmp_line(mc->members[mid], l);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	mc->k++;
	return true;
}

size_t weft_resolver_hosts_lines(const weft_view_t *v, const weft_dns_zone_t *z, struct weft_hosts_line *out,
				 size_t cap)
{
	const char *origin = weft_dns_zone_origin(z);
	struct more_ctx mc;
	size_t i, k = 0;
	int f;

	for (i = 0; i < v->nmembers; i++) {
		const struct weft_member_view *m = &v->members[i];
		const weft_ip_t *ips[2] = { &m->address4, &m->address6 };

		if (m->status != WEFT_MEMBER_ACTIVE || !m->name[0] || weft_dns_zone_conflict_of(z, &m->node_id))
			continue;
		for (f = 0; f < 2; f++) {
			if (!ips[f]->family || k == cap)
				continue;
			out[k].ip = *ips[f];
			if ((size_t)snprintf(out[k].name, sizeof(out[k].name), "%s.%s", m->name, origin) >=
			    sizeof(out[k].name))
				continue;
			k++;
		}
	}
	/* Then every other address name of the zone: external clients and
	 * the admin's A/AAAA entries (a hosts file has no CNAME or SRV). */
	mc.members = malloc((k ? k : 1) * sizeof(*mc.members));
	if (!mc.members)
		return k; /* the members' lines, at least */
	for (i = 0; i < k; i++)
		mc.members[i] = &out[i];
	qsort(mc.members, k, sizeof(*mc.members), cmp_line_ptr);
	mc.nmembers = k;
	mc.out = out;
	mc.cap = cap;
	mc.k = k;
	weft_dns_zone_addresses(z, more_line, &mc);
	free(mc.members);
	return mc.k;
}

static bool count_addr(void *ctx, const char *name, const weft_ip_t *ip)
{
	(*(size_t *)ctx)++;
	return true;
}

size_t weft_resolver_zone_addresses(const weft_dns_zone_t *z)
{
	size_t n = 0;

	weft_dns_zone_addresses(z, count_addr, &n);
	return n;
}

/* ---- the daemon's side ---- */

enum { MODE_NONE = 0, MODE_RESOLVED, MODE_HOSTS };

struct weft_resolver {
	char network[WEFT_NAME_MAX + 1];
	int want; /* enum weft_config_resolver */
	int mode; /* MODE_*, decided at the first update */
	char hosts[PATH_MAX];
	bool applied;             /* something of ours is in place */
	uint8_t applied_hash[32]; /* of what is in place */
	char ifname[64];          /* resolved: the link configured */
};

struct weft_resolver *weft_resolver_new(const struct weft_config *cfg, const char *network)
{
	struct weft_resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	snprintf(r->network, sizeof(r->network), "%s", network);
	r->want = cfg->resolver;
	snprintf(r->hosts, sizeof(r->hosts), "%s", cfg->hosts_file[0] ? cfg->hosts_file : WEFT_CONFIG_DEFAULT_HOSTS);
	return r;
}

void weft_resolver_free(struct weft_resolver *r)
{
	free(r);
}

/* Runs argv (looked up in PATH) and waits; its output goes to /dev/null.
 * The exit status, or -errno when it could not start. */
static int run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, ret;

	if (posix_spawn_file_actions_init(&fa))
		return -ENOMEM;
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	ret = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret)
		return -ret;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static int decide(struct weft_resolver *r)
{
	struct stat sb;

	switch (r->want) {
	case WEFT_RESOLVER_OFF:
		return MODE_NONE;
	case WEFT_RESOLVER_RESOLVED:
		return MODE_RESOLVED;
	case WEFT_RESOLVER_HOSTS:
		return MODE_HOSTS;
	default:
		if (stat("/run/systemd/resolve", &sb) == 0 && S_ISDIR(sb.st_mode) &&
		    run((char *[]){ (char *)"resolvectl", (char *)"status", NULL }) == 0)
			return MODE_RESOLVED;
		return MODE_HOSTS;
	}
}

/* Reads the hosts file whole (a missing one is empty). */
static int hosts_read(const char *path, char **out, size_t *len, mode_t *mode)
{
	struct stat sb;
	char *buf;
	int fd, ret;

	*out = NULL;
	*len = 0;
	*mode = 0644;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &sb) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > (off_t)WEFT_HOSTS_MAX) {
		close(fd);
		return S_ISREG(sb.st_mode) ? -EFBIG : -EINVAL;
	}
	*mode = sb.st_mode & 07777;
	buf = malloc((size_t)sb.st_size + 2);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	ret = weft_fileio_read_all(fd, buf, (size_t)sb.st_size + 1, len);
	close(fd);
	if (!ret && *len > (size_t)sb.st_size)
		ret = -EAGAIN; /* it grew while we read: next time */
	if (ret) {
		free(buf);
		return ret;
	}
	*out = buf;
	return 0;
}

/* Is path a mount point of its own (containers and our tests bind-mount
 * a file on /etc/hosts)? /proc/self/mountinfo's fifth field, with spaces
 * and the like escaped as \ooo. */
static bool is_mount_point(const char *path)
{
	char real[PATH_MAX], line[4096], mp[PATH_MAX];
	bool found = false;
	size_t k;
	FILE *f;
	char *p;
	int field;

	if (!realpath(path, real))
		return false;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		for (p = line, field = 0; *p && field < 4; p++)
			if (*p == ' ')
				field++;
		for (k = 0; *p && *p != ' ' && *p != '\n' && k + 1 < sizeof(mp); p++) {
			if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] && p[3]) {
				mp[k++] = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
				p += 3;
			} else {
				mp[k++] = *p;
			}
		}
		mp[k] = '\0';
		found = !strcmp(mp, real);
	}
	fclose(f);
	return found;
}

/* Rewrites a file in place (when it cannot be replaced). */
static int write_in_place(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = weft_fileio_write_all(fd, text, len);
	if (!ret)
		ret = weft_fileio_sync_close(&fd);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Replaces path with text (core/fileio.h). A hosts file that is a mount
 * point (containers bind-mount /etc/hosts) cannot be renamed over: it is
 * rewritten in place. */
static int hosts_write(const char *path, const char *text, size_t len, mode_t mode)
{
	struct iovec part = { (void *)text, len };
	int ret;

	if (is_mount_point(path))
		return write_in_place(path, text, len);
	ret = weft_fileio_replace(path, "weft", &part, 1, mode);
	if (ret == -EBUSY || ret == -EXDEV)
		ret = write_in_place(path, text, len);
	return ret;
}

static int hosts_apply(struct weft_resolver *r, const struct weft_hosts_line *lines, size_t n)
{
	char *old = NULL, *text = NULL;
	size_t olen, tlen;
	mode_t mode;
	int ret;

	ret = hosts_read(r->hosts, &old, &olen, &mode);
	if (ret)
		return ret;
	if (!old && !n)
		return 0;
	ret = weft_resolver_hosts_edit(old ? old : "", old ? olen : 0, r->network, lines, n, &text, &tlen);
	if (!ret && (!old || tlen != olen || memcmp(text, old, tlen)))
		ret = hosts_write(r->hosts, text, tlen, mode);
	free(old);
	free(text);
	return ret;
}

static int resolved_apply(struct weft_resolver *r, const char *ifname, const weft_ip_t *self4,
			  const weft_ip_t *self6, const weft_dns_zone_t *z)
{
	char a4[WEFT_ADDRSTRLEN], a6[WEFT_ADDRSTRLEN], dom[3][2 * WEFT_DNS_TEXT_MAX + 2];
	char rev[2][WEFT_DNS_TEXT_MAX];
	char *argv[7] = { (char *)"resolvectl", (char *)"dns", (char *)ifname, NULL, NULL, NULL, NULL };
	size_t nrev, i;
	int k = 3, ret;

	if (self4->family)
		argv[k++] = weft_ip_format(self4, a4, sizeof(a4));
	if (self6->family)
		argv[k++] = weft_ip_format(self6, a6, sizeof(a6));
	ret = run(argv);
	if (ret)
		return ret;
	/* "~": routing-only domains, so only the zone's names go to us, and
	 * the reverse names of the network's ranges (ping and ssh then show
	 * members' names). */
	argv[1] = (char *)"domain";
	k = 3;
	snprintf(dom[0], sizeof(dom[0]), "~%s", weft_dns_zone_origin(z));
	argv[k++] = dom[0];
	nrev = weft_dns_zone_reverse(z, rev, 2);
	for (i = 0; i < nrev; i++) {
		snprintf(dom[1 + i], sizeof(dom[1 + i]), "~%s", rev[i]);
		argv[k++] = dom[1 + i];
	}
	argv[k] = NULL;
	ret = run(argv);
	if (!ret)
		snprintf(r->ifname, sizeof(r->ifname), "%s", ifname);
	return ret;
}

static void say_failed(struct weft_resolver *r, const char *what, int ret)
{
	if (ret < 0)
		weft_log_warn("%s: dns: cannot %s: %s", r->network, what, weft_strerror(ret));
	else
		weft_log_warn("%s: dns: cannot %s: resolvectl exited with status %d", r->network, what, ret);
}

void weft_resolver_update(struct weft_resolver *r, const weft_view_t *v, const weft_dns_zone_t *z,
			  const char *ifname, const weft_ip_t *self4, const weft_ip_t *self6)
{
	struct weft_hosts_line *lines = NULL;
	crypto_generichash_state hs;
	uint8_t h[32];
	size_t n = 0, cap;
	int ret;

	if (!r || !z)
		return;
	if (!r->applied && !r->mode)
		r->mode = decide(r);
	crypto_generichash_init(&hs, NULL, 0, sizeof(h));
	crypto_generichash_update(&hs, (const uint8_t *)&r->mode, sizeof(r->mode));
	if (r->mode == MODE_HOSTS) {
		cap = 2 * v->nmembers + weft_resolver_zone_addresses(z);
		lines = calloc(cap ? cap : 1, sizeof(*lines));
		if (!lines)
			return;
		n = weft_resolver_hosts_lines(v, z, lines, cap);
		for (size_t i = 0; i < n; i++) {
			crypto_generichash_update(&hs, (const uint8_t *)&lines[i].ip, sizeof(lines[i].ip));
			crypto_generichash_update(&hs, (const uint8_t *)lines[i].name, strlen(lines[i].name) + 1);
		}
	} else if (r->mode == MODE_RESOLVED) {
		if (!ifname || (!self4->family && !self6->family))
			return;
		crypto_generichash_update(&hs, (const uint8_t *)ifname, strlen(ifname) + 1);
		crypto_generichash_update(&hs, (const uint8_t *)self4, sizeof(*self4));
		crypto_generichash_update(&hs, (const uint8_t *)self6, sizeof(*self6));
		crypto_generichash_update(&hs, (const uint8_t *)weft_dns_zone_origin(z),
					  strlen(weft_dns_zone_origin(z)) + 1);
	} else {
		return;
	}
	crypto_generichash_final(&hs, h, sizeof(h));
	if (r->applied && !memcmp(h, r->applied_hash, sizeof(h))) {
		free(lines);
		return;
	}
	if (r->mode == MODE_HOSTS) {
		ret = hosts_apply(r, lines, n);
		if (ret)
			weft_log_warn("%s: dns: cannot update %s: %s (will retry)", r->network, r->hosts,
				      weft_strerror(ret));
		else
			weft_log_info("%s: dns: %zu address%s for %s in %s", r->network, n, n == 1 ? "" : "es",
				      weft_dns_zone_origin(z), r->hosts);
	} else {
		ret = resolved_apply(r, ifname, self4, self6, z);
		if (ret)
			say_failed(r, "register the zone with systemd-resolved", ret);
		else
			weft_log_info("%s: dns: systemd-resolved sends ~%s and its reverse zones to this node on %s",
				      r->network, weft_dns_zone_origin(z), ifname);
	}
	free(lines);
	if (ret)
		return; /* the next update tries again */
	r->applied = true;
	memcpy(r->applied_hash, h, sizeof(h));
}

void weft_resolver_remove(struct weft_resolver *r)
{
	int ret;

	if (!r)
		return;
	if (!r->mode)
		r->mode = decide(r);
	if (r->mode == MODE_HOSTS) {
		/* Also when this run never wrote it: a block from before a
		 * restart goes too. */
		ret = hosts_apply(r, NULL, 0);
		if (ret)
			weft_log_warn("%s: dns: cannot remove our lines from %s: %s", r->network, r->hosts,
				      weft_strerror(ret));
	} else if (r->mode == MODE_RESOLVED && r->ifname[0]) {
		ret = run((char *[]){ (char *)"resolvectl", (char *)"revert", r->ifname, NULL });
		if (ret)
			say_failed(r, "revert the interface's DNS settings in systemd-resolved", ret);
	}
	r->applied = false;
}
