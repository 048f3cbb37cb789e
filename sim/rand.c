/* sim/rand.c: the simulator's randomness. Every stream is splitmix64 from
 * the run's seed, and libsodium's randombytes is replaced by one too, so
 * that nothing a run does depends on the system's randomness: the same seed
 * gives the same run. Not for secrets: this is a simulator. */
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "sim/internal.h"
#include "core/keys.h"

uint64_t sim_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t sim_rand_below(uint64_t *state, uint64_t n)
{
	uint64_t lim, v;

	if (n <= 1)
		return 0;
	/* Rejection keeps it uniform; the loop almost never turns. */
	lim = UINT64_MAX - UINT64_MAX % n;
	do
		v = sim_rand(state);
	while (v >= lim);
	return v % n;
}

static uint64_t rb_state = 0x5eed;

void sim_randombytes_seed(uint64_t seed)
{
	rb_state = seed ^ 0x72616e646f6d6279ull;
}

static const char *rb_name(void)
{
	return "weft-sim";
}

static uint32_t rb_random(void)
{
	return (uint32_t)(sim_rand(&rb_state) >> 32);
}

static void rb_buf(void *const buf, const size_t size)
{
	uint8_t *p = buf;
	uint64_t v;
	size_t i;

	for (i = 0; i < size; i += 8) {
		v = sim_rand(&rb_state);
		memcpy(p + i, &v, size - i < 8 ? size - i : 8);
	}
}

static randombytes_implementation rb_impl = {
	.implementation_name = rb_name,
	.random = rb_random,
	.buf = rb_buf,
};

int weft_sim_global_init(void)
{
	static bool done;

	if (done)
		return 0;
	if (randombytes_set_implementation(&rb_impl) != 0)
		return WEFT_EUNSUPPORTED;
	if (weft_crypto_init() != 0)
		return WEFT_EUNSUPPORTED;
	done = true;
	return 0;
}
