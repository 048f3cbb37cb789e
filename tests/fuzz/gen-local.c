/* Writes the stored corpus of fuzz-local (tests/fuzz/corpus/local/): node
 * files of a member, a revoked node, a join waiting for approval, with and
 * without the network key, the previous network key (17 fields), endpoints
 * of both families, plus edge cases (truncated, trailing byte, a newer
 * format, a bad status, a bad network name, empty). Deterministic keys.
 * Run: build/tests/fuzz/gen-local DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/netstate.h"

static const char *dir;

static void put(const char *name, const uint8_t *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void sample(struct weft_local *l, uint8_t status)
{
	uint8_t seed[WEFT_SEED_LEN];
	unsigned i;

	memset(l, 0, sizeof(*l));
	snprintf(l->network, sizeof(l->network), "office");
	for (i = 0; i < WEFT_PK_LEN; i++)
		l->network_id.b[i] = (uint8_t)(0xa0 + i);
	for (i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(i * 3 + 1);
	weft_keypair_from_seed(&l->id, seed);
	memset(l->wg.priv.b, 0x11, sizeof(l->wg.priv.b));
	memset(l->wg.pub.b, 0x22, sizeof(l->wg.pub.b));
	l->wg_key_time = 1795168800;
	l->has_netkey = status != WEFT_LOCAL_PENDING;
	if (l->has_netkey)
		memset(l->netkey, 0x42, sizeof(l->netkey));
	l->netkey_epoch = l->has_netkey ? 7 : 0;
	l->incarnation = 300;
	l->state_version = 1795168800123ull;
	snprintf(l->ifname, sizeof(l->ifname), "weft-office");
	l->listen_port = 40000;
	snprintf(l->name, sizeof(l->name), "laptop");
	l->nendpoints = 2;
	weft_endpoint_parse(&l->endpoints[0], "203.0.113.5:51820");
	weft_ip_parse(&l->endpoints[1].ip, "2001:db8::5");
	l->status = status;
}

static size_t enc(const struct weft_local *l, uint8_t *buf, size_t cap)
{
	size_t len = 0;

	if (weft_local_encode(l, buf, cap, &len) != 0) {
		fprintf(stderr, "gen-local: encode failed\n");
		exit(1);
	}
	return len;
}

int main(int argc, char **argv)
{
	struct weft_local l;
	uint8_t buf[4096], bad[4096];
	size_t n;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	dir = argv[1];

	sample(&l, WEFT_LOCAL_MEMBER);
	n = enc(&l, buf, sizeof(buf));
	put("member", buf, n);
	put("edge-truncated", buf, n / 2);
	put("edge-one-short", buf, n - 1);
	memcpy(bad, buf, n);
	bad[n] = 0;
	put("edge-trailing", bad, n + 1);
	memcpy(bad, buf, n);
	bad[3] = 2; /* the format version, after the array16 header */
	put("edge-format-2", bad, n);
	put("edge-empty", buf, 0);

	sample(&l, WEFT_LOCAL_REVOKED);
	n = enc(&l, buf, sizeof(buf));
	put("revoked", buf, n);

	sample(&l, WEFT_LOCAL_PENDING);
	n = enc(&l, buf, sizeof(buf));
	put("pending", buf, n);

	sample(&l, WEFT_LOCAL_MEMBER);
	l.nendpoints = 0;
	l.listen_port = 0;
	l.name[0] = '\0';
	n = enc(&l, buf, sizeof(buf));
	put("member-minimal", buf, n);

	sample(&l, WEFT_LOCAL_MEMBER);
	l.has_prev_netkey = true;
	memset(l.prev_netkey, 0x43, sizeof(l.prev_netkey));
	l.prev_netkey_epoch = 6;
	l.prev_open_until_ms = 1795169400000ull;
	l.prev_seal_until_ms = 1795169100000ull;
	n = enc(&l, buf, sizeof(buf));
	put("member-prev-key", buf, n);
	put("edge-prev-truncated", buf, n - 3);

	sample(&l, 9);
	n = enc(&l, buf, sizeof(buf));
	put("edge-bad-status", buf, n);

	sample(&l, WEFT_LOCAL_MEMBER);
	snprintf(l.network, sizeof(l.network), "Bad");
	n = enc(&l, buf, sizeof(buf));
	put("edge-bad-network", buf, n);

	sodium_memzero(&l, sizeof(l));
	return 0;
}
