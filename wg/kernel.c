/* The kernel backend: WireGuard configured over generic netlink (the
 * "wireguard" family), its link over rtnetlink. Dumps interrupted by a
 * concurrent change are read again whole; sets go in resumable chunks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/wireguard.h>

#include <sodium.h>

#include "core/error.h"
#include "wg/genl.h"
#include "wg/rtnl.h"

#define DUMP_TRIES 5

static void kernel_close(weft_wg_t *wg)
{
	weft_wg_nl_close(&wg->genl);
	weft_wg_nl_close(&wg->rtnl);
}

static int kernel_open(weft_wg_t *wg, const weft_wg_opts_t *opts, weft_wg_err_t *err)
{
	int ret;

	ret = weft_wg_nl_open(&wg->genl, NETLINK_GENERIC, err);
	if (ret)
		goto out;
	ret = weft_wg_genl_resolve(&wg->genl, WG_GENL_NAME, &wg->family, err);
	if (ret == -ENOENT) {
		ret = weft_wg_errf(err, WEFT_EUNSUPPORTED,
				   "generic netlink family '%s' does not resolve (no WireGuard kernel module)",
				   WG_GENL_NAME);
		goto out;
	}
	if (ret)
		goto out;
	ret = weft_wg_nl_open(&wg->rtnl, NETLINK_ROUTE, err);
out:
	if (ret)
		kernel_close(wg);
	return ret;
}

static int kernel_exists(weft_wg_t *wg, weft_wg_err_t *err)
{
	char kind[32];
	int ret = weft_wg_rtnl_link_get(&wg->rtnl, wg->ifname, NULL, kind, sizeof(kind), err);

	if (ret == -ENODEV)
		return 0;
	if (ret)
		return ret;
	if (strcmp(kind, WG_GENL_NAME))
		return weft_wg_errf(err, WEFT_EEXISTS, "%s is a link of kind '%s', not %s", wg->ifname,
				    kind[0] ? kind : "none", WG_GENL_NAME);
	return 1;
}

static int kernel_create(weft_wg_t *wg, weft_wg_err_t *err)
{
	return weft_wg_rtnl_link_create(&wg->rtnl, wg->ifname, WG_GENL_NAME, err);
}

static int kernel_destroy(weft_wg_t *wg, weft_wg_err_t *err)
{
	return weft_wg_rtnl_link_delete(&wg->rtnl, wg->ifname, err);
}

static int kernel_get(weft_wg_t *wg, weft_wg_device_t *dev, weft_wg_err_t *err)
{
	uint32_t buf[256];
	weft_wg_genl_dump_t dump = { .dev = dev, .family = wg->family };
	int ret, tries = 0;

	do {
		weft_wg_device_free(dev);
		ret = weft_wg_nl_call(&wg->genl, weft_wg_genl_put_get(buf, wg->family, wg->ifname),
				      weft_wg_genl_parse_device, &dump, "WG_CMD_GET_DEVICE", err);
	} while (ret == -EINTR && ++tries < DUMP_TRIES);
	/* The dump carried the private key through the receive buffer. */
	sodium_memzero(wg->genl.buf, WEFT_WG_NL_RECV_SIZE);
	if (ret)
		weft_wg_device_free(dev);
	return ret;
}

static int kernel_set(weft_wg_t *wg, const weft_wg_changeset_t *cs, weft_wg_err_t *err)
{
	weft_wg_genl_cursor_t cur = { 0 };
	char what[64];
	void *buf;
	int more, ret = 0, n = 0;

	buf = malloc(WEFT_WG_NL_SEND_SIZE);
	if (!buf)
		return weft_wg_errf(err, -ENOMEM, "WG_CMD_SET_DEVICE");
	do {
		more = weft_wg_genl_build_set(buf, WEFT_WG_NL_SEND_SIZE, wg->family, wg->ifname, cs, &cur, err);
		if (more < 0) {
			ret = more;
			break;
		}
		snprintf(what, sizeof(what), "WG_CMD_SET_DEVICE (message %d)", ++n);
		ret = weft_wg_nl_call(&wg->genl, buf, NULL, NULL, what, err);
	} while (!ret && more);
	/* The first message may hold the private key. */
	sodium_memzero(buf, WEFT_WG_NL_SEND_SIZE);
	free(buf);
	return ret;
}

const struct weft_wg_ops weft_wg_kernel_ops = {
	.name = "kernel",
	.open = kernel_open,
	.close = kernel_close,
	.exists = kernel_exists,
	.create = kernel_create,
	.destroy = kernel_destroy,
	.get = kernel_get,
	.set = kernel_set,
	.link_get = weft_wg_oslink_get,
	.set_mtu = weft_wg_oslink_set_mtu,
	.set_up = weft_wg_oslink_set_up,
	.addr_list = weft_wg_oslink_addr_list,
	.addr_change = weft_wg_oslink_addr_change,
	.route_list = weft_wg_oslink_route_list,
	.route_change = weft_wg_oslink_route_change,
};
