/* A network's state on disk: the node file's codec (every field round-trips,
 * every truncation and corruption is refused), atomic saving with mode
 * 0600, loading both files back into a working store, listing and removal. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/error.h"
#include "daemon/netstate.h"
#include "core/persist.h"
#include "daemon/prevkey.h"
#include "core/store.h"
#include "core/token.h"

static void sample(struct weft_local *l)
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
	weft_wgpair_generate(&l->wg);
	l->wg_key_time = 1795168800;
	l->has_netkey = true;
	memset(l->netkey, 0x42, sizeof(l->netkey));
	l->netkey_epoch = 7;
	l->incarnation = 300;
	l->state_version = 1795168800123ull;
	snprintf(l->ifname, sizeof(l->ifname), "weft-office");
	l->listen_port = 40000;
	l->gossip_port = 0;
	snprintf(l->name, sizeof(l->name), "laptop");
	l->nendpoints = 2;
	weft_endpoint_parse(&l->endpoints[0], "203.0.113.5:51820");
	weft_ip_parse(&l->endpoints[1].ip, "2001:db8::5");
	l->status = WEFT_LOCAL_MEMBER;
}

static void assert_same(const struct weft_local *a, const struct weft_local *b)
{
	unsigned i;

	assert_string_equal(a->network, b->network);
	assert_memory_equal(a->network_id.b, b->network_id.b, WEFT_PK_LEN);
	assert_memory_equal(a->id.pk.b, b->id.pk.b, WEFT_PK_LEN);
	assert_memory_equal(a->id.sk, b->id.sk, WEFT_SK_LEN);
	assert_memory_equal(a->wg.priv.b, b->wg.priv.b, WEFT_WGKEY_LEN);
	assert_memory_equal(a->wg.pub.b, b->wg.pub.b, WEFT_WGKEY_LEN);
	assert_int_equal(a->wg_key_time, b->wg_key_time);
	assert_int_equal(a->has_netkey, b->has_netkey);
	if (a->has_netkey)
		assert_memory_equal(a->netkey, b->netkey, WEFT_NETKEY_LEN);
	assert_int_equal(a->netkey_epoch, b->netkey_epoch);
	assert_int_equal(a->incarnation, b->incarnation);
	assert_int_equal(a->state_version, b->state_version);
	assert_string_equal(a->ifname, b->ifname);
	assert_int_equal(a->listen_port, b->listen_port);
	assert_int_equal(a->gossip_port, b->gossip_port);
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->nendpoints, b->nendpoints);
	for (i = 0; i < a->nendpoints; i++)
		assert_true(weft_endpoint_equal(&a->endpoints[i], &b->endpoints[i]));
	assert_int_equal(a->status, b->status);
}

static void test_codec_roundtrip(void **state)
{
	struct weft_local a, b;
	uint8_t buf[2048];
	size_t len = 0;

	sample(&a);
	assert_int_equal(weft_local_encode(&a, buf, sizeof(buf), &len), 0);
	assert_int_equal(weft_local_decode(&b, buf, len, NULL), 0);
	assert_same(&a, &b);

	/* Without a network key, no endpoints, no name, revoked. */
	a.has_netkey = false;
	memset(a.netkey, 0, sizeof(a.netkey));
	a.nendpoints = 0;
	a.name[0] = '\0';
	a.status = WEFT_LOCAL_REVOKED;
	a.wg_key_time = UINT64_MAX;
	assert_int_equal(weft_local_encode(&a, buf, sizeof(buf), &len), 0);
	assert_int_equal(weft_local_decode(&b, buf, len, NULL), 0);
	assert_same(&a, &b);

	/* Too small a buffer: refused, and wiped. */
	assert_int_equal(weft_local_encode(&a, buf, 40, &len), -ENOSPC);
	weft_local_wipe(&a);
	weft_local_wipe(&b);
}

static void test_codec_refusals(void **state)
{
	struct weft_local a, b;
	uint8_t buf[2048], bad[2048];
	const char *why;
	size_t len = 0, i;

	sample(&a);
	assert_int_equal(weft_local_encode(&a, buf, sizeof(buf), &len), 0);
	for (i = 0; i < len; i++) {
		why = NULL;
		assert_int_equal(weft_local_decode(&b, buf, i, &why), WEFT_EMALFORMED);
		assert_non_null(why);
	}
	memcpy(bad, buf, len);
	bad[len] = 0;
	assert_int_equal(weft_local_decode(&b, bad, len + 1, &why), WEFT_EMALFORMED);
	assert_string_equal(why, "node file: trailing bytes");
	/* A newer format is refused by name. */
	memcpy(bad, buf, len);
	bad[3] = 2; /* after the array16 header: the format version */
	assert_int_equal(weft_local_decode(&b, bad, len, &why), WEFT_EMALFORMED);
	assert_string_equal(why, "node file: unsupported format version");
	/* Single flipped bits either fail cleanly or decode to something
	 * that re-encodes (never a crash; the persist frame's checksum is
	 * what catches corruption on disk). */
	for (i = 0; i < len * 8; i += 3) {
		memcpy(bad, buf, len);
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (weft_local_decode(&b, bad, len, &why) == 0) {
			uint8_t again[2048];
			size_t n2;

			assert_int_equal(weft_local_encode(&b, again, sizeof(again), &n2), 0);
		}
	}
	/* Bad fields: a network name that is not a label, an unknown status. */
	snprintf(a.network, sizeof(a.network), "Bad");
	assert_int_equal(weft_local_encode(&a, buf, sizeof(buf), &len), 0);
	assert_int_equal(weft_local_decode(&b, buf, len, &why), WEFT_EMALFORMED);
	assert_string_equal(why, "node file: bad network name");
	sample(&a);
	a.status = 9;
	assert_int_equal(weft_local_encode(&a, buf, sizeof(buf), &len), 0);
	assert_int_equal(weft_local_decode(&b, buf, len, &why), WEFT_EMALFORMED);
	assert_string_equal(why, "node file: bad status");
	weft_local_wipe(&a);
}

static char *tmpdir(void)
{
	char *d = strdup("/tmp/weft-test-state-XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

/* A store with the network's settings and a member, as a node holds. */
static weft_store_t *make_store(weft_keypair_t *admin)
{
	weft_store_t *s;
	weft_record_t r;

	weft_keypair_generate(admin);
	s = weft_store_new(&admin->pk, NULL, NULL);
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_NETWORK;
	r.u.network.version = 1;
	snprintf(r.u.network.name, sizeof(r.u.network.name), "office");
	weft_cidr_parse(&r.u.network.cidr4, "10.77.0.0/16");
	r.u.network.wg_port = 51820;
	r.u.network.gossip_port = 51821;
	r.u.network.mtu = 1420;
	assert_int_equal(weft_record_sign(&r, admin), 0);
	assert_true(weft_store_merge(s, &r) > 0);
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_MEMBER;
	memset(r.u.member.node_id.b, 9, WEFT_PK_LEN);
	r.u.member.invite_pk = admin->pk;
	r.u.member.join_time = 1795168800000ull;
	assert_int_equal(weft_record_sign(&r, admin), 0);
	assert_true(weft_store_merge(s, &r) > 0);
	return s;
}

static void test_rand(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	randombytes_buf(buf, len);
}

/* The previous network key of a rotation's grace period: in the node file
 * only while set (a 17th field), so files without it keep the old layout
 * and old files load; and handed back to the gossip node at restart while
 * its grace lasts (prevkey.h). */
static void test_prev_netkey(void **state)
{
	struct weft_local a, b;
	struct weft_gossip_prevkey pk;
	struct weft_gossip_config gc;
	weft_keypair_t admin;
	weft_gossip_t *g;
	weft_store_t *s;
	uint8_t buf[2048], bad[2048];
	const uint64_t wall = 1795168800000ull;
	const char *why;
	size_t len = 0, i;
	int err = 0;

	sample(&a);
	assert_int_equal(weft_local_encode(&a, buf, sizeof(buf), &len), 0);
	/* array16 of 16: the layout every earlier version wrote and reads. */
	assert_int_equal(buf[0], 0xdc);
	assert_int_equal(buf[1], 0);
	assert_int_equal(buf[2], 16);
	assert_int_equal(weft_local_decode(&b, buf, len, NULL), 0);
	assert_false(b.has_prev_netkey);

	a.has_prev_netkey = true;
	memset(a.prev_netkey, 0x24, sizeof(a.prev_netkey));
	a.prev_netkey_epoch = 6;
	a.prev_open_until_ms = wall + 60000;
	a.prev_seal_until_ms = wall + 30000;
	assert_int_equal(weft_local_encode(&a, buf, sizeof(buf), &len), 0);
	assert_int_equal(buf[2], 17);
	assert_int_equal(weft_local_decode(&b, buf, len, NULL), 0);
	assert_same(&a, &b);
	assert_true(b.has_prev_netkey);
	assert_memory_equal(b.prev_netkey, a.prev_netkey, WEFT_NETKEY_LEN);
	assert_int_equal(b.prev_netkey_epoch, 6);
	assert_int_equal(b.prev_open_until_ms, wall + 60000);
	assert_int_equal(b.prev_seal_until_ms, wall + 30000);
	for (i = 0; i < len; i++)
		assert_int_equal(weft_local_decode(&b, buf, i, NULL), WEFT_EMALFORMED);
	/* A 17th field that is not [key, epoch, until, until]. */
	memcpy(bad, buf, len);
	/* fixarray 4, bin8 32 (34 bytes), fixint epoch, two uint64 (9 each) */
	assert_int_equal(bad[len - 54], 0x94);
	bad[len - 54] = 0x93;
	why = NULL;
	assert_int_equal(weft_local_decode(&b, bad, len, &why), WEFT_EMALFORMED);
	assert_non_null(why);

	/* The gossip node gets it back at restart, with its deadlines. */
	s = make_store(&admin);
	memset(&gc, 0, sizeof(gc));
	gc.identity = &a.id;
	gc.store = s;
	gc.rand = test_rand;
	gc.netkey = a.netkey;
	gc.netkey_epoch = a.netkey_epoch;
	g = weft_gossip_new(&gc, 1000000000ull, &err);
	assert_non_null(g);
	weft_gossip_set_wallclock(g, 1000000000ull, wall);
	assert_int_equal(weft_gossip_prev_netkey(g, &pk), WEFT_ENOTFOUND);
	assert_false(weft_prevkey_restore(g, &a, "office", wall));
	assert_int_equal(weft_gossip_prev_netkey(g, &pk), 0);
	assert_int_equal(pk.epoch, 6);
	assert_memory_equal(pk.key, a.prev_netkey, WEFT_NETKEY_LEN);
	assert_int_equal(pk.open_until_ms, wall + 60000);
	assert_int_equal(pk.seal_until_ms, wall + 30000);
	/* ...and the daemon's next save writes the same. */
	sample(&b);
	assert_true(weft_prevkey_save(g, &b));
	assert_true(b.has_prev_netkey);
	assert_memory_equal(b.prev_netkey, a.prev_netkey, WEFT_NETKEY_LEN);
	assert_int_equal(b.prev_open_until_ms, wall + 60000);
	assert_false(weft_prevkey_save(g, &b));
	weft_gossip_free(g);

	/* A restart after the grace: the key is dropped from the file too. */
	g = weft_gossip_new(&gc, 1000000000ull, &err);
	assert_non_null(g);
	weft_gossip_set_wallclock(g, 1000000000ull, wall + 60000);
	assert_true(weft_prevkey_restore(g, &a, "office", wall + 60000));
	assert_false(a.has_prev_netkey);
	for (i = 0; i < WEFT_NETKEY_LEN; i++)
		assert_int_equal(a.prev_netkey[i], 0);
	assert_int_equal(weft_gossip_prev_netkey(g, &pk), WEFT_ENOTFOUND);
	assert_true(weft_prevkey_save(g, &b));
	assert_false(b.has_prev_netkey);
	weft_gossip_free(g);
	weft_store_free(s);
	sodium_memzero(&pk, sizeof(pk));
	weft_local_wipe(&a);
	weft_local_wipe(&b);
}

static void test_save_load(void **state)
{
	char *dir = tmpdir(), netdir[PATH_MAX], path[PATH_MAX + 16];
	struct weft_local a, b;
	weft_keypair_t admin;
	weft_store_t *s, *t;
	const char *why = NULL;
	uint8_t d1[32], d2[32];
	struct stat st;

	s = make_store(&admin);
	sample(&a);
	a.network_id = admin.pk;
	assert_int_equal(weft_netstate_mkdir(dir, "office"), 0);
	assert_int_equal(weft_netstate_dir(netdir, sizeof(netdir), dir, "office"), 0);
	assert_int_equal(stat(netdir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(weft_netstate_save_local(netdir, &a), 0);
	assert_int_equal(weft_netstate_save_store(netdir, s), 0);
	snprintf(path, sizeof(path), "%s/node", netdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/records", netdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	t = weft_store_new(&admin.pk, NULL, NULL);
	assert_int_equal(weft_netstate_load(netdir, &b, t, &why), 0);
	assert_same(&a, &b);
	assert_int_equal(weft_store_count(t), 2);
	weft_store_digest(s, d1);
	weft_store_digest(t, d2);
	assert_memory_equal(d1, d2, sizeof(d1));
	weft_store_free(t);

	/* A store of another network is refused before its records load. */
	{
		weft_keypair_t other;

		weft_keypair_generate(&other);
		t = weft_store_new(&other.pk, NULL, NULL);
		assert_int_equal(weft_netstate_load(netdir, &b, t, &why), WEFT_EWRONGNET);
		weft_store_free(t);
	}

	/* Saving again replaces the file atomically: no temp file stays. */
	a.incarnation = 301;
	assert_int_equal(weft_netstate_save_local(netdir, &a), 0);
	assert_int_equal(weft_netstate_load_local(netdir, &b, NULL), 0);
	assert_int_equal(b.incarnation, 301);
	{
		char names[4][WEFT_NAME_MAX + 1];
		size_t n;

		/* The network is listed once; the temp files are not. */
		assert_int_equal(weft_netstate_list(dir, names, 4, &n), 0);
		assert_int_equal(n, 1);
		assert_string_equal(names[0], "office");
	}

	/* Loose permissions on the node file are refused (it holds keys). */
	snprintf(path, sizeof(path), "%s/node", netdir);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(weft_netstate_load_local(netdir, &b, &why), WEFT_EKEYPERM);
	assert_non_null(strstr(why, "chmod 600"));
	assert_int_equal(chmod(path, 0600), 0);

	/* A torn node file is refused, not half-loaded. */
	assert_int_equal(truncate(path, 40), 0);
	assert_int_equal(weft_netstate_load_local(netdir, &b, &why), WEFT_ECHECKSUM);
	assert_int_equal(b.status, 0);

	assert_int_equal(weft_netstate_remove(netdir), 0);
	assert_int_equal(stat(netdir, &st), -1);
	assert_int_equal(weft_netstate_load_local(netdir, &b, &why), -ENOENT);
	assert_int_equal(weft_netstate_remove(netdir), 0); /* twice is fine */
	assert_int_equal(rmdir(dir), 0);
	weft_store_free(s);
	weft_local_wipe(&a);
	weft_local_wipe(&b);
	weft_keys_wipe(&admin, sizeof(admin));
	free(dir);
}

/* A join that waits for approval keeps its token: saved 0600, loaded back
 * whole, a corrupt file refused, dropped once a member. The node file
 * says "pending". */
static void test_pending_token(void **state)
{
	char *dir = tmpdir(), netdir[PATH_MAX], path[PATH_MAX + 16], t1[WEFT_TOKEN_MAX], t2[WEFT_TOKEN_MAX];
	weft_token_t tok, back;
	weft_keypair_t admin;
	struct weft_local a, b;
	const char *why = NULL;
	struct stat st;
	FILE *f;

	memset(&tok, 0, sizeof(tok));
	weft_keypair_generate(&admin);
	weft_keypair_generate(&tok.invite_kp);
	tok.network_id = admin.pk;
	tok.settings.type = WEFT_REC_NETWORK;
	tok.settings.u.network.version = 1;
	snprintf(tok.settings.u.network.name, sizeof(tok.settings.u.network.name), "office");
	weft_cidr_parse(&tok.settings.u.network.cidr4, "10.77.0.0/16");
	tok.settings.u.network.wg_port = 51820;
	tok.settings.u.network.gossip_port = 51821;
	tok.settings.u.network.mtu = 1420;
	assert_int_equal(weft_record_sign(&tok.settings, &admin), 0);
	tok.invite.type = WEFT_REC_INVITE;
	tok.invite.u.invite.invite_pk = tok.invite_kp.pk;
	tok.invite.u.invite.created = 1795168800;
	tok.invite.u.invite.max_uses = 1;
	tok.invite.u.invite.approval = true;
	assert_int_equal(weft_record_sign(&tok.invite, &admin), 0);
	tok.nbootstrap = 1;
	snprintf(tok.bootstrap[0], WEFT_HOSTPORT_MAX, "10.232.0.1:51821");

	assert_int_equal(weft_netstate_mkdir(dir, "office"), 0);
	assert_int_equal(weft_netstate_dir(netdir, sizeof(netdir), dir, "office"), 0);
	assert_int_equal(weft_netstate_save_token(netdir, &tok), 0);
	snprintf(path, sizeof(path), "%s/token", netdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600); /* the invite's secret key */
	assert_int_equal(weft_netstate_load_token(netdir, &back, &why), 0);
	assert_int_equal(weft_token_encode(&tok, t1, sizeof(t1)), 0);
	assert_int_equal(weft_token_encode(&back, t2, sizeof(t2)), 0);
	assert_string_equal(t1, t2);
	assert_memory_equal(back.invite_kp.sk, tok.invite_kp.sk, sizeof(tok.invite_kp.sk));

	/* A corrupt file is refused by name, not half-read. */
	f = fopen(path, "r+");
	assert_non_null(f);
	assert_int_equal(fseek(f, 30, SEEK_SET), 0);
	fputc('#', f);
	fclose(f);
	why = NULL;
	assert_int_not_equal(weft_netstate_load_token(netdir, &back, &why), 0);
	assert_non_null(why);

	/* The node file of a waiting join says so. */
	sample(&a);
	a.status = WEFT_LOCAL_PENDING;
	assert_int_equal(weft_netstate_save_local(netdir, &a), 0);
	assert_int_equal(weft_netstate_load_local(netdir, &b, &why), 0);
	assert_int_equal(b.status, WEFT_LOCAL_PENDING);

	assert_int_equal(weft_netstate_drop_token(netdir), 0);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(weft_netstate_drop_token(netdir), 0); /* twice is fine */
	assert_int_equal(weft_netstate_load_token(netdir, &back, &why), -ENOENT);
	assert_int_equal(weft_netstate_remove(netdir), 0);
	assert_int_equal(rmdir(dir), 0);
	weft_token_wipe(&tok);
	weft_token_wipe(&back);
	weft_local_wipe(&a);
	weft_local_wipe(&b);
	weft_keys_wipe(&admin, sizeof(admin));
	sodium_memzero(t1, sizeof(t1));
	sodium_memzero(t2, sizeof(t2));
	free(dir);
}

static void test_list(void **state)
{
	char *dir = tmpdir(), names[3][WEFT_NAME_MAX + 1], netdir[PATH_MAX], path[PATH_MAX + 16];
	static const char *const nets[] = { "zeta", "alpha", "mid-1", "extra" };
	struct weft_local a;
	size_t n, i;
	FILE *f;

	sample(&a);
	for (i = 0; i < 4; i++) {
		assert_int_equal(weft_netstate_mkdir(dir, nets[i]), 0);
		weft_netstate_dir(netdir, sizeof(netdir), dir, nets[i]);
		assert_int_equal(weft_netstate_save_local(netdir, &a), 0);
	}
	/* Not networks: a directory without a node file, a bad name, a file. */
	assert_int_equal(weft_netstate_mkdir(dir, "empty"), 0);
	snprintf(path, sizeof(path), "%s/Not_A_Name", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/stray", dir);
	f = fopen(path, "w");
	fclose(f);
	assert_int_equal(weft_netstate_list(dir, names, 3, &n), 0);
	assert_int_equal(n, 3); /* capped */
	{
		char all[8][WEFT_NAME_MAX + 1];

		assert_int_equal(weft_netstate_list(dir, all, 8, &n), 0);
		assert_int_equal(n, 4);
		assert_string_equal(all[0], "alpha");
		assert_string_equal(all[1], "extra");
		assert_string_equal(all[2], "mid-1");
		assert_string_equal(all[3], "zeta");
	}
	/* A state directory that does not exist yet holds no network. */
	assert_int_equal(weft_netstate_list("/nonexistent/weft", names, 3, &n), 0);
	assert_int_equal(n, 0);
	for (i = 0; i < 4; i++) {
		weft_netstate_dir(netdir, sizeof(netdir), dir, nets[i]);
		assert_int_equal(weft_netstate_remove(netdir), 0);
	}
	weft_netstate_dir(netdir, sizeof(netdir), dir, "empty");
	assert_int_equal(weft_netstate_remove(netdir), 0);
	snprintf(path, sizeof(path), "%s/Not_A_Name", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/stray", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	weft_local_wipe(&a);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec_roundtrip), cmocka_unit_test(test_codec_refusals),
		cmocka_unit_test(test_save_load),       cmocka_unit_test(test_list),
		cmocka_unit_test(test_prev_netkey),     cmocka_unit_test(test_pending_token),
	};

	weft_crypto_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
