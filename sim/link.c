/* sim/link.c: the network between simulated hosts. Addresses (an underlay
 * address per host, and an overlay one that only has to be distinct), the
 * map from node id to host, and the link model: latency with jitter, random
 * loss, partitions between named groups, and a per-host bandwidth cap in
 * each direction with a bounded queue. Every datagram's fate is drawn from
 * the run's seed. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sim/internal.h"

/* Host i is 100.64.0.0/10 + i + 1 on the underlay. */
void sim_endpoint_of(uint32_t idx, weft_endpoint_t *ep)
{
	uint32_t a = idx + 1;

	memset(ep, 0, sizeof(*ep));
	ep->ip.family = 4;
	ep->ip.b[0] = 100;
	ep->ip.b[1] = (uint8_t)(64 | ((a >> 16) & 0x3f));
	ep->ip.b[2] = (uint8_t)(a >> 8);
	ep->ip.b[3] = (uint8_t)a;
	ep->port = SIM_GOSSIP_PORT;
}

/* Overlay packets are routed by the peer's node id (gossip names it), so
 * the overlay source address only has to be stable and distinct: 10/8 + i
 * + 1, not the address core/alloc would assign. */
void sim_overlay_of(uint32_t idx, weft_endpoint_t *ep)
{
	uint32_t a = idx + 1;

	memset(ep, 0, sizeof(*ep));
	ep->ip.family = 4;
	ep->ip.b[0] = 10;
	ep->ip.b[1] = (uint8_t)(a >> 16);
	ep->ip.b[2] = (uint8_t)(a >> 8);
	ep->ip.b[3] = (uint8_t)a;
	ep->port = SIM_GOSSIP_PORT;
}

uint32_t sim_node_by_endpoint(const struct weft_sim *s, const weft_endpoint_t *ep)
{
	uint32_t a;

	if (ep->ip.family != 4 || ep->ip.b[0] != 100 || (ep->ip.b[1] & 0xc0) != 64 || ep->port != SIM_GOSSIP_PORT)
		return SIM_NONE;
	a = (uint32_t)(ep->ip.b[1] & 0x3f) << 16 | (uint32_t)ep->ip.b[2] << 8 | ep->ip.b[3];
	return a >= 1 && a <= s->n ? a - 1 : SIM_NONE;
}

static uint32_t id_hash(const weft_pk_t *id)
{
	uint64_t v;

	memcpy(&v, id->b, 8);
	v ^= v >> 31;
	v *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(v >> 32);
}

uint32_t sim_node_by_id(const struct weft_sim *s, const weft_pk_t *id)
{
	uint32_t mask = s->by_id_cap - 1, i = id_hash(id) & mask, v;

	while ((v = s->by_id[i]) != 0) {
		if (memcmp(s->nodes[v - 1].id.pk.b, id->b, WEFT_PK_LEN) == 0)
			return v - 1;
		i = (i + 1) & mask;
	}
	return SIM_NONE;
}

/* by_id has room for every node the run will create (twice over). */
int sim_index_id(struct weft_sim *s, uint32_t idx)
{
	uint32_t mask = s->by_id_cap - 1, i = id_hash(&s->nodes[idx].id.pk) & mask;

	while (s->by_id[i] != 0) {
		if (memcmp(s->nodes[s->by_id[i] - 1].id.pk.b, s->nodes[idx].id.pk.b, WEFT_PK_LEN) == 0)
			return -1; /* two nodes with one id: a broken seed derivation */
		i = (i + 1) & mask;
	}
	s->by_id[i] = idx + 1;
	return 0;
}

/* ---- partitions ---- */

static bool separates(const struct sim_cut *c, uint32_t ga, uint32_t gb)
{
	uint32_t m1 = 1u << c->g1, m2 = 1u << c->g2;

	return ((ga & m1) && (gb & m2)) || ((ga & m2) && (gb & m1));
}

static bool cut_between(const struct weft_sim *s, uint32_t a, uint32_t b)
{
	size_t i;

	for (i = 0; i < s->ncuts; i++)
		if (s->cuts[i].to == UINT64_MAX && separates(&s->cuts[i], s->nodes[a].groups, s->nodes[b].groups))
			return true;
	return false;
}

bool sim_cut_recently(const struct weft_sim *s, uint32_t a, uint32_t b, uint64_t from)
{
	size_t i;

	for (i = 0; i < s->ncuts; i++)
		if (s->cuts[i].to >= from && separates(&s->cuts[i], s->nodes[a].groups, s->nodes[b].groups))
			return true;
	return false;
}

/* ---- datagrams ---- */

struct sim_pkt *sim_pkt_alloc(struct weft_sim *s)
{
	struct sim_pkt *p = s->free_pkts;

	if (p)
		s->free_pkts = p->next;
	else
		p = malloc(sizeof(*p));
	if (p)
		memset(p, 0, offsetof(struct sim_pkt, data));
	return p;
}

void sim_pkt_free(struct weft_sim *s, struct sim_pkt *p)
{
	p->next = s->free_pkts;
	s->free_pkts = p;
}

static bool in_window(const struct weft_sim *s)
{
	return s->now >= s->win_from && s->now < s->win_to;
}

static void count_tx(struct weft_sim *s, struct sim_node *nd, uint64_t wire, bool gossip, uint16_t len)
{
	if (!in_window(s))
		return;
	nd->tx_wire += wire;
	if (gossip) {
		nd->tx_pkts++;
		nd->tx_bytes += len;
	}
}

/* The run's transcript: who sent what to whom, in order. Two runs with
 * one seed must produce the same one. */
static void trace(struct weft_sim *s, const struct sim_pkt *p)
{
	crypto_generichash_state st;
	uint8_t hdr[12];

	hdr[0] = (uint8_t)(p->src >> 24);
	hdr[1] = (uint8_t)(p->src >> 16);
	hdr[2] = (uint8_t)(p->src >> 8);
	hdr[3] = (uint8_t)p->src;
	hdr[4] = (uint8_t)(p->dst >> 24);
	hdr[5] = (uint8_t)(p->dst >> 16);
	hdr[6] = (uint8_t)(p->dst >> 8);
	hdr[7] = (uint8_t)p->dst;
	hdr[8] = p->kind;
	hdr[9] = p->path;
	hdr[10] = (uint8_t)(p->len >> 8);
	hdr[11] = (uint8_t)p->len;
	crypto_generichash_init(&st, s->trace, sizeof(s->trace), sizeof(s->trace));
	crypto_generichash_update(&st, hdr, sizeof(hdr));
	if (p->kind == PK_GOSSIP)
		crypto_generichash_update(&st, p->data, p->len);
	crypto_generichash_final(&st, s->trace, sizeof(s->trace));
}

/* Time for wire bytes through a capped link, in ns. */
static uint64_t serialise(const struct weft_sim *s, uint32_t wire)
{
	return (uint64_t)wire * WEFT_SIM_SEC / s->sc.bandwidth;
}

void sim_link_send(struct weft_sim *s, struct sim_pkt *p, bool deliverable)
{
	struct sim_node *src = &s->nodes[p->src];
	uint64_t t = s->now, lat;
	int64_t j;

	s->pkts_sent++;
	trace(s, p);
	if (s->sc.bandwidth) {
		t = (src->tx_free > t ? src->tx_free : t) + serialise(s, p->wire);
		if (t - s->now > s->sc.queue_ns) {
			/* Dropped at the sender's full queue: never on the wire. */
			s->pkts_dropped++;
			sim_pkt_free(s, p);
			return;
		}
		src->tx_free = t;
	}
	if (!p->attack) /* the adversary's datagrams are counted apart */
		count_tx(s, src, p->wire, p->kind == PK_GOSSIP, p->len);
	if (!deliverable) {
		sim_pkt_free(s, p);
		return;
	}
	if (cut_between(s, p->src, p->dst) || (s->loss_ppm && sim_rand_below(&s->rng, 1000000) < s->loss_ppm)) {
		s->pkts_lost++;
		sim_pkt_free(s, p);
		return;
	}
	lat = s->latency;
	if (s->jitter) {
		j = (int64_t)sim_rand_below(&s->rng, 2 * s->jitter + 1) - (int64_t)s->jitter;
		lat = j < 0 && (uint64_t)-j > lat ? 0 : lat + (uint64_t)j;
	}
	if (sim_queue_push(&s->q, t + lat, EV_PKT, p->dst, 0, p)) {
		sim_fail(s, "out of memory queueing a datagram");
		sim_pkt_free(s, p);
	}
}

bool sim_link_arrive(struct weft_sim *s, struct sim_pkt *p)
{
	struct sim_node *dst = &s->nodes[p->dst];
	uint64_t t;

	if (!s->sc.bandwidth || p->rx_done)
		return true;
	t = (dst->rx_free > s->now ? dst->rx_free : s->now) + serialise(s, p->wire);
	if (t - s->now > s->sc.queue_ns) {
		s->pkts_dropped++;
		sim_pkt_free(s, p);
		return false;
	}
	dst->rx_free = t;
	p->rx_done = true;
	if (sim_queue_push(&s->q, t, EV_PKT, p->dst, 0, p)) {
		sim_fail(s, "out of memory queueing a datagram");
		sim_pkt_free(s, p);
	}
	return false;
}
