/* Integration test of wg/ on real wireguard-go, in two network namespaces
 * that run.sh made: create, configure and read back (checked against wg(8)
 * too), ping through the tunnel both ways, a one-peer change among 100 that
 * leaves every other peer's handshake alone, remove and re-add, OS errors
 * with their context, and delete leaving nothing behind. Tests run in
 * order and build on each other. */
#include <sodium.h>

#include "tests/integration/itest_util.h"
#include "wg/wg.h"
#include "core/error.h"

#define N_PEERS 100
#define N_EXTRA 3 /* more real peers: wireguard-go interfaces in B */

static struct {
	const char *ns_a, *ns_b, *prefix, *ul_a, *ul_b;
	char if_a[16], if_b[16], if_x[16], if_extra[N_EXTRA][16];
	weft_wg_t *a, *b, *extra[N_EXTRA];
	weft_wgpair_t ka, kb, kextra[N_EXTRA];
	weft_wg_device_t want_a;
} S;

static const weft_wg_opts_t us_opts = { .backend = WEFT_WG_USERSPACE, .userspace_impl = "wireguard-go" };

static weft_wg_t *open_us(const char *ifname)
{
	weft_wg_t *wg;
	weft_wg_err_t err;

	if (weft_wg_open(&wg, ifname, &us_opts, &err))
		fail_msg("open %s: %s", ifname, err.msg);
	return wg;
}

static void ok_or_fail(int ret, const weft_wg_err_t *err, const char *what)
{
	if (ret)
		fail_msg("%s: %d %s", what, ret, err->msg);
}

static weft_cidr_t cidr(const char *s)
{
	weft_cidr_t c;

	if (weft_cidr_parse(&c, s))
		fail_msg("bad cidr %s", s);
	return c;
}

static weft_wg_ifaddr_t ifaddr(const char *ip, uint8_t prefix)
{
	weft_wg_ifaddr_t a = { .prefix = prefix };

	if (weft_ip_parse(&a.ip, ip))
		fail_msg("bad ip %s", ip);
	return a;
}

static weft_wg_peer_t *add_peer(weft_wg_device_t *d, const weft_wgkey_t *k, const char *ep, uint16_t ka,
				const char *a1, const char *a2)
{
	weft_wg_peer_t *p = weft_wg_device_add_peer(d, k);
	weft_cidr_t c;

	assert_non_null(p);
	if (ep && weft_endpoint_parse(&p->endpoint, ep))
		fail_msg("bad endpoint %s", ep);
	p->keepalive = ka;
	if (a1) {
		c = cidr(a1);
		assert_int_equal(weft_wg_peer_add_allowed_ip(p, &c), 0);
	}
	if (a2) {
		c = cidr(a2);
		assert_int_equal(weft_wg_peer_add_allowed_ip(p, &c), 0);
	}
	return p;
}

static int cidr_qcmp(const void *x, const void *y)
{
	const weft_cidr_t *a = x, *b = y;
	int c = weft_ip_cmp(&a->ip, &b->ip);

	return c ? c : a->prefix - b->prefix;
}

static void assert_peer_same_config(const weft_wg_peer_t *want, const weft_wg_peer_t *got)
{
	weft_cidr_t x[16], y[16];
	size_t i;

	assert_memory_equal(want->public_key.b, got->public_key.b, 32);
	if (want->endpoint.ip.family)
		assert_true(weft_endpoint_equal(&want->endpoint, &got->endpoint));
	assert_int_equal(want->keepalive, got->keepalive);
	assert_int_equal(want->n_allowed_ips, got->n_allowed_ips);
	assert_true(want->n_allowed_ips <= 16);
	memcpy(x, want->allowed_ips, want->n_allowed_ips * sizeof(*x));
	memcpy(y, got->allowed_ips, got->n_allowed_ips * sizeof(*y));
	qsort(x, want->n_allowed_ips, sizeof(*x), cidr_qcmp);
	qsort(y, got->n_allowed_ips, sizeof(*y), cidr_qcmp);
	for (i = 0; i < want->n_allowed_ips; i++)
		assert_int_equal(cidr_qcmp(&x[i], &y[i]), 0);
}

static void assert_matches(const weft_wg_device_t *want, const weft_wg_device_t *got)
{
	size_t i;

	assert_int_equal(got->n_peers, want->n_peers);
	for (i = 0; i < want->n_peers; i++) {
		const weft_wg_peer_t *p = weft_wg_device_find_peer(got, &want->peers[i].public_key);

		if (!p)
			fail_msg("peer %zu missing", i);
		assert_peer_same_config(&want->peers[i], p);
	}
}

/* The same, as wg(8) sees it: `wg show IF dump`, one line per peer:
 * key, psk, endpoint, allowed-ips, handshake, rx, tx, keepalive. */
static void assert_wg_tool_agrees(const char *ifname, const weft_wg_device_t *want)
{
	char *out = capture("wg show %s dump", ifname), *line, *save = NULL;
	size_t peers = 0, i;
	bool first = true;

	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[8], *s2 = NULL, *tok, keyb64[WEFT_WGKEY_B64_LEN + 1], ep[WEFT_EPSTRLEN], ka[8];
		unsigned nf = 0;
		const weft_wg_peer_t *p = NULL;

		if (first) { /* the interface line */
			first = false;
			continue;
		}
		for (tok = strtok_r(line, "\t", &s2); tok && nf < 8; tok = strtok_r(NULL, "\t", &s2))
			f[nf++] = tok;
		assert_int_equal(nf, 8);
		for (i = 0; i < want->n_peers && !p; i++) {
			weft_key_to_base64(keyb64, want->peers[i].public_key.b);
			if (!strcmp(keyb64, f[0]))
				p = &want->peers[i];
		}
		if (!p)
			fail_msg("wg(8) shows a peer weft did not set: %s", f[0]);
		if (p->endpoint.ip.family)
			assert_string_equal(f[2], weft_endpoint_format(&p->endpoint, ep, sizeof(ep)));
		snprintf(ka, sizeof(ka), "%u", p->keepalive);
		assert_string_equal(f[7], p->keepalive ? ka : "off");
		for (i = 0; i < p->n_allowed_ips; i++) {
			char c[WEFT_CIDRSTRLEN];

			if (!strstr(f[3], weft_cidr_format(&p->allowed_ips[i], c, sizeof(c))))
				fail_msg("wg(8) allowed ips '%s' lack %s", f[3], c);
		}
		peers++;
	}
	assert_int_equal(peers, want->n_peers);
	free(out);
}

static weft_wg_device_t get_dev(weft_wg_t *wg)
{
	weft_wg_device_t d;
	weft_wg_err_t err;

	ok_or_fail(weft_wg_get_device(wg, &d, &err), &err, "get_device");
	return d;
}

static void test_create(void **state)
{
	weft_wg_err_t err;
	weft_wg_link_t l;
	weft_wg_t *auto_wg;
	struct stat st;

	enter_ns(S.ns_a);
	S.a = open_us(S.if_a);
	assert_int_equal(weft_wg_exists(S.a, &err), 0);
	ok_or_fail(weft_wg_create(S.a, &err), &err, "create A");
	assert_int_equal(weft_wg_exists(S.a, &err), 1);
	assert_int_equal(weft_wg_create(S.a, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "userspace"));
	assert_non_null(strstr(err.msg, S.if_a));
	ok_or_fail(weft_wg_get_link(S.a, &l, &err), &err, "get_link");
	assert_false(l.up);
	assert_true(l.ifindex > 0);
	assert_true(stat("/var/run/wireguard", &st) == 0);
	assert_true(impl_running("wireguard-go", S.if_a));
	/* AUTO picks the implementation whose socket answers. */
	ok_or_fail(weft_wg_open(&auto_wg, S.if_a, NULL, &err), &err, "open AUTO");
	assert_string_equal(weft_wg_backend_name(auto_wg), "userspace");
	weft_wg_close(auto_wg);

	enter_ns(S.ns_b);
	S.b = open_us(S.if_b);
	ok_or_fail(weft_wg_create(S.b, &err), &err, "create B");
}

static void config_link(weft_wg_t *wg, const char *ns, const char *ifname, const char *v4, const char *v6)
{
	weft_wg_ifaddr_t want[2] = { ifaddr(v4, 24), ifaddr(v6, 64) }, *got;
	weft_wg_err_t err;
	weft_wg_link_t l;
	char *out;
	size_t n;

	enter_ns(ns);
	ok_or_fail(weft_wg_set_mtu(wg, 1380, &err), &err, "set_mtu");
	ok_or_fail(weft_wg_set_addresses(wg, want, 2, &err), &err, "set_addresses");
	ok_or_fail(weft_wg_set_up(wg, true, &err), &err, "set_up");
	ok_or_fail(weft_wg_get_link(wg, &l, &err), &err, "get_link");
	assert_int_equal(l.mtu, 1380);
	assert_true(l.up);
	ok_or_fail(weft_wg_get_addresses(wg, &got, &n, &err), &err, "get_addresses");
	assert_int_equal(n, 2);
	assert_true(weft_ip_equal(&got[0].ip, &want[0].ip));
	assert_int_equal(got[0].prefix, 24);
	assert_true(weft_ip_equal(&got[1].ip, &want[1].ip));
	assert_int_equal(got[1].prefix, 64);
	free(got);
	out = capture("ip -o addr show dev %s", ifname);
	if (!strstr(out, v4) || !strstr(out, v6))
		fail_msg("ip addr disagrees: %s", out);
	free(out);
	/* without duplicate address detection, usable at once */
	out = capture("ip -o addr show dev %s | grep -F '%s/' | grep -c tentative", ifname, v6);
	assert_string_equal(out, "0\n");
	free(out);
	out = capture("ip -o link show dev %s", ifname);
	assert_non_null(strstr(out, "mtu 1380"));
	assert_non_null(strstr(out, ",UP"));
	free(out);
}

static void test_link_config(void **state)
{
	config_link(S.a, S.ns_a, S.if_a, "10.232.0.1", "fd32::1");
	config_link(S.b, S.ns_b, S.if_b, "10.232.0.2", "fd32::2");
}

static void test_set_and_read_back(void **state)
{
	weft_wg_device_t want_b = { .has_private_key = true, .private_key = S.kb.priv, .listen_port = 51002 };
	weft_wg_device_t got;
	weft_wg_changes_t ch;
	weft_wg_err_t err;
	char ep[64];
	unsigned i;

	S.want_a = (weft_wg_device_t){ .has_private_key = true, .private_key = S.ka.priv, .listen_port = 51001 };
	snprintf(ep, sizeof(ep), "%s:51002", S.ul_b);
	add_peer(&S.want_a, &S.kb.pub, ep, 0, "10.232.0.2/32", "fd32::2/128");
	for (i = 0; i < 5; i++) {
		weft_wgpair_t k;
		char a1[32], a2[32];

		weft_wgpair_generate(&k);
		snprintf(a1, sizeof(a1), "10.240.%u.0/24", i);
		snprintf(a2, sizeof(a2), "fd40:%x::/64", i);
		add_peer(&S.want_a, &k.pub, i % 2 ? "[2001:db8::7]:4000" : "192.0.2.7:4000", (uint16_t)(i * 10), a1,
			 a2);
	}
	enter_ns(S.ns_a);
	ok_or_fail(weft_wg_apply(S.a, &S.want_a, &ch, &err), &err, "apply A");
	assert_int_equal(ch.added, 6);
	assert_int_equal(ch.removed + ch.updated, 0);
	assert_true(ch.device_changed);
	got = get_dev(S.a);
	assert_matches(&S.want_a, &got);
	assert_true(got.has_private_key);
	assert_memory_equal(got.private_key.b, S.ka.priv.b, 32);
	assert_memory_equal(got.public_key.b, S.ka.pub.b, 32);
	assert_int_equal(got.listen_port, 51001);
	for (i = 0; i < got.n_peers; i++)
		assert_int_equal(got.peers[i].last_handshake_ns, 0);
	weft_wg_device_free(&got);
	assert_wg_tool_agrees(S.if_a, &S.want_a);

	snprintf(ep, sizeof(ep), "%s:51001", S.ul_a);
	add_peer(&want_b, &S.ka.pub, ep, 0, "10.232.0.1/32", "fd32::1/128");
	enter_ns(S.ns_b);
	ok_or_fail(weft_wg_apply(S.b, &want_b, &ch, &err), &err, "apply B");
	assert_int_equal(ch.added, 1);
	got = get_dev(S.b);
	assert_matches(&want_b, &got);
	weft_wg_device_free(&got);
	assert_wg_tool_agrees(S.if_b, &want_b);
	/* applying the same again is a no-op */
	ok_or_fail(weft_wg_apply(S.b, &want_b, &ch, &err), &err, "apply B again");
	assert_int_equal(ch.added + ch.removed + ch.updated, 0);
	assert_false(ch.device_changed);
	weft_wg_device_free(&want_b);
}

static void test_ping(void **state)
{
	weft_wg_device_t got;
	const weft_wg_peer_t *p;

	enter_ns(S.ns_a);
	assert_int_equal(run_cmd("ping -c 3 -i 0.2 -W 2 -q 10.232.0.2 >/dev/null"), 0);
	assert_int_equal(run_cmd("ping -6 -c 2 -i 0.2 -W 2 -q fd32::2 >/dev/null"), 0);
	got = get_dev(S.a);
	p = weft_wg_device_find_peer(&got, &S.kb.pub);
	assert_non_null(p);
	assert_true(p->last_handshake_ns > 1600000000ull * 1000000000ull);
	assert_true(p->rx_bytes > 0);
	assert_true(p->tx_bytes > 0);
	weft_wg_device_free(&got);
	enter_ns(S.ns_b);
	assert_int_equal(run_cmd("ping -c 2 -i 0.2 -W 2 -q 10.232.0.1 >/dev/null"), 0);
	got = get_dev(S.b);
	assert_true(got.peers[0].last_handshake_ns > 0);
	weft_wg_device_free(&got);
}

/* Waits until every real peer of A has a handshake. */
static void wait_handshakes(const weft_wgkey_t *keys, size_t n)
{
	uint64_t deadline = mono_ns() + 10ull * 1000000000u;
	size_t i, done;

	do {
		weft_wg_device_t got = get_dev(S.a);

		for (i = 0, done = 0; i < n; i++) {
			const weft_wg_peer_t *p = weft_wg_device_find_peer(&got, &keys[i]);

			done += p && p->last_handshake_ns;
		}
		weft_wg_device_free(&got);
		if (done == n)
			return;
		sleep_ms(50);
	} while (mono_ns() < deadline);
	fail_msg("only %zu of %zu real peers have a handshake", done, n);
}

static void real_keys(weft_wgkey_t keys[N_EXTRA + 1])
{
	size_t i;

	keys[0] = S.kb.pub;
	for (i = 0; i < N_EXTRA; i++)
		keys[i + 1] = S.kextra[i].pub;
}

/* Every peer of `after` has the handshake and at least the counters it had
 * in `before`, and every peer but `changed` the same configuration. */
static void assert_undisturbed(const weft_wg_device_t *before, const weft_wg_device_t *after,
			       const weft_wgkey_t *changed)
{
	size_t i;

	assert_int_equal(after->n_peers, before->n_peers);
	for (i = 0; i < before->n_peers; i++) {
		const weft_wg_peer_t *b = &before->peers[i];
		const weft_wg_peer_t *a = weft_wg_device_find_peer(after, &b->public_key);

		assert_non_null(a);
		assert_int_equal(a->last_handshake_ns, b->last_handshake_ns);
		assert_true(a->rx_bytes >= b->rx_bytes);
		assert_true(a->tx_bytes >= b->tx_bytes);
		if (!changed || memcmp(changed->b, b->public_key.b, 32))
			assert_peer_same_config(b, a);
	}
}

static void test_hundred_peers_one_change(void **state)
{
	weft_wgkey_t keys[N_EXTRA + 1];
	weft_wg_device_t before, after;
	weft_wg_changes_t ch;
	weft_wg_err_t err;
	weft_wg_peer_t *fake;
	char ep[64], a1[32];
	uint64_t t0;
	size_t i;

	/* More real peers: wireguard-go interfaces in B, each with A as peer. */
	enter_ns(S.ns_b);
	for (i = 0; i < N_EXTRA; i++) {
		weft_wg_device_t d = { .has_private_key = true,
				       .private_key = S.kextra[i].priv,
				       .listen_port = (uint16_t)(51010 + i) };

		S.extra[i] = open_us(S.if_extra[i]);
		ok_or_fail(weft_wg_create(S.extra[i], &err), &err, "create extra");
		ok_or_fail(weft_wg_set_up(S.extra[i], true, &err), &err, "up extra");
		snprintf(ep, sizeof(ep), "%s:51001", S.ul_a);
		add_peer(&d, &S.ka.pub, ep, 0, "10.232.0.1/32", NULL);
		ok_or_fail(weft_wg_apply(S.extra[i], &d, &ch, &err), &err, "apply extra");
		weft_wg_device_free(&d);
	}
	enter_ns(S.ns_a);
	for (i = 0; i < N_EXTRA; i++) {
		snprintf(ep, sizeof(ep), "%s:%zu", S.ul_b, 51010 + i);
		snprintf(a1, sizeof(a1), "10.232.1.%zu/32", i + 1);
		add_peer(&S.want_a, &S.kextra[i].pub, ep, 0, a1, NULL);
	}
	while (S.want_a.n_peers < N_PEERS) {
		weft_wgpair_t k;

		weft_wgpair_generate(&k);
		snprintf(a1, sizeof(a1), "10.241.%zu.0/24", S.want_a.n_peers);
		add_peer(&S.want_a, &k.pub, S.want_a.n_peers % 3 ? "192.0.2.8:1" : NULL, 0, a1, NULL);
	}
	ok_or_fail(weft_wg_apply(S.a, &S.want_a, &ch, &err), &err, "apply 100");
	/* The extra peers' addresses are outside A's /24: route them. */
	weft_cidr_t route = cidr("10.232.1.0/24"), *routes;
	size_t nr;
	ok_or_fail(weft_wg_set_routes(S.a, &route, 1, &err), &err, "set_routes");
	ok_or_fail(weft_wg_get_routes(S.a, &routes, &nr, &err), &err, "get_routes");
	assert_int_equal(nr, 1);
	assert_int_equal(cidr_qcmp(&routes[0], &route), 0);
	free(routes);
	assert_int_equal(ch.added, N_PEERS - 6);
	assert_int_equal(ch.removed + ch.updated, 0);
	/* Traffic to each real peer makes a handshake (the replies do not
	 * matter: B has no addresses on the extra interfaces). */
	for (i = 0; i < N_EXTRA; i++)
		run_cmd("ping -c 1 -W 1 -q 10.232.1.%zu >/dev/null 2>&1", i + 1);
	assert_int_equal(run_cmd("ping -c 1 -W 2 -q 10.232.0.2 >/dev/null"), 0);
	real_keys(keys);
	wait_handshakes(keys, N_EXTRA + 1);
	before = get_dev(S.a);
	assert_matches(&S.want_a, &before);

	/* One fake peer's allowed IPs change: one update, nothing else. */
	fake = &S.want_a.peers[50];
	fake->allowed_ips[0] = cidr("10.250.50.0/24");
	t0 = mono_ns();
	ok_or_fail(weft_wg_apply(S.a, &S.want_a, &ch, &err), &err, "apply one change");
	print_message("# one-peer change among %d peers applied in %.2f ms\n", N_PEERS,
		      (double)(mono_ns() - t0) / 1e6);
	assert_int_equal(ch.updated, 1);
	assert_int_equal(ch.added + ch.removed, 0);
	after = get_dev(S.a);
	assert_matches(&S.want_a, &after);
	assert_undisturbed(&before, &after, &fake->public_key);
	weft_wg_device_free(&before);
	before = after;

	/* A real peer's keepalive changes: it is updated in place and keeps
	 * its session too. */
	S.want_a.peers[6 + 1].keepalive = 25; /* the second extra interface */
	assert_memory_equal(S.want_a.peers[7].public_key.b, S.kextra[1].pub.b, 32);
	ok_or_fail(weft_wg_apply(S.a, &S.want_a, &ch, &err), &err, "apply keepalive");
	assert_int_equal(ch.updated, 1);
	assert_int_equal(ch.added + ch.removed, 0);
	after = get_dev(S.a);
	assert_matches(&S.want_a, &after);
	assert_undisturbed(&before, &after, &S.kextra[1].pub);
	assert_int_equal(weft_wg_device_find_peer(&after, &S.kextra[1].pub)->keepalive, 25);
	weft_wg_device_free(&before);
	weft_wg_device_free(&after);
	assert_wg_tool_agrees(S.if_a, &S.want_a);
}

static void test_remove_readd(void **state)
{
	weft_wg_device_t before, after;
	weft_wg_changes_t ch;
	weft_wg_err_t err;
	weft_wg_peer_t saved;
	const weft_wg_peer_t *p;
	size_t idx = 6 + 2; /* the third extra interface */
	uint64_t old_hs;

	enter_ns(S.ns_a);
	before = get_dev(S.a);
	p = weft_wg_device_find_peer(&before, &S.kextra[2].pub);
	assert_non_null(p);
	old_hs = p->last_handshake_ns;
	assert_true(old_hs > 0);
	saved = S.want_a.peers[idx];
	memmove(&S.want_a.peers[idx], &S.want_a.peers[idx + 1], (S.want_a.n_peers - idx - 1) * sizeof(saved));
	S.want_a.n_peers--;
	ok_or_fail(weft_wg_apply(S.a, &S.want_a, &ch, &err), &err, "apply remove");
	assert_int_equal(ch.removed, 1);
	assert_int_equal(ch.added + ch.updated, 0);
	after = get_dev(S.a);
	assert_matches(&S.want_a, &after);
	assert_null(weft_wg_device_find_peer(&after, &S.kextra[2].pub));
	weft_wg_device_free(&after);

	S.want_a.peers[S.want_a.n_peers++] = saved;
	ok_or_fail(weft_wg_apply(S.a, &S.want_a, &ch, &err), &err, "apply re-add");
	assert_int_equal(ch.added, 1);
	assert_int_equal(ch.removed + ch.updated, 0);
	after = get_dev(S.a);
	assert_matches(&S.want_a, &after);
	/* a new peer: its session went with the old one */
	p = weft_wg_device_find_peer(&after, &S.kextra[2].pub);
	assert_int_equal(p->last_handshake_ns, 0);
	assert_int_equal(p->rx_bytes, 0);
	/* the others kept theirs */
	for (size_t i = 0; i < before.n_peers; i++) {
		const weft_wg_peer_t *b = &before.peers[i];

		if (!memcmp(b->public_key.b, S.kextra[2].pub.b, 32))
			continue;
		assert_int_equal(weft_wg_device_find_peer(&after, &b->public_key)->last_handshake_ns,
				 b->last_handshake_ns);
	}
	weft_wg_device_free(&after);
	/* and it handshakes again */
	run_cmd("ping -c 1 -W 1 -q 10.232.1.3 >/dev/null 2>&1");
	weft_wgkey_t k = S.kextra[2].pub;
	wait_handshakes(&k, 1);
	after = get_dev(S.a);
	assert_true(weft_wg_device_find_peer(&after, &k)->last_handshake_ns >= old_hs);
	weft_wg_device_free(&after);
	weft_wg_device_free(&before);
	assert_int_equal(run_cmd("ping -c 1 -W 2 -q 10.232.0.2 >/dev/null"), 0);
}

static void test_os_errors(void **state)
{
	weft_wg_device_t d = { .listen_port = 51001 }, got;
	weft_wg_changes_t ch;
	weft_wg_err_t err;
	weft_wg_t *x, *none;
	char want[64];

	enter_ns(S.ns_a);
	x = open_us(S.if_x);
	ok_or_fail(weft_wg_create(x, &err), &err, "create x");
	/* A's interface holds that port: wireguard-go answers errno=-98 */
	assert_int_equal(weft_wg_apply(x, &d, &ch, &err), -EADDRINUSE);
	snprintf(want, sizeof(want), "userspace %s: UAPI set: errno=98", S.if_x);
	if (!strstr(err.msg, want))
		fail_msg("'%s' lacks '%s'", err.msg, want);
	ok_or_fail(weft_wg_delete(x, &err), &err, "delete x");
	weft_wg_close(x);
	/* No such interface: the socket path says where it looked. */
	none = open_us("weftnone0");
	assert_int_equal(weft_wg_get_device(none, &got, &err), -ENODEV);
	assert_non_null(strstr(err.msg, "/var/run/wireguard/weftnone0.sock"));
	assert_int_equal(weft_wg_delete(none, &err), -ENODEV);
	weft_wg_close(none);
}

static void delete_and_check(weft_wg_t **wg, const char *ns, const char *ifname)
{
	uint64_t deadline;
	weft_wg_err_t err;
	weft_wg_link_t l;
	char path[128];
	struct stat st;

	enter_ns(ns);
	ok_or_fail(weft_wg_delete(*wg, &err), &err, "delete");
	assert_int_equal(weft_wg_exists(*wg, &err), 0);
	assert_int_equal(weft_wg_get_link(*wg, &l, &err), -ENODEV);
	assert_int_equal(weft_wg_delete(*wg, &err), -ENODEV);
	snprintf(path, sizeof(path), "/var/run/wireguard/%s.sock", ifname);
	assert_true(stat(path, &st) < 0 && errno == ENOENT);
	deadline = mono_ns() + 3ull * 1000000000u;
	while (impl_running("wireguard-go", ifname) && mono_ns() < deadline)
		sleep_ms(20);
	assert_false(impl_running("wireguard-go", ifname));
	weft_wg_close(*wg);
	*wg = NULL;
}

static void test_delete_leaves_nothing(void **state)
{
	char *out;
	size_t i;

	delete_and_check(&S.a, S.ns_a, S.if_a);
	delete_and_check(&S.b, S.ns_b, S.if_b);
	for (i = 0; i < N_EXTRA; i++)
		delete_and_check(&S.extra[i], S.ns_b, S.if_extra[i]);
	/* Only lo and the underlay veth are left in either namespace. */
	enter_ns(S.ns_a);
	out = capture("ip -o link show | grep -vc -e ': lo:' -e '%sv'", S.prefix);
	assert_string_equal(out, "0\n");
	free(out);
	enter_ns(S.ns_b);
	out = capture("ip -o link show | grep -vc -e ': lo:' -e '%sv'", S.prefix);
	assert_string_equal(out, "0\n");
	free(out);
}

static int teardown(void **state)
{
	weft_wg_err_t err;
	size_t i;

	/* After a failure: best effort, run.sh removes the rest. */
	if (S.a) {
		enter_ns(S.ns_a);
		weft_wg_delete(S.a, &err);
		weft_wg_close(S.a);
	}
	enter_ns(S.ns_b);
	if (S.b) {
		weft_wg_delete(S.b, &err);
		weft_wg_close(S.b);
	}
	for (i = 0; i < N_EXTRA; i++) {
		if (S.extra[i]) {
			weft_wg_delete(S.extra[i], &err);
			weft_wg_close(S.extra[i]);
		}
	}
	weft_wg_device_free(&S.want_a);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_link_config),
		cmocka_unit_test(test_set_and_read_back),
		cmocka_unit_test(test_ping),
		cmocka_unit_test(test_hundred_peers_one_change),
		cmocka_unit_test(test_remove_readd),
		cmocka_unit_test(test_os_errors),
		cmocka_unit_test(test_delete_leaves_nothing),
	};
	size_t i;

	if (weft_crypto_init())
		return 1;
	S.ns_a = env_or_die("WEFT_ITEST_NS_A");
	S.ns_b = env_or_die("WEFT_ITEST_NS_B");
	S.prefix = env_or_die("WEFT_ITEST_PREFIX");
	S.ul_a = env_or_die("WEFT_ITEST_UNDERLAY_A");
	S.ul_b = env_or_die("WEFT_ITEST_UNDERLAY_B");
	snprintf(S.if_a, sizeof(S.if_a), "%sa", S.prefix);
	snprintf(S.if_b, sizeof(S.if_b), "%sb", S.prefix);
	snprintf(S.if_x, sizeof(S.if_x), "%sx", S.prefix);
	weft_wgpair_generate(&S.ka);
	weft_wgpair_generate(&S.kb);
	for (i = 0; i < N_EXTRA; i++) {
		snprintf(S.if_extra[i], sizeof(S.if_extra[i]), "%se%zu", S.prefix, i);
		weft_wgpair_generate(&S.kextra[i]);
	}
	/* wireguard-go daemonizes: as subreaper we collect it when it exits. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return cmocka_run_group_tests(tests, NULL, teardown);
}
