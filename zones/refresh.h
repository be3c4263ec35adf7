/* refresh.h -- the refresh/retry/expire state of one upstream zone, pure in `now` (the
 * caller owns timers and sockets; tests choose the time).
 * Never schedules an event or reads the clock itself. */
#ifndef NODD_REFRESH_H
#define NODD_REFRESH_H

#include <stdint.h>

/* Configured clamps for the SOA timers (seconds), as NSD's within_refresh_bounds. */
struct refresh_bounds {
	int64_t refresh_min, refresh_max;
	int64_t retry_min, retry_max;
	int64_t expire_min, expire_max;
};

struct refresh_state {
	int have_copy;             /* a copy is held (the first AXFR was applied) */
	uint32_t serial;           /* serial of the held copy */
	int64_t last_success;      /* the primary last confirmed or gave us a version */
	uint32_t refresh, retry, expire; /* the held SOA's timers, clamped */
	int64_t backoff;           /* delay after the last failure; 0 after a success */
	int notified;              /* a NOTIFY arrived while a task was running */
};

/* What the SOA probe's answer means. */
enum refresh_next {
	REFRESH_UP_TO_DATE, /* the primary has our serial */
	REFRESH_OLDER,      /* the primary is behind us (or 2^31 away): keep ours */
	REFRESH_IXFR,       /* newer, and we hold a copy */
	REFRESH_AXFR,       /* no copy yet */
};

/* No copy, timers at their lower bounds (expire at its upper bound). b is borrowed. */
void refresh_init(struct refresh_state *st, const struct refresh_bounds *b);

/* Take the timers of the held SOA, each clamped to its bounds. */
void refresh_set_soa(struct refresh_state *st, const struct refresh_bounds *b,
	uint32_t refresh, uint32_t retry, uint32_t expire);

enum refresh_next refresh_after_probe(const struct refresh_state *st, uint32_t primary_serial);

/* A refresh succeeded at now (up to date, or a transfer applied). Returns the delay until
 * the next probe: at once when a NOTIFY came in meanwhile, else the refresh timer. */
int64_t refresh_success(struct refresh_state *st, int64_t now);

/* Every primary failed. Returns the delay until the next attempt: the retry timer, then
 * doubling, never above retry-max. */
int64_t refresh_failure(struct refresh_state *st, const struct refresh_bounds *b);

/* 1 when a copy is held and no refresh succeeded for longer than the expire timer. The
 * copy keeps serving (names already observed stay observed); status reports it. */
int refresh_expired(const struct refresh_state *st, int64_t now);

#endif
