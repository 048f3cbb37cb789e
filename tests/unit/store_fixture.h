/* Record builders shared by the store's unit tests, its fuzzer and its
 * benchmark: deterministic keys from (role, number) and signed records of the
 * types the merge rules care about. Test code: a record that cannot be
 * signed aborts with the codec's reason. */
#ifndef WEFT_STORE_FIXTURE_H
#define WEFT_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/keys.h"
#include "core/record.h"
#include "core/store.h"

enum { FX_ADMIN = 'A', FX_INVITE = 'I', FX_NODE = 'N', FX_OTHER = 'O' };

static inline void fx_key(weft_keypair_t *kp, uint8_t role, uint32_t n)
{
	uint8_t seed[WEFT_SEED_LEN] = { 0 };

	seed[0] = role;
	seed[1] = (uint8_t)(n >> 24);
	seed[2] = (uint8_t)(n >> 16);
	seed[3] = (uint8_t)(n >> 8);
	seed[4] = (uint8_t)n;
	weft_keypair_from_seed(kp, seed);
}

static inline void fx_sign(weft_record_t *r, const weft_keypair_t *kp)
{
	int ret = weft_record_sign(r, kp);

	if (ret) {
		const char *why = "";

		weft_record_check(r, &why);
		fprintf(stderr, "fixture: cannot sign a %s record: %s (%s)\n", weft_rec_type_name(r->type),
			weft_strerror(ret), why ? why : "");
		abort();
	}
}

static inline void fx_begin(weft_record_t *r, unsigned type)
{
	memset(r, 0, sizeof(*r));
	r->type = (uint8_t)type;
}

static inline void fx_network(weft_record_t *r, const weft_keypair_t *admin, uint64_t version, const char *cidr4)
{
	struct weft_rec_network *n = &r->u.network;

	fx_begin(r, WEFT_REC_NETWORK);
	n->version = version;
	snprintf(n->name, sizeof(n->name), "net%llu", (unsigned long long)(version % 1000));
	if (weft_cidr_parse(&n->cidr4, cidr4))
		abort();
	n->wg_port = 51820;
	n->gossip_port = 51821;
	n->mtu = 1420;
	fx_sign(r, admin);
}

static inline void fx_invite_body(weft_record_t *r, const weft_pk_t *invite_pk, uint32_t max_uses,
				  uint64_t created_s)
{
	fx_begin(r, WEFT_REC_INVITE);
	r->u.invite.invite_pk = *invite_pk;
	r->u.invite.created = created_s;
	r->u.invite.max_uses = max_uses;
}

static inline void fx_invite(weft_record_t *r, const weft_keypair_t *admin, const weft_pk_t *invite_pk,
			     uint32_t max_uses, uint64_t created_s)
{
	fx_invite_body(r, invite_pk, max_uses, created_s);
	fx_sign(r, admin);
}

/* A member signed by signer (an invite key, or an admin key directly). */
static inline void fx_member(weft_record_t *r, const weft_keypair_t *signer, const weft_pk_t *node, uint64_t join_ms)
{
	fx_begin(r, WEFT_REC_MEMBER);
	r->u.member.node_id = *node;
	r->u.member.invite_pk = signer->pk;
	r->u.member.join_time = join_ms;
	fx_sign(r, signer);
}

static inline void fx_state_body(weft_record_t *r, const weft_keypair_t *node, uint64_t version, const char *name)
{
	struct weft_rec_node_state *ns = &r->u.node_state;

	fx_begin(r, WEFT_REC_NODE_STATE);
	ns->node_id = node->pk;
	ns->version = version;
	memset(ns->wg_pub.b, (int)(version & 0xff), sizeof(ns->wg_pub.b));
	ns->wg_port = 51820;
	ns->gossip_port = 51821;
	snprintf(ns->name, sizeof(ns->name), "%s", name);
}

static inline void fx_state(weft_record_t *r, const weft_keypair_t *node, uint64_t version, const char *name)
{
	fx_state_body(r, node, version, name);
	fx_sign(r, node);
}

static inline void fx_override_body(weft_record_t *r, const weft_pk_t *node, uint64_t version)
{
	fx_begin(r, WEFT_REC_OVERRIDE);
	r->u.override.node_id = *node;
	r->u.override.version = version;
}

static inline void fx_revocation(weft_record_t *r, const weft_keypair_t *admin, const weft_pk_t *node,
				 uint64_t time_s)
{
	fx_begin(r, WEFT_REC_REVOCATION);
	r->u.revocation.node_id = *node;
	r->u.revocation.time = time_s;
	snprintf(r->u.revocation.reason, sizeof(r->u.revocation.reason), "test");
	fx_sign(r, admin);
}

static inline void fx_dns(weft_record_t *r, const weft_keypair_t *admin, const char *name, uint64_t version,
			  const char *a, bool deleted)
{
	struct weft_rec_dns *d = &r->u.dns;

	fx_begin(r, WEFT_REC_DNS);
	d->version = version;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->rtype = WEFT_DNS_A;
	d->ttl = 60;
	d->deleted = deleted;
	snprintf(d->value, sizeof(d->value), "%s", a);
	fx_sign(r, admin);
}

static inline void fx_keyshare(weft_record_t *r, const weft_keypair_t *admin, const weft_pk_t *node, uint64_t epoch)
{
	fx_begin(r, WEFT_REC_KEYSHARE);
	r->u.keyshare.node_id = *node;
	r->u.keyshare.epoch = epoch;
	memset(r->u.keyshare.sealed, 0x5a, sizeof(r->u.keyshare.sealed));
	fx_sign(r, admin);
}

static inline void fx_roll(weft_record_t *r, const weft_keypair_t *old_admin, const weft_pk_t *new_pk,
			   uint64_t version)
{
	fx_begin(r, WEFT_REC_ADMIN_ROLL);
	r->u.admin_roll.old_pk = old_admin->pk;
	r->u.admin_roll.new_pk = *new_pk;
	r->u.admin_roll.version = version;
	fx_sign(r, old_admin);
}

/* splitmix64: a seeded generator for shuffles, so a failure replays. */
static inline uint64_t fx_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
