/* Writes the stored corpus of fuzz-gossip (tests/fuzz/corpus/gossip/): one
 * valid input per message type and role (each body as the protocol would
 * send it, sealed by the harness), a whole join that reaches the welcome
 * (the cookie read back from the node the fuzzer builds the same way), the
 * joiner's side, timers, tunnels, leave, and edge cases (empty bodies of
 * every type, junk, truncated and oversized datagrams).
 *
 *     build-X/tests/fuzz/gen-gossip [DIR]   (default tests/fuzz/corpus/gossip) */
#include <stdio.h>
#include <string.h>

#include "tests/fuzz/gossip-fuzz.h"

static struct gfz f;
static const char *dir = "tests/fuzz/corpus/gossip";

struct input {
	uint8_t b[16384];
	size_t n;
};

static void put(struct input *in, const void *p, size_t n)
{
	if (in->n + n > sizeof(in->b))
		abort();
	memcpy(in->b + in->n, p, n);
	in->n += n;
}

static void begin(struct input *in, uint8_t mode)
{
	in->n = 0;
	put(in, &mode, 1);
}

static void frame(struct input *in, uint8_t op, uint16_t dt_ms)
{
	uint8_t h[3] = { op, (uint8_t)(dt_ms >> 8), (uint8_t)dt_ms };

	put(in, h, sizeof(h));
}

enum { SRC_M0 = 0 << 2, SRC_M1 = 1 << 2, SRC_M2 = 2 << 2, SRC_STRANGER = 3 << 2 };
enum { SEALED = 2, CLEAR = 0x10, OVERLAY = 1 };

/* A datagram frame: [type, body] for the harness to wrap. */
static void dgram(struct input *in, uint16_t dt, uint8_t flags, uint8_t type, const struct weft_wbuf *body)
{
	uint8_t h[3] = { flags, (uint8_t)((body->len + 1) >> 8), (uint8_t)(body->len + 1) };

	frame(in, 0, dt);
	put(in, h, sizeof(h));
	put(in, &type, 1);
	put(in, body->p, body->len);
}

static void raw(struct input *in, uint16_t dt, uint8_t flags, const uint8_t *p, size_t n)
{
	uint8_t h[3] = { flags, (uint8_t)(n >> 8), (uint8_t)n };

	frame(in, 0, dt);
	put(in, h, sizeof(h));
	put(in, p, n);
}

static void save(const struct input *in, const char *name)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	if (!fp || fwrite(in->b, 1, in->n, fp) != in->n || fclose(fp)) {
		perror(path);
		exit(1);
	}
}

/* ---- bodies ---- */

static uint8_t bodybuf[4][1200];

static struct weft_wbuf body(int slot)
{
	return (struct weft_wbuf){ bodybuf[slot], 0, sizeof(bodybuf[slot]), false };
}

/* Signed membership news: member 2 raises its incarnation, member 1
 * accuses it there, a death at an incarnation it never signed, an
 * accusation of the node itself (it refutes), member 1 leaves; and
 * records. */
static void items(struct weft_wbuf *w, bool rich)
{
	if (!rich) {
		weft_mp_array(w, 0);
		return;
	}
	weft_mp_array(w, 7);
	gfz_update(&f, w, WEFT_UPD_ALIVE, &f.node[2].pk, 3, &f.node[2]);
	gfz_update(&f, w, WEFT_UPD_SUSPECT, &f.node[2].pk, 3, &f.node[1]);
	gfz_update(&f, w, WEFT_UPD_DEAD, &f.node[2].pk, 9, &f.node[1]);
	gfz_update(&f, w, WEFT_UPD_SUSPECT, &f.node[0].pk, 0, &f.node[1]);
	gfz_update(&f, w, WEFT_UPD_LEFT, &f.node[1].pk, 5, &f.node[1]);
	weft_mp_bin(w, f.state[1].raw, f.state[1].raw_len);
	weft_mp_bin(w, f.member[2].raw, f.member[2].raw_len);
}

static void probe_body(struct weft_wbuf *w, int from, uint32_t seq, int target, bool rich)
{
	weft_mp_array(w, 4);
	weft_mp_bin(w, f.node[from].pk.b, 32);
	weft_mp_uint(w, seq);
	weft_mp_bin(w, target < 0 ? f.joiner.pk.b : f.node[target].pk.b, 32);
	items(w, rich);
}

static void ack_body(struct weft_wbuf *w, int from, uint32_t seq, bool observed, bool rich)
{
	weft_endpoint_t ep = gfz_endpoint(0);

	weft_mp_array(w, 4);
	weft_mp_bin(w, f.node[from].pk.b, 32);
	weft_mp_uint(w, seq);
	if (observed)
		weft_wire_put_endpoint(w, &ep);
	else
		weft_mp_nil(w);
	items(w, rich);
}

static void sign_or_die(weft_record_t *r, const weft_keypair_t *kp)
{
	if (weft_record_sign(r, kp))
		abort();
}

/* ---- the corpus ---- */

static void member_messages(void)
{
	struct weft_wbuf w;
	struct input in;
	weft_record_t st, rev, dns;
	uint8_t zero[WEFT_DIGEST_BUCKETS * 8] = { 0 }, entries[32], keys[16];
	int i;

	w = body(0);
	probe_body(&w, 1, 7, 0, false);
	begin(&in, 0);
	dgram(&in, 10, SEALED | SRC_M1, WEFT_MSG_PING, &w);
	save(&in, "ping");
	begin(&in, 0);
	dgram(&in, 10, CLEAR | OVERLAY | SRC_M1, WEFT_MSG_PING, &w);
	save(&in, "ping-overlay");
	w = body(0);
	probe_body(&w, 2, 8, 0, true);
	begin(&in, 0);
	dgram(&in, 10, SEALED | SRC_M2, WEFT_MSG_PING, &w);
	save(&in, "ping-items");
	w = body(0);
	probe_body(&w, 1, 9, 2, true);
	begin(&in, 0);
	dgram(&in, 10, SEALED | SRC_M1, WEFT_MSG_PING_REQ, &w);
	frame(&in, 1, 600);
	save(&in, "ping-req");
	/* A ping relayed for member 2's ping-req: the ack carries a proof. */
	w = body(0);
	probe_body(&w, 1, 10, 0, false);
	w.p[0] = 0x96; /* six elements */
	weft_mp_bin(&w, f.node[2].pk.b, 32);
	weft_mp_uint(&w, 77);
	begin(&in, 0);
	dgram(&in, 10, SEALED | SRC_M1, WEFT_MSG_PING, &w);
	save(&in, "ping-relayed");
	/* Forged: no authentication, a replayed counter, a stranger's id. */
	w = body(0);
	probe_body(&w, 1, 11, 0, true);
	begin(&in, 0);
	dgram(&in, 10, SEALED | SRC_M1, WEFT_MSG_PING, &w);
	dgram(&in, 10, SEALED | SRC_M1 | 0x40, WEFT_MSG_PING, &w);
	dgram(&in, 10, SEALED | SRC_M1 | 0x20, WEFT_MSG_PING, &w);
	dgram(&in, 10, CLEAR | OVERLAY | SRC_M2 | 0x20, WEFT_MSG_GOSSIP, &w);
	save(&in, "ping-replayed-unauthenticated");
	w = body(0);
	weft_mp_array(&w, 2);
	weft_mp_bin(&w, f.joiner.pk.b, 32);
	items(&w, true);
	begin(&in, 0);
	dgram(&in, 10, SEALED | SRC_STRANGER, WEFT_MSG_GOSSIP, &w);
	save(&in, "gossip-stranger");

	/* The node probes at its first tick with seq 1: answers to it, an
	 * indirect path, nacks, then nothing (suspicion, then death). */
	for (i = 1; i < GFZ_MEMBERS; i++) {
		char name[32];

		begin(&in, 0);
		frame(&in, 1, 1100);
		w = body(0);
		ack_body(&w, i, 1, true, i == 2);
		dgram(&in, 50, SEALED | (uint8_t)(i << 2), WEFT_MSG_ACK, &w);
		frame(&in, 1, 1000);
		snprintf(name, sizeof(name), "ack-%d", i);
		save(&in, name);
	}
	begin(&in, 0);
	frame(&in, 1, 1100);
	frame(&in, 1, 600);
	w = body(0);
	weft_mp_array(&w, 2);
	weft_mp_bin(&w, f.node[1].pk.b, 32);
	weft_mp_uint(&w, 1);
	dgram(&in, 10, SEALED | SRC_M1, WEFT_MSG_NACK, &w);
	for (i = 0; i < 10; i++)
		frame(&in, 1, 1000);
	save(&in, "nack-then-silence");
	/* The first probe goes indirect; a helper forwards the target's ack
	 * with the target's proof (for either member as the target). */
	for (i = 1; i < GFZ_MEMBERS; i++) {
		uint8_t proof[WEFT_WIRE_PROOF_LEN];
		char name[32];

		weft_wire_ack_proof(proof, f.pair0[i], &f.node[0].pk, 1);
		begin(&in, 0);
		frame(&in, 1, 1100);
		frame(&in, 1, 600);
		w = body(0);
		ack_body(&w, 3 - i, 1, false, false);
		w.p[0] = 0x95; /* five elements */
		weft_mp_bin(&w, proof, sizeof(proof));
		dgram(&in, 10, SEALED | (uint8_t)((3 - i) << 2), WEFT_MSG_ACK, &w);
		frame(&in, 1, 1000);
		snprintf(name, sizeof(name), "ack-proof-%d", i);
		save(&in, name);
	}

	/* Gossip: a newer state, a revocation, a DNS record, SWIM news. */
	st = f.state[2];
	st.u.node_state.version = 2;
	st.u.node_state.endpoints[0].ip.b[3] = 99;
	sign_or_die(&st, &f.node[2]);
	memset(&rev, 0, sizeof(rev));
	rev.type = WEFT_REC_REVOCATION;
	rev.u.revocation.node_id = f.node[2].pk;
	sign_or_die(&rev, &f.admin);
	memset(&dns, 0, sizeof(dns));
	dns.type = WEFT_REC_DNS;
	dns.u.dns.version = 1;
	memcpy(dns.u.dns.name, "www", 4);
	dns.u.dns.rtype = WEFT_DNS_A;
	dns.u.dns.ttl = 60;
	memcpy(dns.u.dns.value, "10.66.0.9", 10);
	sign_or_die(&dns, &f.admin);
	w = body(0);
	weft_mp_array(&w, 2);
	weft_mp_bin(&w, f.node[1].pk.b, 32);
	weft_mp_array(&w, 3);
	weft_mp_bin(&w, st.raw, st.raw_len);
	weft_mp_bin(&w, dns.raw, dns.raw_len);
	gfz_update(&f, &w, WEFT_UPD_SUSPECT, &f.node[0].pk, 0, &f.node[1]);
	begin(&in, 0);
	dgram(&in, 10, SEALED | SRC_M1, WEFT_MSG_GOSSIP, &w);
	frame(&in, 1, 200);
	frame(&in, 1, 200);
	save(&in, "gossip");
	w = body(0);
	weft_mp_array(&w, 2);
	weft_mp_bin(&w, f.node[1].pk.b, 32);
	weft_mp_array(&w, 1);
	weft_mp_bin(&w, rev.raw, rev.raw_len);
	begin(&in, 0);
	dgram(&in, 10, SEALED | SRC_M1, WEFT_MSG_GOSSIP, &w);
	frame(&in, 1, 2000);
	save(&in, "gossip-revocation");

	/* Anti-entropy as a responder: sync, then a listing, then records. */
	w = body(0);
	weft_mp_array(&w, 4);
	weft_mp_bin(&w, f.node[1].pk.b, 32);
	weft_mp_uint(&w, 5);
	weft_mp_bin(&w, zero, 16);
	weft_mp_bin(&w, zero, sizeof(zero));
	memset(entries, 0, sizeof(entries));
	entries[7] = 3; /* sub-bucket 3 */
	entries[15] = 1;
	entries[16 + 6] = 1;
	entries[16 + 7] = 3;
	begin(&in, 0);
	dgram(&in, 10, SEALED | SRC_M1, WEFT_MSG_SYNC, &w);
	w = body(1);
	weft_mp_array(&w, 3);
	weft_mp_bin(&w, f.node[1].pk.b, 32);
	weft_mp_uint(&w, 5);
	weft_mp_array(&w, 2);
	weft_mp_array(&w, 5);
	weft_mp_uint(&w, 0);
	weft_mp_uint(&w, 3);
	weft_mp_bin(&w, zero, 8);
	weft_mp_bin(&w, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	weft_mp_bin(&w, entries, 32);
	weft_mp_array(&w, 5);
	weft_mp_uint(&w, 1);
	weft_mp_uint(&w, 0);
	weft_mp_bin(&w, zero, 8);
	weft_mp_bin(&w, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	weft_mp_bin(&w, entries, 0);
	dgram(&in, 10, SEALED | SRC_M1, WEFT_MSG_SYNC_LIST, &w);
	w = body(2);
	weft_mp_array(&w, 3);
	weft_mp_bin(&w, f.node[1].pk.b, 32);
	weft_mp_uint(&w, 5);
	weft_mp_array(&w, 2);
	weft_mp_bin(&w, st.raw, st.raw_len);
	weft_mp_bin(&w, f.member[1].raw, f.member[1].raw_len);
	dgram(&in, 10, SEALED | SRC_M1, WEFT_MSG_RECORDS, &w);
	save(&in, "sync-responder");

	/* As an initiator: its first exchange is at about one second; the
	 * xid is the generator's, so these mostly test the refusals. */
	begin(&in, 0);
	frame(&in, 1, 1500);
	w = body(0);
	weft_mp_array(&w, 3);
	weft_mp_bin(&w, f.node[1].pk.b, 32);
	weft_mp_uint(&w, 1);
	weft_mp_array(&w, 1);
	weft_mp_array(&w, 2);
	weft_mp_uint(&w, 7);
	weft_mp_bin(&w, zero, 16 * 8);
	dgram(&in, 10, SEALED | SRC_M1, WEFT_MSG_SYNC_DIFF, &w);
	memset(keys, 0x11, sizeof(keys));
	w = body(0);
	weft_mp_array(&w, 3);
	weft_mp_bin(&w, f.node[1].pk.b, 32);
	weft_mp_uint(&w, 1);
	weft_mp_bin(&w, keys, sizeof(keys));
	dgram(&in, 10, SEALED | SRC_M1, WEFT_MSG_SYNC_WANT, &w);
	save(&in, "sync-initiator");

	/* Daemon inputs. */
	begin(&in, 0);
	frame(&in, 2, 0);
	put(&in, "\x01\x01", 2);
	frame(&in, 1, 1200);
	frame(&in, 1, 1200);
	frame(&in, 2, 10);
	put(&in, "\x01\x00", 2);
	frame(&in, 3, 10);
	frame(&in, 1, 500);
	save(&in, "tunnel-leave");
	begin(&in, 0);
	for (i = 0; i < 40; i++)
		frame(&in, 1, 1000);
	save(&in, "alone-40s");
}

static void join_messages(void)
{
	struct gfz_run r;
	struct input in, first;
	struct weft_wbuf w;
	weft_record_t mem;
	struct weft_wire_hdr h;
	struct weft_rbuf rb;
	uint8_t fpr[8], pad[64] = { 0 }, msg[1200], sig[64], cookie[16];
	const uint8_t *c;
	uint32_t n;
	size_t k;

	/* A hello from a stranger, and the request that follows with the
	 * cookie the node really gives (read back from the same node). */
	w = body(0);
	weft_mp_array(&w, 2);
	weft_mp_bin(&w, f.joiner.pk.b, 32);
	weft_mp_bin(&w, pad, sizeof(pad));
	begin(&first, 0);
	dgram(&first, 10, CLEAR | SRC_STRANGER, WEFT_MSG_JOIN_HELLO, &w);
	save(&first, "join-hello");
	if (gfz_start(&r, &f, false))
		abort();
	gfz_frames(&r, first.b + 1, first.n - 1);
	weft_wire_fingerprint(fpr, &f.admin.pk);
	if (r.last_len <= 0 || weft_wire_parse(r.last, (size_t)r.last_len, fpr, &h) ||
	    h.type != WEFT_MSG_JOIN_COOKIE)
		abort();
	rb = (struct weft_rbuf){ h.body, h.body_len, 0 };
	if (weft_mp_read_array(&rb, &n) || weft_mp_read_binfix(&rb, &c, 32) || weft_mp_read_binfix(&rb, &c, 16))
		abort();
	memcpy(cookie, c, 16);

	memset(&mem, 0, sizeof(mem));
	mem.type = WEFT_REC_MEMBER;
	mem.u.member.node_id = f.joiner.pk;
	mem.u.member.invite_pk = f.invite.pk;
	mem.u.member.join_time = GFZ_WALL_MS;
	sign_or_die(&mem, &f.invite);
	k = 0;
	memcpy(msg, "weft-join-v1", 12);
	k += 12;
	memcpy(msg + k, f.admin.pk.b, 32);
	k += 32;
	memcpy(msg + k, cookie, 16);
	k += 16;
	memcpy(msg + k, mem.raw, mem.raw_len);
	k += mem.raw_len;
	if (weft_sign(sig, msg, k, &f.joiner))
		abort();
	w = body(1);
	weft_mp_array(&w, 6);
	weft_mp_bin(&w, f.joiner.pk.b, 32);
	weft_mp_bin(&w, cookie, 16);
	weft_mp_bin(&w, f.invite_rec.raw, f.invite_rec.raw_len);
	weft_mp_bin(&w, mem.raw, mem.raw_len);
	weft_mp_nil(&w);
	weft_mp_bin(&w, sig, sizeof(sig));
	in = first;
	dgram(&in, 0, CLEAR | SRC_STRANGER, WEFT_MSG_JOIN_REQ, &w);
	gfz_frames(&r, in.b + first.n, in.n - first.n);
	if (r.last_len <= 0 || r.last[3] != WEFT_MSG_JOIN_WELCOME)
		abort(); /* the corpus must reach the welcome */
	gfz_stop(&r);
	save(&in, "join-request-welcome");

	/* The joiner's side: a cookie from its bootstrap, a welcome it cannot
	 * open, a refusal, retries and the final time-out. */
	begin(&in, 1);
	w = body(0);
	weft_mp_array(&w, 2);
	weft_mp_bin(&w, f.joiner.pk.b, 32);
	weft_mp_bin(&w, cookie, 16);
	dgram(&in, 100, CLEAR | SRC_M1, WEFT_MSG_JOIN_COOKIE, &w);
	w = body(1);
	weft_mp_array(&w, 4);
	weft_mp_bin(&w, f.joiner.pk.b, 32);
	weft_mp_uint(&w, 0);
	weft_mp_uint(&w, 1);
	weft_mp_bin(&w, msg, 200);
	dgram(&in, 100, CLEAR | SRC_M1, WEFT_MSG_JOIN_WELCOME, &w);
	w = body(2);
	weft_mp_array(&w, 3);
	weft_mp_bin(&w, f.joiner.pk.b, 32);
	weft_mp_bin(&w, cookie, 16);
	weft_mp_uint(&w, 1009);
	dgram(&in, 100, CLEAR | SRC_M1, WEFT_MSG_JOIN_REFUSE, &w);
	save(&in, "joiner-cookie-welcome-refuse");
	begin(&in, 1);
	for (n = 0; n < 35; n++)
		frame(&in, 1, 1000);
	save(&in, "joiner-times-out");
}

static void edge_cases(void)
{
	static const uint8_t types[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 16, 17, 18, 19, 20 };
	uint8_t junk[1300];
	struct weft_wbuf w;
	struct input in;
	char name[32];
	size_t i;

	for (i = 0; i < sizeof(types); i++) {
		w = body(0);
		begin(&in, (uint8_t)(types[i] >= 16));
		dgram(&in, 1, (types[i] >= 16 ? CLEAR | SRC_STRANGER : SEALED | SRC_M2), types[i], &w);
		snprintf(name, sizeof(name), "empty-%s", weft_wire_type_name(types[i]));
		save(&in, name);
	}
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	begin(&in, 0);
	raw(&in, 1, SRC_STRANGER, junk, 40);
	save(&in, "junk");
	begin(&in, 0);
	raw(&in, 1, SRC_M1, junk, sizeof(junk));
	save(&in, "oversized");
	junk[0] = 'w';
	junk[1] = 'f';
	junk[2] = 1;
	begin(&in, 0);
	raw(&in, 1, SRC_M1, junk, 13);
	save(&in, "short-header");
	w = body(0);
	probe_body(&w, 1, 7, 0, true);
	w.len -= 3;
	begin(&in, 0);
	dgram(&in, 1, SEALED | SRC_M1, WEFT_MSG_PING, &w);
	save(&in, "truncated-ping");
	begin(&in, 0);
	save(&in, "nothing");
}

int main(int argc, char **argv)
{
	if (argc > 1)
		dir = argv[1];
	if (weft_crypto_init() || gfz_setup(&f))
		return 1;
	member_messages();
	join_messages();
	edge_cases();
	return 0;
}
