/* Fuzz target for wg/uapi.c: the replies a userspace WireGuard sends to
 * get=1 and set=1. Whatever the bytes, the parsers must return a code (and
 * free what they built), never read out of bounds. A reply that parses is
 * also formatted back through a diff, which must succeed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wg/uapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	weft_wg_device_t dev, empty = { 0 };
	weft_wg_changeset_t cs;
	weft_wg_err_t err;
	char *copy, *out;
	size_t len, n;

	if (!init) {
		if (sodium_init() < 0)
			abort();
		init = 1;
	}
	/* An exact-size copy, so that any over-read is caught. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	n = weft_wg_uapi_reply_len(copy, size);
	if (n > size)
		abort();
	if (weft_wg_uapi_parse_get(copy, size, &dev, &err) == 0) {
		/* Removing every peer it read: one entry per peer. */
		if (weft_wg_diff(&empty, &dev, &cs, &err) == 0) {
			if (cs.n_peers != dev.n_peers)
				abort();
			if (weft_wg_uapi_format_set(&cs, &out, &len, &err) == 0)
				free(out);
			weft_wg_changeset_free(&cs);
		}
		weft_wg_device_free(&dev);
	} else if (dev.peers || dev.n_peers) {
		abort(); /* a failed parse leaves nothing behind */
	}
	weft_wg_uapi_parse_set(copy, size, &err);
	free(copy);
	return 0;
}
