/* Benchmark of wg/: applying 1,000 peers to an empty interface and a
 * one-peer change to a 1,000-peer interface, on wireguard-go (in a private
 * network namespace; needs root and wireguard-go) and on the memory backend
 * (the library's own cost), plus the diff, the UAPI text and the kernel's
 * chunked SET_DEVICE messages for 1,000 peers. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "wg/genl.h"
#include "wg/uapi.h"
#include "wg/wg.h"

#define PEERS 1000
#define RUNS 5
#define CHANGES 20

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), dcmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* 1,000 peers as a mesh member sees them: an endpoint, a /32 and a /128
 * each, keepalive on half. */
static void make_desired(weft_wg_device_t *d)
{
	char s[64];
	size_t i;

	memset(d, 0, sizeof(*d));
	d->has_private_key = true;
	randombytes_buf(d->private_key.b, sizeof(d->private_key.b));
	d->listen_port = 51899;
	for (i = 0; i < PEERS; i++) {
		weft_wgkey_t k;
		weft_wg_peer_t *p;
		weft_cidr_t c;

		randombytes_buf(k.b, sizeof(k.b));
		p = weft_wg_device_add_peer(d, &k);
		snprintf(s, sizeof(s), "192.0.2.%zu:%zu", i % 250 + 1, 40000 + i);
		weft_endpoint_parse(&p->endpoint, s);
		p->keepalive = i % 2 ? 25 : 0;
		snprintf(s, sizeof(s), "100.64.%zu.%zu/32", i / 256, i % 256);
		weft_cidr_parse(&c, s);
		weft_wg_peer_add_allowed_ip(p, &c);
		snprintf(s, sizeof(s), "fd00::%zx/128", i + 1);
		weft_cidr_parse(&c, s);
		weft_wg_peer_add_allowed_ip(p, &c);
	}
}

/* Full apply (from empty), one-peer changes, a read, a full removal. */
static int bench_backend(const char *label, weft_wg_t *wg)
{
	weft_wg_device_t want, empty = { 0 }, got;
	double full[RUNS], change[CHANGES], get[RUNS], clear[RUNS], t0;
	weft_wg_changes_t ch;
	weft_wg_err_t err;
	int r, ret = 0;

	make_desired(&want);
	for (r = 0; r < RUNS && !ret; r++) {
		t0 = now_ms();
		ret = weft_wg_apply(wg, &want, &ch, &err);
		full[r] = now_ms() - t0;
		if (ret || ch.added != PEERS)
			break;
		t0 = now_ms();
		ret = weft_wg_get_device(wg, &got, &err);
		get[r] = now_ms() - t0;
		if (!ret && got.n_peers != PEERS)
			ret = -EPROTO;
		weft_wg_device_free(&got);
		if (r == RUNS - 1)
			break; /* keep the peers for the change runs */
		t0 = now_ms();
		if (!ret)
			ret = weft_wg_apply(wg, &empty, &ch, &err);
		clear[r] = now_ms() - t0;
	}
	for (r = 0; r < CHANGES && !ret; r++) {
		want.peers[(size_t)r * 37 % PEERS].keepalive ^= 7;
		t0 = now_ms();
		ret = weft_wg_apply(wg, &want, &ch, &err);
		change[r] = now_ms() - t0;
		if (!ret && ch.updated != 1)
			ret = -EPROTO;
	}
	if (ret) {
		fprintf(stderr, "%s: %s\n", label, err.msg);
		weft_wg_device_free(&want);
		return 1;
	}
	printf("%s: apply %d peers to an empty interface: %.1f ms (median of %d)\n", label, PEERS,
	       median(full, RUNS), RUNS);
	printf("%s: apply a one-peer change to a %d-peer interface: %.2f ms (median of %d)\n", label, PEERS,
	       median(change, CHANGES), CHANGES);
	printf("%s: read back %d peers: %.2f ms (median of %d)\n", label, PEERS, median(get, RUNS), RUNS);
	printf("%s: remove %d peers: %.1f ms (median of %d)\n", label, PEERS, median(clear, RUNS - 1), RUNS - 1);
	weft_wg_device_free(&want);
	return 0;
}

static int bench_userspace(void)
{
	weft_wg_opts_t o = { .backend = WEFT_WG_USERSPACE, .userspace_impl = "wireguard-go" };
	weft_wg_err_t err;
	weft_wg_t *wg;
	char name[16];
	int ret;

	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK)) {
		printf("wireguard-go: skipped (needs root and /dev/net/tun)\n");
		return 0;
	}
	/* A namespace of its own: the interface and its traffic stay here. */
	if (unshare(CLONE_NEWNET) < 0) {
		printf("wireguard-go: skipped (unshare: %s)\n", strerror(errno));
		return 0;
	}
	snprintf(name, sizeof(name), "wgb%d", (int)getpid() % 100000);
	if (weft_wg_open(&wg, name, &o, &err)) {
		printf("wireguard-go: skipped (%s)\n", err.msg);
		return 0;
	}
	ret = weft_wg_create(wg, &err);
	if (!ret)
		ret = weft_wg_set_up(wg, true, &err);
	if (ret) {
		fprintf(stderr, "wireguard-go: %s\n", err.msg);
		weft_wg_delete(wg, &err);
		weft_wg_close(wg);
		return 1;
	}
	ret = bench_backend("wireguard-go", wg);
	weft_wg_delete(wg, &err);
	weft_wg_close(wg);
	return ret;
}

static int bench_memory(void)
{
	weft_wg_opts_t o = { .backend = WEFT_WG_MEMORY };
	weft_wg_err_t err;
	weft_wg_t *wg;
	int ret;

	if (weft_wg_open(&wg, "wgmem0", &o, &err) || weft_wg_create(wg, &err))
		return 1;
	ret = bench_backend("memory", wg);
	weft_wg_close(wg);
	return ret;
}

/* The pure parts for 1,000 peers: diff, UAPI text, genl chunks. */
static int bench_codecs(void)
{
	weft_wg_device_t want, cur = { 0 };
	weft_wg_changeset_t cs;
	weft_wg_genl_cursor_t cursor = { 0 };
	double t0, t_diff, t_fmt, t_genl;
	size_t len, msgs = 0, bytes = 0;
	char *text;
	void *buf = malloc(WEFT_WG_NL_SEND_SIZE);
	int more;

	make_desired(&want);
	t0 = now_ms();
	if (weft_wg_diff(&want, &cur, &cs, NULL))
		return 1;
	t_diff = now_ms() - t0;
	t0 = now_ms();
	if (weft_wg_uapi_format_set(&cs, &text, &len, NULL))
		return 1;
	t_fmt = now_ms() - t0;
	t0 = now_ms();
	do {
		more = weft_wg_genl_build_set(buf, WEFT_WG_NL_SEND_SIZE, 0x1d, "wg0", &cs, &cursor, NULL);
		if (more < 0)
			return 1;
		msgs++;
		bytes += ((struct nlmsghdr *)buf)->nlmsg_len;
	} while (more);
	t_genl = now_ms() - t0;
	printf("diff of %d desired peers against an empty device: %.2f ms\n", PEERS, t_diff);
	printf("UAPI set text for %d peers: %.2f ms, %zu bytes\n", PEERS, t_fmt, len);
	printf("genl SET_DEVICE for %d peers: %.2f ms, %zu messages of <= %u bytes, %zu bytes\n", PEERS, t_genl,
	       msgs, WEFT_WG_NL_SEND_SIZE, bytes);
	sodium_memzero(text, len);
	free(text);
	free(buf);
	weft_wg_changeset_free(&cs);
	weft_wg_device_free(&want);
	return 0;
}

int main(void)
{
	int ret = 0;

	if (weft_crypto_init())
		return 1;
	ret |= bench_codecs();
	ret |= bench_memory();
	ret |= bench_userspace();
	return ret;
}
