/* What members' authentication costs (issue #22; docs/PERFORMANCE.md):
 * the size of each message as the protocol sends it, idle, on the underlay
 * (sealed) and the overlay (in the clear, inside WireGuard), and the CPU a
 * node spends per packet: a ping received and its ack built and sent, on
 * either path. Then the one-off costs: a pair key (first contact with a
 * member), signing and checking a membership update.
 *
 *     build-X/tests/bench/bench_auth */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "tests/unit/gossip_net.h"
#include "gossip/wire.h"

static double wall(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- sizes ---- */

struct sizes {
	unsigned n[2][WEFT_MSG_MAX + 1];
	unsigned len[2][WEFT_MSG_MAX + 1][WEFT_GOSSIP_MTU + 1];
	uint8_t ping[2][WEFT_GOSSIP_MTU]; /* a ping from node 0 to node 1, per path */
	size_t ping_len[2];
};

static void tap(struct gnet *net, int from, const struct weft_gossip_dgram *dg, const uint8_t *buf, size_t len,
		void *ctx)
{
	struct sizes *s = ctx;
	uint8_t p = dg->path;

	if (buf[3] > WEFT_MSG_MAX)
		return;
	s->n[p][buf[3]]++;
	s->len[p][buf[3]][len]++;
	if (from == 0 && buf[3] == WEFT_MSG_PING && !s->ping_len[p] && dg->has_peer &&
	    !memcmp(dg->peer.b, net->nodes[1].id.pk.b, WEFT_PK_LEN)) {
		memcpy(s->ping[p], buf, len);
		s->ping_len[p] = len;
	}
}

static unsigned mode(const unsigned *h)
{
	unsigned i, best = 0;

	for (i = 1; i <= WEFT_GOSSIP_MTU; i++)
		if (h[i] > h[best])
			best = i;
	return best;
}

/* CPU of one ping in and its ack out, on node 1. */
static double per_packet(struct gnet *net, uint8_t path, const uint8_t *pkt, size_t len)
{
	struct weft_gossip_dgram dg;
	uint8_t out[WEFT_GOSSIP_MTU];
	double t0;
	int i, n = 20000;

	t0 = wall();
	for (i = 0; i < n; i++) {
		weft_gossip_recv(net->nodes[1].g, path, &net->nodes[0].ep, pkt, len, net->now);
		while (weft_gossip_poll_send(net->nodes[1].g, out, sizeof(out), &dg) > 0)
			;
	}
	return (wall() - t0) / n * 1e6;
}

int main(void)
{
	static struct sizes s;
	struct gnet *net;
	uint8_t p;
	int i, j;

	if (weft_crypto_init())
		return 1;
	net = gnet_grow(7, 3, NULL, NULL);
	net->tap = tap;
	net->ctx = &s;
	gnet_run(net, 40 * GNET_SEC);
	/* The same members with their tunnels up: member traffic inside. */
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			if (i != j)
				weft_gossip_tunnel(net->nodes[i].g, &net->nodes[j].id.pk, true, NULL, net->now);
	for (i = 0; i < 3; i++)
		gnet_drain(net, i);
	gnet_run(net, 40 * GNET_SEC);
	printf("message sizes, idle (most common datagram, bytes): underlay sealed / overlay\n");
	for (p = WEFT_MSG_PING; p <= WEFT_MSG_RECORDS; p++)
		if (s.n[0][p] || s.n[1][p])
			printf("  %-10s %5u / %5u\n", weft_wire_type_name(p), mode(s.len[0][p]), mode(s.len[1][p]));
	for (p = 0; p < 2; p++)
		if (s.ping_len[p])
			printf("cpu: a ping in and its ack out, %s: %.2f us\n", p ? "overlay" : "underlay",
			       per_packet(net, p, s.ping[p], s.ping_len[p]));
	gnet_free(net);

	/* One-off costs: first contact with a member, a signed update. */
	{
		uint8_t seed[WEFT_SEED_LEN] = { 9 }, xsk[32], xpk[32], key[32], msg[WEFT_WIRE_SWIM_MSG_LEN], sig[64];
		weft_keypair_t a, b;
		double t0;
		int k, n = 2000, ok = 0;

		weft_keypair_from_seed(&a, seed);
		seed[0] = 10;
		weft_keypair_from_seed(&b, seed);
		if (crypto_sign_ed25519_sk_to_curve25519(xsk, a.sk))
			return 1;
		t0 = wall();
		for (k = 0; k < n; k++)
			ok += weft_pk_to_x25519(xpk, &b.pk) == 0 &&
			      weft_wire_pair_key(key, &a.pk, &a.pk, xsk, &b.pk, xpk) == 0;
		printf("cpu: a pair key (X25519 conversion + DH + BLAKE2b), once per member: %.1f us (%d)\n",
		       (wall() - t0) / n * 1e6, ok == n);
		weft_wire_swim_msg(msg, &a.pk, WEFT_UPD_SUSPECT, &b.pk, 3);
		t0 = wall();
		for (k = 0; k < n; k++)
			weft_sign(sig, msg, sizeof(msg), &a);
		printf("cpu: sign a membership update: %.1f us\n", (wall() - t0) / n * 1e6);
		t0 = wall();
		for (k = 0, ok = 0; k < n; k++)
			ok += weft_verify(sig, msg, sizeof(msg), &a.pk) == 0;
		printf("cpu: check one (uncached): %.1f us (%d)\n", (wall() - t0) / n * 1e6, ok == n);
		sodium_memzero(xsk, sizeof(xsk));
	}
	return 0;
}
