/* IPv4/IPv6 addresses, CIDRs and endpoints: parsing, printing and the maths
 * that address allocation needs. Pure functions, no I/O. */
#ifndef WEFT_ADDR_H
#define WEFT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEFT_ADDRSTRLEN 46 /* INET6_ADDRSTRLEN */
#define WEFT_CIDRSTRLEN (WEFT_ADDRSTRLEN + 4)
#define WEFT_EPSTRLEN (WEFT_ADDRSTRLEN + 8) /* "[v6]:65535" */

/* family is 0 (none), 4 or 6. IPv4 uses b[0..3]; the rest stays zero. */
typedef struct {
	uint8_t family;
	uint8_t b[16];
} weft_ip_t;

typedef struct {
	weft_ip_t ip; /* the network address (host bits zero after parsing) */
	uint8_t prefix;
} weft_cidr_t;

typedef struct {
	weft_ip_t ip;
	uint16_t port;
} weft_endpoint_t;

int weft_ip_parse(weft_ip_t *ip, const char *s);
/* Writes at most WEFT_ADDRSTRLEN bytes; "" for family 0. */
char *weft_ip_format(const weft_ip_t *ip, char *out, size_t len);
bool weft_ip_equal(const weft_ip_t *a, const weft_ip_t *b);
int weft_ip_cmp(const weft_ip_t *a, const weft_ip_t *b);

/* Parses "a.b.c.d/n" or "x::/n". Host bits set is an error (WEFT_EBADCIDR)
 * so that "10.0.0.1/24" is not silently taken to mean 10.0.0.0/24. */
int weft_cidr_parse(weft_cidr_t *c, const char *s);
char *weft_cidr_format(const weft_cidr_t *c, char *out, size_t len);
bool weft_cidr_contains(const weft_cidr_t *c, const weft_ip_t *ip);
bool weft_cidr_overlaps(const weft_cidr_t *a, const weft_cidr_t *b);
/* Number of host bits (32-prefix or 128-prefix). */
unsigned weft_cidr_host_bits(const weft_cidr_t *c);
/* Usable addresses for members, saturating at UINT64_MAX: excludes the
 * network and broadcast addresses for IPv4 (/31 and /32: none reserved, as
 * RFC 3021), and the subnet-router anycast (all-zero host) for IPv6. */
uint64_t weft_cidr_usable(const weft_cidr_t *c);
/* True when ip is inside c but not usable by a member (see above). */
bool weft_cidr_reserved(const weft_cidr_t *c, const weft_ip_t *ip);
/* ip = network + offset (offset taken modulo the host part). */
void weft_cidr_nth(const weft_cidr_t *c, const uint8_t offset[16], weft_ip_t *ip);

/* "1.2.3.4:51820", "[fd00::1]:51820"; a hostname is not accepted here. */
int weft_endpoint_parse(weft_endpoint_t *ep, const char *s);
char *weft_endpoint_format(const weft_endpoint_t *ep, char *out, size_t len);
bool weft_endpoint_equal(const weft_endpoint_t *a, const weft_endpoint_t *b);
/* Whether ip is an address many sites reuse, so that two hosts far apart
 * may both have it: private (RFC 1918, fc00::/7), shared (100.64.0.0/10),
 * loopback, link-local, unspecified. Everything else names one host on the
 * internet (documentation ranges included: tests use them as such). */
bool weft_ip_site_local(const weft_ip_t *ip);

#endif
