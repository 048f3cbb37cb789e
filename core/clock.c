/* The clocks (clock.h): the one place weft reads them. */
#include <time.h>

#include "core/clock.h"

static uint64_t read_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t weft_clock_mono_ns(void)
{
	return read_ns(CLOCK_MONOTONIC);
}

uint64_t weft_clock_wall_ms(void)
{
	return read_ns(CLOCK_REALTIME) / 1000000u;
}

struct weft_now weft_clock_now(void)
{
	struct weft_now now = { weft_clock_mono_ns(), weft_clock_wall_ms() };

	return now;
}
