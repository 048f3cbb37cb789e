/* tests/unit/gossip_attack.c: the compromised member's packets (see
 * gossip_attack.h), in the current wire format: whatever a holds it uses
 * (its identity, its pair keys, the network key), and for what it does not
 * hold it does the next best thing: it signs with its own key, MACs with
 * its own pair key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/gossip_attack.h"
#include "gossip/wire.h"

uint64_t atk_bytes;

static int deliver(struct gnet *net, int a, int to, uint8_t type, const uint8_t *body, size_t blen,
		   const weft_keypair_t *as)
{
	uint8_t pkt[WEFT_GOSSIP_MTU + 64];
	size_t len;

	len = gnet_member_packet_as(net, pkt, type, true, NULL, as, &net->nodes[to].id.pk, 0, body, blen);
	atk_bytes += len;
	return gnet_inject(net, to, WEFT_PATH_UNDERLAY, &net->nodes[a].ep, pkt, len);
}

int atk_update(struct gnet *net, int a, int to, uint8_t kind, int about, uint32_t inc, int accuser)
{
	uint8_t body[400], sig[64], msg[WEFT_WIRE_SWIM_MSG_LEN];
	struct weft_wbuf w = { body, 0, sizeof(body), false };
	bool acc = kind == WEFT_UPD_SUSPECT || kind == WEFT_UPD_DEAD;

	/* a can only sign with its own key, whoever the update names. */
	weft_wire_swim_msg(msg, &net->admin.pk, kind, &net->nodes[about].id.pk, inc);
	if (weft_sign(sig, msg, sizeof(msg), &net->nodes[a].id))
		abort();
	weft_mp_array(&w, 2);
	weft_mp_bin(&w, net->nodes[a].id.pk.b, WEFT_PK_LEN);
	weft_mp_array(&w, 1);
	weft_mp_array(&w, acc ? 5 : 4);
	weft_mp_uint(&w, kind);
	weft_mp_bin(&w, net->nodes[about].id.pk.b, WEFT_PK_LEN);
	weft_mp_uint(&w, inc);
	if (acc)
		weft_mp_bin(&w, net->nodes[accuser].id.pk.b, WEFT_PK_LEN);
	weft_mp_bin(&w, sig, sizeof(sig));
	return deliver(net, a, to, WEFT_MSG_GOSSIP, body, w.len, &net->nodes[a].id);
}

int atk_impersonate(struct gnet *net, int a, int victim, int to, uint8_t type)
{
	uint8_t body[200];
	struct weft_wbuf w = { body, 0, sizeof(body), false };
	static uint32_t seq = 70000;

	if (type == WEFT_MSG_PING) {
		weft_mp_array(&w, 4);
		weft_mp_bin(&w, net->nodes[victim].id.pk.b, WEFT_PK_LEN);
		weft_mp_uint(&w, seq++);
		weft_mp_bin(&w, net->nodes[to].id.pk.b, WEFT_PK_LEN);
		weft_mp_array(&w, 0);
	} else {
		weft_mp_array(&w, 2);
		weft_mp_bin(&w, net->nodes[victim].id.pk.b, WEFT_PK_LEN);
		weft_mp_array(&w, 0);
	}
	/* The body says victim; the MAC can only be a's. */
	return deliver(net, a, to, type, body, w.len, &net->nodes[a].id);
}

int atk_ack(struct gnet *net, int a, int to, uint32_t seq, int victim)
{
	uint8_t body[100];
	struct weft_wbuf w = { body, 0, sizeof(body), false };

	weft_mp_array(&w, 4);
	weft_mp_bin(&w, net->nodes[victim >= 0 ? victim : a].id.pk.b, WEFT_PK_LEN);
	weft_mp_uint(&w, seq);
	weft_mp_nil(&w);
	weft_mp_array(&w, 0);
	return deliver(net, a, to, WEFT_MSG_ACK, body, w.len, &net->nodes[a].id);
}

int atk_state(struct gnet *net, int a, int to, uint64_t version, const char *name, const weft_endpoint_t *eps,
	      int neps)
{
	uint8_t body[1200];
	struct weft_wbuf w = { body, 0, sizeof(body), false };
	struct weft_rec_node_state *ns;
	weft_record_t r;
	int i;

	memset(&r, 0, sizeof(r));
	r.type = WEFT_REC_NODE_STATE;
	ns = &r.u.node_state;
	ns->node_id = net->nodes[a].id.pk;
	ns->version = version;
	memset(ns->wg_pub.b, a + 1, sizeof(ns->wg_pub.b));
	ns->wg_port = 51820;
	ns->gossip_port = 51821;
	snprintf(ns->name, sizeof(ns->name), "%s", name ? name : "");
	if (!name)
		snprintf(ns->name, sizeof(ns->name), "n%d", a);
	if (eps) {
		for (i = 0; i < neps && i < WEFT_MAX_ENDPOINTS; i++)
			ns->endpoints[i] = eps[i];
		ns->nendpoints = (uint8_t)i;
	} else {
		ns->nendpoints = 1;
		ns->endpoints[0] = net->nodes[a].ep;
		ns->endpoints[0].port = 51820;
	}
	if (weft_record_sign(&r, &net->nodes[a].id))
		abort();
	weft_mp_array(&w, 2);
	weft_mp_bin(&w, net->nodes[a].id.pk.b, WEFT_PK_LEN);
	weft_mp_array(&w, 1);
	weft_mp_bin(&w, r.raw, r.raw_len);
	return deliver(net, a, to, WEFT_MSG_GOSSIP, body, w.len, &net->nodes[a].id);
}
