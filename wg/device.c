/* The device and peer containers callers build desired state in and backends
 * read state into, and the allowed-IP helpers (mask, order, validity) that
 * the diff and the parsers share. Private keys are wiped when freed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wg/backend.h"

weft_wg_peer_t *weft_wg_device_add_peer(weft_wg_device_t *dev, const weft_wgkey_t *public_key)
{
	weft_wg_peer_t *p;

	if (dev->n_peers == dev->cap_peers) {
		size_t cap = dev->cap_peers ? dev->cap_peers * 2 : 16;

		p = realloc(dev->peers, cap * sizeof(*p));
		if (!p)
			return NULL;
		dev->peers = p;
		dev->cap_peers = cap;
	}
	p = &dev->peers[dev->n_peers++];
	memset(p, 0, sizeof(*p));
	p->public_key = *public_key;
	return p;
}

int weft_wg_peer_add_allowed_ip(weft_wg_peer_t *peer, const weft_cidr_t *cidr)
{
	if (peer->n_allowed_ips == peer->cap_allowed_ips) {
		size_t cap = peer->cap_allowed_ips ? peer->cap_allowed_ips * 2 : 4;
		weft_cidr_t *a = realloc(peer->allowed_ips, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		peer->allowed_ips = a;
		peer->cap_allowed_ips = cap;
	}
	peer->allowed_ips[peer->n_allowed_ips++] = *cidr;
	return 0;
}

weft_wg_peer_t *weft_wg_device_find_peer(const weft_wg_device_t *dev, const weft_wgkey_t *public_key)
{
	size_t i;

	for (i = 0; i < dev->n_peers; i++)
		if (!memcmp(dev->peers[i].public_key.b, public_key->b, WEFT_WGKEY_LEN))
			return &dev->peers[i];
	return NULL;
}

void weft_wg_device_free(weft_wg_device_t *dev)
{
	size_t i;

	if (!dev)
		return;
	for (i = 0; i < dev->n_peers; i++)
		free(dev->peers[i].allowed_ips);
	free(dev->peers);
	sodium_memzero(dev, sizeof(*dev));
}

static unsigned family_bits(unsigned family)
{
	return family == 4 ? 32 : family == 6 ? 128 : 0;
}

bool weft_wg_cidr_valid(const weft_cidr_t *c)
{
	unsigned bits = family_bits(c->ip.family);

	return bits && c->prefix <= bits;
}

/* WireGuard keeps allowed IPs masked; so must a comparison with them. */
void weft_wg_cidr_mask(weft_cidr_t *c)
{
	unsigned bits = family_bits(c->ip.family), i;

	for (i = 0; i < sizeof(c->ip.b); i++) {
		if (i * 8 >= bits || c->prefix <= i * 8)
			c->ip.b[i] = 0;
		else if (c->prefix < (i + 1) * 8)
			c->ip.b[i] &= (uint8_t)(0xff << (8 - (c->prefix - i * 8)));
	}
}

int weft_wg_cidr_cmp(const weft_cidr_t *a, const weft_cidr_t *b)
{
	int c = weft_ip_cmp(&a->ip, &b->ip);

	if (c)
		return c;
	return a->prefix < b->prefix ? -1 : a->prefix > b->prefix ? 1 : 0;
}
