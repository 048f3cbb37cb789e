/* gossip/join.c: the join handshake of DESIGN §4, both sides.
 *
 *   joiner -> member  join-hello    [joiner id, padding >= 64 bytes]
 *   member -> joiner  join-cookie   [joiner id, cookie]   (smaller than the hello)
 *   joiner -> member  join-request  [joiner id, cookie, invite, member record,
 *                                    state record or nil, signature]
 *   member -> joiner  join-welcome  up to 4 parts, each sealed to the joiner's
 *                     X25519 key in crypto_box_seal's format (an ephemeral
 *                     sender key from the injected randomness) or
 *                     join-refuse   [joiner id, cookie, error code]
 *
 * The cookie is a keyed hash of the source address, the joiner id and a
 * one-minute window, so a member keeps no state for unauthenticated peers
 * and never answers one with more bytes than it received: a hello is padded
 * to exceed its cookie, a request without a valid cookie gets at most a new
 * cookie, and a refusal is smaller than any request. Only a request whose
 * source address the cookie proves, whose invite chain verifies and whose
 * signature shows the joiner holds its identity key gets the (larger)
 * welcome. Before admitting, the member checks revocation first (so a
 * revoked node hears "revoked" whatever invite it shows), the invite chain
 * (admin -> invite -> member record), the invite's expiry, its uses (the
 * first N members by (join time, node id)), the claimed join time
 * against its clock, and whether approval is pending; a pending member gets
 * the settings but not the network key, and retries until approved. */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "gossip/internal.h"

static const char join_domain[] = "weft-join-v1";

/* ---- cookies ---- */

static void make_cookie(const weft_gossip_t *g, const weft_endpoint_t *from, const uint8_t joiner[32],
			uint64_t window, uint8_t out[WEFT_G_COOKIE_LEN])
{
	crypto_generichash_state st;
	uint8_t w[8], port[2];
	int i;

	for (i = 0; i < 8; i++)
		w[i] = (uint8_t)(window >> (56 - 8 * i));
	port[0] = (uint8_t)(from->port >> 8);
	port[1] = (uint8_t)from->port;
	crypto_generichash_init(&st, g->cookie_key, sizeof(g->cookie_key), WEFT_G_COOKIE_LEN);
	crypto_generichash_update(&st, w, sizeof(w));
	crypto_generichash_update(&st, &from->ip.family, 1);
	crypto_generichash_update(&st, from->ip.b, sizeof(from->ip.b));
	crypto_generichash_update(&st, port, sizeof(port));
	crypto_generichash_update(&st, joiner, WEFT_PK_LEN);
	crypto_generichash_final(&st, out, WEFT_G_COOKIE_LEN);
}

static bool cookie_ok(const weft_gossip_t *g, const weft_endpoint_t *from, const uint8_t joiner[32],
		      const uint8_t *cookie)
{
	uint64_t w = weft_g_secs(g) / WEFT_G_COOKIE_WINDOW_S;
	uint8_t c[WEFT_G_COOKIE_LEN];

	make_cookie(g, from, joiner, w, c);
	if (sodium_memcmp(c, cookie, sizeof(c)) == 0)
		return true;
	if (w == 0)
		return false;
	make_cookie(g, from, joiner, w - 1, c);
	return sodium_memcmp(c, cookie, sizeof(c)) == 0;
}

/* Sends a reply to an unauthenticated packet only if it is no larger. */
static void send_small(weft_gossip_t *g, struct gpkt *pk, size_t request_len)
{
	if (!pk->w.overflow && WEFT_WIRE_HDR_LEN + pk->w.len <= request_len)
		weft_g_pkt_send(g, pk);
}

static void send_cookie(weft_gossip_t *g, const struct grx *rx, const uint8_t joiner[32])
{
	uint8_t c[WEFT_G_COOKIE_LEN];
	struct gpkt pk;

	make_cookie(g, rx->from, joiner, weft_g_secs(g) / WEFT_G_COOKIE_WINDOW_S, c);
	weft_g_pkt_start(g, &pk, WEFT_MSG_JOIN_COOKIE, &rx->reply);
	weft_mp_array(&pk.w, 2);
	weft_mp_bin(&pk.w, joiner, WEFT_PK_LEN);
	weft_mp_bin(&pk.w, c, sizeof(c));
	send_small(g, &pk, rx->pkt_len);
}

static int refuse(weft_gossip_t *g, const struct grx *rx, const uint8_t joiner[32], const uint8_t *cookie, int err)
{
	struct gpkt pk;

	weft_g_pkt_start(g, &pk, WEFT_MSG_JOIN_REFUSE, &rx->reply);
	weft_mp_array(&pk.w, 3);
	weft_mp_bin(&pk.w, joiner, WEFT_PK_LEN);
	weft_mp_bin(&pk.w, cookie, WEFT_G_COOKIE_LEN);
	weft_mp_uint(&pk.w, (uint64_t) - (int64_t)err);
	send_small(g, &pk, rx->pkt_len);
	return err;
}

/* ---- member side ---- */

int weft_join_on_hello(weft_gossip_t *g, struct grx *rx)
{
	const uint8_t *joiner, *pad;
	size_t padlen;

	if (rx->nfields != 2 || weft_mp_read_binfix(&rx->r, &joiner, WEFT_PK_LEN) ||
	    weft_mp_read_bin(&rx->r, &pad, &padlen) || padlen < WEFT_G_HELLO_PAD || weft_mp_end(&rx->r))
		return WEFT_EMALFORMED;
	if (!g->member || g->left)
		return WEFT_EPROTO;
	if (!weft_ratelimit_allow(g, &rx->from->ip))
		return -EAGAIN;
	send_cookie(g, rx, joiner);
	return 0;
}

struct uses_ctx {
	const weft_pk_t *invite;
	const weft_pk_t *node;
	uint64_t join_time;
	uint32_t before;
};

static int count_before(void *ctx, const weft_record_t *r)
{
	struct uses_ctx *u = ctx;
	const struct weft_rec_member *m = &r->u.member;
	int c;

	if (memcmp(m->invite_pk.b, u->invite->b, WEFT_PK_LEN) != 0)
		return 0;
	c = memcmp(m->node_id.b, u->node->b, WEFT_PK_LEN);
	if (c == 0)
		return 0;
	if (m->join_time < u->join_time || (m->join_time == u->join_time && c < 0))
		u->before++;
	return 0;
}

struct welcome_pick {
	const weft_record_t *r[64];
	size_t n;
};

static void pick(struct welcome_pick *w, const weft_record_t *r)
{
	size_t i;

	if (!r || w->n == sizeof(w->r) / sizeof(w->r[0]))
		return;
	for (i = 0; i < w->n; i++)
		if (w->r[i] == r)
			return;
	w->r[w->n++] = r;
}

static int pick_roll(void *ctx, const weft_record_t *r)
{
	pick(ctx, r);
	return 0;
}

/* A member as the joiner can merge it at once: its invite first (without
 * it the member record would wait in the joiner's pending pool until
 * anti-entropy brought the invite; with single-use invites every member
 * has its own), then its member and state records. pick() dedupes a
 * shared invite. */
static void pick_member(weft_gossip_t *g, struct welcome_pick *w, const weft_pk_t *id)
{
	const weft_record_t *m = weft_store_get(g->store, WEFT_REC_MEMBER, id->b);

	if (!m)
		return;
	pick(w, weft_store_get(g->store, WEFT_REC_INVITE, m->u.member.invite_pk.b));
	pick(w, m);
	pick(w, weft_store_get(g->store, WEFT_REC_NODE_STATE, id->b));
}

/* Room for the sealed plaintext of one welcome part. */
#define WELCOME_PT_MAX (WEFT_GOSSIP_MTU - WEFT_WIRE_HDR_LEN - 1 - 34 - 1 - 1 - 3 - crypto_box_SEALBYTES)
#define WELCOME_PT_FIXED (1 + 18 + 34 + 1 + 5 + 34 + 3)

/* crypto_box_seal's format (ephemeral public key || box, nonce =
 * BLAKE2b-192(ephemeral pk || recipient pk)), opened by crypto_box_seal_open,
 * but with the ephemeral key drawn from the injected source: libsodium's
 * own seal reads the system's randomness, which would make a seeded run
 * unrepeatable. */
static int seal_to(weft_gossip_t *g, uint8_t *ct, const uint8_t *m, size_t mlen, const uint8_t pk[32])
{
	uint8_t seed[crypto_box_SEEDBYTES], esk[crypto_box_SECRETKEYBYTES], nonce[crypto_box_NONCEBYTES];
	crypto_generichash_state st;
	int ret;

	g->rand(g->rand_ctx, seed, sizeof(seed));
	crypto_box_seed_keypair(ct, esk, seed);
	crypto_generichash_init(&st, NULL, 0, sizeof(nonce));
	crypto_generichash_update(&st, ct, crypto_box_PUBLICKEYBYTES);
	crypto_generichash_update(&st, pk, crypto_box_PUBLICKEYBYTES);
	crypto_generichash_final(&st, nonce, sizeof(nonce));
	ret = crypto_box_easy(ct + crypto_box_PUBLICKEYBYTES, m, mlen, nonce, pk, esk);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(esk, sizeof(esk));
	return ret ? WEFT_EMALFORMED : 0;
}

static void welcome(weft_gossip_t *g, const struct grx *rx, const weft_pk_t *joiner, const uint8_t *cookie,
		    bool pending)
{
	uint8_t xpk[32], pt[WELCOME_PT_MAX], ct[WELCOME_PT_MAX + crypto_box_SEALBYTES];
	uint8_t part_of[64], nparts = 1;
	struct welcome_pick w = { .n = 0 };
	struct weft_gossip_dgram d;
	size_t used = WELCOME_PT_FIXED, i, need;
	uint32_t skip[16], n = 0, idx;
	struct weft_wbuf b;
	struct gpkt pk;
	uint8_t p;

	if (weft_pk_to_x25519(xpk, joiner))
		return;
	/* What a new member needs first: the settings, the key epoch, the
	 * admin chain, us, then a few live members to probe. */
	pick(&w, weft_store_get(g->store, WEFT_REC_NETWORK, weft_g_net_subject));
	pick(&w, weft_store_get(g->store, WEFT_REC_KEYRING, weft_g_net_subject));
	weft_store_foreach(g->store, WEFT_REC_ADMIN_ROLL, pick_roll, &w);
	pick_member(g, &w, &g->id.pk);
	skip[n++] = weft_dir_find(g->dir, joiner);
	while (n < sizeof(skip) / sizeof(skip[0])) {
		idx = weft_members_random(g, skip, n);
		if (idx == WEFT_G_NONE || !weft_members_dest(g, idx, &d))
			break;
		skip[n++] = idx;
		pick_member(g, &w, &g->dir->ids[idx]);
	}
	for (i = 0; i < w.n; i++) {
		need = weft_mp_bin_size(w.r[i]->raw_len);
		if (used + need > WELCOME_PT_MAX) {
			if (nparts == WEFT_G_WELCOME_PARTS)
				break;
			nparts++;
			used = WELCOME_PT_FIXED;
		}
		used += need;
		part_of[i] = nparts - 1;
	}
	w.n = i;
	for (p = 0; p < nparts; p++) {
		b = (struct weft_wbuf){ pt, 0, sizeof(pt), false };
		weft_mp_array(&b, 6);
		weft_mp_bin(&b, cookie, WEFT_G_COOKIE_LEN);
		weft_mp_bin(&b, g->id.pk.b, WEFT_PK_LEN);
		weft_mp_uint(&b, pending ? 1 : 0);
		weft_mp_uint(&b, g->key.epoch);
		if (p == 0 && !pending)
			weft_mp_bin(&b, g->key.key, WEFT_NETKEY_LEN);
		else
			weft_mp_nil(&b);
		for (i = 0, n = 0; i < w.n; i++)
			n += part_of[i] == p;
		weft_mp_array(&b, n);
		for (i = 0; i < w.n; i++)
			if (part_of[i] == p)
				weft_mp_bin(&b, w.r[i]->raw, w.r[i]->raw_len);
		if (b.overflow || seal_to(g, ct, pt, b.len, xpk))
			break;
		weft_g_pkt_start(g, &pk, WEFT_MSG_JOIN_WELCOME, &rx->reply);
		weft_mp_array(&pk.w, 4);
		weft_mp_bin(&pk.w, joiner->b, WEFT_PK_LEN);
		weft_mp_uint(&pk.w, p);
		weft_mp_uint(&pk.w, nparts);
		weft_mp_bin(&pk.w, ct, b.len + crypto_box_SEALBYTES);
		weft_g_pkt_send(g, &pk);
	}
	sodium_memzero(pt, sizeof(pt));
}

/* Everything but the welcome itself: returns 0 (admit), 1 (admit, pending
 * approval) or the reason to refuse. */
static int admit(weft_gossip_t *g, const weft_pk_t *joiner, const uint8_t *inv_raw, size_t inv_len,
		 const uint8_t *mem_raw, size_t mem_len, const uint8_t *st_raw, size_t st_len)
{
	weft_record_t rec;
	const weft_record_t *inv, *held, *ovr;
	uint8_t h1[32], h2[32];
	struct uses_ctx u;
	weft_pk_t invite_pk;
	uint64_t now_ms;
	bool rejoin = false;
	int ret;

	/* The joiner has proven its identity (the request's signature), so
	 * a revocation is the answer whatever it presents: a revoked node
	 * restarting from its store offers its old member record, naming an
	 * old invite, and must hear "revoked", not a complaint about that. */
	if (weft_store_is_revoked(g->store, joiner))
		return WEFT_EREVOKED;
	if (weft_record_decode(&rec, inv_raw, inv_len, NULL) || rec.type != WEFT_REC_INVITE)
		return WEFT_EMALFORMED;
	invite_pk = rec.u.invite.invite_pk;
	ret = weft_g_merge(g, &rec);
	if (ret < 0 && ret != WEFT_EDUPLICATE && ret != WEFT_ESTALE)
		return ret;
	inv = weft_store_get(g->store, WEFT_REC_INVITE, invite_pk.b);
	if (!inv)
		return ret == WEFT_MERGE_PENDING ? WEFT_EPENDING : WEFT_ENORIGHT;
	if (weft_record_decode(&rec, mem_raw, mem_len, NULL) || rec.type != WEFT_REC_MEMBER)
		return WEFT_EMALFORMED;
	if (memcmp(rec.u.member.node_id.b, joiner->b, WEFT_PK_LEN) ||
	    memcmp(rec.u.member.invite_pk.b, invite_pk.b, WEFT_PK_LEN) ||
	    memcmp(rec.signer.b, invite_pk.b, WEFT_PK_LEN))
		return WEFT_ENORIGHT;
	held = weft_store_get(g->store, WEFT_REC_MEMBER, joiner->b);
	if (held) {
		weft_record_hash(held, h1);
		weft_record_hash(&rec, h2);
		if (memcmp(h1, h2, 32) != 0)
			return WEFT_EEXISTS;
		rejoin = true;
	}
	if (!rejoin) {
		if (!weft_g_wall_ms(g, &now_ms))
			return WEFT_EPENDING;
		if (inv->u.invite.expires && now_ms / 1000 >= inv->u.invite.expires)
			return WEFT_EEXPIRED;
		if (rec.u.member.join_time + (uint64_t)g->p.max_clock_skew_s * 1000 < now_ms ||
		    rec.u.member.join_time > now_ms + (uint64_t)g->p.max_clock_skew_s * 1000)
			return WEFT_EPROTO;
	}
	u = (struct uses_ctx){ &invite_pk, joiner, rec.u.member.join_time, 0 };
	weft_store_foreach(g->store, WEFT_REC_MEMBER, count_before, &u);
	if (u.before >= inv->u.invite.max_uses)
		return WEFT_EUSEDUP;
	ret = weft_g_merge(g, &rec);
	if (ret < 0 && ret != WEFT_EDUPLICATE)
		return ret;
	if (ret == WEFT_MERGE_PENDING)
		return WEFT_EPENDING;
	if (st_raw && weft_record_decode(&rec, st_raw, st_len, NULL) == 0 && rec.type == WEFT_REC_NODE_STATE &&
	    !memcmp(rec.signer.b, joiner->b, WEFT_PK_LEN))
		weft_g_merge(g, &rec);
	inv = weft_store_get(g->store, WEFT_REC_INVITE, invite_pk.b);
	ovr = weft_store_get(g->store, WEFT_REC_OVERRIDE, joiner->b);
	return inv && inv->u.invite.approval &&
	       !(ovr && (ovr->u.override.set & WEFT_OVR_APPROVED) && ovr->u.override.approved);
}

/* What the joiner signs: "weft-join-v1" || network id || cookie || member
 * record. Returns the length written to msg. */
#define JOIN_MSG_MAX (sizeof(join_domain) - 1 + 32 + WEFT_G_COOKIE_LEN + WEFT_RECORD_MAX)
static size_t join_msg(const weft_gossip_t *g, const uint8_t *cookie, const uint8_t *mem, size_t mem_len,
		       uint8_t msg[JOIN_MSG_MAX])
{
	size_t n = sizeof(join_domain) - 1;

	memcpy(msg, join_domain, n);
	memcpy(msg + n, g->network_id.b, 32);
	n += 32;
	memcpy(msg + n, cookie, WEFT_G_COOKIE_LEN);
	n += WEFT_G_COOKIE_LEN;
	memcpy(msg + n, mem, mem_len);
	return n + mem_len;
}

int weft_join_on_request(weft_gossip_t *g, struct grx *rx)
{
	const uint8_t *joiner, *cookie, *inv, *mem, *st = NULL, *sig;
	size_t inv_len, mem_len, st_len = 0;
	uint8_t msg[JOIN_MSG_MAX];
	weft_pk_t jid;
	int ret;

	if (rx->nfields != 6 || weft_mp_read_binfix(&rx->r, &joiner, WEFT_PK_LEN) ||
	    weft_mp_read_binfix(&rx->r, &cookie, WEFT_G_COOKIE_LEN) || weft_mp_read_bin(&rx->r, &inv, &inv_len) ||
	    inv_len == 0 || inv_len > WEFT_RECORD_MAX || weft_mp_read_bin(&rx->r, &mem, &mem_len) || mem_len == 0 ||
	    mem_len > WEFT_RECORD_MAX)
		return WEFT_EMALFORMED;
	if (weft_mp_peek(&rx->r) == WEFT_MP_NIL) {
		weft_mp_read_nil(&rx->r);
	} else if (weft_mp_read_bin(&rx->r, &st, &st_len) || st_len == 0 || st_len > WEFT_RECORD_MAX) {
		return WEFT_EMALFORMED;
	}
	if (weft_mp_read_binfix(&rx->r, &sig, WEFT_SIG_LEN) || weft_mp_end(&rx->r))
		return WEFT_EMALFORMED;
	if (!g->member || g->left)
		return WEFT_EPROTO;
	if (!weft_ratelimit_allow(g, &rx->from->ip))
		return -EAGAIN;
	if (!cookie_ok(g, rx->from, joiner, cookie)) {
		send_cookie(g, rx, joiner); /* an old cookie: here is a fresh one */
		return WEFT_EPROTO;
	}
	memcpy(jid.b, joiner, WEFT_PK_LEN);
	if (weft_verify(sig, msg, join_msg(g, cookie, mem, mem_len, msg), &jid))
		return refuse(g, rx, joiner, cookie, WEFT_EBADSIG);
	ret = admit(g, &jid, inv, inv_len, mem, mem_len, st, st_len);
	if (ret < 0)
		return refuse(g, rx, joiner, cookie, ret);
	welcome(g, rx, &jid, cookie, ret == 1);
	return 0;
}

/* ---- joiner side ---- */

static void join_free(weft_gossip_t *g)
{
	if (!g->join)
		return;
	sodium_memzero(g->join, sizeof(*g->join));
	weft_g_free(&g->mem, g->join);
	g->join = NULL;
}

static void join_fail(weft_gossip_t *g, int err)
{
	struct weft_gossip_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = WEFT_GEV_JOIN_FAILED;
	ev.err = err;
	weft_g_event(g, &ev);
	join_free(g);
}

static void send_hello(weft_gossip_t *g)
{
	struct gjoin *j = g->join;
	uint8_t pad[WEFT_G_HELLO_PAD] = { 0 };
	struct weft_gossip_dgram d = { .path = WEFT_PATH_UNDERLAY };
	struct gpkt pk;

	d.to = j->boot[j->cur];
	weft_g_pkt_start(g, &pk, WEFT_MSG_JOIN_HELLO, &d);
	weft_mp_array(&pk.w, 2);
	weft_mp_bin(&pk.w, g->id.pk.b, WEFT_PK_LEN);
	weft_mp_bin(&pk.w, pad, sizeof(pad));
	weft_g_pkt_send(g, &pk);
}

static void send_request(weft_gossip_t *g)
{
	uint8_t msg[JOIN_MSG_MAX], sig[WEFT_SIG_LEN];
	struct weft_gossip_dgram d = { .path = WEFT_PATH_UNDERLAY };
	struct gjoin *j = g->join;
	struct gpkt pk;
	int with_state;

	if (weft_sign(sig, msg, join_msg(g, j->cookie, j->member, j->member_len, msg), &g->id))
		return;
	d.to = j->cookie_from;
	/* The state record is a courtesy: if it makes the request too big,
	 * it goes without (the state follows by gossip once we are in). */
	for (with_state = j->state_len != 0; with_state >= 0; with_state--) {
		weft_g_pkt_start(g, &pk, WEFT_MSG_JOIN_REQ, &d);
		weft_mp_array(&pk.w, 6);
		weft_mp_bin(&pk.w, g->id.pk.b, WEFT_PK_LEN);
		weft_mp_bin(&pk.w, j->cookie, WEFT_G_COOKIE_LEN);
		weft_mp_bin(&pk.w, j->invite, j->invite_len);
		weft_mp_bin(&pk.w, j->member, j->member_len);
		if (with_state)
			weft_mp_bin(&pk.w, j->state, j->state_len);
		else
			weft_mp_nil(&pk.w);
		weft_mp_bin(&pk.w, sig, sizeof(sig));
		if (!pk.w.overflow)
			break;
	}
	weft_g_pkt_send(g, &pk);
}

int weft_join_start(weft_gossip_t *g, const weft_token_t *tok, const weft_endpoint_t *boot, size_t n,
		    const weft_record_t *state)
{
	weft_record_t rec;
	const weft_record_t *held;
	const char *why = NULL;
	struct gjoin *j;
	uint64_t now_ms, verify_at;
	int ret;

	if (!tok || !boot || n == 0)
		return -EINVAL;
	if (g->member)
		return WEFT_EEXISTS;
	if (!weft_g_wall_ms(g, &now_ms))
		return -EINVAL; /* join times and expiry need the wall clock */
	if (memcmp(tok->network_id.b, g->network_id.b, WEFT_PK_LEN))
		return WEFT_EWRONGNET;
	/* Admitted before through this token's invite (a join that waits for
	 * approval, resumed after a restart): the members take a member
	 * record they hold whatever the invite's expiry (admit(): rejoin),
	 * so the token is checked as of its making. */
	held = weft_store_get(g->store, WEFT_REC_MEMBER, g->id.pk.b);
	verify_at = now_ms / 1000;
	if (held && !memcmp(held->u.member.invite_pk.b, tok->invite_kp.pk.b, WEFT_PK_LEN))
		verify_at = tok->invite.u.invite.created;
	ret = weft_token_verify(tok, verify_at, &why);
	if (ret)
		return ret;
	/* A later admin key's settings and invite need the roll-overs that
	 * lead to it in the store first. */
	for (unsigned k = 0; k < tok->nrolls; k++)
		weft_g_merge(g, &tok->rolls[k]);
	weft_g_merge(g, &tok->settings);
	ret = weft_g_merge(g, &tok->invite);
	if (ret < 0 && ret != WEFT_EDUPLICATE && ret != WEFT_ESTALE)
		return ret;
	held = weft_store_get(g->store, WEFT_REC_MEMBER, g->id.pk.b);
	if (held) {
		weft_record_copy(&rec, held); /* joined before with this identity: present the same record */
	} else {
		memset(&rec, 0, sizeof(rec));
		rec.type = WEFT_REC_MEMBER;
		rec.u.member.node_id = g->id.pk;
		rec.u.member.invite_pk = tok->invite_kp.pk;
		/* Never before the invite was made (core/store.c refuses a
		 * backdated member): a clock behind the admin's would fail the
		 * join of its own accord otherwise. */
		rec.u.member.join_time = now_ms;
		if (rec.u.member.join_time < tok->invite.u.invite.created * 1000)
			rec.u.member.join_time = tok->invite.u.invite.created * 1000;
		ret = weft_record_sign(&rec, &tok->invite_kp);
		if (ret)
			goto out;
		ret = weft_g_merge(g, &rec);
		if (ret < 0 && ret != WEFT_EDUPLICATE)
			goto out;
	}
	join_free(g);
	j = g->join = weft_g_calloc(&g->mem, 1, sizeof(*j));
	if (!j) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(j->invite, tok->invite.raw, tok->invite.raw_len);
	j->invite_len = tok->invite.raw_len;
	memcpy(j->member, rec.raw, rec.raw_len);
	j->member_len = rec.raw_len;
	if (state && state->raw_len) {
		weft_g_merge(g, state);
		memcpy(j->state, state->raw, state->raw_len);
		j->state_len = state->raw_len;
	}
	j->nboot = (uint8_t)(n < WEFT_G_JOIN_BOOTSTRAP ? n : WEFT_G_JOIN_BOOTSTRAP);
	memcpy(j->boot, boot, j->nboot * sizeof(*boot));
	j->phase = JOIN_HELLO;
	j->last_err = WEFT_ETIMEOUT;
	j->give_up = g->now + MS(g->p.join_timeout_ms);
	j->next_send = g->now + MS(g->p.join_retry_ms);
	send_hello(g);
	ret = 0;
out:
	sodium_memzero(&rec, sizeof(rec));
	return ret;
}

void weft_join_timers(weft_gossip_t *g)
{
	struct gjoin *j = g->join;

	if (!j)
		return;
	if (j->phase == JOIN_DONE) {
		if (g->now >= j->give_up)
			join_free(g); /* late welcome parts are no longer awaited */
		return;
	}
	if (j->phase != JOIN_PENDING && g->now >= j->give_up) {
		join_fail(g, j->last_err);
		return;
	}
	if (g->now < j->next_send)
		return;
	if (j->phase == JOIN_HELLO) {
		j->cur = (uint8_t)((j->cur + 1) % j->nboot);
		send_hello(g);
	} else {
		send_request(g);
	}
	j->next_send = g->now + MS(g->p.join_retry_ms) * (j->phase == JOIN_PENDING ? 5 : 1);
}

uint64_t weft_join_deadline(const weft_gossip_t *g)
{
	const struct gjoin *j = g->join;

	if (!j)
		return UINT64_MAX;
	if (j->phase == JOIN_DONE)
		return j->give_up;
	if (j->phase == JOIN_PENDING)
		return j->next_send;
	return j->next_send < j->give_up ? j->next_send : j->give_up;
}

static bool is_bootstrap(const struct gjoin *j, const weft_endpoint_t *ep)
{
	unsigned i;

	for (i = 0; i < j->nboot; i++)
		if (weft_endpoint_equal(&j->boot[i], ep))
			return true;
	return j->have_cookie && weft_endpoint_equal(&j->cookie_from, ep);
}

int weft_join_on_cookie(weft_gossip_t *g, struct grx *rx)
{
	const uint8_t *joiner, *cookie;
	struct gjoin *j = g->join;

	if (rx->nfields != 2 || weft_mp_read_binfix(&rx->r, &joiner, WEFT_PK_LEN) ||
	    weft_mp_read_binfix(&rx->r, &cookie, WEFT_G_COOKIE_LEN) || weft_mp_end(&rx->r))
		return WEFT_EMALFORMED;
	if (!j || j->phase == JOIN_DONE || memcmp(joiner, g->id.pk.b, WEFT_PK_LEN) || !is_bootstrap(j, rx->from))
		return WEFT_EPROTO;
	memcpy(j->cookie, cookie, WEFT_G_COOKIE_LEN);
	j->cookie_from = *rx->from;
	j->have_cookie = true;
	if (j->phase == JOIN_HELLO)
		j->phase = JOIN_REQ;
	send_request(g);
	j->next_send = g->now + MS(g->p.join_retry_ms) * (j->phase == JOIN_PENDING ? 5 : 1);
	return 0;
}

/* The key in a welcome is trusted only if the admin-signed keyring names
 * its hash: a man in the middle cannot hand us a key of its own. */
static bool key_matches(weft_gossip_t *g, uint64_t epoch, const uint8_t *key)
{
	const weft_record_t *kr = weft_store_get(g->store, WEFT_REC_KEYRING, weft_g_net_subject);
	uint8_t h[32];

	if (!kr || (uint32_t)kr->u.keyring.epoch != epoch)
		return false;
	crypto_generichash(h, sizeof(h), key, WEFT_NETKEY_LEN, NULL, 0);
	return sodium_memcmp(h, kr->u.keyring.key_hash, sizeof(h)) == 0;
}

int weft_join_on_welcome(weft_gossip_t *g, struct grx *rx)
{
	uint8_t pt[WEFT_GOSSIP_MTU], xpk[32], xsk[32];
	const uint8_t *joiner, *ct, *cookie, *from, *key = NULL, *rec;
	struct weft_gossip_event ev;
	struct gjoin *j = g->join;
	uint64_t part, nparts, status, epoch;
	struct weft_rbuf r, list;
	size_t ct_len, len;
	uint32_t n, i, idx;
	weft_pk_t welcomer;
	int ret;

	if (rx->nfields != 4 || weft_mp_read_binfix(&rx->r, &joiner, WEFT_PK_LEN) ||
	    weft_mp_read_uint(&rx->r, &part) || weft_mp_read_uint(&rx->r, &nparts) || nparts == 0 ||
	    nparts > WEFT_G_WELCOME_PARTS || part >= nparts || weft_mp_read_bin(&rx->r, &ct, &ct_len) ||
	    ct_len <= crypto_box_SEALBYTES || weft_mp_end(&rx->r))
		return WEFT_EMALFORMED;
	if (!j || !j->have_cookie || memcmp(joiner, g->id.pk.b, WEFT_PK_LEN))
		return WEFT_EPROTO;
	if (weft_netkey_x25519(g, xpk, xsk))
		return WEFT_EPROTO;
	ret = crypto_box_seal_open(pt, ct, ct_len, xpk, xsk);
	sodium_memzero(xsk, sizeof(xsk));
	if (ret)
		return WEFT_EBADSIG;
	r = (struct weft_rbuf){ pt, ct_len - crypto_box_SEALBYTES, 0 };
	ret = WEFT_EMALFORMED;
	if (weft_mp_read_array(&r, &n) || n != 6 || weft_mp_read_binfix(&r, &cookie, WEFT_G_COOKIE_LEN) ||
	    weft_mp_read_binfix(&r, &from, WEFT_PK_LEN) || weft_mp_read_uint(&r, &status) || status > 1 ||
	    weft_mp_read_uint(&r, &epoch) || epoch > UINT32_MAX)
		goto out;
	if (weft_mp_peek(&r) == WEFT_MP_NIL)
		weft_mp_read_nil(&r);
	else if (weft_mp_read_binfix(&r, &key, WEFT_NETKEY_LEN))
		goto out;
	if (weft_mp_read_array(&r, &n))
		goto out;
	list = r;
	for (i = 0; i < n; i++)
		if (weft_mp_read_bin(&r, &rec, &len) || len == 0 || len > WEFT_RECORD_MAX)
			goto out;
	if (weft_mp_end(&r))
		goto out;
	ret = WEFT_EPROTO;
	if (sodium_memcmp(cookie, j->cookie, WEFT_G_COOKIE_LEN) != 0)
		goto out; /* not an answer to our request */
	for (i = 0; i < n; i++) {
		weft_mp_read_bin(&list, &rec, &len);
		weft_g_merge_raw(g, rec, len);
	}
	memcpy(welcomer.b, from, WEFT_PK_LEN);
	idx = weft_dir_find(g->dir, &welcomer);
	if (idx != WEFT_G_NONE && weft_members_known(g, idx))
		weft_members_observed(g, idx, WEFT_EP_OBSERVED, rx->from);
	ret = 0;
	if (j->phase == JOIN_DONE)
		goto out; /* a later part: its records were all it had */
	if (key && !key_matches(g, epoch, key)) {
		ret = WEFT_EBADSIG;
		goto out;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = WEFT_GEV_JOINED;
	ev.node = welcomer;
	if (status == 1) {
		if (j->phase != JOIN_PENDING) {
			j->phase = JOIN_PENDING;
			j->next_send = g->now + MS(g->p.join_retry_ms) * 5;
			ev.state = 1;
			weft_g_event(g, &ev);
		}
		goto out;
	}
	if (!key)
		goto out; /* an active welcome's key is in its first part */
	weft_netkey_install(g, (uint32_t)epoch, key, 0);
	j->phase = JOIN_DONE;
	j->give_up = g->now + MS(g->p.join_retry_ms) * 5;
	weft_g_event(g, &ev);
	weft_g_membership(g);
	if (g->member && idx != WEFT_G_NONE && weft_members_known(g, idx))
		weft_sync_start(g, idx); /* the rest of the state, right away */
out:
	sodium_memzero(pt, sizeof(pt));
	return ret;
}

int weft_join_on_refuse(weft_gossip_t *g, struct grx *rx)
{
	const uint8_t *joiner, *cookie;
	struct gjoin *j = g->join;
	uint64_t code;
	int err;

	if (rx->nfields != 3 || weft_mp_read_binfix(&rx->r, &joiner, WEFT_PK_LEN) ||
	    weft_mp_read_binfix(&rx->r, &cookie, WEFT_G_COOKIE_LEN) || weft_mp_read_uint(&rx->r, &code) ||
	    code == 0 || code > 100000 || weft_mp_end(&rx->r))
		return WEFT_EMALFORMED;
	/* The cookie echo shows the refusal answers our request: an
	 * off-path sender cannot make us give up. */
	if (!j || !j->have_cookie || j->phase == JOIN_DONE || memcmp(joiner, g->id.pk.b, WEFT_PK_LEN) ||
	    sodium_memcmp(cookie, j->cookie, WEFT_G_COOKIE_LEN))
		return WEFT_EPROTO;
	err = -(int)code;
	switch (err) {
	case WEFT_EREVOKED:
	case WEFT_EEXPIRED:
	case WEFT_EUSEDUP:
	case WEFT_EBADSIG:
	case WEFT_ENORIGHT:
	case WEFT_EEXISTS:
	case WEFT_EWRONGNET:
		join_fail(g, err);
		break;
	default:
		j->last_err = err;
		break;
	}
	return 0;
}
