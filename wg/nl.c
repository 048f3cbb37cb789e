/* Netlink exchanges for wg/: opening a socket (close-on-exec, extended acks,
 * a receive timeout so a silent kernel cannot hang the daemon), sending one
 * request and walking its replies. The walk trusts nothing in the buffer:
 * lengths are checked before use and a short message is an error. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/netlink.h>

#include <sodium.h>

#include "wg/backend.h"
#include "core/error.h"

#define NL_TIMEOUT_S 10

int weft_wg_nl_open(weft_wg_nl_t *nl, int bus, weft_wg_err_t *err)
{
	struct timeval tv = { .tv_sec = NL_TIMEOUT_S };
	int one = 1, ret;

	memset(nl, 0, sizeof(*nl));
	nl->buf = malloc(WEFT_WG_NL_RECV_SIZE);
	if (!nl->buf) {
		ret = weft_wg_errf(err, -ENOMEM, "netlink");
		goto out;
	}
	nl->sock = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!nl->sock) {
		ret = weft_wg_errf(err, -errno, "netlink socket (bus %d)", bus);
		goto out;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = weft_wg_errf(err, -errno, "netlink bind (bus %d)", bus);
		goto out;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	/* Kernels without these still work, only with terser errors. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		ret = weft_wg_errf(err, -errno, "netlink receive timeout");
		goto out;
	}
	ret = 0;
out:
	if (ret)
		weft_wg_nl_close(nl);
	return ret;
}

void weft_wg_nl_close(weft_wg_nl_t *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	if (nl->buf)
		sodium_memzero(nl->buf, WEFT_WG_NL_RECV_SIZE);
	free(nl->buf);
	memset(nl, 0, sizeof(*nl));
}

int weft_wg_nl_attr_parse(const void *payload, size_t len, mnl_attr_cb_t cb, void *data)
{
	const char *pos = payload, *end = pos + len;
	int ret = MNL_CB_OK;

	if (len > INT_MAX) /* mnl_attr_ok() counts in int */
		return MNL_CB_ERROR;
	while (pos < end) {
		const struct nlattr *a = (const struct nlattr *)pos;

		if (!mnl_attr_ok(a, (int)(end - pos)))
			return MNL_CB_ERROR;
		ret = cb(a, data);
		if (ret <= MNL_CB_STOP)
			return ret;
		/* The last attribute's padding may be missing. */
		if ((size_t)(end - pos) <= (size_t)MNL_ALIGN(a->nla_len))
			break;
		pos += MNL_ALIGN(a->nla_len);
	}
	return ret;
}

int weft_wg_nl_attr_parse_nested(const struct nlattr *nest, mnl_attr_cb_t cb, void *data)
{
	return weft_wg_nl_attr_parse(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), cb, data);
}

int weft_wg_nl_attr_parse_msg(const struct nlmsghdr *nlh, size_t offset, mnl_attr_cb_t cb, void *data)
{
	size_t plen = mnl_nlmsg_get_payload_len(nlh);

	if (plen < offset)
		return MNL_CB_ERROR;
	offset = MNL_ALIGN(offset);
	if (plen <= offset)
		return MNL_CB_OK;
	return weft_wg_nl_attr_parse((const char *)mnl_nlmsg_get_payload(nlh) + offset, plen - offset, cb, data);
}

static int extack_cb(const struct nlattr *attr, void *data)
{
	const char **msg = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG && !mnl_attr_validate(attr, MNL_TYPE_NUL_STRING))
		*msg = mnl_attr_get_str(attr);
	return MNL_CB_OK;
}

/* Errno values the kernel can send; anything else is a corrupt reply. */
static bool plausible_errno(int code)
{
	return code < 0 && code > -4096;
}

static int on_ack(const struct nlmsghdr *nlh, const char *what, weft_wg_err_t *err)
{
	size_t plen = mnl_nlmsg_get_payload_len(nlh);
	const char *payload = mnl_nlmsg_get_payload(nlh);
	const char *kmsg = NULL;
	struct nlmsgerr e;

	if (plen < sizeof(e))
		return weft_wg_errf(err, WEFT_EPROTO, "%s: truncated netlink ack (%zu bytes)", what, plen);
	memcpy(&e, payload, sizeof(e));
	if (e.error == 0)
		return 0;
	if (!plausible_errno(e.error))
		return weft_wg_errf(err, WEFT_EPROTO, "%s: netlink ack with error %d", what, e.error);
	/* With NETLINK_CAP_ACK the kernel's own explanation follows the
	 * header; without the cap its offset is not worth guessing. */
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && (nlh->nlmsg_flags & NLM_F_CAPPED) && plen > sizeof(e))
		weft_wg_nl_attr_parse(payload + sizeof(e), plen - sizeof(e), extack_cb, &kmsg);
	if (kmsg && *kmsg)
		return weft_wg_errf(err, e.error, "%s (kernel: %.120s)", what, kmsg);
	return weft_wg_errf(err, e.error, "%s", what);
}

static int on_done(const struct nlmsghdr *nlh, const char *what, weft_wg_err_t *err)
{
	int code = 0;

	/* A dump's last message carries the dump's result (WireGuard's
	 * header says so); older kernels may send it empty. */
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(code))
		memcpy(&code, mnl_nlmsg_get_payload(nlh), sizeof(code));
	if (code == 0)
		return 0;
	if (!plausible_errno(code))
		return weft_wg_errf(err, WEFT_EPROTO, "%s: dump ended with error %d", what, code);
	return weft_wg_errf(err, code, "%s: dump failed", what);
}

int weft_wg_nl_walk(const void *buf, size_t len, unsigned seq, unsigned portid, weft_wg_nl_cb_t cb, void *data,
		    const char *what, weft_wg_err_t *err)
{
	const char *pos = buf, *end = pos + len;
	int ret;

	/* Not mnl_nlmsg_ok(): it compares (int)nlmsg_len, so a length
	 * above 2 GiB passes as negative and walks off the buffer. */
	while ((size_t)(end - pos) >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)pos;

		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > (size_t)(end - pos))
			break;
		if ((seq && nlh->nlmsg_seq != seq) || (portid && nlh->nlmsg_pid && nlh->nlmsg_pid != portid))
			goto next;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			return weft_wg_errf(err, -EINTR, "%s: dump interrupted by a concurrent change", what);
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			break;
		case NLMSG_ERROR:
			return on_ack(nlh, what, err);
		case NLMSG_DONE:
			return on_done(nlh, what, err);
		case NLMSG_OVERRUN:
			return weft_wg_errf(err, WEFT_EPROTO, "%s: netlink overrun", what);
		default:
			if (cb) {
				ret = cb(nlh, data, err);
				if (ret)
					return ret;
			}
			break;
		}
next:
		/* The last message's padding may be missing. */
		if ((size_t)(end - pos) <= NLMSG_ALIGN(nlh->nlmsg_len))
			return 1;
		pos += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	if (pos < end)
		return weft_wg_errf(err, WEFT_EPROTO, "%s: truncated netlink message (%zu bytes left over)", what,
				    (size_t)(end - pos));
	return 1;
}

int weft_wg_nl_call(weft_wg_nl_t *nl, struct nlmsghdr *req, weft_wg_nl_cb_t cb, void *data, const char *what,
		    weft_wg_err_t *err)
{
	ssize_t n;
	int ret;

	req->nlmsg_seq = ++nl->seq;
	if ((req->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		req->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return weft_wg_errf(err, -errno, "%s: netlink send", what);
	do {
		n = mnl_socket_recvfrom(nl->sock, nl->buf, WEFT_WG_NL_RECV_SIZE);
		if (n < 0) {
			ret = -errno;
			if (ret == -EAGAIN || ret == -EWOULDBLOCK)
				return weft_wg_errf(err, WEFT_ETIMEOUT, "%s: no netlink reply in %d s", what,
						    NL_TIMEOUT_S);
			if (ret == -ENOSPC)
				return weft_wg_errf(err, WEFT_EPROTO, "%s: netlink reply larger than %u bytes", what,
						    WEFT_WG_NL_RECV_SIZE);
			return weft_wg_errf(err, ret, "%s: netlink receive", what);
		}
		ret = weft_wg_nl_walk(nl->buf, (size_t)n, nl->seq, nl->portid, cb, data, what, err);
	} while (ret == 1);
	return ret;
}
