/* Unit tests for wg/uapi.c: the set=1 text a change set becomes, parsing
 * get=1 replies as wireguard-go writes them, errno= replies of both signs,
 * and garbled replies, each refused with the line it failed on. */
#include "tests/unit/test_wg_util.h"
#include "wg/uapi.h"

static char *hexkey(weft_wgkey_t k, char out[65])
{
	sodium_bin2hex(out, 65, k.b, WEFT_WGKEY_LEN);
	return out;
}

static void test_format_set(void **state)
{
	weft_cidr_t aips[2] = { tcidr("10.1.0.0/16"), tcidr("fd00::/64") };
	weft_wg_peer_change_t pcs[3] = {
		{ .public_key = tkey(1), .flags = WEFT_WG_PC_REMOVE },
		{ .public_key = tkey(2),
		  .flags = WEFT_WG_PC_UPDATE_ONLY | WEFT_WG_PC_ENDPOINT | WEFT_WG_PC_KEEPALIVE,
		  .endpoint = tep("[2001:db8::2]:51820"),
		  .keepalive = 0 },
		{ .public_key = tkey(3),
		  .flags = WEFT_WG_PC_REPLACE_ALLOWED | WEFT_WG_PC_ENDPOINT,
		  .endpoint = tep("192.0.2.3:7"),
		  .allowed_ips = aips,
		  .n_allowed_ips = 2 },
	};
	weft_wg_changeset_t cs = { .flags = WEFT_WG_DC_PRIVATE_KEY | WEFT_WG_DC_LISTEN_PORT,
				   .private_key = tkey(9),
				   .listen_port = 51820,
				   .peers = pcs,
				   .n_peers = 3 };
	char want[2048], k[4][65], *out;
	size_t len;

	snprintf(want, sizeof(want),
		 "set=1\nprivate_key=%s\nlisten_port=51820\n"
		 "public_key=%s\nremove=true\n"
		 "public_key=%s\nendpoint=192.0.2.3:7\nreplace_allowed_ips=true\nallowed_ip=10.1.0.0/16\n"
		 "allowed_ip=fd00::/64\n"
		 /* the peer with a keepalive line last (wireguard-go's pkaOn) */
		 "public_key=%s\nupdate_only=true\nendpoint=[2001:db8::2]:51820\npersistent_keepalive_interval=0\n"
		 "\n",
		 hexkey(tkey(9), k[0]), hexkey(tkey(1), k[1]), hexkey(tkey(3), k[3]), hexkey(tkey(2), k[2]));
	assert_int_equal(weft_wg_uapi_format_set(&cs, &out, &len, NULL), 0);
	assert_int_equal(len, strlen(want));
	assert_string_equal(out, want);
	sodium_memzero(out, len);
	free(out);
}

static void test_format_grows(void **state)
{
	enum { N = 300 };
	weft_cidr_t aips[64];
	weft_wg_peer_change_t pc = {
		.public_key = tkey(1), .flags = WEFT_WG_PC_REPLACE_ALLOWED, .allowed_ips = aips, .n_allowed_ips = 64
	};
	weft_wg_peer_change_t *pcs = calloc(N, sizeof(*pcs));
	weft_wg_changeset_t cs = { .peers = pcs, .n_peers = N };
	char *out, s[32];
	size_t len, i, lines = 0;

	for (i = 0; i < 64; i++) {
		snprintf(s, sizeof(s), "10.%zu.0.0/16", i);
		aips[i] = tcidr(s);
	}
	for (i = 0; i < N; i++) {
		pcs[i] = pc;
		pcs[i].public_key = tkey((unsigned)i);
	}
	assert_int_equal(weft_wg_uapi_format_set(&cs, &out, &len, NULL), 0);
	for (i = 0; i < len; i++)
		lines += out[i] == '\n';
	/* set=1, then per peer: key, replace, 64 IPs; then the blank line */
	assert_int_equal(lines, 1 + N * 66 + 1);
	assert_int_equal(weft_wg_uapi_reply_len(out, len), len);
	free(out);
	free(pcs);
}

#define REPLY_FMT                                                                          \
	"private_key=%s\n"                                                                 \
	"listen_port=51820\n"                                                              \
	"fwmark=0\n"                                                                       \
	"public_key=%s\n"                                                                  \
	"preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n" \
	"protocol_version=1\n"                                                             \
	"endpoint=[fe80::1%%eth0]:51821\n"                                                 \
	"last_handshake_time_sec=1700000000\n"                                             \
	"last_handshake_time_nsec=123456789\n"                                             \
	"tx_bytes=1000\n"                                                                  \
	"rx_bytes=2000\n"                                                                  \
	"persistent_keepalive_interval=25\n"                                               \
	"allowed_ip=10.0.0.0/24\n"                                                         \
	"allowed_ip=fd00::1/128\n"                                                         \
	"public_key=%s\n"                                                                  \
	"endpoint=192.0.2.9:1\n"                                                           \
	"last_handshake_time_sec=0\n"                                                      \
	"last_handshake_time_nsec=0\n"                                                     \
	"tx_bytes=0\n"                                                                     \
	"rx_bytes=0\n"                                                                     \
	"persistent_keepalive_interval=0\n"                                                \
	"some_future_key=whatever\n"                                                       \
	"errno=0\n\n"

static void test_parse_get(void **state)
{
	weft_wgpair_t kp;
	weft_wg_device_t dev;
	char buf[2048], k[3][65];
	const weft_wg_peer_t *p;
	weft_cidr_t c;
	int n;

	weft_wgpair_generate(&kp);
	n = snprintf(buf, sizeof(buf), REPLY_FMT, hexkey(kp.priv, k[0]), hexkey(tkey(1), k[1]),
		     hexkey(tkey(2), k[2]));
	assert_int_equal(weft_wg_uapi_reply_len(buf, (size_t)n), (size_t)n);
	assert_int_equal(weft_wg_uapi_reply_len(buf, (size_t)n - 1), 0);
	assert_int_equal(weft_wg_uapi_parse_get(buf, (size_t)n, &dev, NULL), 0);
	assert_true(dev.has_private_key);
	assert_memory_equal(dev.private_key.b, kp.priv.b, WEFT_WGKEY_LEN);
	assert_memory_equal(dev.public_key.b, kp.pub.b, WEFT_WGKEY_LEN);
	assert_int_equal(dev.listen_port, 51820);
	assert_int_equal(dev.n_peers, 2);
	p = &dev.peers[0];
	assert_memory_equal(p->public_key.b, tkey(1).b, WEFT_WGKEY_LEN);
	assert_int_equal(p->endpoint.ip.family, 6);
	assert_int_equal(p->endpoint.port, 51821);
	assert_int_equal(p->endpoint.ip.b[0], 0xfe);
	assert_int_equal(p->last_handshake_ns, 1700000000123456789ull);
	assert_int_equal(p->tx_bytes, 1000);
	assert_int_equal(p->rx_bytes, 2000);
	assert_int_equal(p->keepalive, 25);
	assert_int_equal(p->n_allowed_ips, 2);
	c = tcidr("10.0.0.0/24");
	assert_int_equal(weft_wg_cidr_cmp(&p->allowed_ips[0], &c), 0);
	c = tcidr("fd00::1/128");
	assert_int_equal(weft_wg_cidr_cmp(&p->allowed_ips[1], &c), 0);
	p = &dev.peers[1];
	assert_int_equal(p->endpoint.port, 1);
	assert_int_equal(p->last_handshake_ns, 0);
	assert_int_equal(p->n_allowed_ips, 0);
	weft_wg_device_free(&dev);
	sodium_memzero(buf, sizeof(buf));

	/* A fresh device: nothing but errno. */
	assert_int_equal(weft_wg_uapi_parse_get("errno=0\n\n", 9, &dev, NULL), 0);
	assert_false(dev.has_private_key);
	assert_int_equal(dev.n_peers, 0);
}

static void test_errno(void **state)
{
	weft_wg_err_t err;
	weft_wg_device_t dev;

	assert_int_equal(weft_wg_uapi_parse_set("errno=0\n\n", 9, &err), 0);
	assert_int_equal(weft_wg_uapi_parse_set("errno=-98\n\n", 11, &err), -98);
	assert_int_equal(err.code, -98);
	assert_non_null(strstr(err.msg, "errno=98"));
	assert_int_equal(weft_wg_uapi_parse_set("errno=22\n\n", 10, &err), -22);
	assert_int_equal(weft_wg_uapi_parse_get("listen_port=1\nerrno=-5\n\n", 24, &dev, &err), -5);
	assert_int_equal(dev.n_peers, 0);
}

static void test_garbled(void **state)
{
	static const struct {
		const char *in, *needle;
	} cases[] = {
		{ "", "without errno" },
		{ "\n", "without errno" },
		{ "errno=0", "no end of line" },
		{ "errno=0\nlisten_port=1\n\n", "after errno" },
		{ "noequals\nerrno=0\n\n", "not a key=value" },
		{ "=1\nerrno=0\n\n", "not a key=value" },
		{ "listen_port=65536\nerrno=0\n\n", "listen_port" },
		{ "listen_port=-1\nerrno=0\n\n", "listen_port" },
		{ "listen_port=\nerrno=0\n\n", "listen_port" },
		{ "private_key=abc\nerrno=0\n\n", "private_key" },
		{ "public_key=zz\nerrno=0\n\n", "public_key" },
		{ "public_key=0101010101010101010101010101010101010101010101010101010101010101\n"
		  "endpoint=300.1.1.1:5\nerrno=0\n\n",
		  "endpoint" },
		{ "public_key=0101010101010101010101010101010101010101010101010101010101010101\n"
		  "allowed_ip=10.0.0.0/33\nerrno=0\n\n",
		  "allowed_ip" },
		{ "public_key=0101010101010101010101010101010101010101010101010101010101010101\n"
		  "allowed_ip=10.0.0.0\nerrno=0\n\n",
		  "allowed_ip" },
		{ "public_key=0101010101010101010101010101010101010101010101010101010101010101\n"
		  "rx_bytes=18446744073709551616\nerrno=0\n\n",
		  "rx_bytes" },
		{ "public_key=0101010101010101010101010101010101010101010101010101010101010101\n"
		  "last_handshake_time_nsec=1000000000\nerrno=0\n\n",
		  "last_handshake_time_nsec" },
		{ "errno=4096\n\n", "errno" },
		{ "errno=x\n\n", "errno" },
		{ "errno=0\nerrno=0\n\n", "after errno" },
	};
	weft_wg_device_t dev;
	weft_wg_err_t err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(weft_wg_uapi_parse_get(cases[i].in, strlen(cases[i].in), &dev, &err), WEFT_EPROTO);
		if (!strstr(err.msg, cases[i].needle))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].needle);
		assert_null(dev.peers);
	}
	/* An embedded NUL, a line longer than any value. */
	assert_int_equal(weft_wg_uapi_parse_get("listen_port=1\0\nerrno=0\n\n", 24, &dev, &err), WEFT_EPROTO);
	char longline[400];
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "endpoint=", 9);
	longline[398] = '\n';
	longline[399] = '\n';
	assert_int_equal(weft_wg_uapi_parse_get(longline, sizeof(longline), &dev, &err), WEFT_EPROTO);
	/* A set reply carries nothing but errno. */
	assert_int_equal(weft_wg_uapi_parse_set("listen_port=1\nerrno=0\n\n", 23, &err), WEFT_EPROTO);
	assert_int_equal(weft_wg_uapi_parse_set("errno=0\n", 8, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_set), cmocka_unit_test(test_format_grows),
		cmocka_unit_test(test_parse_get),  cmocka_unit_test(test_errno),
		cmocka_unit_test(test_garbled),
	};

	if (weft_crypto_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
