/* One network's DNS server (dnssrv.h): a UDP socket per address it answers
 * on, each read in batches from the loop, every query answered from the
 * current zone snapshot by weft_dns_answer(). Nothing is forwarded: names
 * outside the zone get REFUSED. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "dnssrv.h"
#include "error.h"
#include "log.h"

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

#define RECV_BATCH 32
#define QUERY_MAX 4096
#define RCODE_SERVFAIL 2
#define RCODE_REFUSED 5

struct listener {
	uv_poll_t poll;
	int fd;
	weft_endpoint_t ep;
	struct weft_dnssrv *srv;
};

struct weft_dnssrv {
	uv_loop_t *loop;
	char name[WEFT_NAME_MAX + 1];
	weft_dns_zone_t *zone;
	struct weft_dns_zone_opts opts;
	size_t nl;
	struct listener *l[WEFT_DNSSRV_MAX_LISTEN];
	/* Addresses we could not bind and said so: each is retried at every
	 * listen call, but warned about once. */
	size_t nfailed;
	weft_endpoint_t failed[WEFT_DNSSRV_MAX_LISTEN];
};

struct weft_dnssrv *weft_dnssrv_new(uv_loop_t *loop, const char *name)
{
	struct weft_dnssrv *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->loop = loop;
	snprintf(s->name, sizeof(s->name), "%s", name);
	/* Members pick their own names: a secret key keeps them from
	 * choosing ones that collide in the zone's hash table. */
	randombytes_buf(s->opts.hash_key, sizeof(s->opts.hash_key));
	return s;
}

static void on_listener_closed(uv_handle_t *h)
{
	free(h->data);
}

static void listener_close(struct listener *l)
{
	uv_poll_stop(&l->poll);
	close(l->fd);
	l->fd = -1;
	uv_close((uv_handle_t *)&l->poll, on_listener_closed);
}

void weft_dnssrv_free(struct weft_dnssrv *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nl; i++)
		listener_close(s->l[i]);
	weft_dns_zone_free(s->zone);
	sodium_memzero(s->opts.hash_key, sizeof(s->opts.hash_key));
	free(s);
}

const weft_dns_zone_t *weft_dnssrv_zone(const struct weft_dnssrv *s)
{
	return s ? s->zone : NULL;
}

int weft_dnssrv_update(struct weft_dnssrv *s, const weft_view_t *v, const weft_store_t *st)
{
	weft_dns_zone_t *z = NULL;
	int ret;

	ret = weft_dns_zone_build(&z, v, st, &s->opts);
	if (ret) {
		weft_log_debug("%s: dns: cannot build the zone: %s", s->name, weft_strerror(ret));
		return ret;
	}
	if (!s->zone || weft_dns_zone_serial(s->zone) != weft_dns_zone_serial(z))
		weft_log_debug("%s: dns: zone %s serial %u", s->name, weft_dns_zone_origin(z),
			       weft_dns_zone_serial(z));
	weft_dns_zone_free(s->zone);
	s->zone = z;
	return 0;
}

static socklen_t to_sockaddr(const weft_endpoint_t *ep, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->ip.family == 6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(ep->port);
		memcpy(&a->sin6_addr, ep->ip.b, 16);
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons(ep->port);
	memcpy(&a->sin_addr, ep->ip.b, 4);
	return sizeof(*a);
}

/* A non-blocking socket bound to ep. FREEBIND: an overlay address can
 * still be tentative (IPv6 DAD) right after it was set. */
static int open_socket(const weft_endpoint_t *ep, int *out)
{
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(ep, &ss);
	int fd, one = 1, ret;

	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ep->ip.family == 6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
			goto err;
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	} else {
		(void)setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto err;
	*out = fd;
	return 0;
err:
	ret = -errno;
	close(fd);
	return ret;
}

static void answer_one(struct weft_dnssrv *s, int fd, const uint8_t *q, size_t len,
		       const struct sockaddr_storage *from, socklen_t fromlen)
{
	uint8_t out[WEFT_DNS_UDP_MAX];
	size_t olen = 0;
	int v;

	if (s->zone) {
		v = weft_dns_answer(s->zone, q, len, out, sizeof(out), &olen, 0);
		/* No upstream is configured, so this should not come back;
		 * if it does, the name is not ours. */
		if (v == WEFT_DNS_FORWARD)
			v = weft_dns_error_reply(q, len, RCODE_REFUSED, out, sizeof(out), &olen) ? WEFT_DNS_DROP
												 : WEFT_DNS_REPLY;
	} else {
		/* Not a member yet: no zone to answer from. */
		v = weft_dns_error_reply(q, len, RCODE_SERVFAIL, out, sizeof(out), &olen) ? WEFT_DNS_DROP
											  : WEFT_DNS_REPLY;
	}
	if (v != WEFT_DNS_REPLY)
		return;
	if (sendto(fd, out, olen, MSG_DONTWAIT, (const struct sockaddr *)from, fromlen) < 0)
		weft_log_debug("%s: dns: cannot send an answer: %s", s->name, strerror(errno));
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct listener *l = h->data;
	struct sockaddr_storage from;
	socklen_t fromlen;
	uint8_t q[QUERY_MAX];
	ssize_t len;
	int i;

	if (status < 0 || l->fd < 0)
		return;
	for (i = 0; i < RECV_BATCH; i++) {
		fromlen = sizeof(from);
		len = recvfrom(l->fd, q, sizeof(q), MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &fromlen);
		if (len < 0)
			break;
		/* A datagram bigger than any sane query is not answered. */
		if ((size_t)len > sizeof(q))
			continue;
		answer_one(l->srv, l->fd, q, (size_t)len, &from, fromlen);
	}
}

static bool wanted(const weft_endpoint_t *ep, const weft_endpoint_t *eps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (eps[i].ip.family && weft_endpoint_equal(ep, &eps[i]))
			return true;
	return false;
}

static void listener_open(struct weft_dnssrv *s, const weft_endpoint_t *ep)
{
	char text[WEFT_EPSTRLEN];
	struct listener *l;
	int fd = -1, ret;
	size_t i;

	if (s->nl == WEFT_DNSSRV_MAX_LISTEN)
		return;
	ret = open_socket(ep, &fd);
	if (ret) {
		if (!wanted(ep, s->failed, s->nfailed) && s->nfailed < WEFT_DNSSRV_MAX_LISTEN) {
			s->failed[s->nfailed++] = *ep;
			weft_log_warn("%s: dns: cannot listen on %s: %s", s->name,
				      weft_endpoint_format(ep, text, sizeof(text)), weft_strerror(ret));
		}
		return;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		close(fd);
		return;
	}
	l->fd = fd;
	l->ep = *ep;
	l->srv = s;
	uv_poll_init(s->loop, &l->poll, fd);
	l->poll.data = l;
	uv_poll_start(&l->poll, UV_READABLE, on_readable);
	s->l[s->nl++] = l;
	for (i = 0; i < s->nfailed;) {
		if (weft_endpoint_equal(&s->failed[i], ep))
			s->failed[i] = s->failed[--s->nfailed];
		else
			i++;
	}
	weft_log_debug("%s: dns: listening on %s", s->name, weft_endpoint_format(ep, text, sizeof(text)));
}

size_t weft_dnssrv_listen(struct weft_dnssrv *s, const weft_endpoint_t *eps, size_t n)
{
	size_t i, k;

	if (!s)
		return 0;
	for (i = k = 0; i < s->nl; i++) {
		if (wanted(&s->l[i]->ep, eps, n))
			s->l[k++] = s->l[i];
		else
			listener_close(s->l[i]);
	}
	s->nl = k;
	for (i = 0; i < n; i++) {
		bool have = false;

		if (!eps[i].ip.family)
			continue;
		for (k = 0; k < s->nl; k++)
			have |= weft_endpoint_equal(&s->l[k]->ep, &eps[i]);
		if (!have)
			listener_open(s, &eps[i]);
	}
	return s->nl;
}
