/* Fuzz a gossip node with arbitrary datagrams, times and inputs from the
 * daemon (see gossip-fuzz.h for the input format): it must not crash, leak
 * or read out of bounds, never send a datagram over the MTU, and never
 * answer a stranger with more bytes than the stranger sent. */
#include <stdint.h>
#include <stdlib.h>

#include "tests/fuzz/gossip-fuzz.h"

static struct gfz net;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (weft_crypto_init() || gfz_setup(&net))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gfz_run r;

	if (size < 1)
		return 0;
	if (gfz_start(&r, &net, data[0] & 1))
		abort();
	gfz_frames(&r, data + 1, size - 1);
	gfz_stop(&r);
	return 0;
}
