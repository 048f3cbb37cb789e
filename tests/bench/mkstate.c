/* Writes the state directory of member 0 of an N-member network, as a
 * daemon that joined long ago would hold it: the settings, a keyring, N
 * member records and N state records (member i announces 10.250.I/16 on
 * port 51820), this node's file with its identity, WireGuard pair and the
 * network key. For measuring the daemon's footprint at sizes this machine
 * cannot run as real daemons (tests/integration/perf-daemon-big.sh); the
 * other members never answer.
 *
 *   mkstate STATE_DIR NETWORK MEMBERS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/error.h"
#include "daemon/netstate.h"
#include "core/store.h"

static int sign_merge(weft_store_t *s, weft_record_t *r, const weft_keypair_t *kp)
{
	int ret = weft_record_sign(r, kp);

	if (!ret)
		ret = weft_store_merge(s, r);
	if (ret < 0) {
		fprintf(stderr, "mkstate: %s record: %s\n", weft_rec_type_name(r->type), weft_strerror(ret));
		return ret;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char netdir[4096], *end;
	struct weft_local l;
	weft_keypair_t admin, node;
	weft_wgpair_t wg;
	weft_store_t *s = NULL;
	weft_record_t r;
	uint64_t now_ms;
	unsigned long n, i;
	int ret = 1;

	if (argc != 4 || (n = strtoul(argv[3], &end, 10)) < 1 || *end || n > 60000) {
		fprintf(stderr, "usage: mkstate STATE_DIR NETWORK MEMBERS (1-60000)\n");
		return 2;
	}
	if (weft_crypto_init())
		return 1;
	now_ms = (uint64_t)time(NULL) * 1000;
	memset(&l, 0, sizeof(l));
	weft_keypair_generate(&admin);
	s = weft_store_new(&admin.pk, NULL, NULL);
	if (!s)
		goto out;

	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_NETWORK;
	r.u.network.version = now_ms - 60000;
	snprintf(r.u.network.name, sizeof(r.u.network.name), "%s", argv[2]);
	weft_cidr_parse(&r.u.network.cidr4, "10.96.0.0/12");
	weft_cidr_parse(&r.u.network.cidr6, "fd96::/64");
	r.u.network.wg_port = 51820;
	r.u.network.gossip_port = 51821;
	r.u.network.mtu = 1420;
	if (sign_merge(s, &r, &admin))
		goto out;

	randombytes_buf(l.netkey, sizeof(l.netkey));
	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_KEYRING;
	r.u.keyring.epoch = 1;
	crypto_generichash(r.u.keyring.key_hash, sizeof(r.u.keyring.key_hash), l.netkey, sizeof(l.netkey), NULL, 0);
	if (sign_merge(s, &r, &admin))
		goto out;

	for (i = 0; i < n; i++) {
		weft_keypair_generate(&node);
		weft_wgpair_generate(&wg);
		memset(&r, 0, sizeof(r));
		r.type = WEFT_REC_MEMBER;
		r.u.member.node_id = node.pk;
		r.u.member.invite_pk = admin.pk;
		r.u.member.join_time = now_ms - 50000 + i;
		if (sign_merge(s, &r, &admin))
			goto out;
		memset(&r, 0, sizeof(r));
		r.type = WEFT_REC_NODE_STATE;
		r.u.node_state.node_id = node.pk;
		r.u.node_state.version = now_ms - 40000 + i;
		r.u.node_state.wg_pub = wg.pub;
		r.u.node_state.wg_key_time = now_ms / 1000;
		r.u.node_state.wg_port = 51820;
		r.u.node_state.gossip_port = 51821;
		snprintf(r.u.node_state.name, sizeof(r.u.node_state.name), "m%lu", i);
		r.u.node_state.nendpoints = 1;
		r.u.node_state.endpoints[0].ip.family = 4;
		r.u.node_state.endpoints[0].ip.b[0] = 10;
		r.u.node_state.endpoints[0].ip.b[1] = 250;
		r.u.node_state.endpoints[0].ip.b[2] = (uint8_t)((i + 2) >> 8);
		r.u.node_state.endpoints[0].ip.b[3] = (uint8_t)(i + 2);
		r.u.node_state.endpoints[0].port = 51820;
		snprintf(r.u.node_state.sw_version, sizeof(r.u.node_state.sw_version), "weft mkstate");
		if (sign_merge(s, &r, &node))
			goto out;
		if (i == 0) {
			l.id = node;
			l.wg = wg;
			l.wg_key_time = now_ms / 1000;
			l.state_version = r.u.node_state.version;
		}
		weft_keys_wipe(&node, sizeof(node));
		weft_keys_wipe(&wg, sizeof(wg));
	}

	snprintf(l.network, sizeof(l.network), "%s", argv[2]);
	l.network_id = admin.pk;
	l.has_netkey = true;
	l.netkey_epoch = 1;
	l.incarnation = 1;
	snprintf(l.ifname, sizeof(l.ifname), "weft-%.10s", argv[2]);
	snprintf(l.name, sizeof(l.name), "m0");
	l.status = WEFT_LOCAL_MEMBER;
	ret = weft_netstate_mkdir(argv[1], argv[2]);
	if (!ret)
		ret = weft_netstate_dir(netdir, sizeof(netdir), argv[1], argv[2]);
	if (!ret)
		ret = weft_netstate_save_local(netdir, &l);
	if (!ret)
		ret = weft_netstate_save_store(netdir, s);
	if (ret) {
		fprintf(stderr, "mkstate: %s: %s\n", argv[1], weft_strerror(ret));
		ret = 1;
		goto out;
	}
	printf("%s: %lu members, %zu records\n", netdir, n, weft_store_count(s));
out:
	weft_store_free(s);
	weft_local_wipe(&l);
	weft_keys_wipe(&admin, sizeof(admin));
	return ret;
}
