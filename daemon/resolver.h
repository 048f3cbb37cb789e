/* How the host's resolver learns a network's zone (DESIGN §6): with
 * systemd-resolved, split DNS on the weft interface (`resolvectl dns IFACE
 * ADDR` and `resolvectl domain IFACE ~ZONE`, reverted on leave); without
 * it, a managed block per network in a hosts file (default /etc/hosts)
 * naming every member's overlay addresses, rewritten atomically when the
 * view changes, other lines untouched, removed on leave. A daemon that
 * stops leaves both as they are: the interface goes away with resolved's
 * link settings, and the hosts block is refreshed at the next start. */
#ifndef WEFT_RESOLVER_H
#define WEFT_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/addr.h"
#include "daemon/config.h"
#include "dns/dns.h"
#include "core/store.h"

#define WEFT_HOSTS_MAX (4u << 20) /* a larger hosts file is left alone */

/* One line of the managed block: "ADDRESS<TAB>NAME". */
struct weft_hosts_line {
	weft_ip_t ip;
	char name[WEFT_DNS_TEXT_MAX];
};

/* The hosts file text (len bytes) with network's block replaced by lines
 * (n of them), or removed when n is 0. The block sits where the first old
 * one was, else at the end; every other byte is kept. A block opened and
 * never closed loses only its opening line. Returns 0 with *out malloc'd
 * (NUL-terminated, *outlen bytes), or -ENOMEM. */
int weft_resolver_hosts_edit(const char *text, size_t len, const char *network, const struct weft_hosts_line *lines,
			     size_t n, char **out, size_t *outlen);

/* The lines for the hosts block: every active member the zone names (a
 * lost name is left out), its IPv4 then its IPv6 address, in view order;
 * then the zone's other address names (external clients, the admin's A
 * and AAAA entries; not wildcards), in zone order. Returns how many were
 * written (at most cap). */
size_t weft_resolver_hosts_lines(const weft_view_t *v, const weft_dns_zone_t *z, struct weft_hosts_line *out,
				 size_t cap);
/* How many address records weft_resolver_hosts_lines() may add beyond the
 * members' (for sizing out). */
size_t weft_resolver_zone_addresses(const weft_dns_zone_t *z);

struct weft_resolver;

/* Reads the mode and the hosts file path from cfg (resolver, hosts_file).
 * NULL on allocation failure (then nothing is done for this network). */
struct weft_resolver *weft_resolver_new(const struct weft_config *cfg, const char *network);
/* This node is a member: make the resolver match the view and zone.
 * ifname is the interface (NULL: none, as with the memory backend, and
 * resolved cannot be told); self4/self6 are this node's overlay addresses
 * (family 0: none). Does something only when the result changed. */
void weft_resolver_update(struct weft_resolver *r, const weft_view_t *v, const weft_dns_zone_t *z,
			  const char *ifname, const weft_ip_t *self4, const weft_ip_t *self6);
/* The node left: undo (revert the link, remove the hosts block). */
void weft_resolver_remove(struct weft_resolver *r);
/* Frees; what was registered stays (see above). NULL is fine. */
void weft_resolver_free(struct weft_resolver *r);

#endif
