/* The fixed pool of pre-signed records that fuzz-store and fuzz-persist
 * drive the store with, and that gen-store writes corpora from: every record
 * type, superseded versions, equivocation, an admin roll-over with records
 * by both keys (and one by the old key past it), invites used beyond their
 * count, a revocation, a DNS tombstone, and records that must wait or be
 * refused. Deterministic keys, so every build makes the same bytes. */
#ifndef WEFT_STORE_SAMPLES_H
#define WEFT_STORE_SAMPLES_H

#include "../unit/store_fixture.h"

#define SS_MAX 64
#define SS_ROLL_V 5000000ull /* ms */

struct store_samples {
	weft_keypair_t admin, admin2, other, inv[3], node[10];
	size_t n;
	weft_record_t r[SS_MAX];
};

static inline void ss_add(struct store_samples *ss, const weft_record_t *r)
{
	if (ss->n >= SS_MAX)
		abort();
	ss->r[ss->n++] = *r;
}

static inline void store_samples_build(struct store_samples *ss)
{
	static const uint64_t join[8] = { 100, 300, 50, 300, 40, 60, 70, 80 };
	weft_record_t *r = calloc(1, sizeof(*r));

	if (!r)
		abort();
	ss->n = 0;
	fx_key(&ss->admin, FX_ADMIN, 1);
	fx_key(&ss->admin2, FX_ADMIN, 2);
	fx_key(&ss->other, FX_OTHER, 1);
	for (unsigned i = 0; i < 3; i++)
		fx_key(&ss->inv[i], FX_INVITE, i);
	for (unsigned i = 0; i < 10; i++)
		fx_key(&ss->node[i], FX_NODE, i);

	fx_roll(r, &ss->admin, &ss->admin2.pk, SS_ROLL_V);
	ss_add(ss, r);
	fx_network(r, &ss->admin, 100, "10.1.0.0/24");
	ss_add(ss, r);
	fx_network(r, &ss->admin, 200, "10.2.0.0/24");
	ss_add(ss, r);
	fx_network(r, &ss->admin2, SS_ROLL_V + 10, "10.3.0.0/24");
	ss_add(ss, r);
	fx_network(r, &ss->admin, SS_ROLL_V + 100, "10.4.0.0/24"); /* old key, past its roll-over */
	ss_add(ss, r);
	fx_network(r, &ss->other, 300, "10.5.0.0/24"); /* another network's admin */
	ss_add(ss, r);
	fx_invite(r, &ss->admin, &ss->inv[0].pk, 2, 1);
	ss_add(ss, r);
	fx_invite(r, &ss->admin, &ss->inv[0].pk, 5, 1); /* equivocation */
	ss_add(ss, r);
	fx_invite_body(r, &ss->inv[1].pk, 1, 2);
	r->u.invite.approval = true;
	snprintf(r->u.invite.name, sizeof(r->u.invite.name), "pinned");
	if (weft_ip_parse(&r->u.invite.address4, "10.3.0.9"))
		abort();
	fx_sign(r, &ss->admin);
	ss_add(ss, r);
	fx_invite(r, &ss->admin2, &ss->inv[2].pk, 3, 9000);
	ss_add(ss, r);
	for (unsigned i = 0; i < 8; i++) {
		const weft_keypair_t *signer = i < 4   ? &ss->inv[0]
					       : i < 6 ? &ss->inv[1]
					       : i < 7 ? &ss->inv[2]
						       : &ss->admin2;

		fx_member(r, signer, &ss->node[i].pk, join[i]);
		ss_add(ss, r);
	}
	/* A member whose invite_pk is not its signer: never has a right. */
	fx_begin(r, WEFT_REC_MEMBER);
	r->u.member.node_id = ss->node[9].pk;
	r->u.member.invite_pk = ss->inv[0].pk;
	r->u.member.join_time = 5;
	fx_sign(r, &ss->inv[1]);
	ss_add(ss, r);
	for (unsigned i = 0; i < 9; i++) {
		for (unsigned v = 1; v <= 2; v++) {
			fx_state_body(r, &ss->node[i], v, "n");
			r->u.node_state.name[0] = (char)('a' + i);
			if (i == 6 && v == 2)
				r->u.node_state.flags = WEFT_NODE_LEFT;
			fx_sign(r, &ss->node[i]);
			ss_add(ss, r);
		}
	}
	fx_state(r, &ss->node[1], 2, "other"); /* equal version, other bytes */
	ss_add(ss, r);
	fx_override_body(r, &ss->node[4].pk, 10);
	r->u.override.set = WEFT_OVR_APPROVED;
	r->u.override.approved = true;
	fx_sign(r, &ss->admin);
	ss_add(ss, r);
	fx_override_body(r, &ss->node[0].pk, 10);
	r->u.override.set = WEFT_OVR_NAME | WEFT_OVR_EXPIRES;
	snprintf(r->u.override.name, sizeof(r->u.override.name), "first");
	r->u.override.expires = 1700000000;
	fx_sign(r, &ss->admin);
	ss_add(ss, r);
	fx_override_body(r, &ss->node[0].pk, SS_ROLL_V + 20);
	r->u.override.set = WEFT_OVR_NAME | WEFT_OVR_TAGS | WEFT_OVR_ADDRESS4;
	snprintf(r->u.override.name, sizeof(r->u.override.name), "second");
	r->u.override.ntags = 1;
	snprintf(r->u.override.tags[0], sizeof(r->u.override.tags[0]), "db");
	if (weft_ip_parse(&r->u.override.address4, "10.3.0.9"))
		abort();
	fx_sign(r, &ss->admin2);
	ss_add(ss, r);
	fx_revocation(r, &ss->admin, &ss->node[2].pk, 3);
	ss_add(ss, r);
	fx_keyshare(r, &ss->admin, &ss->node[2].pk, 1);
	ss_add(ss, r);
	fx_keyshare(r, &ss->admin2, &ss->node[3].pk, 2);
	ss_add(ss, r);
	fx_dns(r, &ss->admin, "www", 1, "10.1.0.5", false);
	ss_add(ss, r);
	fx_dns(r, &ss->admin2, "www", SS_ROLL_V + 30, "", true);
	ss_add(ss, r);
	fx_dns(r, &ss->admin, "db", 1, "10.1.0.6", false);
	ss_add(ss, r);
	fx_begin(r, WEFT_REC_KEYRING);
	r->u.keyring.epoch = 2;
	r->u.keyring.grace_s = 60;
	memset(r->u.keyring.key_hash, 7, sizeof(r->u.keyring.key_hash));
	fx_sign(r, &ss->admin2);
	ss_add(ss, r);
	fx_begin(r, WEFT_REC_ROTATE);
	r->u.rotate.version = SS_ROLL_V + 40;
	r->u.rotate.older_than = 1600000000;
	fx_sign(r, &ss->admin2);
	ss_add(ss, r);
	fx_begin(r, WEFT_REC_POLICY);
	r->u.policy.version = 3;
	r->u.policy.default_action = WEFT_POLICY_ALLOW;
	r->u.policy.nrules = 1;
	r->u.policy.rules[0].action = WEFT_POLICY_DENY;
	snprintf(r->u.policy.rules[0].from, sizeof(r->u.policy.rules[0].from), "*");
	snprintf(r->u.policy.rules[0].to, sizeof(r->u.policy.rules[0].to), "db");
	fx_sign(r, &ss->admin);
	ss_add(ss, r);
	fx_begin(r, WEFT_REC_EXT_CLIENT);
	r->u.ext_client.version = SS_ROLL_V + 50;
	snprintf(r->u.ext_client.name, sizeof(r->u.ext_client.name), "laptop");
	memset(r->u.ext_client.wg_pub.b, 3, 32);
	if (weft_ip_parse(&r->u.ext_client.address4, "10.3.0.200"))
		abort();
	r->u.ext_client.gateway = ss->node[0].pk;
	fx_sign(r, &ss->admin2);
	ss_add(ss, r);
	free(r);
}

#endif
