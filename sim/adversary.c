/* sim/adversary.c: compromised members (issue #22). A malicious member is an
 * ordinary simulated node (it runs the real protocol, so the others hold
 * it for a member in good standing) that twice a second also sends what a
 * rooted box could: with its own identity, its own pair keys and the
 * network key, and nothing else. Each attack (sim.h, enum weft_sim_attack)
 * goes to one random honest member per round:
 *
 *   kill         dead, left, suspect and alive of a random honest member at
 *                the highest incarnation there is (every other round)
 *   impersonate  a ping and a gossip packet naming a random honest member
 *                as their sender, from the attacker's own address
 *   alive        alive one above what it holds for a crashed member, and
 *                acks from itself and in the crashed member's name
 *   harass       suspect a random honest member at the incarnation it
 *                holds, with confirmations in two other members' names
 *   records      a new version of its own state record taking the
 *                victim's name and addresses (its address, and one inside
 *                the network), sent to the target and published
 *
 * What the honest members then do is counted by sim/metrics.c (honest
 * observers, honest subjects). The attack datagrams go through the link
 * model like any other and are counted apart (attack_pkts, attack_bytes),
 * not in the per-node protocol cost. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "sim/internal.h"
#include "gossip/wire.h"

#define ROUND_MS 500
#define ROUND_JITTER_MS 100

static bool honest_up(const struct sim_node *nd)
{
	return nd->status == NS_UP && !nd->malicious && !nd->revoked && (!nd->joiner || nd->joined);
}

/* A random member (not a, not avoid) that is honest and up, or down when
 * down is set; SIM_NONE when none is found. */
static uint32_t random_honest(struct weft_sim *s, uint32_t a, uint32_t avoid, bool down)
{
	uint32_t i, k;

	for (k = 0; k < 64; k++) {
		i = (uint32_t)sim_rand_below(&s->rng, s->n);
		if (i == a || i == avoid || s->nodes[i].malicious || s->nodes[i].revoked)
			continue;
		if (down ? s->nodes[i].status == NS_DOWN : honest_up(&s->nodes[i]))
			return i;
	}
	return SIM_NONE;
}

/* The datagram a sends to node t: header, body, its counter and the MAC
 * with its own pair key (the only one it has), sealed with the network
 * key it holds. */
static void send_as(struct weft_sim *s, struct sim_node *a, uint32_t t, uint8_t type, const uint8_t *body,
		    size_t blen)
{
	uint8_t fpr[WEFT_WIRE_FPR_LEN], key[WEFT_NETKEY_LEN], nonce[24], xsk[32], xpk[32], pair[32];
	struct sim_pkt *p;
	uint32_t epoch;
	uint64_t ctr;
	size_t len, hdr = WEFT_WIRE_SEALED_HDR_LEN;
	unsigned i;

	if (blen + hdr + WEFT_WIRE_AUTH_LEN + WEFT_WIRE_TAG_LEN > WEFT_GOSSIP_MTU ||
	    weft_gossip_netkey(a->g, key, &epoch))
		return;
	p = sim_pkt_alloc(s);
	if (!p) {
		sim_fail(s, "out of memory for a datagram");
		return;
	}
	weft_wire_fingerprint(fpr, &s->admin.pk);
	weft_wire_header(p->data, type, fpr, WEFT_WIRE_FLAG_SEALED);
	memcpy(p->data + hdr, body, blen);
	len = blen;
	if (crypto_sign_ed25519_sk_to_curve25519(xsk, a->id.sk) == 0 &&
	    weft_pk_to_x25519(xpk, &s->nodes[t].id.pk) == 0 &&
	    weft_wire_pair_key(pair, &s->admin.pk, &a->id.pk, xsk, &s->nodes[t].id.pk, xpk) == 0) {
		ctr = sim_wall_ms(s) * 1000ull + 999;
		len = weft_wire_auth(p->data + hdr, blen, p->data, pair, ctr);
	}
	for (i = 0; i < sizeof(nonce); i += 8) {
		uint64_t v = sim_rand(&a->rng);

		memcpy(nonce + i, &v, 8);
	}
	len = weft_wire_seal(p->data, len, epoch, nonce, key);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(xsk, sizeof(xsk));
	sodium_memzero(pair, sizeof(pair));
	p->src = a->idx;
	p->dst = t;
	p->kind = PK_GOSSIP;
	p->path = WEFT_PATH_UNDERLAY;
	p->attack = true;
	p->len = (uint16_t)len;
	p->wire = (uint32_t)len + SIM_IPUDP;
	s->attack_pkts++;
	s->attack_bytes += len;
	sim_link_send(s, p, true);
}

/* One membership update, signed with a's key whoever it names. */
static void put_update(struct weft_sim *s, struct sim_node *a, struct weft_wbuf *w, uint8_t kind, uint32_t about,
		       uint32_t inc, uint32_t accuser)
{
	uint8_t msg[WEFT_WIRE_SWIM_MSG_LEN], sig[WEFT_SIG_LEN];
	bool acc = kind == WEFT_UPD_SUSPECT || kind == WEFT_UPD_DEAD;

	weft_wire_swim_msg(msg, &s->admin.pk, kind, &s->nodes[about].id.pk, inc);
	weft_sign(sig, msg, sizeof(msg), &a->id);
	weft_mp_array(w, acc ? 5 : 4);
	weft_mp_uint(w, kind);
	weft_mp_bin(w, s->nodes[about].id.pk.b, WEFT_PK_LEN);
	weft_mp_uint(w, inc);
	if (acc)
		weft_mp_bin(w, s->nodes[accuser].id.pk.b, WEFT_PK_LEN);
	weft_mp_bin(w, sig, sizeof(sig));
}

/* A gossip body from `from` (a, or the member it pretends to be). */
static void gossip_head(struct weft_sim *s, struct weft_wbuf *w, uint32_t from, uint32_t nitems)
{
	weft_mp_array(w, 2);
	weft_mp_bin(w, s->nodes[from].id.pk.b, WEFT_PK_LEN);
	weft_mp_array(w, nitems);
}

static uint32_t inc_seen(struct sim_node *a, struct sim_node *v)
{
	struct weft_gossip_member_info mi;

	return weft_gossip_member(a->g, &v->id.pk, &mi) == 0 ? mi.incarnation : 0;
}

static void attack_kill(struct weft_sim *s, struct sim_node *a, uint32_t t, uint32_t v)
{
	uint8_t body[800];
	struct weft_wbuf w = { body, 0, sizeof(body), false };

	gossip_head(s, &w, a->idx, 4);
	put_update(s, a, &w, WEFT_UPD_DEAD, v, UINT32_MAX, a->idx);
	put_update(s, a, &w, WEFT_UPD_LEFT, v, UINT32_MAX, a->idx);
	put_update(s, a, &w, WEFT_UPD_SUSPECT, v, UINT32_MAX, a->idx);
	put_update(s, a, &w, WEFT_UPD_ALIVE, v, UINT32_MAX, a->idx);
	send_as(s, a, t, WEFT_MSG_GOSSIP, body, w.len);
}

static void attack_impersonate(struct weft_sim *s, struct sim_node *a, uint32_t t, uint32_t v)
{
	uint8_t body[200];
	struct weft_wbuf w = { body, 0, sizeof(body), false };

	weft_mp_array(&w, 4);
	weft_mp_bin(&w, s->nodes[v].id.pk.b, WEFT_PK_LEN);
	weft_mp_uint(&w, (uint32_t)sim_rand(&a->rng));
	weft_mp_bin(&w, s->nodes[t].id.pk.b, WEFT_PK_LEN);
	weft_mp_array(&w, 0);
	send_as(s, a, t, WEFT_MSG_PING, body, w.len);
	w.len = 0;
	gossip_head(s, &w, v, 0);
	send_as(s, a, t, WEFT_MSG_GOSSIP, body, w.len);
}

static void attack_alive(struct weft_sim *s, struct sim_node *a, uint32_t t)
{
	uint32_t c = random_honest(s, a->idx, t, true), k;
	uint8_t body[300];
	struct weft_wbuf w = { body, 0, sizeof(body), false };

	if (c == SIM_NONE)
		return;
	gossip_head(s, &w, a->idx, 1);
	put_update(s, a, &w, WEFT_UPD_ALIVE, c, inc_seen(a, &s->nodes[c]) + 1, a->idx);
	send_as(s, a, t, WEFT_MSG_GOSSIP, body, w.len);
	/* Acks for whatever probe of it is on: from a, and in c's name. */
	for (k = 0; k < 2; k++) {
		w.len = 0;
		weft_mp_array(&w, 4);
		weft_mp_bin(&w, s->nodes[k ? c : a->idx].id.pk.b, WEFT_PK_LEN);
		weft_mp_uint(&w, (uint32_t)sim_rand_below(&a->rng, 4096));
		weft_mp_nil(&w);
		weft_mp_array(&w, 0);
		send_as(s, a, t, WEFT_MSG_ACK, body, w.len);
	}
}

static void attack_harass(struct weft_sim *s, struct sim_node *a, uint32_t t, uint32_t v)
{
	uint32_t inc = inc_seen(a, &s->nodes[v]), h1, h2;
	uint8_t body[800];
	struct weft_wbuf w = { body, 0, sizeof(body), false };

	h1 = random_honest(s, a->idx, v, false);
	h2 = random_honest(s, a->idx, v, false);
	gossip_head(s, &w, a->idx, 1 + (h1 != SIM_NONE) + (h2 != SIM_NONE));
	put_update(s, a, &w, WEFT_UPD_SUSPECT, v, inc, a->idx);
	if (h1 != SIM_NONE)
		put_update(s, a, &w, WEFT_UPD_SUSPECT, v, inc, h1);
	if (h2 != SIM_NONE)
		put_update(s, a, &w, WEFT_UPD_SUSPECT, v, inc, h2);
	send_as(s, a, t, WEFT_MSG_GOSSIP, body, w.len);
}

static void attack_records(struct weft_sim *s, struct sim_node *a, uint32_t t, uint32_t v)
{
	struct weft_rec_node_state *ns;
	weft_record_t r;
	uint8_t body[1200];
	struct weft_wbuf w = { body, 0, sizeof(body), false };

	/* Its own record as its daemon makes it, then v's name and addresses. */
	if (sim_node_state_record(s, a, &r))
		return;
	ns = &r.u.node_state;
	snprintf(ns->name, sizeof(ns->name), "n%u", v);
	ns->nendpoints = 2;
	sim_endpoint_of(v, &ns->endpoints[0]);
	ns->endpoints[0].port = SIM_WG_PORT;
	sim_overlay_of(v, &ns->endpoints[1]);
	ns->endpoints[1].port = SIM_WG_PORT;
	if (weft_record_sign(&r, &a->id))
		return;
	gossip_head(s, &w, a->idx, 1);
	weft_mp_bin(&w, r.raw, r.raw_len);
	send_as(s, a, t, WEFT_MSG_GOSSIP, body, w.len);
	weft_gossip_publish(a->g, &r, s->now);
	sim_node_drain(s, a);
}

void sim_attack_tick(struct weft_sim *s, struct sim_node *a)
{
	uint8_t atk = s->sc.attacks;
	uint32_t t, v, round;

	if (a->status == NS_UP && weft_gossip_is_member(a->g)) {
		t = random_honest(s, a->idx, SIM_NONE, false);
		v = t == SIM_NONE ? SIM_NONE : random_honest(s, a->idx, t, false);
		round = (uint32_t)(s->now / (ROUND_MS * WEFT_SIM_MS));
		if (v != SIM_NONE) {
			if ((atk & WEFT_SIM_ATK_KILL) && round % 2 == 0)
				attack_kill(s, a, t, v);
			if (atk & WEFT_SIM_ATK_IMPERSONATE)
				attack_impersonate(s, a, t, v);
			if (atk & WEFT_SIM_ATK_HARASS)
				attack_harass(s, a, t, v);
			if (atk & WEFT_SIM_ATK_RECORDS)
				attack_records(s, a, t, v);
		}
		if (t != SIM_NONE && (atk & WEFT_SIM_ATK_ALIVE))
			attack_alive(s, a, t);
	}
	if (sim_queue_push(&s->q,
			   s->now + (ROUND_MS - ROUND_JITTER_MS) * WEFT_SIM_MS +
				   sim_rand_below(&a->rng, 2 * ROUND_JITTER_MS * WEFT_SIM_MS),
			   EV_ATTACK, a->idx, 0, NULL))
		sim_fail(s, "out of memory scheduling an attack");
}

int sim_adversary_start(struct weft_sim *s)
{
	const struct weft_sim_bound *b = &s->sc.malicious;
	uint32_t want, i, k;

	if (!b->v || !s->sc.attacks)
		return 0;
	want = b->pct ? (uint32_t)(((uint64_t)b->v * s->n_initial + 500000) / 1000000) : b->v;
	if (want == 0)
		want = 1;
	if (want > s->n_initial - 1)
		want = s->n_initial - 1;
	/* Never node 0 (the admin's): a random choice among the others. */
	for (k = 0; s->nmalicious < want && k < 64 * s->n_initial; k++) {
		i = 1 + (uint32_t)sim_rand_below(&s->rng, s->n_initial - 1);
		if (s->nodes[i].malicious)
			continue;
		s->nodes[i].malicious = true;
		s->nmalicious++;
		if (sim_queue_push(&s->q,
				   (uint64_t)ROUND_MS * WEFT_SIM_MS +
					   sim_rand_below(&s->rng, ROUND_MS * WEFT_SIM_MS),
				   EV_ATTACK, i, 0, NULL))
			return -1;
	}
	return 0;
}
