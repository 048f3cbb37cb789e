/* Inside one network's DNS server: the state dnssrv.c (sockets, TCP
 * connections, answering from the zone) and dnsfwd.c (forwarding to the
 * upstream resolvers) share. The rest of the daemon sees dnssrv.h. */
#ifndef WEFT_DNSSRV_INTERNAL_H
#define WEFT_DNSSRV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "daemon/dnssrv.h"
#include "dns/dns.h"

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

#define RECV_BATCH 32
#define QUERY_MAX 4096 /* a bigger query (UDP datagram or TCP message) is not answered */
#define TCP_BACKLOG 16
#define TCP_WBUF_MAX (256u << 10) /* answers queued but unread: stop reading past this */
#define SWEEP_MS 250
#define RCODE_SERVFAIL 2
#define RCODE_REFUSED 5
#define MS_NS 1000000ull

struct weft_dnssrv;

struct listener {
	uv_poll_t poll;  /* UDP */
	uv_poll_t tpoll; /* TCP listener, when tfd >= 0 */
	int fd, tfd;
	unsigned handles; /* open uv handles; freed at 0 */
	weft_endpoint_t ep;
	struct weft_dnssrv *srv;
};

struct conn {
	uv_poll_t poll;
	int fd;
	struct weft_dnssrv *srv;
	struct conn *prev, *next;
	uint64_t serial; /* forwarded answers find their connection by this */
	uint64_t last_ns;
	unsigned npending; /* its queries out at an upstream */
	bool eof;          /* the client closed its side: finish, then close */
	unsigned events;   /* what the poll watches */
	size_t rlen;
	uint8_t rbuf[2 + QUERY_MAX];
	uint8_t *wbuf;
	size_t woff, wlen, wcap;
};

/* Where a forwarded query's answer goes. */
struct pending {
	bool used;
	uint16_t id;      /* the upstream's id */
	uint8_t tries;    /* upstreams asked so far */
	uint64_t next_ns; /* ask the next upstream (or give up) then */
	uint64_t end_ns;  /* SERVFAIL then */
	int ufd;          /* the UDP socket to answer from; -1: a TCP client */
	struct sockaddr_storage from;
	socklen_t fromlen;
	uint64_t conn_serial;  /* TCP */
	weft_endpoint_t asked; /* the upstream asked last */
	struct upsock *u;      /* the socket it was asked from */
	size_t qlen;
	uint8_t *q; /* the client's query */
};

/* One socket per query sent upstream: a fresh source port each time (RFC
 * 5452), so a spoofer must guess the port as well as the id. A TCP client
 * whose answer came back truncated over UDP gets it asked again over TCP
 * (RFC 7766 §5): then the socket is a stream, with its buffers. */
struct upsock {
	uv_poll_t poll;
	int fd;
	struct weft_dnssrv *srv;
	struct pending *p;
	bool tcp;
	size_t woff, wlen; /* TCP: the framed query, sent up to woff */
	size_t rlen;       /* TCP: bytes of the framed answer read */
	uint8_t *buf;      /* TCP: the query, then the answer (2 + 65,535) */
};

struct sweeper {
	uv_timer_t t;
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

	struct conn *conns;
	unsigned nconns;
	uint64_t next_serial;

	size_t nfwd;
	weft_endpoint_t fwd[WEFT_DNSSRV_MAX_FORWARD];
	struct pending pend[WEFT_DNSSRV_PENDING];
	unsigned npend;

	struct sweeper *sweep;
	uint8_t tcpout[2 + WEFT_DNS_TCP_MAX]; /* scratch for TCP answers */
};

/* ---- dnssrv.c ---- */
void weft_dnssrv_pending_free(struct weft_dnssrv *s, struct pending *p);
void weft_dnssrv_upsock_close(struct upsock *u);
/* Queue an answer on a TCP connection: false when it was closed for it. */
bool weft_dnssrv_conn_send(struct conn *c, const uint8_t *msg, size_t len);
/* The TCP connection a forwarded answer is for, or NULL if it has gone. */
struct conn *weft_dnssrv_conn_by_serial(struct weft_dnssrv *s, uint64_t serial);
/* The sweeper runs while queries are out or connections are open. */
void weft_dnssrv_sweep_arm(struct weft_dnssrv *s);
/* A non-blocking socket bound to ep (type SOCK_DGRAM or SOCK_STREAM). */
int weft_dnssrv_open_socket(const weft_endpoint_t *ep, int type, int *out);

/* ---- dnsfwd.c ---- */
/* A client's query for a name outside the zone: off to an upstream. From
 * a UDP client (ufd, from) or a TCP one (c). */
void weft_dnsfwd_query(struct weft_dnssrv *s, const uint8_t *q, size_t len, int ufd,
		       const struct sockaddr_storage *from, socklen_t fromlen, struct conn *c);
/* The next upstream, or SERVFAIL, for the queries whose time is up. */
void weft_dnsfwd_sweep(struct weft_dnssrv *s, uint64_t now);

#endif
