/* Netlink plumbing shared by the generic netlink (WireGuard) and rtnetlink
 * code: a socket with its sequence numbers, one request/reply exchange with
 * acks, dumps and extended-ack messages, and the pure walk over a buffer of
 * reply messages that the exchange (and the fuzzer) run. */
#ifndef WEFT_WG_NL_H
#define WEFT_WG_NL_H

#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "wg/wg.h"

/* Large enough for any dump message: the kernel sizes dump messages by the
 * reader's buffer, up to 32 KiB. */
#define WEFT_WG_NL_RECV_SIZE 32768u
/* Requests weft builds are chunked to this (as wireguard-tools does). */
#define WEFT_WG_NL_SEND_SIZE 8192u

typedef struct {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
	char *buf; /* WEFT_WG_NL_RECV_SIZE */
} weft_wg_nl_t;

/* Called for each data message of a reply; returns 0 or a negative code
 * with err filled. */
typedef int (*weft_wg_nl_cb_t)(const struct nlmsghdr *nlh, void *data, weft_wg_err_t *err);

int weft_wg_nl_open(weft_wg_nl_t *nl, int bus, weft_wg_err_t *err);
void weft_wg_nl_close(weft_wg_nl_t *nl);
/* Sends req (sequence number set here; NLM_F_ACK added to non-dumps) and
 * runs cb on every reply message until the ack or NLMSG_DONE. -EINTR means
 * the dump was interrupted (NLM_F_DUMP_INTR): the caller retries it whole.
 * what names the request in error messages. */
int weft_wg_nl_call(weft_wg_nl_t *nl, struct nlmsghdr *req, weft_wg_nl_cb_t cb, void *data, const char *what,
		    weft_wg_err_t *err);
/* Walks the messages in buf. Messages of another sequence number or port
 * (left over from an earlier, abandoned request) are skipped when seq or
 * portid is not 0. Returns 1 when more messages are expected, 0 after the
 * ack or NLMSG_DONE, or a negative code: the kernel's error, -EINTR for an
 * interrupted dump, WEFT_EPROTO for a truncated or malformed message. */
int weft_wg_nl_walk(const void *buf, size_t len, unsigned seq, unsigned portid, weft_wg_nl_cb_t cb, void *data,
		    const char *what, weft_wg_err_t *err);

/* Attribute walks like libmnl's, except that bytes left over after the last
 * whole attribute (a truncated attribute) make them fail: MNL_CB_ERROR. */
int weft_wg_nl_attr_parse(const void *payload, size_t len, mnl_attr_cb_t cb, void *data);
int weft_wg_nl_attr_parse_nested(const struct nlattr *nest, mnl_attr_cb_t cb, void *data);
int weft_wg_nl_attr_parse_msg(const struct nlmsghdr *nlh, size_t offset, mnl_attr_cb_t cb, void *data);

#endif
