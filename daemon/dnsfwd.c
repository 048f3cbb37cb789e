/* One network's DNS server, forwarding (dnssrv_internal.h): a name outside
 * the zone goes to the upstream resolvers, each query from a UDP socket,
 * so a source port, of its own (RFC 5452) with a random id; a bounded
 * table of outstanding queries; the next upstream after a silence;
 * SERVFAIL at the end; and a TCP client's query asked again over TCP when
 * the UDP answer came back truncated (RFC 7766 §5). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "core/clock.h"
#include "core/error.h"
#include "daemon/dnssrv_internal.h"
#include "daemon/log.h"
#include "daemon/udpio.h"

static struct upsock *upstream_socket(struct weft_dnssrv *s, struct pending *p, unsigned family);
static bool pending_ask_tcp(struct weft_dnssrv *s, struct pending *p);

/* Sends p's query to the upstream after those tried; false when none is
 * left (or none could be reached). */
static bool pending_ask(struct weft_dnssrv *s, struct pending *p)
{
	struct sockaddr_storage ss;
	struct upsock *u;
	uint8_t buf[QUERY_MAX];
	size_t len;
	socklen_t sl;
	uint64_t now = weft_clock_mono_ns();

	while (p->tries < s->nfwd) {
		const weft_endpoint_t *ep = &s->fwd[p->tries++];

		/* A reply to the previous ask, late, would be ignored anyway. */
		weft_dnssrv_upsock_close(p->u);
		p->u = NULL;
		u = upstream_socket(s, p, ep->ip.family);
		if (!u)
			continue;
		p->u = u;
		if (weft_dns_forward_query(p->q, p->qlen, p->id, buf, sizeof(buf), &len))
			return false;
		sl = weft_sockaddr_from_endpoint(ep, &ss);
		if (sendto(u->fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl) < 0) {
			weft_log_debug("%s: dns: cannot forward to an upstream: %s", s->name, strerror(errno));
			continue;
		}
		p->asked = *ep;
		p->next_ns = now + WEFT_DNSSRV_UPSTREAM_MS * MS_NS;
		if (p->next_ns > p->end_ns)
			p->next_ns = p->end_ns;
		return true;
	}
	return false;
}

/* The answer to a forwarded query goes to its client; the entry is freed. */
static void pending_reply(struct weft_dnssrv *s, struct pending *p, const uint8_t *msg, size_t len)
{
	struct conn *c;

	if (p->ufd >= 0) {
		if (sendto(p->ufd, msg, len, MSG_DONTWAIT, (struct sockaddr *)&p->from, p->fromlen) < 0)
			weft_log_debug("%s: dns: cannot send an answer: %s", s->name, strerror(errno));
		weft_dnssrv_pending_free(s, p);
		return;
	}
	c = weft_dnssrv_conn_by_serial(s, p->conn_serial);
	weft_dnssrv_pending_free(s, p);
	if (c) {
		c->npending--;
		weft_dnssrv_conn_send(c, msg, len);
	}
}

static void pending_fail(struct weft_dnssrv *s, struct pending *p)
{
	uint8_t out[WEFT_DNS_UDP_MAX];
	size_t olen;

	if (weft_dns_error_reply(p->q, p->qlen, RCODE_SERVFAIL, out, sizeof(out), &olen) == 0) {
		pending_reply(s, p, out, olen);
		return;
	}
	if (p->ufd < 0) {
		struct conn *c = weft_dnssrv_conn_by_serial(s, p->conn_serial);

		if (c)
			c->npending--;
	}
	weft_dnssrv_pending_free(s, p);
}

/* A client's query for a name outside the zone: off to an upstream. */
void weft_dnsfwd_query(struct weft_dnssrv *s, const uint8_t *q, size_t len, int ufd,
		       const struct sockaddr_storage *from, socklen_t fromlen, struct conn *c)
{
	struct pending *p = NULL;
	uint8_t out[WEFT_DNS_UDP_MAX];
	size_t i, olen;
	uint16_t id;
	bool clash;

	if (s->npend < WEFT_DNSSRV_PENDING)
		for (i = 0; i < WEFT_DNSSRV_PENDING && !p; i++)
			if (!s->pend[i].used)
				p = &s->pend[i];
	if (p)
		p->q = malloc(len);
	if (!p || !p->q) {
		/* Too many outstanding: say so rather than let the client wait. */
		if (weft_dns_error_reply(q, len, RCODE_SERVFAIL, out, sizeof(out), &olen) == 0) {
			if (c)
				weft_dnssrv_conn_send(c, out, olen);
			else
				(void)sendto(ufd, out, olen, MSG_DONTWAIT, (const struct sockaddr *)from, fromlen);
		}
		return;
	}
	/* A random id, distinct from those out: a reply must match it. */
	do {
		randombytes_buf(&id, sizeof(id));
		clash = false;
		for (i = 0; i < WEFT_DNSSRV_PENDING; i++)
			clash |= s->pend[i].used && s->pend[i].id == id;
	} while (clash);
	memcpy(p->q, q, len);
	p->qlen = len;
	p->used = true;
	p->id = id;
	p->ufd = c ? -1 : ufd;
	if (!c) {
		memcpy(&p->from, from, sizeof(p->from));
		p->fromlen = fromlen;
	} else {
		p->conn_serial = c->serial;
		c->npending++;
	}
	p->end_ns = weft_clock_mono_ns() + WEFT_DNSSRV_FORWARD_MS * MS_NS;
	s->npend++;
	if (!pending_ask(s, p)) {
		pending_fail(s, p);
		return;
	}
	weft_dnssrv_sweep_arm(s);
}

static void on_upstream(uv_poll_t *h, int status, int events)
{
	struct upsock *u = h->data;
	struct weft_dnssrv *s = u->srv;
	struct pending *p = u->p;
	struct sockaddr_storage from;
	socklen_t fromlen;
	weft_endpoint_t src;
	uint8_t resp[2 * QUERY_MAX];
	ssize_t len;
	size_t olen;
	int b, ret;

	if (status < 0 || u->fd < 0)
		return;
	/* Until the one reply that counts (which closes this socket). */
	for (b = 0; b < RECV_BATCH && u->fd >= 0; b++) {
		fromlen = sizeof(from);
		len = recvfrom(u->fd, resp, sizeof(resp), MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from,
			       &fromlen);
		if (len < 0)
			break;
		if ((size_t)len > sizeof(resp) || len < 12 ||
		    !weft_sockaddr_to_endpoint((const struct sockaddr *)&from, &src))
			continue;
		/* Only from the upstream we asked: anything else may be spoofed
		 * (weft_dns_relay checks the id and the question). */
		if (!p->used || !weft_endpoint_equal(&src, &p->asked))
			continue;
		/* tcpout is free here: nothing else is being answered. */
		ret = weft_dns_relay(p->q, p->qlen, p->id, resp, (size_t)len, s->tcpout, WEFT_DNS_TCP_MAX, &olen,
				     p->ufd < 0 ? WEFT_DNS_F_TCP : 0);
		if (ret == WEFT_EPROTO)
			continue;
		if (!ret && p->ufd < 0 && (resp[2] & 0x02) && pending_ask_tcp(s, p))
			return; /* this socket is closed: the answer comes over TCP */
		if (ret)
			pending_fail(s, p);
		else
			pending_reply(s, p, s->tcpout, olen);
	}
}

/* The TCP exchange with the upstream: the framed query out, the framed
 * answer in, relayed to the client; any failure is a SERVFAIL (the
 * truncated answer would tell a TCP client nothing it can use). */
static void on_upstream_tcp(uv_poll_t *h, int status, int events)
{
	struct upsock *u = h->data;
	struct weft_dnssrv *s = u->srv;
	struct pending *p = u->p;
	size_t need, olen;
	ssize_t n;
	int ret;

	if (u->fd < 0)
		return;
	if (status < 0)
		goto fail;
	if (u->woff < u->wlen && (events & UV_WRITABLE)) {
		n = send(u->fd, u->buf + u->woff, u->wlen - u->woff, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			goto fail;
		if (n > 0)
			u->woff += (size_t)n;
		if (u->woff == u->wlen)
			uv_poll_start(&u->poll, UV_READABLE, on_upstream_tcp);
		return;
	}
	if (!(events & UV_READABLE))
		return;
	need = u->rlen < 2 ? 2 : 2 + ((size_t)u->buf[0] << 8 | u->buf[1]);
	n = recv(u->fd, u->buf + u->rlen, need - u->rlen, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
		goto fail;
	if (n < 0)
		return;
	u->rlen += (size_t)n;
	if (u->rlen == 2 && (u->buf[0] << 8 | u->buf[1]) < 12)
		goto fail;
	if (u->rlen < 2 || u->rlen < 2 + ((size_t)u->buf[0] << 8 | u->buf[1]))
		return;
	ret = weft_dns_relay(p->q, p->qlen, p->id, u->buf + 2, u->rlen - 2, s->tcpout, WEFT_DNS_TCP_MAX, &olen,
			     WEFT_DNS_F_TCP);
	if (ret)
		goto fail;
	pending_reply(s, p, s->tcpout, olen);
	return;
fail:
	pending_fail(s, p);
}

/* Asks p's query again of the same upstream, over TCP; false if it cannot
 * (then the truncated answer is relayed as it is). */
static bool pending_ask_tcp(struct weft_dnssrv *s, struct pending *p)
{
	struct sockaddr_storage ss;
	struct upsock *u;
	size_t len;
	socklen_t sl;
	int fd;

	fd = socket(p->asked.ip.family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	u = calloc(1, sizeof(*u));
	if (u)
		u->buf = malloc(2 + WEFT_DNS_TCP_MAX);
	if (!u || !u->buf || weft_dns_forward_query(p->q, p->qlen, p->id, u->buf + 2, QUERY_MAX, &len))
		goto fail;
	sl = weft_sockaddr_from_endpoint(&p->asked, &ss);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS)
		goto fail;
	u->buf[0] = (uint8_t)(len >> 8);
	u->buf[1] = (uint8_t)len;
	u->wlen = len + 2;
	u->fd = fd;
	u->srv = s;
	u->p = p;
	u->tcp = true;
	weft_dnssrv_upsock_close(p->u);
	p->u = u;
	/* No other upstream after this one: it has answered, just not whole. */
	p->tries = (uint8_t)s->nfwd;
	p->next_ns = p->end_ns;
	uv_poll_init(s->loop, &u->poll, fd);
	u->poll.data = u;
	uv_poll_start(&u->poll, UV_WRITABLE, on_upstream_tcp);
	return true;
fail:
	if (u)
		free(u->buf);
	free(u);
	close(fd);
	return false;
}

static struct upsock *upstream_socket(struct weft_dnssrv *s, struct pending *p, unsigned family)
{
	struct upsock *u;
	int fd;

	fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		weft_log_debug("%s: dns: no IPv%u socket for forwarding: %s", s->name, family, strerror(errno));
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (!u) {
		close(fd);
		return NULL;
	}
	u->fd = fd;
	u->srv = s;
	u->p = p;
	uv_poll_init(s->loop, &u->poll, fd);
	u->poll.data = u;
	uv_poll_start(&u->poll, UV_READABLE, on_upstream);
	return u;
}

void weft_dnsfwd_sweep(struct weft_dnssrv *s, uint64_t now)
{
	size_t i;

	for (i = 0; i < WEFT_DNSSRV_PENDING; i++) {
		struct pending *p = &s->pend[i];

		if (!p->used || now < p->next_ns)
			continue;
		if (now >= p->end_ns || !pending_ask(s, p))
			pending_fail(s, p);
	}
}
