/* This node as an egress or ingress gateway (gateway.h): which routes it
 * advertises and serves, IP forwarding, and the masquerade rules in its own
 * nftables table, driven through the nft program (one atomic script). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/error.h"
#include "daemon/gateway.h"
#include "daemon/log.h"
#include "mesh/routecheck.h"

#define NFT_SCRIPT_MAX 4096
#define NFT_OUTPUT_MAX 512

static const uint8_t net_subject[32];

size_t weft_gateway_advertised(const struct weft_config_net *cn, weft_cidr_t out[WEFT_MAX_ROUTES])
{
	size_t i;

	if (!cn)
		return 0;
	for (i = 0; i < cn->nroutes && i < WEFT_MAX_ROUTES; i++)
		out[i] = cn->routes[i];
	return i;
}

static bool cidr_equal(const weft_cidr_t *a, const weft_cidr_t *b)
{
	return a->prefix == b->prefix && weft_ip_equal(&a->ip, &b->ip);
}

size_t weft_gateway_approved(const weft_store_t *s, const weft_pk_t *self, weft_cidr_t out[WEFT_MAX_ROUTES])
{
	const weft_record_t *st = weft_store_get(s, WEFT_REC_NODE_STATE, self->b);
	const weft_record_t *ov = weft_store_get(s, WEFT_REC_OVERRIDE, self->b);
	const weft_record_t *net = weft_store_get(s, WEFT_REC_NETWORK, net_subject);
	const struct weft_rec_override *o;
	size_t n = 0;
	unsigned i, j;

	if (!st || !ov || !(ov->u.override.set & WEFT_OVR_ROUTES))
		return 0;
	o = &ov->u.override;
	for (i = 0; i < st->u.node_state.nroutes; i++)
		for (j = 0; j < o->nroutes; j++)
			if (cidr_equal(&st->u.node_state.routes[i], &o->routes[j])) {
				/* Left out by every peer too (routecheck.h):
				 * no forwarding or masquerade for it here. */
				if (!weft_routecheck_why(&o->routes[j], net ? &net->u.network : NULL))
					out[n++] = o->routes[j];
				break;
			}
	return n;
}

void weft_gateway_want(const weft_store_t *s, const weft_pk_t *self, const struct weft_config_net *cn,
		       size_t ext_served, struct weft_gateway_want *w)
{
	const weft_record_t *net = weft_store_get(s, WEFT_REC_NETWORK, net_subject);
	size_t i;
	bool v4 = false, v6 = false;

	memset(w, 0, sizeof(*w));
	if (net) {
		w->overlay4 = net->u.network.cidr4;
		w->overlay6 = net->u.network.cidr6;
	}
	w->nroutes = (uint8_t)weft_gateway_approved(s, self, w->routes);
	for (i = 0; i < w->nroutes; i++) {
		v4 |= w->routes[i].ip.family == 4;
		v6 |= w->routes[i].ip.family == 6;
	}
	/* External clients reach the members through us in both families
	 * the network has; egress routes in their own family. IPv6 forwarding
	 * is not turned on without a reason: it makes the host a router,
	 * which stops it taking router advertisements. */
	w->forward4 = v4 || (ext_served && w->overlay4.ip.family);
	w->forward6 = v6 || (ext_served && w->overlay6.ip.family);
	w->nat = w->nroutes && !(cn && cn->egress_nat_off);
}

/* nft takes quoted strings; interface and network names here are labels
 * or checked interface names, but a quote must never end one early. */
static bool nft_safe(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || *s == '\n' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

int weft_gateway_nft_script(const char *network, const char *ifname, const struct weft_gateway_want *w, char *out,
			    size_t cap)
{
	char src[WEFT_CIDRSTRLEN], dst[WEFT_CIDRSTRLEN];
	size_t len = 0, i;
	int k;

#define EMIT(...)                                                \
	do {                                                     \
		k = snprintf(out + len, cap - len, __VA_ARGS__); \
		if (k < 0 || (size_t)k >= cap - len)             \
			return WEFT_EOVERSIZE;                   \
		len += (size_t)k;                                \
	} while (0)

	if (!cap)
		return WEFT_EOVERSIZE;
	out[0] = '\0';
	if (!nft_safe(network) || !nft_safe(ifname))
		return WEFT_EMALFORMED;
	/* "add" then "delete" removes a table whether or not it exists, in
	 * the same transaction that builds the new one: never half a rule set. */
	EMIT("add table inet weft-%s\ndelete table inet weft-%s\n", network, network);
	if (!w->nat || !w->nroutes)
		return (int)len;
	EMIT("add table inet weft-%s\n", network);
	EMIT("add chain inet weft-%s postrouting { type nat hook postrouting priority 100; policy accept; }\n",
	     network);
	for (i = 0; i < w->nroutes; i++) {
		const weft_cidr_t *r = &w->routes[i];
		const weft_cidr_t *from = r->ip.family == 4 ? &w->overlay4 : &w->overlay6;
		const char *fam = r->ip.family == 4 ? "ip" : "ip6";

		if (!from->ip.family)
			continue; /* no overlay source in that family */
		weft_cidr_format(from, src, sizeof(src));
		weft_cidr_format(r, dst, sizeof(dst));
		/* Only what leaves the overlay: traffic routed back into the
		 * mesh keeps its member's address. */
		EMIT("add rule inet weft-%s postrouting oifname != \"%s\" %s saddr %s %s daddr %s masquerade\n",
		     network, ifname, fam, src, fam, dst);
	}
	return (int)len;
#undef EMIT
}

/* Run nft -f - with script on its stdin; its words in msg. */
static int run_nft(const struct weft_gateway *gw, const char *script, size_t len, char *msg, size_t msgcap)
{
	const char *prog = gw->nft ? gw->nft : "nft";
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, status = 0, ret = 0;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	msg[0] = '\0';
	if (pipe2(in, O_CLOEXEC) || pipe2(outp, O_CLOEXEC)) {
		ret = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls from here to exec. */
		dup2(in[0], 0);
		dup2(outp[1], 1);
		dup2(outp[1], 2);
		execlp(prog, prog, "-f", "-", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	in[0] = outp[1] = -1;
	/* A script is far below a pipe's buffer: write it all, then read. */
	while (len) {
		r = write(in[1], script, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		script += r;
		len -= (size_t)r;
	}
	close(in[1]);
	in[1] = -1;
	while (got + 1 < msgcap && (r = read(outp[0], msg + got, msgcap - 1 - got)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		got += (size_t)r;
	}
	msg[got] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		ret = WIFEXITED(status) && WEXITSTATUS(status) == 127 ? -ENOENT : -EIO;
out:
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	/* nft's error text ends in a newline and a caret line: keep line one. */
	msg[strcspn(msg, "\n")] = '\0';
	return ret;
}

static int sysctl_on(const struct weft_gateway *gw, const char *key)
{
	char path[512], cur = '0';
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/proc/sys/%s", gw->proc_root ? gw->proc_root : "", key);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (read(fd, &cur, 1) == 1 && cur == '1')
		goto out;
	if (lseek(fd, 0, SEEK_SET) < 0 || write(fd, "1\n", 2) != 2)
		ret = -errno;
out:
	close(fd);
	return ret;
}

static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

/* Of what the rules depend on; 0 means "no rules". */
static uint64_t want_hash(const struct weft_gateway_want *w, const char *ifname)
{
	uint64_t h = 1469598103934665603ull;

	if (!w->nat || !w->nroutes)
		return 0;
	h = fnv(h, w->routes, w->nroutes * sizeof(w->routes[0]));
	h = fnv(h, &w->overlay4, sizeof(w->overlay4));
	h = fnv(h, &w->overlay6, sizeof(w->overlay6));
	h = fnv(h, ifname, strlen(ifname));
	return h ? h : 1;
}

void weft_gateway_apply(struct weft_gateway *gw, const char *network, const char *ifname,
			const struct weft_gateway_want *w)
{
	static const char *const keys[2] = { "net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding" };
	char script[NFT_SCRIPT_MAX], msg[NFT_OUTPUT_MAX];
	bool want_fwd[2] = { w->forward4, w->forward6 };
	uint64_t h = want_hash(w, ifname), prev = gw->applied_hash;
	int i, len, ret;

	for (i = 0; i < 2; i++) {
		if (!want_fwd[i] || gw->fwd_done[i])
			continue;
		ret = sysctl_on(gw, keys[i]);
		if (ret) {
			if (!gw->warned)
				weft_log_warn("%s: cannot turn on IP forwarding (%s): %s; this gateway will not "
					      "forward",
					      network, keys[i], weft_strerror(ret));
			gw->warned = true;
			continue;
		}
		gw->fwd_done[i] = true;
		weft_log_info("%s: IPv%d forwarding is on (this node is a gateway)", network, i ? 6 : 4);
	}
	/* The first time, run even with nothing to install: a table left by
	 * a daemon that was killed goes. */
	if (gw->checked && h == gw->applied_hash)
		return;
	len = weft_gateway_nft_script(network, ifname, w, script, sizeof(script));
	if (len < 0) {
		weft_log_error("%s: cannot build the masquerade rules: %s", network, weft_strerror(len));
		return;
	}
	ret = run_nft(gw, script, (size_t)len, msg, sizeof(msg));
	if (ret && !h && !gw->nat_table) {
		/* Nothing of ours to remove, as far as we know: no nft is fine. */
		gw->checked = true;
		return;
	}
	if (ret) {
		if (!gw->warned)
			weft_log_warn("%s: nft failed (%s%s%s); egress traffic is not masqueraded: is nftables "
				      "installed (apt-get install nftables)?",
				      network, weft_strerror(ret), msg[0] ? ": " : "", msg);
		gw->warned = true;
		return;
	}
	gw->warned = false;
	gw->checked = true;
	gw->applied_hash = h;
	gw->nat_table = h != 0;
	if (h == prev)
		return;
	if (h)
		weft_log_info("%s: masquerading overlay traffic towards %u egress route%s (nftables table inet "
			      "weft-%s)",
			      network, w->nroutes, w->nroutes == 1 ? "" : "s", network);
	else
		weft_log_info("%s: removed the masquerade rules (table inet weft-%s)", network, network);
}

void weft_gateway_stop(struct weft_gateway *gw, const char *network)
{
	struct weft_gateway_want none;

	if (!gw->nat_table)
		return;
	gw->checked = false; /* run the removal whatever the hash says */
	memset(&none, 0, sizeof(none));
	weft_gateway_apply(gw, network, "", &none);
}
