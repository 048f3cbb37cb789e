/* Forwarding helpers for names outside the zone: the query as it goes
 * upstream, and the check and rewrite of the upstream's reply before it
 * goes back to the client. The daemon does the sending and the timing. */
#include <string.h>

#include "core/error.h"
#include "dns/wire.h"
#include "dns/dns.h"

int weft_dns_forward_query(const uint8_t *query, size_t len, uint16_t upstream_id, uint8_t *out, size_t cap,
			   size_t *out_len)
{
	struct weft_dns_query q;

	if (weft_dns_wire_parse_query(query, len, &q) != DNS_PQ_OK)
		return WEFT_EMALFORMED;
	if (len > cap)
		return WEFT_EOVERSIZE;
	memmove(out, query, len);
	weft_dns_set16(out, upstream_id);
	/* A bigger size invites a fragmented reply, which is lost or spoofed
	 * more easily than a retry over TCP. */
	if (q.edns && q.edns_size > WEFT_DNS_UDP_MAX)
		weft_dns_set16(out + q.opt_class_off, WEFT_DNS_UDP_MAX);
	*out_len = len;
	return 0;
}

int weft_dns_relay(const uint8_t *query, size_t qlen, uint16_t upstream_id, const uint8_t *resp, size_t rlen,
		   uint8_t *out, size_t cap, size_t *out_len, unsigned flags)
{
	struct weft_dns_query q;
	struct weft_dns_name rn;
	struct weft_dns_builder b;
	size_t off = DNS_HDR_LEN, limit;
	uint16_t rflags;
	int ret;

	if (weft_dns_wire_parse_query(query, qlen, &q) != DNS_PQ_OK)
		return WEFT_EMALFORMED;
	if (rlen < DNS_HDR_LEN)
		return WEFT_EMALFORMED;
	rflags = weft_dns_get16(resp + 2);
	if (weft_dns_get16(resp) != upstream_id || !(rflags & DNS_F_QR) || (rflags & DNS_F_OPCODE) ||
	    weft_dns_get16(resp + 4) != 1)
		return WEFT_EPROTO;
	if (weft_dns_wire_name_read(resp, rlen, &off, &rn) != 0 || off + 4 > rlen)
		return WEFT_EMALFORMED;
	if (rn.len != q.qname.len || memcmp(rn.b, q.qname.b, rn.len) || weft_dns_get16(resp + off) != q.qtype ||
	    weft_dns_get16(resp + off + 2) != q.qclass)
		return WEFT_EPROTO;

	limit = weft_dns_wire_reply_limit(&q, cap, flags & WEFT_DNS_F_TCP);
	if (rlen <= limit) {
		memmove(out, resp, rlen);
		weft_dns_set16(out, q.id);
		*out_len = rlen;
		return 0;
	}
	/* Too big for the client: the upstream's flags and rcode, TC set, and
	 * the client's own question, so it retries over TCP. */
	weft_dns_wire_begin(&b, out, limit);
	ret = weft_dns_wire_header(&b, q.id, (uint16_t)(rflags | DNS_F_TC));
	if (!ret)
		ret = weft_dns_wire_question(&b, query + DNS_HDR_LEN, q.qend - DNS_HDR_LEN);
	if (ret)
		return WEFT_EOVERSIZE;
	weft_dns_wire_count(&b, DNS_SEC_QD);
	if (q.edns) {
		if (weft_dns_wire_opt(&b, WEFT_DNS_UDP_MAX, 0, q.edns_do))
			return WEFT_EOVERSIZE;
		weft_dns_wire_count(&b, DNS_SEC_AR);
	}
	*out_len = b.len;
	return 0;
}
