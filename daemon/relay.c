/* This node as a relay (relay.h): the decision to offer it, and the
 * per-interface forwarding sysctls it needs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "core/error.h"
#include "daemon/log.h"
#include "mesh/peersync.h"
#include "core/record.h"
#include "daemon/relay.h"

bool weft_relay_wanted(int mode, bool has_iface, const weft_endpoint_t *eps, size_t neps, bool behind_nat)
{
	size_t i;

	if (mode == WEFT_RELAY_OFF || !has_iface)
		return false;
	if (mode == WEFT_RELAY_ON)
		return true;
	if (behind_nat)
		return false;
	for (i = 0; i < neps; i++)
		if (eps[i].ip.family && !weft_peer_addr_private(&eps[i].ip))
			return true;
	return false;
}

/* Writes value to /proc/sys/KEY unless it holds it already. -ENOENT when
 * the key does not exist (an older kernel). */
static int sysctl_set(const char *proc_root, const char *key, char value)
{
	char path[512], cur = 0, buf[2] = { value, '\n' };
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/proc/sys/%s", proc_root ? proc_root : "", key);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (read(fd, &cur, 1) == 1 && cur == value)
		goto out;
	if (lseek(fd, 0, SEEK_SET) < 0 || write(fd, buf, 2) != 2)
		ret = -errno;
out:
	close(fd);
	return ret;
}

int weft_relay_forwarding(const char *proc_root, const char *ifname)
{
	char key[128];
	int ret;

	if (!ifname[0] || strchr(ifname, '/') || !strcmp(ifname, ".") || !strcmp(ifname, ".."))
		return -EINVAL;
	snprintf(key, sizeof(key), "net/ipv4/conf/%s/forwarding", ifname);
	ret = sysctl_set(proc_root, key, '1');
	if (ret)
		return ret;
	snprintf(key, sizeof(key), "net/ipv4/conf/%s/send_redirects", ifname);
	sysctl_set(proc_root, key, '0');
	/* IPv6 forwards per interface only with force_forwarding (Linux
	 * 6.17); without it, IPv6 relaying needs all/forwarding, which we
	 * leave to the administrator. */
	snprintf(key, sizeof(key), "net/ipv6/conf/%s/force_forwarding", ifname);
	sysctl_set(proc_root, key, '1');
	return 0;
}

bool weft_relay_update(struct weft_relay *rl, int mode, const char *network, const char *ifname, bool has_iface,
		       const weft_endpoint_t *eps, size_t neps, bool behind_nat)
{
	uint32_t old = rl->flags;
	int ret;

	if (!weft_relay_wanted(mode, has_iface, eps, neps, behind_nat)) {
		rl->flags = 0;
	} else if (!rl->forwarding) {
		ret = weft_relay_forwarding(rl->proc_root, ifname);
		if (ret) {
			if (!rl->warned)
				weft_log_warn("%s: cannot turn on forwarding for %s: %s; this node does not relay",
					      network, ifname, weft_strerror(ret));
			rl->warned = true;
			rl->flags = 0;
		} else {
			rl->forwarding = true;
			rl->flags = WEFT_NODE_RELAY;
		}
	} else {
		rl->flags = WEFT_NODE_RELAY;
	}
	if (rl->flags != old)
		weft_log_info("%s: %s", network,
			      rl->flags ? "this node offers relaying (forwarding on for its interface)"
					: "this node no longer offers relaying");
	return rl->flags != old;
}
