/* The clocks, read in one place. Only the shells call these — the daemon's
 * libuv callbacks, the command line's main, wg/'s waits on a userspace
 * implementation — and they pass the time down: core's data code, gossip/
 * and mesh/ never read a clock, they take `now` as an argument (see
 * docs/STYLE.md, "Sans-IO"). */
#ifndef WEFT_CLOCK_H
#define WEFT_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds: for deadlines and timeouts. It is the
 * clock libuv's timers and uv_hrtime() use. */
uint64_t weft_clock_mono_ns(void);
/* CLOCK_REALTIME in unix milliseconds: for what records and tokens say
 * (expiry, versions), never for measuring intervals. */
uint64_t weft_clock_wall_ms(void);

/* Both, read together for one event. */
struct weft_now {
	uint64_t mono_ns;
	uint64_t wall_ms;
};
struct weft_now weft_clock_now(void);

#endif
