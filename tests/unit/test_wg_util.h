/* Helpers shared by the wg/ unit tests: deterministic keys, parsing
 * shorthands that fail the test on bad input, and device comparison. */
#ifndef TEST_WG_UTIL_H
#define TEST_WG_UTIL_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "wg/backend.h"
#include "core/error.h"
#include "wg/wg.h"

/* A public key that is a function of n (not a real curve point; WireGuard
 * configuration code does not care). */
static inline weft_wgkey_t tkey(unsigned n)
{
	weft_wgkey_t k;
	unsigned i;

	for (i = 0; i < WEFT_WGKEY_LEN; i++)
		k.b[i] = (uint8_t)(n * 131u + i * 7u + (n >> 8) * 17u + 1u);
	k.b[0] = (uint8_t)(n >> 8);
	k.b[1] = (uint8_t)n;
	return k;
}

static inline weft_cidr_t tcidr(const char *s)
{
	weft_cidr_t c;

	if (weft_cidr_parse(&c, s))
		fail_msg("bad CIDR in test: %s", s);
	return c;
}

static inline weft_endpoint_t tep(const char *s)
{
	weft_endpoint_t e;

	if (weft_endpoint_parse(&e, s))
		fail_msg("bad endpoint in test: %s", s);
	return e;
}

/* Peer n with allowed IP 10.(n/256).(n%256).0/24 and fd00::n/128. */
static inline weft_wg_peer_t *tpeer(weft_wg_device_t *d, unsigned n, const char *endpoint, uint16_t ka)
{
	weft_wgkey_t k = tkey(n);
	weft_wg_peer_t *p = weft_wg_device_add_peer(d, &k);
	char s[64];
	weft_cidr_t c;

	assert_non_null(p);
	snprintf(s, sizeof(s), "10.%u.%u.0/24", (n >> 8) & 0xff, n & 0xff);
	c = tcidr(s);
	assert_int_equal(weft_wg_peer_add_allowed_ip(p, &c), 0);
	snprintf(s, sizeof(s), "fd00::%x/128", n + 1);
	c = tcidr(s);
	assert_int_equal(weft_wg_peer_add_allowed_ip(p, &c), 0);
	if (endpoint)
		p->endpoint = tep(endpoint);
	p->keepalive = ka;
	return p;
}

static inline int tcidr_qcmp(const void *a, const void *b)
{
	return weft_wg_cidr_cmp(a, b);
}

/* The configuration of two peers is the same (allowed IPs as sets). */
static inline void assert_peer_config_equal(const weft_wg_peer_t *a, const weft_wg_peer_t *b)
{
	weft_cidr_t *x, *y;
	size_t i;

	assert_memory_equal(a->public_key.b, b->public_key.b, WEFT_WGKEY_LEN);
	assert_int_equal(a->endpoint.ip.family, b->endpoint.ip.family);
	if (a->endpoint.ip.family)
		assert_true(weft_endpoint_equal(&a->endpoint, &b->endpoint));
	assert_int_equal(a->keepalive, b->keepalive);
	assert_int_equal(a->n_allowed_ips, b->n_allowed_ips);
	x = calloc(a->n_allowed_ips + 1, sizeof(*x));
	y = calloc(b->n_allowed_ips + 1, sizeof(*y));
	assert_non_null(x);
	assert_non_null(y);
	for (i = 0; i < a->n_allowed_ips; i++) {
		x[i] = a->allowed_ips[i];
		y[i] = b->allowed_ips[i];
		weft_wg_cidr_mask(&x[i]);
		weft_wg_cidr_mask(&y[i]);
	}
	qsort(x, a->n_allowed_ips, sizeof(*x), tcidr_qcmp);
	qsort(y, b->n_allowed_ips, sizeof(*y), tcidr_qcmp);
	for (i = 0; i < a->n_allowed_ips; i++)
		assert_int_equal(weft_wg_cidr_cmp(&x[i], &y[i]), 0);
	free(x);
	free(y);
}

/* Every desired peer is in got with the same configuration, and no other. */
static inline void assert_device_matches(const weft_wg_device_t *want, const weft_wg_device_t *got)
{
	size_t i;

	assert_int_equal(want->n_peers, got->n_peers);
	for (i = 0; i < want->n_peers; i++) {
		const weft_wg_peer_t *p = weft_wg_device_find_peer(got, &want->peers[i].public_key);

		assert_non_null(p);
		assert_peer_config_equal(&want->peers[i], p);
	}
	if (want->has_private_key) {
		assert_true(got->has_private_key);
		assert_memory_equal(want->private_key.b, got->private_key.b, WEFT_WGKEY_LEN);
	}
	if (want->listen_port)
		assert_int_equal(want->listen_port, got->listen_port);
}

#endif
