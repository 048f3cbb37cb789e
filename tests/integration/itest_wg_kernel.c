/* Integration test of the kernel backend against the WireGuard kernel
 * module, in a private network namespace. Where the module is missing (as
 * on a kernel without it) it checks that the backend refuses cleanly and
 * says plainly that the rest is skipped: the genl messages are still
 * tested without the module by test_wg_genl. WEFT_REQUIRE_KERNEL_WG=1 makes
 * that skip a failure. Plain TAP. */
#include <sodium.h>

#include "core/error.h"
#include "tests/integration/itest_util.h"
#include "wg/backend.h"
#include "wg/wg.h"

static unsigned n_tests;
static unsigned n_failed;

static void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %u - ", ok ? "ok" : "not ok", ++n_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	n_failed += !ok;
}

static bool same_config(const weft_wg_device_t *want, const weft_wg_device_t *got)
{
	size_t i, j, k;

	if (want->n_peers != got->n_peers)
		return false;
	for (i = 0; i < want->n_peers; i++) {
		const weft_wg_peer_t *w = &want->peers[i];
		const weft_wg_peer_t *g = weft_wg_device_find_peer(got, &w->public_key);

		if (!g || g->keepalive != w->keepalive || g->n_allowed_ips != w->n_allowed_ips ||
		    (w->endpoint.ip.family && !weft_endpoint_equal(&w->endpoint, &g->endpoint)))
			return false;
		for (j = 0; j < w->n_allowed_ips; j++) {
			for (k = 0; k < g->n_allowed_ips; k++)
				if (!weft_wg_cidr_cmp(&w->allowed_ips[j], &g->allowed_ips[k]))
					break;
			if (k == g->n_allowed_ips)
				return false;
		}
	}
	return true;
}

/* The module is here: 1,000 peers with enough allowed IPs to need many
 * SET_DEVICE chunks and dump messages, read back, one change, delete. */
static void run_kernel_tests(weft_wg_t *wg)
{
	weft_wg_device_t want = { .has_private_key = true, .listen_port = 51900 }, got = { 0 };
	weft_wg_changes_t ch;
	weft_wg_err_t err;
	weft_wgpair_t kp;
	weft_wg_link_t l;
	size_t i, j;
	int ret;

	ret = weft_wg_create(wg, &err);
	tap(!ret, "create a kernel WireGuard link%s%s", ret ? ": " : "", ret ? err.msg : "");
	if (ret)
		return;
	ret = weft_wg_get_link(wg, &l, &err);
	tap(!ret && l.ifindex > 0, "the link exists");
	weft_wgpair_generate(&kp);
	want.private_key = kp.priv;
	for (i = 0; i < 1000; i++) {
		weft_wgpair_t k;
		weft_wg_peer_t *p;
		char s[64];

		weft_wgpair_generate(&k);
		p = weft_wg_device_add_peer(&want, &k.pub);
		snprintf(s, sizeof(s), "192.0.2.%zu:%zu", i % 250 + 1, 1000 + i);
		weft_endpoint_parse(&p->endpoint, s);
		p->keepalive = (uint16_t)(i % 2 ? 25 : 0);
		for (j = 0; j < (i == 500 ? 2000 : 3); j++) {
			weft_cidr_t c;

			snprintf(s, sizeof(s), "fd%02zx:%zx:%zx::/64", j % 256, i, j);
			weft_cidr_parse(&c, s);
			weft_wg_peer_add_allowed_ip(p, &c);
		}
	}
	ret = weft_wg_apply(wg, &want, &ch, &err);
	tap(!ret && ch.added == 1000, "apply 1000 peers (%u added)%s%s", ch.added, ret ? ": " : "",
	    ret ? err.msg : "");
	ret = weft_wg_get_device(wg, &got, &err);
	tap(!ret && same_config(&want, &got) && !memcmp(got.public_key.b, kp.pub.b, 32) && got.listen_port == 51900,
	    "read back exactly what was set");
	weft_wg_device_free(&got);
	want.peers[10].keepalive = 7;
	ret = weft_wg_apply(wg, &want, &ch, &err);
	tap(!ret && ch.updated == 1 && ch.added + ch.removed == 0, "a one-peer change is one update");
	want.peers[11] = want.peers[--want.n_peers];
	ret = weft_wg_apply(wg, &want, &ch, &err);
	tap(!ret && ch.removed == 1 && ch.added + ch.updated == 0, "a removal is one removal");
	ret = weft_wg_get_device(wg, &got, &err);
	tap(!ret && same_config(&want, &got), "read back after the changes");
	weft_wg_device_free(&got);
	ret = weft_wg_delete(wg, &err);
	tap(!ret && weft_wg_exists(wg, &err) == 0, "delete the link");
	weft_wg_device_free(&want);
}

int main(void)
{
	weft_wg_opts_t o = { .backend = WEFT_WG_KERNEL };
	const char *req = getenv("WEFT_REQUIRE_KERNEL_WG");
	weft_wg_err_t err;
	weft_wg_t *wg;
	int ret;

	if (weft_crypto_init() || unshare(CLONE_NEWNET) < 0) {
		printf("1..1\nnot ok 1 - setup: %s\n", strerror(errno));
		return 1;
	}
	ret = weft_wg_open(&wg, "wgk0", &o, &err);
	if (ret) {
		bool clean = ret == WEFT_EUNSUPPORTED && strstr(err.msg, "no WireGuard kernel module");

		printf("1..2\n");
		tap(clean, "the kernel backend refuses cleanly without the module: %s", err.msg);
		if (req && !strcmp(req, "1")) {
			tap(false, "WEFT_REQUIRE_KERNEL_WG=1 but there is no WireGuard kernel module");
		} else {
			printf("ok 2 # SKIP no WireGuard kernel module on this machine, so the kernel backend "
			       "was not run against one (its genl messages are tested by test_wg_genl)\n");
			fprintf(stderr, "weft integration: SKIPPED kernel-module tests: no WireGuard module\n");
		}
		return n_failed ? 1 : 0;
	}
	printf("1..8\n");
	tap(!strcmp(weft_wg_backend_name(wg), "kernel"), "the kernel backend opens");
	run_kernel_tests(wg);
	weft_wg_close(wg);
	return n_failed ? 1 : 0;
}
