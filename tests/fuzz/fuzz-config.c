/* Fuzz the daemon's configuration parser (daemon/config.c): any file either
 * parses into settings that hold what the daemon relies on, or is refused
 * with a message naming the line. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct weft_config c;
	char err[512];
	size_t i, j;
	int ret;

	weft_config_defaults(&c);
	ret = weft_config_parse(&c, (const char *)data, size, err, sizeof(err));
	if (ret) {
		if (!terminated(err, sizeof(err)) || (strncmp(err, "line ", 5) && strncmp(err, "the file", 8)))
			abort();
		return 0;
	}
	if (!terminated(c.state_dir, sizeof(c.state_dir)) || c.state_dir[0] != '/' ||
	    !terminated(c.socket, sizeof(c.socket)) || c.socket[0] != '/' ||
	    !terminated(c.wg_userspace, sizeof(c.wg_userspace)) ||
	    !terminated(c.wg_socket_dir, sizeof(c.wg_socket_dir)))
		abort();
	if (c.log_level < WEFT_LOG_ERROR || c.log_level > WEFT_LOG_DEBUG)
		abort();
	if (c.wg_backend < WEFT_WG_AUTO || c.wg_backend > WEFT_WG_MEMORY)
		abort();
	if (c.join_timeout_ms > 86400000u || c.probe_interval_ms > 86400000u || c.gossip_interval_ms > 86400000u)
		abort();
	if (c.nnets > WEFT_CONFIG_MAX_NETS)
		abort();
	for (i = 0; i < c.nnets; i++) {
		const struct weft_config_net *n = &c.nets[i];

		if (!terminated(n->name, sizeof(n->name)) || !n->name[0] || weft_config_net(&c, n->name) != n)
			abort();
		if (!terminated(n->ifname, sizeof(n->ifname)) || strchr(n->ifname, '/'))
			abort();
		if (n->nendpoints > WEFT_MAX_ENDPOINTS || n->keepalive < -1 || n->keepalive > 65535)
			abort();
		for (j = 0; j < n->nendpoints; j++)
			if (n->endpoints[j].ip.family != 4 && n->endpoints[j].ip.family != 6)
				abort();
	}
	return 0;
}
