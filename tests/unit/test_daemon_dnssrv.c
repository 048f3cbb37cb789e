/* The daemon's DNS server (daemon/dnssrv.c) in-process on loopback, driven by
 * its libuv loop: UDP answers, REFUSED without upstreams; forwarding (the
 * query goes upstream with a fresh id and a clamped EDNS size, a reply from
 * anyone but the upstream is ignored, the real one reaches the client with
 * its id, silence ends in SERVFAIL); TCP (a message split across writes,
 * pipelined queries answered in order, an answer too big for UDP, a bad
 * length closing the connection, forwarding for a TCP client, and for a
 * TCP client whose answer comes back truncated over UDP, the same question
 * asked again of the upstream over TCP). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "daemon/dnssrv.h"
#include "tests/unit/store_fixture.h"
#include "tests/unit/test_dns_util.h"

struct fx {
	uv_loop_t loop;
	struct weft_dnssrv *s;
	struct tview t;
	weft_store_t *store;
	weft_endpoint_t ep;
	struct sockaddr_in sa;
};

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct sockaddr_in lo(uint16_t port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	return a;
}

/* A UDP socket on loopback (port 0: any); its port in *port. */
static int udp_sock(uint16_t *port)
{
	struct sockaddr_in a = lo(0);
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	if (port)
		*port = ntohs(a.sin_port);
	return fd;
}

/* Turns the loop until fd has something (recv > 0 or EOF) or ms pass:
 * the bytes read, 0 at EOF, -1 on timeout. */
static ssize_t pump_recv(struct fx *f, int fd, uint8_t *buf, size_t cap, unsigned ms, struct sockaddr_in *from)
{
	uint64_t end = ms_now() + ms;
	socklen_t fl = sizeof(*from);
	ssize_t n;

	do {
		uv_run(&f->loop, UV_RUN_NOWAIT);
		n = from ? recvfrom(fd, buf, cap, MSG_DONTWAIT, (struct sockaddr *)from, &fl)
			 : recv(fd, buf, cap, MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return 0; /* reset: as good as closed */
		usleep(500);
	} while (ms_now() < end);
	return -1;
}

/* A 63-byte label per link, so compression cannot shorten the chain. */
#define LONG "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwx"

static void add_entry(weft_store_t *st, const weft_keypair_t *admin, const char *name, uint16_t type,
		      const char *value)
{
	weft_record_t r;

	fx_begin(&r, WEFT_REC_DNS);
	r.u.dns.version = 1;
	snprintf(r.u.dns.name, sizeof(r.u.dns.name), "%s", name);
	r.u.dns.rtype = type;
	r.u.dns.ttl = 60;
	snprintf(r.u.dns.value, sizeof(r.u.dns.value), "%s", value);
	fx_sign(&r, admin);
	assert_true(weft_store_merge(st, &r) >= 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char name[80], target[80], txt[251];
	weft_keypair_t admin;
	weft_record_t net;
	int i;

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->s = weft_dnssrv_new(&f->loop, "net");
	assert_non_null(f->s);
	tz_fixture_view(&f->t);
	/* The store only carries the admin's entries: a chain of six CNAMEs
	 * to a 250-byte TXT (an answer of ~820 bytes). */
	fx_key(&admin, FX_ADMIN, 1);
	f->store = weft_store_new(&admin.pk, NULL, NULL);
	assert_non_null(f->store);
	fx_network(&net, &admin, 1, "10.42.0.0/16");
	assert_true(weft_store_merge(f->store, &net) >= 0);
	for (i = 1; i <= 6; i++) {
		snprintf(name, sizeof(name), "c%d-" LONG, i);
		snprintf(target, sizeof(target), "c%d-" LONG, i + 1);
		add_entry(f->store, &admin, name, WEFT_DNS_CNAME, target);
	}
	memset(txt, 'x', 250);
	txt[250] = '\0';
	add_entry(f->store, &admin, "c7-" LONG, WEFT_DNS_TXT, txt);
	assert_int_equal(weft_dnssrv_update(f->s, &f->t.v, f->store), 0);
	/* A port free for UDP and TCP: ask the kernel, then take it. */
	for (i = 0; i < 20; i++) {
		uint16_t port;
		int fd = udp_sock(&port);

		close(fd);
		memset(&f->ep, 0, sizeof(f->ep));
		assert_int_equal(weft_ip_parse(&f->ep.ip, "127.0.0.1"), 0);
		f->ep.port = port;
		if (weft_dnssrv_listen(f->s, &f->ep, 1) == 1)
			break;
	}
	assert_true(i < 20);
	f->sa = lo(f->ep.port);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	weft_dnssrv_free(f->s);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	weft_store_free(f->store);
	tv_free(&f->t);
	free(f);
	return 0;
}

/* One UDP query, its reply parsed (or -1 when none came). */
static int udp_ask(struct fx *f, const uint8_t *q, size_t qlen, struct tm_msg *m, unsigned ms)
{
	uint8_t buf[2048];
	int fd = udp_sock(NULL);
	ssize_t n;

	assert_int_equal(sendto(fd, q, qlen, 0, (struct sockaddr *)&f->sa, sizeof(f->sa)), (ssize_t)qlen);
	n = pump_recv(f, fd, buf, sizeof(buf), ms, NULL);
	close(fd);
	if (n <= 0)
		return -1;
	assert_int_equal(tm_parse(buf, (size_t)n, m), 0);
	return 0;
}

static void test_udp(void **state)
{
	struct fx *f = *state;
	uint8_t q[512];
	struct tm_msg m;
	size_t n;

	n = tq_build(q, 0x4242, 0x0100, "web.net.internal", 1, -1, false);
	assert_int_equal(udp_ask(f, q, n, &m, 2000), 0);
	assert_int_equal(m.id, 0x4242);
	assert_int_equal(tm_rcode(&m), 0);
	assert_int_equal(m.an, 1);
	assert_string_equal(tm_get(&m, 1, 0)->data, "10.42.0.5");
	/* Outside the zone, no upstream: REFUSED. */
	n = tq_build(q, 7, 0x0100, "example.com", 1, -1, false);
	assert_int_equal(udp_ask(f, q, n, &m, 2000), 0);
	assert_int_equal(tm_rcode(&m), 5);
	/* Too big for 512 bytes over UDP: TC, no answers. */
	n = tq_build(q, 8, 0x0100, "c1-" LONG ".net.internal", 16, -1, false);
	assert_int_equal(udp_ask(f, q, n, &m, 2000), 0);
	assert_true(m.flags & 0x0200);
	assert_int_equal(m.an, 0);
}

static void test_forward(void **state)
{
	struct fx *f = *state;
	uint8_t q[512], up[2048], resp[2048];
	struct sockaddr_in from, client_sa;
	weft_endpoint_t fwd;
	uint16_t uport, upid;
	struct tm_msg m;
	int ufd, spoof, cfd;
	size_t n;
	ssize_t k;
	uint64_t t0;

	ufd = udp_sock(&uport);
	memset(&fwd, 0, sizeof(fwd));
	assert_int_equal(weft_ip_parse(&fwd.ip, "127.0.0.1"), 0);
	fwd.port = uport;
	weft_dnssrv_set_forward(f->s, &fwd, 1);

	/* The client asks with EDNS 4096; the upstream sees its own id and 1232. */
	cfd = udp_sock(NULL);
	n = tq_build(q, 0x1234, 0x0100, "example.com", 1, 4096, false);
	assert_int_equal(sendto(cfd, q, n, 0, (struct sockaddr *)&f->sa, sizeof(f->sa)), (ssize_t)n);
	k = pump_recv(f, ufd, up, sizeof(up), 2000, &from);
	assert_int_equal(k, (ssize_t)n);
	assert_int_equal(tm_parse(up, (size_t)k, &m), 0);
	assert_string_equal(m.qname, "example.com");
	assert_true(m.edns);
	assert_int_equal(m.edns_size, 1232);
	upid = m.id;

	/* A reply from another socket (a spoofer) is ignored. */
	memcpy(resp, up, (size_t)k);
	resp[2] |= 0x80; /* QR */
	resp[3] = 0x80;  /* RA, NOERROR */
	spoof = udp_sock(NULL);
	assert_int_equal(sendto(spoof, resp, (size_t)k, 0, (struct sockaddr *)&from, sizeof(from)), k);
	assert_int_equal(pump_recv(f, cfd, q, sizeof(q), 150, NULL), -1);
	close(spoof);
	/* A reply with another id from the upstream: ignored too. */
	resp[0] ^= 0xff;
	assert_int_equal(sendto(ufd, resp, (size_t)k, 0, (struct sockaddr *)&from, sizeof(from)), k);
	assert_int_equal(pump_recv(f, cfd, q, sizeof(q), 150, NULL), -1);
	/* The real reply goes back with the client's id. */
	resp[0] = (uint8_t)(upid >> 8);
	resp[1] = (uint8_t)upid;
	resp[3] = 0x83; /* NXDOMAIN: relayed as it is */
	assert_int_equal(sendto(ufd, resp, (size_t)k, 0, (struct sockaddr *)&from, sizeof(from)), k);
	k = pump_recv(f, cfd, up, sizeof(up), 2000, &client_sa);
	assert_true(k > 12);
	assert_int_equal(tm_parse(up, (size_t)k, &m), 0);
	assert_int_equal(m.id, 0x1234);
	assert_int_equal(tm_rcode(&m), 3);
	close(cfd);

	/* Silence: SERVFAIL once the upstream's wait is over. */
	n = tq_build(q, 0x5555, 0x0100, "silent.example", 1, -1, false);
	t0 = ms_now();
	assert_int_equal(udp_ask(f, q, n, &m, 5000), 0);
	assert_int_equal(m.id, 0x5555);
	assert_int_equal(tm_rcode(&m), 2);
	assert_true(ms_now() - t0 >= WEFT_DNSSRV_UPSTREAM_MS - 100);
	assert_true(ms_now() - t0 < WEFT_DNSSRV_FORWARD_MS + 1000);

	/* The silent upstream got that query: gone from its socket. */
	assert_true(recv(ufd, up, sizeof(up), MSG_DONTWAIT) > 0);
	while (recv(ufd, up, sizeof(up), MSG_DONTWAIT) > 0)
		;

	/* Over TCP: forwarded by UDP, relayed with the TCP framing. */
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(cfd, (struct sockaddr *)&f->sa, sizeof(f->sa)), 0);
	n = tq_build(q + 2, 0x0777, 0x0100, "example.org", 28, -1, false);
	q[0] = (uint8_t)(n >> 8);
	q[1] = (uint8_t)n;
	assert_int_equal(send(cfd, q, n + 2, 0), (ssize_t)(n + 2));
	k = pump_recv(f, ufd, up, sizeof(up), 2000, &from);
	assert_int_equal(k, (ssize_t)n);
	up[2] |= 0x80;
	assert_int_equal(sendto(ufd, up, (size_t)k, 0, (struct sockaddr *)&from, sizeof(from)), k);
	k = pump_recv(f, cfd, resp, sizeof(resp), 2000, NULL);
	assert_int_equal(k, (ssize_t)(n + 2));
	assert_int_equal(resp[0] << 8 | resp[1], (int)n);
	assert_int_equal(tm_parse(resp + 2, n, &m), 0);
	assert_int_equal(m.id, 0x0777);
	assert_true(m.flags & 0x8000);
	close(cfd);
	close(ufd);
	weft_dnssrv_set_forward(f->s, NULL, 0);
}

/* Reads whole framed messages from a TCP socket into out[]; how many. */
static size_t tcp_read(struct fx *f, int fd, struct tm_msg *out, size_t want)
{
	uint8_t buf[70000];
	size_t have = 0, got = 0, len;
	ssize_t k;

	while (got < want) {
		k = pump_recv(f, fd, buf + have, sizeof(buf) - have, 2000, NULL);
		if (k <= 0)
			break;
		have += (size_t)k;
		while (have >= 2 && have - 2 >= (len = (size_t)buf[0] << 8 | buf[1]) && got < want) {
			assert_int_equal(tm_parse(buf + 2, len, &out[got]), 0);
			got++;
			memmove(buf, buf + 2 + len, have - 2 - len);
			have -= 2 + len;
		}
	}
	return got;
}

static void test_tcp(void **state)
{
	struct fx *f = *state;
	uint8_t q[1024];
	struct tm_msg *m = calloc(3, sizeof(*m));
	size_t n, n2;
	int fd;

	assert_non_null(m);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&f->sa, sizeof(f->sa)), 0);
	/* One query split: its first length byte alone, then the rest. */
	n = tq_build(q + 2, 1, 0x0100, "c1-" LONG ".net.internal", 16, -1, false);
	q[0] = (uint8_t)(n >> 8);
	q[1] = (uint8_t)n;
	assert_int_equal(send(fd, q, 1, 0), 1);
	assert_int_equal(pump_recv(f, fd, q + 600, 10, 50, NULL), -1);
	assert_int_equal(send(fd, q + 1, n + 1, 0), (ssize_t)(n + 1));
	assert_int_equal(tcp_read(f, fd, m, 1), 1);
	/* Over TCP the ~820-byte answer is whole: no TC, 6 CNAMEs and the TXT. */
	assert_int_equal(m[0].id, 1);
	assert_false(m[0].flags & 0x0200);
	assert_int_equal(m[0].an, 7);

	/* Two queries in one write: two answers, in order. */
	n = tq_build(q + 2, 2, 0x0100, "web.net.internal", 1, -1, false);
	q[0] = (uint8_t)(n >> 8);
	q[1] = (uint8_t)n;
	n2 = tq_build(q + 4 + n, 3, 0x0100, "nosuch.net.internal", 1, -1, false);
	q[2 + n] = (uint8_t)(n2 >> 8);
	q[3 + n] = (uint8_t)n2;
	assert_int_equal(send(fd, q, n + n2 + 4, 0), (ssize_t)(n + n2 + 4));
	assert_int_equal(tcp_read(f, fd, m, 2), 2);
	assert_int_equal(m[0].id, 2);
	assert_int_equal(tm_rcode(&m[0]), 0);
	assert_int_equal(m[1].id, 3);
	assert_int_equal(tm_rcode(&m[1]), 3);

	/* A length no query has: the connection closes. */
	q[0] = 0;
	q[1] = 5;
	assert_int_equal(send(fd, q, 7, 0), 7);
	assert_int_equal(pump_recv(f, fd, q, sizeof(q), 2000, NULL), 0);
	close(fd);

	/* The client's half-close: what it asked is still answered. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&f->sa, sizeof(f->sa)), 0);
	n = tq_build(q + 2, 9, 0x0100, "db.net.internal", 1, -1, false);
	q[0] = (uint8_t)(n >> 8);
	q[1] = (uint8_t)n;
	assert_int_equal(send(fd, q, n + 2, 0), (ssize_t)(n + 2));
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	assert_int_equal(tcp_read(f, fd, m, 1), 1);
	assert_int_equal(m[0].id, 9);
	assert_int_equal(pump_recv(f, fd, q, sizeof(q), 2000, NULL), 0);
	close(fd);
	free(m);
}

/* A TCP client's question whose UDP answer is truncated: asked again of
 * the same upstream over TCP, and the whole answer reaches the client. */
static void test_forward_tcp_truncated(void **state)
{
	struct fx *f = *state;
	uint8_t q[512], up[2048], resp[2048];
	struct sockaddr_in from, up_sa;
	weft_endpoint_t fwd;
	uint16_t uport, upid;
	struct tm_msg m;
	int ufd, lfd, afd = -1, cfd, one = 1;
	size_t n, have = 0, qlen;
	ssize_t k;
	uint64_t end;

	ufd = udp_sock(&uport);
	/* The upstream's TCP side, on the same port. */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(lfd >= 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	up_sa = lo(uport);
	assert_int_equal(bind(lfd, (struct sockaddr *)&up_sa, sizeof(up_sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	memset(&fwd, 0, sizeof(fwd));
	assert_int_equal(weft_ip_parse(&fwd.ip, "127.0.0.1"), 0);
	fwd.port = uport;
	weft_dnssrv_set_forward(f->s, &fwd, 1);

	cfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(cfd, (struct sockaddr *)&f->sa, sizeof(f->sa)), 0);
	n = tq_build(q + 2, 0x0abc, 0x0100, "big.example", 1, -1, false);
	q[0] = (uint8_t)(n >> 8);
	q[1] = (uint8_t)n;
	assert_int_equal(send(cfd, q, n + 2, 0), (ssize_t)(n + 2));
	/* Over UDP first: the upstream answers with TC and nothing else. */
	k = pump_recv(f, ufd, up, sizeof(up), 2000, &from);
	assert_int_equal(k, (ssize_t)n);
	up[2] |= 0x82; /* QR, TC */
	assert_int_equal(sendto(ufd, up, (size_t)k, 0, (struct sockaddr *)&from, sizeof(from)), k);
	/* Then over TCP: the same question, framed, with an id of its own. */
	end = ms_now() + 2000;
	while (afd < 0 && ms_now() < end) {
		uv_run(&f->loop, UV_RUN_NOWAIT);
		afd = accept(lfd, NULL, NULL);
		if (afd < 0)
			usleep(500);
	}
	assert_true(afd >= 0);
	while (ms_now() < end && (have < 2 || have < 2 + (size_t)(resp[0] << 8 | resp[1]))) {
		uv_run(&f->loop, UV_RUN_NOWAIT);
		k = recv(afd, resp + have, sizeof(resp) - have, MSG_DONTWAIT);
		if (k > 0)
			have += (size_t)k;
		else
			usleep(500);
	}
	assert_true(have >= 2);
	qlen = (size_t)(resp[0] << 8 | resp[1]);
	assert_int_equal(have, qlen + 2);
	assert_int_equal(tm_parse(resp + 2, qlen, &m), 0);
	assert_string_equal(m.qname, "big.example");
	upid = m.id;
	/* The whole answer: 40 A records (over 512 bytes). */
	memcpy(up, resp + 2, qlen);
	up[2] = 0x81;
	up[3] = 0x80;
	up[6] = 0;
	up[7] = 40;
	n = qlen;
	for (int i = 0; i < 40; i++) {
		static const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 0 };

		memcpy(up + n, rr, sizeof(rr));
		up[n + sizeof(rr) - 1] = (uint8_t)(i + 1);
		n += sizeof(rr);
	}
	assert_int_equal(upid, up[0] << 8 | up[1]);
	resp[0] = (uint8_t)(n >> 8);
	resp[1] = (uint8_t)n;
	memcpy(resp + 2, up, n);
	assert_int_equal(send(afd, resp, n + 2, 0), (ssize_t)(n + 2));
	/* The client gets it, with its id and no TC. */
	have = 0;
	end = ms_now() + 2000;
	while (ms_now() < end && (have < 2 || have < 2 + (size_t)(up[0] << 8 | up[1]))) {
		k = pump_recv(f, cfd, up + have, sizeof(up) - have, 100, NULL);
		if (k > 0)
			have += (size_t)k;
	}
	assert_true(have > 2);
	assert_int_equal(have, 2 + (size_t)(up[0] << 8 | up[1]));
	assert_int_equal(tm_parse(up + 2, have - 2, &m), 0);
	assert_int_equal(m.id, 0x0abc);
	assert_false(m.flags & 0x0200);
	assert_int_equal(m.an, 40);
	assert_true(have - 2 > 512);
	close(afd);
	close(lfd);
	close(cfd);
	close(ufd);
	weft_dnssrv_set_forward(f->s, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forward_tcp_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
