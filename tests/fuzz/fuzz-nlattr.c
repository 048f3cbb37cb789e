/* Fuzz target for the netlink reply parsers of wg/: the first byte picks
 * the parser (WireGuard GET_DEVICE dump, rtnetlink link, address, route),
 * the rest is a stream of netlink messages walked as the socket code walks
 * a received buffer. Lengths in the input are trusted by nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wg/genl.h"
#include "wg/rtnl.h"

#define FAMILY 0x1d /* what gen-nlattr.py writes */
#define IFINDEX 2

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	weft_wg_device_t dev = { 0 };
	weft_wg_genl_dump_t dump = { .dev = &dev, .family = FAMILY };
	weft_wg_rtnl_link_ctx_t link = { 0 };
	weft_wg_rtnl_addr_ctx_t addr = { .ifindex = IFINDEX };
	weft_wg_rtnl_route_ctx_t route = { .ifindex = IFINDEX };
	weft_wg_err_t err;
	uint32_t *buf;
	int ret;

	if (size < 1)
		return 0;
	/* Aligned as a receive buffer is, and exactly as long as the input. */
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	switch (data[0] % 4) {
	case 0:
		ret = weft_wg_nl_walk(buf, size - 1, 0, 0, weft_wg_genl_parse_device, &dump, "fuzz", &err);
		if (ret == 0 || ret == 1) {
			size_t i, j;

			for (i = 0; i < dev.n_peers; i++)
				for (j = 0; j < dev.peers[i].n_allowed_ips; j++)
					if (!weft_wg_cidr_valid(&dev.peers[i].allowed_ips[j]))
						abort();
		}
		weft_wg_device_free(&dev);
		break;
	case 1:
		weft_wg_nl_walk(buf, size - 1, 0, 0, weft_wg_rtnl_parse_link, &link, "fuzz", &err);
		break;
	case 2:
		weft_wg_nl_walk(buf, size - 1, 0, 0, weft_wg_rtnl_parse_addr, &addr, "fuzz", &err);
		free(addr.v);
		break;
	default:
		weft_wg_nl_walk(buf, size - 1, 0, 0, weft_wg_rtnl_parse_route, &route, "fuzz", &err);
		free(route.v);
		break;
	}
	free(buf);
	return 0;
}
