/* clock.h -- the clocks nodd reads: unix seconds from CLOCK_REALTIME for every timestamp
 * (unix_now), and seconds from CLOCK_MONOTONIC (mono_now) for pacing, which a wall clock
 * stepped back or forth must not stop or hurry.
 *
 * Not time(): on Linux glibc answers time() from the coarse clock of the last timer tick,
 * which lags CLOCK_REALTIME (what sqlite's 'now', BIND, dig and the tests' Python read) by
 * up to a tick. Just after a second begins, time() still says the second before, so a
 * serial or first_seen made "after" another program's reading could be one second
 * earlier than it. One clock for every timestamp nodd makes or compares keeps them
 * ordered with the rest of the machine; the cost is a vDSO call per use. */
#ifndef NODD_CLOCK_H
#define NODD_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t unix_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/* Unix milliseconds from the same clock, for timestamps others make in milliseconds (the
 * dates of CT tree heads). */
static inline int64_t unix_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Seconds since an unspecified start; never goes backwards. For intervals only. */
static inline int64_t mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

#endif
