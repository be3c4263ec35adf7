/* refresh.c -- refresh/retry/expire of one upstream zone, pure in `now`.
 *
 * DESIGN
 *            start / refresh timer / NOTIFY
 *                        |
 *                        v
 *                   SOA probe ----- fails on every primary ---> wait backoff
 *                        |                                      (retry, x2, <= retry-max)
 *        up to date / older |  newer
 *            v              v
 *     wait refresh    IXFR (copy held) or AXFR (no copy)
 *                           | applied            | fails
 *                           v                    v
 *                     wait refresh          wait backoff
 *
 * A NOTIFY that arrives while a task runs is remembered and probes again as soon as the
 * task ends. No successful refresh for longer than expire marks the zone expired; its
 * copy and the names it gave stay.
 */
#include "zones/refresh.h"

#include "lib/serial.h"

static uint32_t clamp(uint32_t v, int64_t lo, int64_t hi)
{
	if ((int64_t)v < lo)
		return (uint32_t)lo;
	if ((int64_t)v > hi)
		return (uint32_t)hi;
	return v;
}

void refresh_init(struct refresh_state *st, const struct refresh_bounds *b)
{
	*st = (struct refresh_state){ 0 };
	st->refresh = (uint32_t)b->refresh_min;
	st->retry = (uint32_t)b->retry_min;
	st->expire = (uint32_t)b->expire_max;
}

void refresh_set_soa(struct refresh_state *st, const struct refresh_bounds *b,
	uint32_t refresh, uint32_t retry, uint32_t expire)
{
	st->refresh = clamp(refresh, b->refresh_min, b->refresh_max);
	st->retry = clamp(retry, b->retry_min, b->retry_max);
	st->expire = clamp(expire, b->expire_min, b->expire_max);
}

enum refresh_next refresh_after_probe(const struct refresh_state *st, uint32_t primary_serial)
{
	if (!st->have_copy)
		return REFRESH_AXFR;
	switch (serial_compare(primary_serial, st->serial)) {
	case SERIAL_EQ:
		return REFRESH_UP_TO_DATE;
	case SERIAL_GT:
		return REFRESH_IXFR;
	default:
		return REFRESH_OLDER;
	}
}

int64_t refresh_success(struct refresh_state *st, int64_t now)
{
	st->last_success = now;
	st->backoff = 0;
	int64_t d = st->notified ? 0 : (int64_t)st->refresh;
	st->notified = 0;
	return d;
}

int64_t refresh_failure(struct refresh_state *st, const struct refresh_bounds *b)
{
	st->backoff = st->backoff ? st->backoff * 2 : (int64_t)st->retry;
	if (st->backoff > b->retry_max)
		st->backoff = b->retry_max;
	if (st->backoff < 1)
		st->backoff = 1;
	/* a NOTIFY during a failed attempt does not bypass the backoff: the primary that
	 * failed would most likely fail again at once */
	st->notified = 0;
	return st->backoff;
}

int refresh_expired(const struct refresh_state *st, int64_t now)
{
	return st->have_copy && st->last_success > 0 && now - st->last_success > (int64_t)st->expire;
}
