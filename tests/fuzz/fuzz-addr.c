/* Fuzz the text parsers of core/addr.c and core/keys.c: whatever parses must
 * print and parse back to the same value; the raw bytes also drive the CIDR
 * maths (nth stays inside its CIDR, overlaps is symmetric). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

static void fuzz_ip(const char *s)
{
	char buf[WEFT_ADDRSTRLEN];
	weft_ip_t ip, back;

	if (weft_ip_parse(&ip, s) != 0)
		return;
	CHECK(ip.family == 4 || ip.family == 6);
	weft_ip_format(&ip, buf, sizeof(buf));
	CHECK(buf[0] != '\0');
	CHECK(weft_ip_parse(&back, buf) == 0);
	CHECK(weft_ip_equal(&ip, &back) && weft_ip_cmp(&ip, &back) == 0);
}

static void fuzz_cidr(const char *s)
{
	static const uint8_t zero[16];
	char buf[WEFT_CIDRSTRLEN];
	weft_cidr_t c, back;
	weft_ip_t first;

	if (weft_cidr_parse(&c, s) != 0)
		return;
	weft_cidr_format(&c, buf, sizeof(buf));
	CHECK(buf[0] != '\0');
	CHECK(weft_cidr_parse(&back, buf) == 0);
	CHECK(weft_ip_equal(&c.ip, &back.ip) && c.prefix == back.prefix);
	CHECK(weft_cidr_contains(&c, &c.ip));
	CHECK(weft_cidr_overlaps(&c, &back));
	/* Host bits are zero after parsing: offset 0 is the network itself. */
	weft_cidr_nth(&c, zero, &first);
	CHECK(weft_ip_equal(&first, &c.ip));
	CHECK(weft_cidr_usable(&c) >= 1);
}

static void fuzz_endpoint(const char *s)
{
	char buf[WEFT_EPSTRLEN];
	weft_endpoint_t ep, back;

	if (weft_endpoint_parse(&ep, s) != 0)
		return;
	CHECK(ep.port != 0);
	weft_endpoint_format(&ep, buf, sizeof(buf));
	CHECK(buf[0] != '\0');
	CHECK(weft_endpoint_parse(&back, buf) == 0);
	CHECK(weft_endpoint_equal(&ep, &back));
}

static void fuzz_key(const char *s)
{
	char buf[WEFT_WGKEY_B64_LEN + 1], hex[65];
	uint8_t key[32], again[32];
	weft_pk_t pk;
	size_t i;

	if (weft_key_from_base64(key, s) == 0) {
		/* Strict parsing means one text per key: the input itself. */
		weft_key_to_base64(buf, key);
		CHECK(strcmp(buf, s) == 0);
		CHECK(weft_key_from_base64(again, buf) == 0);
		CHECK(memcmp(key, again, 32) == 0);
	}
	if (weft_pk_from_hex(&pk, s) == 0) {
		weft_pk_to_hex(hex, &pk);
		for (i = 0; i < 64; i++)
			CHECK(hex[i] == (s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]));
	}
}

/* Raw bytes as a CIDR and an offset: byte 0 picks the family, byte 1 the
 * prefix, then 16 address bytes and 16 offset bytes. */
static void fuzz_maths(const uint8_t *data, size_t size)
{
	weft_cidr_t a = { 0 }, b;
	weft_ip_t ip;
	unsigned bits;

	if (size < 34)
		return;
	a.ip.family = data[0] & 1 ? 6 : 4;
	bits = a.ip.family == 4 ? 32 : 128;
	a.prefix = (uint8_t)(data[1] % (bits + 1));
	memcpy(a.ip.b, data + 2, a.ip.family == 4 ? 4 : 16);
	weft_cidr_nth(&a, data + 18, &ip);
	CHECK(ip.family == a.ip.family);
	CHECK(weft_cidr_contains(&a, &ip));
	CHECK(weft_cidr_usable(&a) >= 1);
	b.ip = ip;
	b.prefix = (uint8_t)((data[1] / 2) % (bits + 1));
	CHECK(weft_cidr_overlaps(&a, &b) == weft_cidr_overlaps(&b, &a));
	/* A prefix contains what a longer prefix of it contains. */
	if (b.prefix >= a.prefix)
		CHECK(weft_cidr_overlaps(&a, &b));
	if (weft_cidr_reserved(&a, &ip))
		CHECK(weft_cidr_host_bits(&a) >= 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_ip(s);
	fuzz_cidr(s);
	fuzz_endpoint(s);
	fuzz_key(s);
	fuzz_maths(data, size);
	free(s);
	return 0;
}
