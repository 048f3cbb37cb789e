/* The daemon's UDP sockets and the host's addresses: one wildcard socket per
 * address family on the gossip port, which tells for each datagram the
 * interface it arrived on (IP_PKTINFO), so a datagram is taken as overlay
 * traffic only when WireGuard's interface delivered it; the local
 * addresses a node announces as its endpoints; and the one conversion
 * between socket addresses and weft's endpoints every socket of the daemon
 * uses (the gossip sockets, the DNS server, a join's name lookups). */
#ifndef WEFT_UDPIO_H
#define WEFT_UDPIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "core/addr.h"

struct weft_udp_msg {
	weft_endpoint_t from;
	weft_ip_t dst;    /* the address it was sent to */
	unsigned ifindex; /* the interface it arrived on */
};

/* An endpoint as a socket address: its length, or 0 when its family is
 * neither 4 nor 6. */
socklen_t weft_sockaddr_from_endpoint(const weft_endpoint_t *ep, struct sockaddr_storage *ss);
/* A socket address as an endpoint, an IPv4-mapped IPv6 address as the
 * IPv4 one; false for any family but AF_INET and AF_INET6. */
bool weft_sockaddr_to_endpoint(const struct sockaddr *sa, weft_endpoint_t *ep);

/* A non-blocking socket bound to the wildcard address and port (family 4
 * or 6; IPv6 sockets are v6-only). -EADDRINUSE if the port is taken. */
int weft_udp_open(int family, uint16_t port, int *fd);
/* One datagram: its length, or -EAGAIN when none is waiting. */
ssize_t weft_udp_recv(int fd, uint8_t *buf, size_t cap, struct weft_udp_msg *m);
int weft_udp_send(int fd, const weft_endpoint_t *to, const uint8_t *buf, size_t len);

/* The host's usable underlay addresses: up, not loopback, not IPv6
 * link-local, not on an interface named in skip_ifs, not inside any of
 * skip_nets (the overlays). Returns how many (at most cap) with their
 * prefix lengths in nets (the network part, for "same LAN" checks) and the
 * addresses in addrs. */
size_t weft_local_addrs(weft_ip_t *addrs, weft_cidr_t *nets, size_t cap, const char *const *skip_ifs,
			size_t nskip_ifs, const weft_cidr_t *skip_nets, size_t nskip_nets);

#endif
