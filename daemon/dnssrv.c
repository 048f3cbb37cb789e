/* One network's DNS server (dnssrv.h): per address a UDP socket, read in
 * batches from the loop, and a TCP listener (RFC 7766 framing, pipelined
 * queries, bounded connections closed when idle); every query is answered
 * from the current zone snapshot by weft_dns_answer(). Names outside the
 * zone go to the upstream resolvers when some are set (dnsfwd.c), else
 * they get REFUSED. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "core/clock.h"
#include "core/error.h"
#include "daemon/dnssrv_internal.h"
#include "daemon/log.h"
#include "daemon/udpio.h"

struct weft_dnssrv *weft_dnssrv_new(uv_loop_t *loop, const char *name)
{
	struct weft_dnssrv *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->sweep = calloc(1, sizeof(*s->sweep));
	if (!s->sweep) {
		free(s);
		return NULL;
	}
	s->loop = loop;
	snprintf(s->name, sizeof(s->name), "%s", name);
	/* Members pick their own names: a secret key keeps them from
	 * choosing ones that collide in the zone's hash table. */
	randombytes_buf(s->opts.hash_key, sizeof(s->opts.hash_key));
	uv_timer_init(loop, &s->sweep->t);
	s->sweep->t.data = s->sweep;
	s->sweep->srv = s;
	return s;
}

static void on_freeable_closed(uv_handle_t *h)
{
	free(h->data);
}

static void on_listener_handle_closed(uv_handle_t *h)
{
	struct listener *l = h->data;

	if (--l->handles == 0)
		free(l);
}

static void listener_close(struct listener *l)
{
	uv_poll_stop(&l->poll);
	close(l->fd);
	l->fd = -1;
	uv_close((uv_handle_t *)&l->poll, on_listener_handle_closed);
	if (l->tfd >= 0) {
		uv_poll_stop(&l->tpoll);
		close(l->tfd);
		l->tfd = -1;
		uv_close((uv_handle_t *)&l->tpoll, on_listener_handle_closed);
	}
}

void weft_dnssrv_pending_free(struct weft_dnssrv *s, struct pending *p)
{
	weft_dnssrv_upsock_close(p->u);
	free(p->q);
	memset(p, 0, sizeof(*p));
	s->npend--;
}

static void conn_close(struct conn *c)
{
	struct weft_dnssrv *s = c->srv;
	size_t i;

	if (c->npending)
		for (i = 0; i < WEFT_DNSSRV_PENDING; i++)
			if (s->pend[i].used && s->pend[i].ufd < 0 && s->pend[i].conn_serial == c->serial)
				weft_dnssrv_pending_free(s, &s->pend[i]);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	free(c->wbuf);
	c->wbuf = NULL;
	uv_poll_stop(&c->poll);
	close(c->fd);
	c->fd = -1;
	uv_close((uv_handle_t *)&c->poll, on_freeable_closed);
}

void weft_dnssrv_upsock_close(struct upsock *u)
{
	if (!u)
		return;
	free(u->buf);
	u->buf = NULL;
	uv_poll_stop(&u->poll);
	close(u->fd);
	u->fd = -1;
	uv_close((uv_handle_t *)&u->poll, on_freeable_closed);
}

void weft_dnssrv_free(struct weft_dnssrv *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nl; i++)
		listener_close(s->l[i]);
	while (s->conns)
		conn_close(s->conns);
	for (i = 0; i < WEFT_DNSSRV_PENDING; i++)
		if (s->pend[i].used)
			weft_dnssrv_pending_free(s, &s->pend[i]);
	uv_timer_stop(&s->sweep->t);
	uv_close((uv_handle_t *)&s->sweep->t, on_freeable_closed);
	weft_dns_zone_free(s->zone);
	sodium_memzero(s->opts.hash_key, sizeof(s->opts.hash_key));
	free(s);
}

const weft_dns_zone_t *weft_dnssrv_zone(const struct weft_dnssrv *s)
{
	return s ? s->zone : NULL;
}

struct json_object *weft_dnssrv_conflict_json(const struct weft_dnssrv *s, const weft_pk_t *self)
{
	const struct weft_dns_conflict *c = s && s->zone ? weft_dns_zone_conflict_of(s->zone, self) : NULL;
	const char *origin, *reason;
	struct json_object *o;
	char hex[65], f[WEFT_FPR_LEN + 1], msg[400];

	if (!c)
		return NULL;
	origin = weft_dns_zone_origin(s->zone);
	o = json_object_new_object();
	if (!o)
		return NULL;
	switch (c->why) {
	case WEFT_DNS_LOST_TAKEN:
		reason = "taken";
		weft_fingerprint(f, &c->winner);
		snprintf(msg, sizeof(msg),
			 "no DNS name: %s.%s belongs to node %.8s, which took the name first; "
			 "rename one of them",
			 c->name, origin, f);
		break;
	case WEFT_DNS_LOST_ENTRY:
		reason = "entry";
		snprintf(msg, sizeof(msg), "no DNS name: the admin's CNAME entry holds %s.%s", c->name, origin);
		break;
	default:
		reason = "invalid";
		snprintf(msg, sizeof(msg), "no DNS name: '%s' cannot be a name in %s (not a DNS label, or too long)",
			 c->name, origin);
		break;
	}
	json_object_object_add(o, "name", json_object_new_string(c->name));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	if (c->why == WEFT_DNS_LOST_TAKEN) {
		weft_pk_to_hex(hex, &c->winner);
		json_object_object_add(o, "holder", json_object_new_string(hex));
	} else {
		json_object_object_add(o, "holder", NULL);
	}
	json_object_object_add(o, "message", json_object_new_string(msg));
	return o;
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

void weft_dnssrv_set_forward(struct weft_dnssrv *s, const weft_endpoint_t *eps, size_t n)
{
	size_t i;

	if (!s)
		return;
	s->nfwd = 0;
	for (i = 0; i < n && s->nfwd < WEFT_DNSSRV_MAX_FORWARD; i++)
		if (eps[i].ip.family)
			s->fwd[s->nfwd++] = eps[i];
}

/* A non-blocking socket bound to ep. FREEBIND: an overlay address can
 * still be tentative (IPv6 DAD) right after it was set. */
int weft_dnssrv_open_socket(const weft_endpoint_t *ep, int type, int *out)
{
	struct sockaddr_storage ss;
	socklen_t sl = weft_sockaddr_from_endpoint(ep, &ss);
	int fd, one = 1, ret;

	fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ep->ip.family == 6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
			goto err;
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	} else {
		(void)setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	}
	if (type == SOCK_STREAM)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto err;
	if (type == SOCK_STREAM && listen(fd, TCP_BACKLOG) < 0)
		goto err;
	*out = fd;
	return 0;
err:
	ret = -errno;
	close(fd);
	return ret;
}

/* ---- the sweeper: forwarding deadlines and idle connections ---- */

static void on_sweep(uv_timer_t *t);

void weft_dnssrv_sweep_arm(struct weft_dnssrv *s)
{
	if ((s->npend || s->nconns) && !uv_is_active((uv_handle_t *)&s->sweep->t))
		uv_timer_start(&s->sweep->t, on_sweep, SWEEP_MS, SWEEP_MS);
}

/* ---- TCP connections ---- */

static void conn_update_poll(struct conn *c);

/* Writes what is queued; false when the connection was closed. */
static bool conn_flush(struct conn *c)
{
	ssize_t n;

	while (c->woff < c->wlen) {
		n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			conn_close(c);
			return false;
		}
		c->woff += (size_t)n;
	}
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
	if (c->eof && !c->wlen && !c->npending) {
		conn_close(c);
		return false;
	}
	conn_update_poll(c);
	return true;
}

/* Queues one message with its two-byte length (RFC 1035 §4.2.2). */
bool weft_dnssrv_conn_send(struct conn *c, const uint8_t *msg, size_t len)
{
	size_t need = c->wlen + 2 + len, cap;
	uint8_t *p;

	if (c->woff && c->woff == c->wlen)
		c->woff = c->wlen = 0;
	if (need > c->wcap) {
		if (c->woff) {
			memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
			c->wlen -= c->woff;
			c->woff = 0;
			need = c->wlen + 2 + len;
		}
		if (need > c->wcap) {
			cap = c->wcap ? c->wcap : 1024;
			while (cap < need)
				cap *= 2;
			p = realloc(c->wbuf, cap);
			if (!p) {
				conn_close(c);
				return false;
			}
			c->wbuf = p;
			c->wcap = cap;
		}
	}
	c->wbuf[c->wlen] = (uint8_t)(len >> 8);
	c->wbuf[c->wlen + 1] = (uint8_t)len;
	memcpy(c->wbuf + c->wlen + 2, msg, len);
	c->wlen += 2 + len;
	c->last_ns = weft_clock_mono_ns();
	return conn_flush(c);
}

struct conn *weft_dnssrv_conn_by_serial(struct weft_dnssrv *s, uint64_t serial)
{
	struct conn *c;

	for (c = s->conns; c; c = c->next)
		if (c->serial == serial)
			return c;
	return NULL;
}

static void on_sweep(uv_timer_t *t)
{
	struct sweeper *sw = t->data;
	struct weft_dnssrv *s = sw->srv;
	struct conn *c, *next;
	uint64_t now = weft_clock_mono_ns();

	weft_dnsfwd_sweep(s, now);
	for (c = s->conns; c; c = next) {
		next = c->next;
		if (!c->npending && now - c->last_ns >= WEFT_DNSSRV_TCP_IDLE_MS * MS_NS)
			conn_close(c);
	}
	if (!s->npend && !s->nconns)
		uv_timer_stop(t);
}

/* ---- answering ---- */

static unsigned answer_flags(const struct weft_dnssrv *s)
{
	return s->nfwd ? WEFT_DNS_F_FORWARD : 0;
}

/* One query from a UDP client (ufd, from) or a TCP one (c). */
static void answer_one(struct weft_dnssrv *s, int ufd, struct conn *c, const uint8_t *q, size_t len,
		       const struct sockaddr_storage *from, socklen_t fromlen)
{
	uint8_t udpout[WEFT_DNS_UDP_MAX];
	uint8_t *out = c ? s->tcpout : udpout;
	size_t cap = c ? WEFT_DNS_TCP_MAX : sizeof(udpout), olen = 0;
	int v;

	if (s->zone) {
		v = weft_dns_answer(s->zone, q, len, out, cap, &olen, answer_flags(s) | (c ? WEFT_DNS_F_TCP : 0));
		if (v == WEFT_DNS_FORWARD) {
			if (s->nfwd) {
				weft_dnsfwd_query(s, q, len, ufd, from, fromlen, c);
				return;
			}
			/* No upstream (any more): the name is not ours. */
			v = weft_dns_error_reply(q, len, RCODE_REFUSED, out, cap, &olen) ? WEFT_DNS_DROP
											 : WEFT_DNS_REPLY;
		}
	} else {
		/* Not a member yet: no zone to answer from. */
		v = weft_dns_error_reply(q, len, RCODE_SERVFAIL, out, cap, &olen) ? WEFT_DNS_DROP : WEFT_DNS_REPLY;
	}
	if (v != WEFT_DNS_REPLY)
		return;
	if (c) {
		weft_dnssrv_conn_send(c, out, olen);
		return;
	}
	if (sendto(ufd, out, olen, MSG_DONTWAIT, (const struct sockaddr *)from, fromlen) < 0)
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
		answer_one(l->srv, l->fd, NULL, q, (size_t)len, &from, fromlen);
	}
}

static void on_conn(uv_poll_t *h, int status, int events);

static void conn_update_poll(struct conn *c)
{
	unsigned ev = 0;

	/* Backpressure: a client that does not read its answers gets no more. */
	if (!c->eof && c->wlen - c->woff < TCP_WBUF_MAX)
		ev |= UV_READABLE;
	if (c->woff < c->wlen)
		ev |= UV_WRITABLE;
	if (ev == c->events)
		return;
	c->events = ev;
	if (ev)
		uv_poll_start(&c->poll, (int)ev, on_conn);
	else
		uv_poll_stop(&c->poll);
}

/* Answers every whole message in the read buffer; false when the
 * connection was closed. */
static bool conn_process(struct conn *c)
{
	struct weft_dnssrv *s = c->srv;
	uint64_t serial = c->serial;
	size_t mlen, off = 0;

	while (c->rlen - off >= 2) {
		mlen = (size_t)c->rbuf[off] << 8 | c->rbuf[off + 1];
		if (mlen < 12 || mlen > QUERY_MAX) {
			/* Not a query we answer: the stream cannot be resynchronised. */
			conn_close(c);
			return false;
		}
		if (c->rlen - off - 2 < mlen)
			break;
		answer_one(s, -1, c, c->rbuf + off + 2, mlen, NULL, 0);
		/* An answer that could not be queued closed the connection. */
		if (!weft_dnssrv_conn_by_serial(s, serial))
			return false;
		off += 2 + mlen;
	}
	if (off) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	return true;
}

static void on_conn(uv_poll_t *h, int status, int events)
{
	struct conn *c = h->data;
	ssize_t n;

	if (c->fd < 0)
		return;
	if (status < 0) {
		conn_close(c);
		return;
	}
	if ((events & UV_WRITABLE) && !conn_flush(c))
		return;
	if (!(events & UV_READABLE) || c->eof)
		return;
	n = recv(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen, MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_close(c);
		return;
	}
	if (n == 0) {
		/* The client is done sending: finish what it asked, then close. */
		c->eof = true;
		if (conn_process(c))
			conn_flush(c);
		return;
	}
	c->rlen += (size_t)n;
	c->last_ns = weft_clock_mono_ns();
	if (conn_process(c))
		conn_update_poll(c);
}

static void on_accept(uv_poll_t *h, int status, int events)
{
	struct listener *l = h->data;
	struct weft_dnssrv *s = l->srv;
	struct conn *c;
	int fd, i;

	if (status < 0 || l->tfd < 0)
		return;
	for (i = 0; i < RECV_BATCH; i++) {
		fd = accept4(l->tfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			break;
		if (s->nconns >= WEFT_DNSSRV_TCP_CONNS) {
			/* Full: the client retries later or elsewhere. */
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->srv = s;
		c->serial = ++s->next_serial;
		c->last_ns = weft_clock_mono_ns();
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
		uv_poll_init(s->loop, &c->poll, fd);
		c->poll.data = c;
		conn_update_poll(c);
	}
	weft_dnssrv_sweep_arm(s);
}

/* ---- listening ---- */

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
	int fd = -1, tfd = -1, ret;
	size_t i;

	if (s->nl == WEFT_DNSSRV_MAX_LISTEN)
		return;
	ret = weft_dnssrv_open_socket(ep, SOCK_DGRAM, &fd);
	if (!ret) {
		ret = weft_dnssrv_open_socket(ep, SOCK_STREAM, &tfd);
		if (ret) {
			close(fd);
			fd = -1;
		}
	}
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
		close(tfd);
		return;
	}
	l->fd = fd;
	l->tfd = tfd;
	l->ep = *ep;
	l->srv = s;
	uv_poll_init(s->loop, &l->poll, fd);
	l->poll.data = l;
	uv_poll_start(&l->poll, UV_READABLE, on_readable);
	uv_poll_init(s->loop, &l->tpoll, tfd);
	l->tpoll.data = l;
	uv_poll_start(&l->tpoll, UV_READABLE, on_accept);
	l->handles = 2;
	s->l[s->nl++] = l;
	for (i = 0; i < s->nfailed;) {
		if (weft_endpoint_equal(&s->failed[i], ep))
			s->failed[i] = s->failed[--s->nfailed];
		else
			i++;
	}
	weft_log_debug("%s: dns: listening on %s (UDP and TCP)", s->name,
		       weft_endpoint_format(ep, text, sizeof(text)));
}

size_t weft_dnssrv_listen(struct weft_dnssrv *s, const weft_endpoint_t *eps, size_t n)
{
	size_t i, k;

	if (!s)
		return 0;
	for (i = k = 0; i < s->nl; i++) {
		if (wanted(&s->l[i]->ep, eps, n)) {
			s->l[k++] = s->l[i];
			continue;
		}
		/* Its UDP clients' forwarded queries have nowhere to go back. */
		for (size_t j = 0; j < WEFT_DNSSRV_PENDING; j++)
			if (s->pend[j].used && s->pend[j].ufd == s->l[i]->fd)
				weft_dnssrv_pending_free(s, &s->pend[j]);
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
