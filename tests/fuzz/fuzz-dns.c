/* fuzz-dns: arbitrary bytes as a query against the fixed zone of the unit
 * tests (tests/unit/test_dns_util.h), over UDP, UDP with forwarding, TCP
 * and a small buffer; every reply must parse (with the tests' own parser),
 * fit its buffer and the UDP size, and carry the query's id and question.
 * The same bytes also go through the forwarding helpers as an upstream's
 * reply. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "../unit/test_dns_util.h"
#include "dns/wire.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static weft_dns_zone_t *zone;
static uint8_t out[WEFT_DNS_TCP_MAX];
static struct tm_msg tm;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (sodium_init() < 0)
		abort();
	zone = tz_fixture();
	return 0;
}

static void answer(const uint8_t *data, size_t size, size_t cap, unsigned flags)
{
	size_t len = SIZE_MAX, limit = (flags & WEFT_DNS_F_TCP) ? cap : WEFT_DNS_UDP_MAX;
	int v = weft_dns_answer(zone, data, size, out, cap, &len, flags);

	if (v == WEFT_DNS_REPLY) {
		if (len < 12 || len > cap || len > limit)
			abort();
		if (tm_parse(out, len, &tm) != 0)
			abort();
		if (memcmp(out, data, 2) != 0 || !(tm.flags & DNS_F_QR))
			abort();
		/* A question in the reply is the query's, byte for byte. */
		if (tm.qd == 1 && (tm.qend > size || memcmp(out + 12, data + 12, tm.qend - 12) != 0))
			abort();
		/* Over UDP without EDNS the reply fits 512 bytes. */
		if (!(flags & WEFT_DNS_F_TCP) && !tm.edns && len > WEFT_DNS_UDP_MIN)
			abort();
	} else if (v == WEFT_DNS_FORWARD) {
		uint8_t fq[WEFT_DNS_TCP_MAX];
		size_t fl;

		if (!(flags & WEFT_DNS_F_FORWARD))
			abort();
		if (weft_dns_forward_query(data, size, 0xabcd, fq, sizeof(fq), &fl) != 0 || fl != size)
			abort();
		if (weft_dns_error_reply(data, size, DNS_R_SERVFAIL, out, cap, &len) != 0 ||
		    tm_parse(out, len, &tm) != 0 || tm_rcode(&tm) != DNS_R_SERVFAIL)
			abort();
	} else if (v == WEFT_DNS_DROP) {
		if (size >= 12 && !(data[2] & 0x80))
			abort();
	} else if (v != WEFT_EOVERSIZE || cap >= 512) {
		abort();
	}
}

/* The input as an upstream's reply to "example.com A" with its own id. */
static void relay(const uint8_t *data, size_t size)
{
	uint8_t q[64];
	size_t ql, len = SIZE_MAX;
	int ret;

	ql = tq_build(q, 0x4242, DNS_F_RD, "example.com", DNS_T_A, -1, false);
	ret = weft_dns_relay(q, ql, size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0, data, size, out, sizeof(out),
			     &len, 0);
	if (ret == 0) {
		if (len > WEFT_DNS_UDP_MIN || len < 12 || weft_dns_get16(out) != 0x4242)
			abort();
		if (len < size && (tm_parse(out, len, &tm) != 0 || !(tm.flags & DNS_F_TC)))
			abort();
	} else if (ret != WEFT_EPROTO && ret != WEFT_EMALFORMED) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	answer(data, size, 4096, 0);
	answer(data, size, 4096, WEFT_DNS_F_FORWARD);
	answer(data, size, sizeof(out), WEFT_DNS_F_TCP);
	answer(data, size, 300, 0);
	relay(data, size);
	return 0;
}
