/* UDP sockets with arrival interface and destination (udpio.h), and the
 * scan of the host's addresses through getifaddrs(). */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/udpio.h"

int weft_udp_open(int family, uint16_t port, int *fd)
{
	weft_endpoint_t any = { .ip = { .family = (uint8_t)(family == 6 ? 6 : 4) }, .port = port };
	struct sockaddr_storage ss;
	socklen_t sl = weft_sockaddr_from_endpoint(&any, &ss);
	int s, one = 1, ret;

	*fd = -1;
	s = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (family == 6) {
		if (setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
		    setsockopt(s, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)
			goto err;
	} else if (setsockopt(s, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0) {
		goto err;
	}
	if (bind(s, (struct sockaddr *)&ss, sl) < 0)
		goto err;
	*fd = s;
	return 0;
err:
	ret = -errno;
	close(s);
	return ret;
}

socklen_t weft_sockaddr_from_endpoint(const weft_endpoint_t *ep, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->ip.family == 6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(ep->port);
		memcpy(&a->sin6_addr, ep->ip.b, 16);
		return sizeof(*a);
	}
	if (ep->ip.family == 4) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(ep->port);
		memcpy(&a->sin_addr, ep->ip.b, 4);
		return sizeof(*a);
	}
	return 0;
}

bool weft_sockaddr_to_endpoint(const struct sockaddr *sa, weft_endpoint_t *ep)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(ep, 0, sizeof(*ep));
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;

		if (!memcmp(&a->sin6_addr, mapped, 12)) {
			ep->ip.family = 4;
			memcpy(ep->ip.b, (const uint8_t *)&a->sin6_addr + 12, 4);
		} else {
			ep->ip.family = 6;
			memcpy(ep->ip.b, &a->sin6_addr, 16);
		}
		ep->port = ntohs(a->sin6_port);
		return true;
	}
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;

		ep->ip.family = 4;
		memcpy(ep->ip.b, &a->sin_addr, 4);
		ep->port = ntohs(a->sin_port);
		return true;
	}
	return false;
}

ssize_t weft_udp_recv(int fd, uint8_t *buf, size_t cap, struct weft_udp_msg *m)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct sockaddr_storage ss;
	struct iovec iov = { buf, cap };
	struct msghdr mh = {
		.msg_name = &ss,
		.msg_namelen = sizeof(ss),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;
	ssize_t n;

	memset(m, 0, sizeof(*m));
	do
		n = recvmsg(fd, &mh, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	weft_sockaddr_to_endpoint((const struct sockaddr *)&ss, &m->from);
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			m->ifindex = (unsigned)pi.ipi_ifindex;
			m->dst.family = 4;
			memcpy(m->dst.b, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			m->ifindex = pi.ipi6_ifindex;
			m->dst.family = 6;
			memcpy(m->dst.b, &pi.ipi6_addr, 16);
		}
	}
	/* A truncated datagram is no datagram: the protocol never sends one
	 * larger than the buffer. */
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	return n;
}

int weft_udp_send(int fd, const weft_endpoint_t *to, const uint8_t *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = weft_sockaddr_from_endpoint(to, &ss);
	ssize_t n;

	if (!sl)
		return -EAFNOSUPPORT;
	do
		n = sendto(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&ss, sl);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

static unsigned prefix_of(const struct sockaddr *mask, int family)
{
	const uint8_t *b;
	unsigned n = 0, i, len;

	if (!mask)
		return family == 6 ? 128 : 32;
	if (family == 4) {
		b = (const uint8_t *)&((const struct sockaddr_in *)mask)->sin_addr;
		len = 4;
	} else {
		b = (const uint8_t *)&((const struct sockaddr_in6 *)mask)->sin6_addr;
		len = 16;
	}
	for (i = 0; i < len; i++)
		n += (unsigned)__builtin_popcount(b[i]);
	return n;
}

size_t weft_local_addrs(weft_ip_t *addrs, weft_cidr_t *nets, size_t cap, const char *const *skip_ifs,
			size_t nskip_ifs, const weft_cidr_t *skip_nets, size_t nskip_nets)
{
	struct ifaddrs *ifa, *i;
	size_t n = 0, k;
	unsigned prefix, bits, j;
	weft_ip_t ip;
	bool skip;

	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i && n < cap; i = i->ifa_next) {
		if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		memset(&ip, 0, sizeof(ip));
		if (i->ifa_addr->sa_family == AF_INET) {
			ip.family = 4;
			memcpy(ip.b, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			ip.family = 6;
			memcpy(ip.b, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
			if (ip.b[0] == 0xfe && (ip.b[1] & 0xc0) == 0x80)
				continue; /* link-local: needs a scope an endpoint cannot carry */
		} else {
			continue;
		}
		skip = false;
		for (k = 0; k < nskip_ifs && !skip; k++)
			skip = skip_ifs[k] && !strcmp(skip_ifs[k], i->ifa_name);
		for (k = 0; k < nskip_nets && !skip; k++)
			skip = weft_cidr_contains(&skip_nets[k], &ip);
		for (k = 0; k < n && !skip; k++)
			skip = weft_ip_equal(&addrs[k], &ip);
		if (skip)
			continue;
		addrs[n] = ip;
		prefix = prefix_of(i->ifa_netmask, ip.family);
		nets[n].ip = ip;
		nets[n].prefix = (uint8_t)prefix;
		/* the network part only, as a weft_cidr_t holds it */
		for (j = 0, bits = prefix; j < 16; j++) {
			if (bits >= 8) {
				bits -= 8;
			} else {
				nets[n].ip.b[j] &= (uint8_t)(0xff00 >> bits);
				bits = 0;
			}
		}
		n++;
	}
	freeifaddrs(ifa);
	return n;
}
