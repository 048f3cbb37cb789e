/* Fuzz the node file's codec (daemon/netstate.c, weft_local_decode): the bytes
 * a daemon reads back from NETWORK/node at start. Whatever they are, the
 * decoder either refuses them with a reason or yields a node state that
 * encodes again, and whose encoding decodes to the same encoding (nothing
 * the decoder accepts is lost or invented on the way back to disk). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "daemon/netstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t once[2][4096];
	struct weft_local a, b;
	const char *why = NULL;
	size_t l1 = 0, l2 = 0;
	int ret;

	if (sodium_init() < 0)
		abort();
	ret = weft_local_decode(&a, data, size, &why);
	if (ret) {
		if (!why || ret != WEFT_EMALFORMED)
			abort();
		return 0;
	}
	if (a.status != WEFT_LOCAL_MEMBER && a.status != WEFT_LOCAL_REVOKED && a.status != WEFT_LOCAL_PENDING)
		abort();
	if (weft_local_encode(&a, once[0], sizeof(once[0]), &l1) != 0)
		abort();
	if (weft_local_decode(&b, once[0], l1, &why) != 0)
		abort();
	if (weft_local_encode(&b, once[1], sizeof(once[1]), &l2) != 0 || l1 != l2 || memcmp(once[0], once[1], l1))
		abort();
	weft_local_wipe(&a);
	weft_local_wipe(&b);
	sodium_memzero(once, sizeof(once));
	return 0;
}
