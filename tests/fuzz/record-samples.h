/* Sample records of every type for test_record, gen-record and bench_record:
 * the smallest valid body of each type and one with every field at its
 * limit, and the fixed keys that sign them (so corpora are reproducible). */
#ifndef WEFT_RECORD_SAMPLES_H
#define WEFT_RECORD_SAMPLES_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/record.h"

enum sample_key { SAMPLE_ADMIN, SAMPLE_NODE, SAMPLE_INVITE, SAMPLE_KEYS };

static inline void sample_keypair(weft_keypair_t *kp, enum sample_key which)
{
	uint8_t seed[WEFT_SEED_LEN];

	memset(seed, 0x11 * (which + 1), sizeof(seed));
	weft_keypair_from_seed(kp, seed);
}

/* Who may sign each type: the node its state, the invite its members, the
 * admin the rest. */
static inline enum sample_key sample_signer(unsigned type)
{
	if (type == WEFT_REC_NODE_STATE)
		return SAMPLE_NODE;
	if (type == WEFT_REC_MEMBER)
		return SAMPLE_INVITE;
	return SAMPLE_ADMIN;
}

static inline void sample_fill(char *out, size_t len, char c)
{
	memset(out, c, len);
	out[len] = '\0';
}

static inline void sample_ip(weft_ip_t *ip, unsigned family, uint8_t last)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = (uint8_t)family;
	if (family == 4) {
		ip->b[0] = 10;
		ip->b[3] = last;
	} else if (family == 6) {
		ip->b[0] = 0xfd;
		ip->b[15] = last;
	}
}

/* A valid body of the given type, as small (max false) or as large as the
 * limits allow while the record still fits WEFT_RECORD_MAX. The record is
 * zeroed first, so a decoded copy compares equal with memcmp. */
static inline void sample_record(weft_record_t *r, unsigned type, bool max)
{
	weft_keypair_t admin, node, invite;
	unsigned i;

	sample_keypair(&admin, SAMPLE_ADMIN);
	sample_keypair(&node, SAMPLE_NODE);
	sample_keypair(&invite, SAMPLE_INVITE);
	memset(r, 0, sizeof(*r));
	r->type = (uint8_t)type;
	switch (type) {
	case WEFT_REC_NETWORK: {
		struct weft_rec_network *n = &r->u.network;

		n->version = max ? UINT64_MAX : 0;
		if (max)
			sample_fill(n->name, WEFT_NAME_MAX, 'n');
		else
			strcpy(n->name, "a");
		n->cidr4.ip.family = 4;
		n->cidr4.ip.b[0] = max ? 10 : 0;
		n->cidr4.prefix = max ? 32 : 0;
		if (max) {
			/* 253 bytes: three 63-byte labels and a 61-byte one. */
			char *d = n->domain;

			for (i = 0; i < 4; i++) {
				size_t len = i < 3 ? 63 : 61;

				memset(d, 'a' + (char)i, len);
				d += len;
				*d++ = i < 3 ? '.' : '\0';
			}
			n->cidr6.ip.family = 6;
			memset(n->cidr6.ip.b, 0xff, 16);
			n->cidr6.ip.b[0] = 0xfd;
			n->cidr6.prefix = 128;
			n->options = WEFT_NETOPT_LOCAL_ONLY;
		}
		n->wg_port = max ? UINT16_MAX : 1;
		n->gossip_port = max ? UINT16_MAX - 1 : 2;
		n->mtu = max ? UINT16_MAX : 576;
		n->keepalive = max ? UINT16_MAX : 0;
		n->wg_key_lifetime = max ? UINT32_MAX : 0;
		break;
	}
	case WEFT_REC_INVITE: {
		struct weft_rec_invite *iv = &r->u.invite;

		iv->invite_pk = invite.pk;
		iv->created = max ? UINT64_MAX - 1 : 0;
		iv->expires = max ? UINT64_MAX : 0;
		iv->max_uses = max ? UINT32_MAX : 1;
		iv->approval = max;
		if (max) {
			sample_fill(iv->name, WEFT_NAME_MAX, 'i');
			sample_ip(&iv->address4, 4, 255);
			sample_ip(&iv->address6, 6, 255);
			iv->ntags = WEFT_MAX_TAGS;
			for (i = 0; i < WEFT_MAX_TAGS; i++)
				sample_fill(iv->tags[i], WEFT_TAG_MAX, (char)('a' + i));
		}
		break;
	}
	case WEFT_REC_MEMBER:
		r->u.member.node_id = node.pk;
		r->u.member.invite_pk = invite.pk;
		r->u.member.join_time = max ? UINT64_MAX : 0;
		break;
	case WEFT_REC_NODE_STATE: {
		struct weft_rec_node_state *ns = &r->u.node_state;

		ns->node_id = node.pk;
		ns->version = max ? UINT64_MAX : 0;
		memset(ns->wg_pub.b, max ? 0xff : 0, sizeof(ns->wg_pub.b));
		ns->wg_key_time = max ? UINT64_MAX : 0;
		ns->wg_port = max ? UINT16_MAX : 1;
		ns->gossip_port = max ? 1 : 2;
		if (max) {
			sample_fill(ns->name, WEFT_NAME_MAX, 'x');
			ns->nendpoints = WEFT_MAX_ENDPOINTS;
			for (i = 0; i < WEFT_MAX_ENDPOINTS; i++) {
				sample_ip(&ns->endpoints[i].ip, 6, (uint8_t)(i + 1));
				memset(ns->endpoints[i].ip.b + 1, 0xff, 14);
				ns->endpoints[i].port = UINT16_MAX;
			}
			ns->nroutes = WEFT_MAX_ROUTES;
			for (i = 0; i < WEFT_MAX_ROUTES; i++) {
				sample_ip(&ns->routes[i].ip, 6, (uint8_t)(i + 1));
				memset(ns->routes[i].ip.b + 1, 0xff, 14);
				ns->routes[i].prefix = 128;
			}
			ns->flags = WEFT_NODE_RELAY | WEFT_NODE_LEFT;
			sample_fill(ns->sw_version, WEFT_VERSION_STR_MAX, 'v');
		} else {
			strcpy(ns->name, "a");
		}
		break;
	}
	case WEFT_REC_OVERRIDE: {
		struct weft_rec_override *o = &r->u.override;

		o->node_id = node.pk;
		o->version = max ? UINT64_MAX : 0;
		if (max) {
			o->set = WEFT_OVR_ALL;
			sample_ip(&o->address4, 4, 255);
			sample_ip(&o->address6, 6, 255);
			memset(o->address6.b + 1, 0xff, 14);
			o->expires = UINT64_MAX;
			sample_fill(o->name, WEFT_NAME_MAX, 'o');
			o->ntags = WEFT_MAX_TAGS;
			for (i = 0; i < WEFT_MAX_TAGS; i++)
				sample_fill(o->tags[i], WEFT_TAG_MAX, (char)('a' + i));
			o->nroutes = WEFT_MAX_ROUTES;
			for (i = 0; i < WEFT_MAX_ROUTES; i++) {
				sample_ip(&o->routes[i].ip, 6, (uint8_t)(i + 1));
				memset(o->routes[i].ip.b + 1, 0xff, 14);
				o->routes[i].prefix = 128;
			}
			o->approved = true;
		}
		break;
	}
	case WEFT_REC_REVOCATION:
		r->u.revocation.node_id = node.pk;
		r->u.revocation.time = max ? UINT64_MAX : 0;
		if (max)
			sample_fill(r->u.revocation.reason, WEFT_NAME_MAX, 'r');
		break;
	case WEFT_REC_DNS: {
		struct weft_rec_dns *d = &r->u.dns;

		d->version = max ? UINT64_MAX : 0;
		if (max) {
			/* "*." and 251 more bytes: 63+1+63+1+63+1+59. */
			char *p = d->name;

			*p++ = '*';
			*p++ = '.';
			for (i = 0; i < 4; i++) {
				size_t len = i < 3 ? 63 : 59;

				memset(p, 'a' + (char)i, len);
				p += len;
				*p++ = i < 3 ? '.' : '\0';
			}
			d->rtype = WEFT_DNS_TXT;
			d->ttl = INT32_MAX;
			d->deleted = true;
			sample_fill(d->value, WEFT_DNS_VALUE_MAX, 't');
		} else {
			strcpy(d->name, "a");
			d->rtype = WEFT_DNS_A;
			strcpy(d->value, "10.0.0.1");
		}
		break;
	}
	case WEFT_REC_KEYRING:
		r->u.keyring.epoch = max ? UINT64_MAX : 0;
		r->u.keyring.grace_s = max ? UINT32_MAX : 0;
		memset(r->u.keyring.key_hash, max ? 0xff : 0, 32);
		break;
	case WEFT_REC_KEYSHARE:
		r->u.keyshare.node_id = node.pk;
		r->u.keyshare.epoch = max ? UINT64_MAX : 0;
		memset(r->u.keyshare.sealed, max ? 0xff : 0, WEFT_SEALED_KEY_LEN);
		break;
	case WEFT_REC_ROTATE:
		r->u.rotate.version = max ? UINT64_MAX : 0;
		r->u.rotate.older_than = max ? UINT64_MAX : 0;
		break;
	case WEFT_REC_POLICY: {
		struct weft_rec_policy *p = &r->u.policy;

		p->version = max ? UINT64_MAX : 0;
		p->default_action = max ? WEFT_POLICY_DENY : WEFT_POLICY_ALLOW;
		if (max) {
			/* Every rule, but not every tag at its limit: 24 rules
			 * of two 31-byte tags would not fit WEFT_RECORD_MAX. */
			p->nrules = WEFT_MAX_RULES;
			for (i = 0; i < WEFT_MAX_RULES; i++) {
				p->rules[i].action = i % 2 ? WEFT_POLICY_DENY : WEFT_POLICY_ALLOW;
				sample_fill(p->rules[i].from, WEFT_TAG_MAX, (char)('a' + i));
				strcpy(p->rules[i].to, "*");
			}
		}
		break;
	}
	case WEFT_REC_EXT_CLIENT: {
		struct weft_rec_ext_client *e = &r->u.ext_client;

		e->version = max ? UINT64_MAX : 0;
		if (max) {
			sample_fill(e->name, WEFT_NAME_MAX, 'e');
			sample_ip(&e->address6, 6, 255);
			memset(e->wg_pub.b, 0xff, 32);
		} else {
			strcpy(e->name, "a");
		}
		sample_ip(&e->address4, 4, max ? 255 : 1);
		e->deleted = max;
		e->gateway = node.pk;
		break;
	}
	case WEFT_REC_ADMIN_ROLL:
		r->u.admin_roll.old_pk = admin.pk;
		r->u.admin_roll.new_pk = node.pk;
		r->u.admin_roll.version = max ? UINT64_MAX : 0;
		break;
	}
	weft_keys_wipe(&admin, sizeof(admin));
	weft_keys_wipe(&node, sizeof(node));
	weft_keys_wipe(&invite, sizeof(invite));
}

/* sample_record, then signed by the key that has the right to it. */
static inline int sample_signed(weft_record_t *r, unsigned type, bool max)
{
	weft_keypair_t kp;
	int ret;

	sample_record(r, type, max);
	sample_keypair(&kp, sample_signer(type));
	ret = weft_record_sign(r, &kp);
	weft_keys_wipe(&kp, sizeof(kp));
	return ret;
}

#endif
